"""The languages the site speaks: choosing one for a request, and its gettext catalogue.

The catalogues are the ``.po`` files under ``oerrepo/web/locales`` (the ones translators
edit), read with Babel when a language is first used, so the package needs no build step
and a wheel ships exactly what the source tree holds.
"""

from __future__ import annotations

import io
import threading
from functools import cache
from importlib.resources import files

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = ["LANGUAGES", "DEFAULT", "choose_language", "accepted_languages", "translations", "language_name"]

# The interface languages, in the order the switcher lists them.
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "pt", "it", "el")
DEFAULT = "en"
_lock = threading.Lock()


def choose_language(requested: str | None, accept_language: str | None) -> tuple[str, bool]:
    """The interface language for a request and whether the reader chose it explicitly.

    An explicit ``?lang=`` wins when we speak it; otherwise the Accept-Language header
    is read in q-value order (``pt-BR`` matches ``pt``); otherwise English.

    >>> choose_language(None, "fr-CH, fr;q=0.9, en;q=0.8")
    ('fr', False)
    """
    if requested:
        code = requested.strip().lower().replace("_", "-").split("-")[0]
        if code in LANGUAGES:
            return code, True
    for code in _accepted(accept_language or ""):
        if code in LANGUAGES:
            return code, False
    return DEFAULT, False


def accepted_languages(header: str | None) -> list[str]:
    """The primary language subtags of an Accept-Language header, most wanted first."""
    return list(dict.fromkeys(_accepted(header or "")))


def _accepted(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:40]):  # a header of thousands of parts is not a reader's
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or tag == "*":
            continue
        q = 1.0
        key, _, value = params.strip().partition("=")
        if key.strip() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
        if q > 0:
            ranked.append((-q, i, tag.split("-")[0]))
    return [tag for _, _, tag in sorted(ranked)]


@cache
def translations(language: str) -> NullTranslations:
    """The gettext translations of one interface language (English: the messages themselves)."""
    if language == DEFAULT or language not in LANGUAGES:
        return NullTranslations()
    source = files("oerrepo.web").joinpath("locales", language, "LC_MESSAGES", "messages.po")
    with _lock, source.open("rb") as po:
        catalog = read_po(po, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


@cache
def language_name(code: str, in_language: str) -> str:
    """A language's name in the reader's language ('Portugiesisch' for 'pt' in 'de'); the code when unknown."""
    base = (code or "").split("-")[0].lower()
    try:
        name = Locale.parse(in_language).languages.get(base)
    except (ValueError, TypeError):
        name = None
    if not name:
        return code
    return name[:1].upper() + name[1:]


@cache
def own_name(code: str) -> str:
    """A language's name in itself, for the switcher ('Deutsch', 'Ελληνικά')."""
    return language_name(code, code)
