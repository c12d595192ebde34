"""Snippets: the passages of a text around the words a query found, with ``<mark>`` around them."""

from __future__ import annotations

import html
import re
from collections.abc import Collection

from .analysis import fold

__all__ = ["snippet"]

_WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)  # the words the folding analyzer sees


def snippet(text: str, words: Collection[str], *, maxchars: int = 160, surround: int = 50, top: int = 2) -> str:
    """Up to ``top`` passages of ``text`` holding the folded ``words``, HTML-escaped, matches marked.

    Passages are at most ``maxchars`` long, with ``surround`` characters of context each
    side, richest first kept, shown in text order and joined by " … ". '' when no word occurs.
    A passage never runs over a line break: a record's descriptions (one per language) are
    joined by them, and the end of one read into the start of another made no sense.

    >>> snippet("Construimos un aerogenerador.", {"aerogenerador"})
    'Construimos un <mark>aerogenerador</mark>.'
    """
    hits = [(m.start(), m.end()) for m in _WORD.finditer(text) if fold(m.group()) in words]
    if not hits:
        return ""
    # Group matches into passages no longer than maxchars.
    groups: list[list[tuple[int, int]]] = []
    for start, end in hits:
        if groups and end - groups[-1][0][0] <= maxchars - 2 * surround and "\n" not in text[groups[-1][-1][1]:start]:
            groups[-1].append((start, end))
        else:
            groups.append([(start, end)])
    best = sorted(range(len(groups)), key=lambda i: (-len(groups[i]), i))[:top]
    out = []
    for i in sorted(best):
        group = groups[i]
        line_start = text.rfind("\n", 0, group[0][0]) + 1
        line_end = text.find("\n", group[-1][1])
        line_end = len(text) if line_end == -1 else line_end
        start = max(line_start, group[0][0] - surround)
        end = min(line_end, group[-1][1] + surround)
        # Whole words at the edges.
        if start > line_start:
            space = text.find(" ", start, group[0][0])
            start = space + 1 if space != -1 else start
        if end < line_end:
            space = text.rfind(" ", group[-1][1], end)
            end = space if space != -1 else end
        pieces, pos = [], start
        for s, e in group:
            pieces.append(html.escape(text[pos:s], quote=False))
            pieces.append(f"<mark>{html.escape(text[s:e], quote=False)}</mark>")
            pos = e
        pieces.append(html.escape(text[pos:end], quote=False))
        out.append("".join(pieces).strip())
    return " … ".join(out)
