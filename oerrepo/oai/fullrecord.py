"""Writing the full-record metadata format (prefix ``oerrepo``): the stored record, every property.

oai_dc and LOM cannot carry funders, funding, images, modification dates, sets or every
language of a text; hubs harvesting each other would lose them on every hop. This
format writes each property of the stored JSON record (``schemas/resource.schema.json``)
as its own element; the XML Schema is ``schemas/oerrepo-record.xsd`` (served by the
web service at ``/schemas/oerrepo-record.xsd``) and :mod:`oerrepo.harvesters.fullrecord`
reads it back into the identical record
(:mod:`oerrepo.full_record` defines the format).
"""

from __future__ import annotations

from collections.abc import Callable

from ..full_record import FULL_NS, PROPERTY_KINDS
from .render import Writer, attr, esc

__all__ = ["write_full", "make_writer"]


def _value(value: object, key: str | None) -> str:
    """One JSON value in the generic form (``<string key=..>``, ``<map>``, ...)."""
    k = "" if key is None else f' key="{attr(key)}"'
    if isinstance(value, bool):
        return f"<rec:boolean{k}>{'true' if value else 'false'}</rec:boolean>"
    if isinstance(value, (int, float)):
        return f"<rec:number{k}>{value!r}</rec:number>"
    if isinstance(value, dict):
        inner = "".join(_value(v, str(name)) for name, v in value.items() if v is not None)
        return f"<rec:map{k}>{inner}</rec:map>"
    if isinstance(value, (list, tuple)):
        inner = "".join(_value(v, None) for v in value if v is not None)
        return f"<rec:array{k}>{inner}</rec:array>"
    return f"<rec:string{k}>{esc(value)}</rec:string>"


def write_full(w: Writer, data: dict, oai_identifier: str, *, plain: bool = False, schema_url: str = "") -> None:
    """The stored record as ``<rec:resource>``; properties outside the schema are left out."""
    location = f' xsi:schemaLocation="{FULL_NS} {attr(schema_url)}"' if schema_url else ""
    e = (lambda s: s) if plain else esc
    parts = [f'<rec:resource xmlns:rec="{FULL_NS}" version="1.0"{location}>']
    out = parts.append
    get = data.get
    for prop, kind in PROPERTY_KINDS.items():
        value = get(prop)
        if value is None or value == [] or value == {}:
            continue
        if kind == "text":
            out(f"<rec:{prop}>{e(str(value))}</rec:{prop}>")
        elif kind == "list":
            for item in value if isinstance(value, list) else [value]:
                out(f"<rec:{prop}>{e(str(item))}</rec:{prop}>")
        elif kind == "lang":
            for lang, text in (value.items() if isinstance(value, dict) else [("und", value)]):
                out(f'<rec:{prop} xml:lang="{attr(lang)}">{e(text)}</rec:{prop}>')
        elif kind == "bool":
            out(f"<rec:{prop}>{'true' if value else 'false'}</rec:{prop}>")
        else:
            for item in value if isinstance(value, list) else [value]:
                inner = "".join(_value(v, str(name)) for name, v in item.items() if v is not None)
                out(f"<rec:{prop}>{inner}</rec:{prop}>")
    out("</rec:resource>")
    w.parts.append("".join(parts))


def make_writer(schema_url: str) -> Callable[..., None]:
    """A writer with the feed's own address of the schema in every record's xsi:schemaLocation."""

    def write(w: Writer, data: dict, oai_identifier: str, *, plain: bool = False) -> None:
        write_full(w, data, oai_identifier, plain=plain, schema_url=schema_url)

    return write
