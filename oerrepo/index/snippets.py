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

    >>> snippet("Construimos un aerogenerador.", {"aerogenerador"})
    'Construimos un <mark>aerogenerador</mark>.'
    """
    hits = [(m.start(), m.end()) for m in _WORD.finditer(text) if fold(m.group()) in words]
    if not hits:
        return ""
    # Group matches into passages no longer than maxchars.
    groups: list[list[tuple[int, int]]] = []
    for start, end in hits:
        if groups and end - groups[-1][0][0] <= maxchars - 2 * surround:
            groups[-1].append((start, end))
        else:
            groups.append([(start, end)])
    best = sorted(range(len(groups)), key=lambda i: (-len(groups[i]), i))[:top]
    out = []
    for i in sorted(best):
        group = groups[i]
        start = max(0, group[0][0] - surround)
        end = min(len(text), group[-1][1] + surround)
        # Whole words at the edges.
        if start > 0:
            space = text.find(" ", start, group[0][0])
            start = space + 1 if space != -1 else start
        if end < len(text):
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
