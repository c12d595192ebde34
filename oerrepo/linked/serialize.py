"""Streaming writers: N-Triples, Turtle, RDF/XML and JSON-LD, one resource at a time.

No writer holds more than one resource's triples (plus the small set of vocabulary
concept statements already written, so labels of an SDG are not repeated per resource):
memory stays flat however big the catalogue is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import IO, Any

from .graph import RDF_TYPE, XSD_STRING, Blank, Lit, Triple, Walker
from .terms import DCT, PREFIXES, SKOS

FORMATS: dict[str, tuple[str, str]] = {
    # name: (media type, file extension)
    "jsonld": ("application/ld+json", "jsonld"),
    "turtle": ("text/turtle", "ttl"),
    "nt": ("application/n-triples", "nt"),
    "rdfxml": ("application/rdf+xml", "rdf"),
}
FORMAT_ALIASES = {"json-ld": "jsonld", "ttl": "turtle", "ntriples": "nt", "n-triples": "nt", "rdf": "rdfxml",
                  "xml": "rdfxml", "rdf/xml": "rdfxml", "pretty-xml": "rdfxml"}
_SHARED_TYPES = {SKOS + "Concept", DCT + "LicenseDocument"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r]')
_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def format_name(fmt: str) -> str:
    """Our name of a serialisation ('jsonld', 'turtle', 'nt', 'rdfxml') from a common spelling."""
    name = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
    if name not in FORMATS:
        from ..errors import ExportError

        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return name


def _escape(value: str) -> str:
    """A string literal's text escaped for N-Triples and Turtle (most need nothing: checked first,
    because str.translate is slow on non-ASCII text)."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def _literal(lit: Lit, datatype_term) -> str:
    text = '"' + _escape(lit.value) + '"'
    if lit.lang:
        return f"{text}@{lit.lang}"
    if lit.datatype and lit.datatype != XSD_STRING:
        return f"{text}^^{datatype_term(lit.datatype)}"
    return text


def _nt_term(term: Any) -> str:
    if isinstance(term, Lit):
        return _literal(term, lambda d: f"<{d}>")
    if isinstance(term, Blank):
        return f"_:{term}"
    return f"<{term}>"


