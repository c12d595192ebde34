"""TASL attribution lines (Title, Author, Source, Licence) in text, HTML and Markdown."""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from ..errors import InvalidResource
from .reading import normalize
from .table import License

_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#!|~&")


def _markdown_text(text: str) -> str:
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def _link_target(url: str) -> str:
    # spaces, quotes, angle brackets and parentheses would end an HTML attribute or a
    # Markdown link destination early; percent-encoding keeps the address the same
    return quote(url, safe="/:?#[]@!$&*+,;=%")


def attribution(title: str, license: License | str, *, authors: Sequence[str] = (),
                source_url: str | None = None, fmt: str = "text") -> str:
    """A TASL attribution line (Title, Author, Source, Licence) in text, HTML or Markdown.

    HTML and Markdown escape every user-supplied string; ``source_url`` must be an
    http(s) URL and links the title.

    Example::

        >>> attribution("Photosynthesis", "CC-BY-4.0", authors=["Ada Lovelace"])
        '"Photosynthesis" by Ada Lovelace is licensed under CC BY 4.0. To view a copy of this license, visit https://creativecommons.org/licenses/by/4.0/'
    """
    if fmt not in ("text", "html", "markdown"):
        raise InvalidResource(f"attribution format {fmt!r} is not supported; use 'text', 'html' or 'markdown'")
    if not isinstance(title, str) or not title.strip():
        raise InvalidResource(f"attribution needs the title of the work, got {title!r}")
    if isinstance(authors, str):
        authors = [authors]
    lic = normalize(license)
    if source_url is not None and urlsplit(source_url.strip()).scheme.lower() not in ("http", "https"):
        # a javascript: or data: link in an attribution would run in the reader's browser
        raise InvalidResource(f"source URL {source_url!r} is not an http(s) URL; give the web address of the work")
    title = " ".join(title.split())
    names = [" ".join(a.split()) for a in authors if a and a.strip()]
    source = source_url.strip() if source_url else None
    if lic.id == "CC0-1.0":
        verb, shown, after, view = "is marked with", lic.short, ", dedicated to the public domain", "this dedication"
    elif lic.id == "CC-PDM-1.0":
        verb, shown, after, view = "is marked with", lic.title, ", free of known copyright restrictions", "this mark"
    else:
        verb, shown, after, view = "is licensed under", lic.short, "", "this license"
    if fmt == "text":
        work = f'"{title}"' + (f" ({source})" if source else "")
        by = f" by {', '.join(names)}" if names else ""
        return f"{work}{by} {verb} {shown}{after}. To view a copy of {view}, visit {lic.url}"
    if fmt == "html":
        esc = html.escape
        work = f'"{esc(title)}"'
        if source:
            work = f'<a href="{esc(_link_target(source))}">{work}</a>'
        by = f" by {esc(', '.join(names))}" if names else ""
        return f'{work}{by} {verb} <a href="{esc(lic.url)}" rel="license">{esc(shown)}</a>{after}.'
    work = f'"{_markdown_text(title)}"'
    if source:
        work = f"[{work}]({_link_target(source)})"
    by = f" by {_markdown_text(', '.join(names))}" if names else ""
    return f"{work}{by} {verb} [{shown}]({lic.url}){after}."
