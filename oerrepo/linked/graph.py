"""Triples of a resource, walked from its JSON-LD document (see :mod:`oerrepo.linked.document`).

The walk reads our documents exactly as a JSON-LD processor reads them with our context, but
knows their shape, so it runs without a JSON-LD library and without a Graph: one resource
at a time, in flat memory. Terms are light Python values (``str`` for IRIs, :class:`Blank`,
:class:`Lit`); :func:`to_rdflib` turns them into rdflib terms where a Graph is wanted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, NamedTuple

from .context import SCOPED, TERMS
from .terms import DCT, RDF, SCHEMA, SKOS, XSD

RDF_TYPE = RDF + "type"
XSD_STRING = XSD + "string"
XSD_BOOLEAN = XSD + "boolean"
XSD_INTEGER = XSD + "integer"
_TYPE_PREFIXES = {"dct:": DCT, "skos:": SKOS, "schema:": SCHEMA}


class Blank(str):
    """A blank node, by its label (unique within one export)."""

    __slots__ = ()


class Lit(NamedTuple):
    """A literal: its lexical form, language tag or datatype IRI (not both)."""

    value: str
    lang: str | None = None
    datatype: str | None = None


Triple = tuple[str, str, Any]


def type_iri(name: str) -> str:
    """The class IRI of a ``type`` value of our documents."""
    if name == "Concept":
        return SKOS + "Concept"
    for prefix, ns in _TYPE_PREFIXES.items():
        if name.startswith(prefix):
            return ns + name[len(prefix):]
    if ":" in name:
        return name
    return SCHEMA + name


class Walker:
    """Turns documents into triples; blank-node labels run on across documents."""

    def __init__(self, prefix: str = "b") -> None:
        self._labels = (f"{prefix}{n}" for n in itertools.count())

    def triples(self, document: dict) -> list[Triple]:
        """Every triple a JSON-LD processor would read from one of our documents."""
        language = None
        for item in document.get("@context") or ():
            if isinstance(item, dict) and item.get("@language"):
                language = item["@language"]
        out: list[Triple] = []
        self._node(document, language, out)
        return out

    def _node(self, node: dict, language: str | None, out: list[Triple]) -> str:
        subject = node.get("id")
        subject = Blank(next(self._labels)) if subject is None else subject
        types = node.get("type")
        scoped: dict[str, tuple[str, str]] = {}
        if types is not None:
            for name in types if isinstance(types, list) else (types,):
                out.append((subject, RDF_TYPE, type_iri(name)))
                scoped.update(SCOPED.get(name, {}))
        for key, value in node.items():
            if key in ("id", "type", "@context"):
                continue
            iri, kind = scoped.get(key) or TERMS.get(key) or (SCHEMA + key, "lang")
            if kind == "map":
                for lang, text in value.items():
                    out.append((subject, iri, Lit(text, None if lang in ("und", "@none") else lang.lower())))
                continue
            for item in value if isinstance(value, list) else (value,):
                out.append((subject, iri, self._object(item, kind, language, out)))
        return subject

    def _object(self, value: Any, kind: str, language: str | None, out: list[Triple]) -> Any:
        if isinstance(value, dict):
            if "@value" in value:
                lang = value.get("@language")
                return Lit(str(value["@value"]), lang.lower() if lang else None, value.get("@type"))
            return self._node(value, language, out)
        if isinstance(value, bool):
            return Lit("true" if value else "false", None, XSD_BOOLEAN)
        if isinstance(value, int):
            return Lit(str(value), None, XSD_INTEGER)
        if kind == "@id":
            return value
        if kind == "lang" and language:
            return Lit(value, language.lower())
        return Lit(value)


def to_rdflib(triple: Triple) -> tuple:
    """One light triple as rdflib terms."""
    from rdflib import BNode, Literal, URIRef

    out = []
    for t in triple:
        if isinstance(t, Blank):
            out.append(BNode(str(t)))
        elif isinstance(t, Lit):
            out.append(Literal(t.value, lang=t.lang, datatype=t.datatype))
        else:
            out.append(URIRef(t))
    return tuple(out)


def to_graph(triples: list[Triple]):
    """An rdflib Graph of some triples, with our prefixes bound."""
    from rdflib import Graph

    from .terms import PREFIXES

    graph = Graph(bind_namespaces="core")
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    for triple in triples:
        graph.add(to_rdflib(triple))
    return graph


def iter_subject_blocks(triples: list[Triple]) -> Iterator[tuple[Any, list[tuple[str, Any]]]]:
    """Triples grouped by subject, in first-seen order (for Turtle and RDF/XML)."""
    blocks: dict[Any, list[tuple[str, Any]]] = {}
    for s, p, o in triples:
        blocks.setdefault(s, []).append((p, o))
    return iter(blocks.items())
