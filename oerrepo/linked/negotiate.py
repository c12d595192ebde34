"""Content negotiation: from an Accept header or a file extension to one representation."""

from __future__ import annotations

from collections.abc import Sequence

# Our representations in the server's order of preference (used to break ties such as */*).
OFFERS: tuple[tuple[str, str], ...] = (
    ("application/ld+json", "jsonld"),
    ("text/turtle", "turtle"),
    ("text/html", "html"),
    ("application/rdf+xml", "rdfxml"),
    ("application/n-triples", "nt"),
)
# Types clients send for the same thing.
SYNONYMS = {
    "application/json": "jsonld",
    "application/xhtml+xml": "html",
    "application/x-turtle": "turtle",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
}
EXTENSIONS = {"jsonld": "jsonld", "json": "jsonld", "ttl": "turtle", "rdf": "rdfxml", "xml": "rdfxml",
              "nt": "nt", "html": "html", "htm": "html"}
CONTENT_TYPES = {
    "jsonld": "application/ld+json",
    "turtle": "text/turtle; charset=utf-8",
    "rdfxml": "application/rdf+xml",
    "nt": "application/n-triples",
    "html": "text/html; charset=utf-8",
}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q-values (malformed parts are skipped)."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(media: str, name: str, ranges: Sequence[tuple[str, float]]) -> float:
    best, specificity = 0.0, -1
    kind = media.split("/")[0]
    for accepted, q in ranges:
        if accepted == media or SYNONYMS.get(accepted) == name:
            level = 2
        elif accepted == f"{kind}/*":
            level = 1
        elif accepted == "*/*":
            level = 0
        else:
            continue
        if level > specificity:
            best, specificity = q, level
    return best


def choose(accept: str | None, offers: Sequence[str] | None = None) -> str | None:
    """The best of our formats for an Accept header ('jsonld', 'turtle', ...), or None (406)."""
    ranges = parse_accept(accept)
    best_name, best_q = None, 0.0
    for media, name in OFFERS:
        if offers is not None and name not in offers:
            continue
        q = _quality(media, name, ranges)
        if q > best_q:
            best_name, best_q = name, q
    return best_name


def from_extension(ext: str | None) -> str | None:
    """Our format for a file extension ('.ttl' -> 'turtle'); None when unknown."""
    if not ext:
        return None
    return EXTENSIONS.get(ext.lower().lstrip("."))


def not_acceptable() -> bytes:
    """The body of a 406 reply: which types we can send."""
    types = ", ".join(media for media, _ in OFFERS)
    return f"406 Not Acceptable: this resource is available as {types}\n".encode()
