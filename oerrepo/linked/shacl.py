"""Checking published linked data with SHACL (pyshacl) against our shapes or others."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from ..errors import ExportError
from .context import offline

RDFLIB_FORMATS = {"jsonld": "json-ld", "turtle": "turtle", "nt": "nt", "rdfxml": "xml"}
_BY_SUFFIX = {".jsonld": "jsonld", ".json": "jsonld", ".ttl": "turtle", ".nt": "nt", ".rdf": "rdfxml",
              ".xml": "rdfxml", ".owl": "rdfxml"}


@dataclass
class ShaclReport:
    """The outcome of a SHACL check: conforms, each violation as one line, and the full text."""

    conforms: bool
    violations: list[str] = field(default_factory=list)
    text: str = ""
    triples: int = 0

    def to_dict(self) -> dict:
        return {"conforms": self.conforms, "triples": self.triples, "violations": self.violations}


def shapes_text() -> str:
    """Our SHACL shapes (``schemas/shapes.ttl``)."""
    return files("oerrepo.schemas").joinpath("shapes.ttl").read_text(encoding="utf-8")


def guess_format(path: Path) -> str:
    """Our format name for a file by its suffix."""
    fmt = _BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise ExportError(f"cannot tell the RDF format of {path.name}; name it .jsonld, .ttl, .nt or .rdf")
    return fmt


def load_graph(data: bytes | str, fmt: str):
    """Parse RDF text into an rdflib Graph; JSON-LD contexts we know are resolved offline."""
    from rdflib import Graph

    graph = Graph()
    try:
        if fmt == "jsonld":
            doc = offline(json.loads(data))
            graph.parse(data=json.dumps(doc), format="json-ld")
        else:
            graph.parse(data=data, format=RDFLIB_FORMATS[fmt])
    except ExportError:
        raise
    except Exception as exc:  # rdflib raises many kinds for bad input
        raise ExportError(f"cannot read the data as {fmt}: {str(exc)[:300]}") from exc
    return graph


def check(graph, shapes: Sequence[str | Path] = ()) -> ShaclReport:
    """Validate a Graph against our shapes (or the given shape files)."""
    from pyshacl import validate
    from rdflib import Graph, Namespace

    sg = Graph()
    try:
        if shapes:
            for item in shapes:
                sg.parse(str(item), format="turtle")
        else:
            sg.parse(data=shapes_text(), format="turtle")
    except Exception as exc:
        raise ExportError(f"cannot read the SHACL shapes: {str(exc)[:300]}") from exc
    try:
        conforms, report, text = validate(graph, shacl_graph=sg, inference="none", allow_warnings=True)
    except Exception as exc:
        raise ExportError(f"SHACL validation failed to run: {str(exc)[:300]}") from exc
    SH = Namespace("http://www.w3.org/ns/shacl#")
    lines = []
    for result in report.subjects(SH.resultSeverity, SH.Violation):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        lines.append(f"{focus}: {path.n3(graph.namespace_manager) if path is not None else ''} {message}".strip())
    return ShaclReport(bool(conforms), sorted(lines), text, len(graph))
