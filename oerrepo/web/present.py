"""How values of records and facets are shown to people: labels, URL forms, licences in plain words.

Sentences are marked with ``N_`` so ``pybabel extract`` finds them; templates translate
them when they render.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from .. import vocabularies
from .i18n import language_name

__all__ = ["N_", "LicenceView", "explain_license", "facet_label", "url_value", "stored_value", "safe_snippet"]


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


# URL parameter -> vocabulary name, for the filters whose values are concepts.
_VOCABULARY = {"sdg": "sdg", "type": "learningResourceType", "level": "educationalLevel", "audience": "audience"}

FACET_TITLES = {
    "sdg": N_("Sustainable Development Goal"),
    "type": N_("Resource type"),
    "level": N_("Educational level"),
    "language": N_("Language"),
    "license": N_("Licence"),
    "source": N_("Partner"),
    "audience": N_("Audience"),
}
LOCAL_SOURCE = "local"


def facet_label(name: str, value: str, lang: str, repo: Any = None) -> str:
    """A facet value as people read it: the concept's label in ``lang``, a language's name, a licence's short name."""
    if name in _VOCABULARY:
        text = vocabularies.label(_VOCABULARY[name], value, lang)
        if name == "sdg":
            number = value.rstrip("/").rsplit("/", 1)[-1]
            return f"{number}. {text}" if number.isdigit() else text
        return text[:1].upper() + text[1:]
    if name == "language":
        return language_name(value, lang)
    if name == "license" and repo is not None:
        lic = _license(repo, value)
        return lic.short if lic else value
    return value


def url_value(name: str, stored: str, repo: Any = None) -> str:
    """The short form a URL carries for a stored facet value ('13', 'experiment', 'CC-BY-4.0')."""
    if name in _VOCABULARY:
        try:
            return vocabularies.short_form(_VOCABULARY[name], stored)
        except Exception:  # a value the vocabulary does not hold: keep it as it is
            return stored
    if name == "license" and repo is not None:
        lic = _license(repo, stored)
        return lic.id if lic else stored
    return stored


def stored_value(name: str, given: str, repo: Any = None) -> str | None:
    """The stored value a URL's short form stands for (None when it names nothing we know)."""
    if name in _VOCABULARY:
        try:
            return vocabularies.resolve(_VOCABULARY[name], given)
        except Exception:
            return None
    if name == "license":
        lic = _license(repo, given) if repo is not None else None
        return lic.url if lic else None
    if name == "language":
        return given.lower() if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", given) else None
    return given


def _license(repo: Any, value: str):
    try:
        return repo.license(value)
    except Exception:  # an unrecognised licence is shown as written, never guessed
        return None


@dataclass(frozen=True)
class LicenceView:
    """A licence as the site shows it: names, link, badge and plain-words sentences."""

    id: str
    short: str
    title: str
    url: str
    is_open: bool
    remix: bool
    sentences: tuple[str, ...]


def explain_license(lic: Any) -> LicenceView:
    """What a licence lets a teacher do, in short sentences (translated when shown)."""
    sentences = [N_("You may copy, share and use it, also in class and online.")]
    if lic.allows_adaptations:
        sentences.append(N_("You may adapt it: translate, remix and build upon it."))
    else:
        sentences.append(N_("You may not share adapted versions (NoDerivatives)."))
    if lic.allows_commercial:
        sentences.append(N_("Commercial use is allowed."))
    else:
        sentences.append(N_("Only non-commercial use is allowed (NonCommercial)."))
    if lic.share_alike:
        sentences.append(N_("Adaptations must be shared under the same licence (ShareAlike)."))
    if lic.requires_attribution:
        sentences.append(N_("You must credit the authors and name the licence (see the attribution below)."))
    else:
        sentences.append(N_("No credit is required, though naming the source is good practice."))
    return LicenceView(lic.id, lic.short, lic.title, lic.url, lic.is_open, lic.allows_adaptations, tuple(sentences))


_MARK = re.compile(r"(</?mark>)")


def safe_snippet(snippet: str) -> Markup:
    """A search snippet with only its ``<mark>`` elements kept as markup; everything else is text."""
    out = []
    for part in _MARK.split(snippet or ""):
        if part in ("<mark>", "</mark>"):
            out.append(part)
        else:
            out.append(html.escape(html.unescape(part), quote=False))
    text = "".join(out)
    if text.count("<mark>") != text.count("</mark>"):  # unbalanced: show it all as text
        return Markup(html.escape(html.unescape(_MARK.sub("", snippet or "")), quote=False))
    return Markup(text)


def shorten(text: str, limit: int = 240) -> str:
    """The first ``limit`` characters of a text, cut at a word, with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(",.;:") + " …"