class _Writer:
    """Common frame: a binary stream, per-document triples, counts, shared-statement dedup."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.walker = Walker()
        self.resources = 0
        self.triples = 0
        self._shared: set[Triple] = set()

    def write(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))

    def start(self) -> None:
        pass

    def finish(self) -> None:
        pass

    def add(self, document: dict) -> None:
        """Write one resource document."""
        triples = self._unique(self.walker.triples(document))
        self.resources += 1
        self.triples += len(triples)
        self.write_triples(triples)

    def _unique(self, triples: list[Triple]) -> list[Triple]:
        shared = {s for s, p, o in triples if p == RDF_TYPE and o in _SHARED_TYPES and not isinstance(s, Blank)}
        if not shared:
            return triples
        out = []
        for triple in triples:
            if triple[0] in shared:
                if triple in self._shared:
                    continue
                self._shared.add(triple)
            out.append(triple)
        return out

    def write_triples(self, triples: list[Triple]) -> None:
        raise NotImplementedError


class NTriplesWriter(_Writer):
    """N-Triples, one line per triple."""

    def write_triples(self, triples: list[Triple]) -> None:
        self.write("".join(f"{_nt_term(s)} <{p}> {_nt_term(o)} .\n" for s, p, o in triples))


class TurtleWriter(_Writer):
    """Turtle: our prefixes once, then one block per subject."""

    def __init__(self, out: IO[bytes]) -> None:
        super().__init__(out)
        self._by_ns = sorted(((ns, prefix) for prefix, ns in PREFIXES.items()), key=lambda x: -len(x[0]))
        self._qnames: dict[str, str] = {}

    def start(self) -> None:
        self.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "\n")

    def _qname(self, iri: str) -> str:
        found = self._qnames.get(iri)
        if found is None:
            found = f"<{iri}>"
            for ns, prefix in self._by_ns:
                if iri.startswith(ns) and _LOCAL.match(iri[len(ns):]):
                    found = f"{prefix}:{iri[len(ns):]}"
                    break
            if len(self._qnames) < 10_000:  # predicates and classes; bounded
                self._qnames[iri] = found
        return found

    def _term(self, term: Any) -> str:
        if isinstance(term, Lit):
            return _literal(term, self._qname)
        if isinstance(term, Blank):
            return f"_:{term}"
        return f"<{term}>"

    def write_triples(self, triples: list[Triple]) -> None:
        from .graph import iter_subject_blocks

        parts = []
        for subject, pairs in iter_subject_blocks(triples):
            lines = []
            for p, o in pairs:
                pred = "a" if p == RDF_TYPE else self._qname(p)
                obj = self._qname(o) if p == RDF_TYPE and not isinstance(o, (Lit, Blank)) else self._term(o)
                lines.append(f"{pred} {obj}")
            parts.append(f"{self._term(subject)} " + " ;\n    ".join(lines) + " .\n\n")
        self.write("".join(parts))


class RdfXmlWriter(_Writer):
    """RDF/XML: one rdf:Description per subject."""

    def __init__(self, out: IO[bytes]) -> None:
        super().__init__(out)
        self._by_ns = sorted(((ns, prefix) for prefix, ns in PREFIXES.items()), key=lambda x: -len(x[0]))

    def start(self) -> None:
        ns = "".join(f'\n    xmlns:{p}="{_attr(n)}"' for p, n in PREFIXES.items())
        self.write(f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{ns}>\n')

    def finish(self) -> None:
        self.write("</rdf:RDF>\n")

    def _element(self, iri: str) -> str:
        for ns, prefix in self._by_ns:
            if iri.startswith(ns) and _LOCAL.match(iri[len(ns):]):
                return f"{prefix}:{iri[len(ns):]}"
        from ..errors import ExportError

        raise ExportError(f"predicate {iri!r} has no namespace prefix for RDF/XML")

    def write_triples(self, triples: list[Triple]) -> None:
        from .graph import iter_subject_blocks

        parts = []
        for subject, pairs in iter_subject_blocks(triples):
            about = f'rdf:nodeID="{subject}"' if isinstance(subject, Blank) else f'rdf:about="{_attr(subject)}"'
            parts.append(f"  <rdf:Description {about}>\n")
            for p, o in pairs:
                name = self._element(p)
                if isinstance(o, Blank):
                    parts.append(f'    <{name} rdf:nodeID="{o}"/>\n')
                elif isinstance(o, Lit):
                    attrs = ""
                    if o.lang:
                        attrs = f' xml:lang="{o.lang}"'
                    elif o.datatype and o.datatype != XSD_STRING:
                        attrs = f' rdf:datatype="{_attr(o.datatype)}"'
                    parts.append(f"    <{name}{attrs}>{_text(o.value)}</{name}>\n")
                else:
                    parts.append(f'    <{name} rdf:resource="{_attr(o)}"/>\n')
            parts.append("  </rdf:Description>\n")
        self.write("".join(parts))


def _text(value: str) -> str:
    # XML 1.0 cannot carry most control characters at all; they are dropped.
    value = _XML_ILLEGAL.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;")


class JsonLdWriter(_Writer):
    """JSON-LD: ``{"@graph": [document, ...]}``, every document with its own AMB context."""

    def start(self) -> None:
        self.write('{"@graph": [\n')

    def add(self, document: dict) -> None:
        self.write((",\n" if self.resources else "") + json.dumps(document, ensure_ascii=False))
        self.resources += 1
        self.triples += len(self.walker.triples(document)) if self.count_triples else 0

    count_triples = True

    def finish(self) -> None:
        self.write("\n]}\n")


WRITERS = {"nt": NTriplesWriter, "turtle": TurtleWriter, "rdfxml": RdfXmlWriter, "jsonld": JsonLdWriter}


def write_documents(documents: Iterable[dict], fmt: str, out: IO[bytes]) -> _Writer:
    """Write documents to a binary stream in one format; return the writer (its counts)."""
    writer = WRITERS[format_name(fmt)](out)
    writer.start()
    for document in documents:
        writer.add(document)
    writer.finish()
    return writer
