"""Read the full-record format (``oerrepo``, ``urn:oerrepo:record:1.0``) back into the stored record.

The inverse of the writer in :mod:`oerrepo.oai.fullrecord`: hub to hub, every property and every
language of a text arrives as it was stored at the origin.
"""

from __future__ import annotations

from lxml import etree

from ..full_record import FULL_NS, PROPERTY_KINDS
from .crosswalk import XML_LANG, Crosswalked

__all__ = ["PREFIXES", "NAMESPACE", "read_full"]

PREFIXES = ("oerrepo",)
NAMESPACE = FULL_NS
_Q = "{" + FULL_NS + "}"


def _local(node: etree._Element) -> str:
    return node.tag[len(_Q):] if isinstance(node.tag, str) and node.tag.startswith(_Q) else ""


def _value(node: etree._Element):
    kind, text = _local(node), node.text or ""
    if kind == "string":
        return text
    if kind == "number":
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kind == "boolean":
        return text.strip() in ("true", "1")
    if kind == "map":
        return _object(node)
    if kind == "array":
        return [_value(child) for child in node if _local(child)]
    raise ValueError(f"unexpected element {node.tag!r} in a full record")


def _object(node: etree._Element) -> dict:
    return {child.get("key", ""): _value(child) for child in node if _local(child)}


def read_full(payload: etree._Element) -> Crosswalked:
    """A ``<rec:resource>`` as the stored record (its licence also offered as the rights candidate)."""
    if payload.tag != _Q + "resource":
        raise ValueError(f"expected {_Q}resource, found {payload.tag!r}")
    record: dict = {}
    for node in payload:
        prop = _local(node)
        kind = PROPERTY_KINDS.get(prop)
        if kind is None:
            continue  # a newer version's property: left out rather than refusing the record
        text = node.text or ""
        if kind == "text":
            record[prop] = text
        elif kind == "list":
            record.setdefault(prop, []).append(text)
        elif kind == "lang":
            record.setdefault(prop, {})[node.get(XML_LANG) or "und"] = text
        elif kind == "bool":
            record[prop] = text.strip() in ("true", "1")
        else:
            record.setdefault(prop, []).append(_object(node))
    result = Crosswalked(record=record)
    if record.get("license"):
        result.rights.append(record["license"])
    return result
