"""The metadata formats the feed disseminates: ``oai_dc`` and IEEE LOM, written from the stored record.

Both crosswalks take the record in its stored form (``schemas/resource.schema.json``).
LOM is written for the strict LOMv1.0 binding: vocabulary elements carry only
LOMv1.0 values, so hcrt resource types, LRMI audiences and ISCED levels are mapped
to the nearest LOMv1.0 value, and the exact concepts go to ``classification``
(ISCED levels, SDGs, subjects), where any taxonomy may be named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .. import licenses, vocabularies
from .render import Writer, attr, esc

__all__ = ["MetadataFormat", "FORMATS", "LOM_TYPES", "LOM_ROLES"]

DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"

_HCRT = "https://w3id.org/kim/hcrt/"
_AUDIENCE = "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/"
_ISCED = "https://w3id.org/kim/isced-2011/level"
_SDG = "http://metadata.un.org/sdg/"

# hcrt resource types -> LOMv1.0 5.2 learningResourceType (types without a fair match are left out).
LOM_TYPES: dict[str, str] = {
    "assessment": "exam",
    "case_study": "problem statement",
    "data": "table",
    "diagram": "diagram",
    "drill_and_practice": "exercise",
    "experiment": "experiment",
    "image": "figure",
    "index": "index",
    "lesson_plan": "lecture",
    "map": "figure",
    "questionnaire": "questionnaire",
    "script": "narrative text",
    "simulation": "simulation",
    "slide": "slide",
    "text": "narrative text",
    "textbook": "narrative text",
    "worksheet": "exercise",
}

# LRMI educationalAudienceRole -> LOMv1.0 5.5 intendedEndUserRole.
LOM_ROLES: dict[str, str] = {
    "teacher": "teacher",
    "mentor": "teacher",
    "student": "learner",
    "peerTutor": "learner",
    "administrator": "manager",
}


def _lom_context(level_uri: str) -> str | None:
    """ISCED 2011 level -> LOMv1.0 5.6 context."""
    n = level_uri[len(_ISCED):] if level_uri.startswith(_ISCED) else ""
    if n in ("0", "1", "2", "3"):
        return "school"
    if n == "4":
        return "training"
    if n in ("5", "6", "7", "8"):
        return "higher education"
    return "other" if n else None


def _first_lang(data: dict) -> str | None:
    langs = data.get("inLanguage") or ()
    return langs[0] if langs else None


def _dedupe(values):
    seen = set()
    for v in values:
        if v not in seen:
            seen.add(v)
            yield v


# --------------------------------------------------------------------------- oai_dc


def write_oai_dc(w: Writer, data: dict, oai_identifier: str) -> None:
    """Simple Dublin Core: titles and descriptions per language, controlled values as concept URIs."""
    # Written inline (not through Writer.leaf): this is the hot path of every harvest.
    out = w.parts.append
    out(
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ '
        'http://www.openarchives.org/OAI/2.0/oai_dc.xsd">'
    )
    get = data.get
    for lang, text in (get("name") or {}).items():
        out(f"<dc:title{_xml_lang(lang)}>{esc(text)}</dc:title>")
    for agent in get("creator") or ():
        out(f"<dc:creator>{esc(agent['name'])}</dc:creator>")
    first = _xml_lang(_first_lang(data))
    for keyword in get("keywords") or ():
        out(f"<dc:subject{first}>{esc(keyword)}</dc:subject>")
    for subject in get("about") or ():
        labels = subject.get("prefLabel")
        if labels:
            for lang, text in labels.items():
                out(f"<dc:subject{_xml_lang(lang)}>{esc(text)}</dc:subject>")
        else:
            out(f"<dc:subject>{esc(subject['id'])}</dc:subject>")
    for uri in get("sdg") or ():
        out(f"<dc:subject>{uri}</dc:subject>")
    for lang, text in (get("description") or {}).items():
        out(f"<dc:description{_xml_lang(lang)}>{esc(text)}</dc:description>")
    for agent in get("publisher") or ():
        out(f"<dc:publisher>{esc(agent['name'])}</dc:publisher>")
    for agent in get("contributor") or ():
        out(f"<dc:contributor>{esc(agent['name'])}</dc:contributor>")
    date = get("datePublished") or get("dateCreated")
    if date:
        out(f"<dc:date>{esc(date)}</dc:date>")
    for uri in get("learningResourceType") or ():
        out(f"<dc:type>{esc(uri)}</dc:type>")
    for fmt in _dedupe(e["encodingFormat"] for e in get("encoding") or () if e.get("encodingFormat")):
        out(f"<dc:format>{esc(fmt)}</dc:format>")
    ids = [get("url")] if get("url") else []
    ids += get("identifier") or []
    if _is_uri(get("id", "")):
        ids.append(data["id"])
    for value in _dedupe(ids):
        out(f"<dc:identifier>{esc(value)}</dc:identifier>")
    for base in get("isBasedOn") or ():
        out(f"<dc:source>{esc(base['id'])}</dc:source>")
    for tag in get("inLanguage") or ():
        out(f"<dc:language>{esc(tag)}</dc:language>")
    for prop in ("isPartOf", "hasPart"):
        for rel in get(prop) or ():
            out(f"<dc:relation>{esc(rel['id'])}</dc:relation>")
    if get("license"):
        out(f"<dc:rights>{esc(data['license'])}</dc:rights>")
    out("</oai_dc:dc>")


def _xml_lang(lang: str | None) -> str:
    return f' xml:lang="{attr(lang)}"' if lang and lang != "und" else ""


def _lang_attr(lang: str | None) -> tuple:
    return (("xml:lang", lang),) if lang and lang != "und" else ()


_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def _is_uri(value: str) -> bool:
    return bool(_URI_RE.match(value)) and "://" in value or value.startswith("urn:")


# --------------------------------------------------------------------------- LOM


def _lang_string(w: Writer, tag: str, values: dict[str, str] | list[tuple[str | None, str]]) -> None:
    items = values.items() if isinstance(values, dict) else values
    w.open(tag)
    for lang, text in items:
        w.leaf("string", text, (("language", lang),) if lang and lang != "und" else ())
    w.close(tag)


def _vocab(w: Writer, tag: str, value: str) -> None:
    w.raw(f"<{tag}><source>LOMv1.0</source><value>")
    w.raw(value)  # LOMv1.0 tokens are plain ASCII words
    w.raw(f"</value></{tag}>")


def _vcard_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _vcard(agent: dict) -> str:
    name = _vcard_escape(agent["name"])
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{name}"]
    if agent.get("type") == "Organization":
        lines.append(f"ORG:{name}")
        lines.append("N:;;;;")
    else:
        lines.append("N:;;;;")
        aff = agent.get("affiliation")
        if aff:
            lines.append(f"ORG:{_vcard_escape(aff['name'])}")
    if agent.get("id"):
        lines.append(f"UID:{agent['id']}")
    if agent.get("url"):
        lines.append(f"URL:{agent['url']}")
    lines.append("END:VCARD")
    return "\n".join(lines)


_LOM_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?")


def _lom_date(value: str | None) -> str | None:
    m = _LOM_DATE.match(value or "")
    return m.group(0) if m and not m.group(0).startswith("0000") else None


def _contribute(w: Writer, role: str, agents: list[dict], date: str | None) -> None:
    if not agents:
        return
    w.open("contribute")
    _vocab(w, "role", role)
    for agent in agents:
        w.leaf("entity", _vcard(agent))
    if date:
        w.raw(f"<date><dateTime>{date}</dateTime></date>")
    w.close("contribute")


def _identifier(w: Writer, catalog: str, entry: str) -> None:
    w.open("identifier")
    w.leaf("catalog", catalog)
    w.leaf("entry", entry)
    w.close("identifier")


def _catalog_of(value: str) -> str:
    if value.startswith(("https://doi.org/", "http://doi.org/", "https://dx.doi.org/")):
        return "DOI"
    if value.startswith(("https://hdl.handle.net/", "http://hdl.handle.net/")):
        return "Handle"
    return "URI"


def _taxon_path(w: Writer, source: str, uri: str, labels: dict[str, str]) -> None:
    w.open("taxonPath")
    _lang_string(w, "source", {"en": source})
    w.open("taxon")
    if uri:
        w.leaf("id", uri)
    if labels:
        _lang_string(w, "entry", labels)
    w.close("taxon")
    w.close("taxonPath")


def write_lom(w: Writer, data: dict, oai_identifier: str) -> None:
    """IEEE LOM (strict LOMv1.0 binding) with the educational and rights fields portals need."""
    w.raw(
        '<lom xmlns="http://ltsc.ieee.org/xsd/LOM" '
        'xsi:schemaLocation="http://ltsc.ieee.org/xsd/LOM http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd">'
    )
    langs = list(data.get("inLanguage") or ())
    lang = langs[0] if langs else None
    # 1 General
    w.open("general")
    rid = data.get("id", "")
    _identifier(w, _catalog_of(rid) if _is_uri(rid) else "oerrepo", rid)
    for value in data.get("identifier") or ():
        _identifier(w, _catalog_of(value), value)
    if data.get("name"):
        _lang_string(w, "title", data["name"])
    for tag in langs:
        w.leaf("language", tag)
    if data.get("description"):
        _lang_string(w, "description", data["description"])
    for keyword in data.get("keywords") or ():
        _lang_string(w, "keyword", [(lang, keyword)])
    w.close("general")
    # 2 Life cycle
    creators, publishers, contributors = (data.get(k) or [] for k in ("creator", "publisher", "contributor"))
    if creators or publishers or contributors:
        w.open("lifeCycle")
        _contribute(w, "author", creators, _lom_date(data.get("dateCreated")))
        _contribute(w, "publisher", publishers, _lom_date(data.get("datePublished")))
        _contribute(w, "content provider", contributors, None)
        w.close("lifeCycle")
    # 3 Meta-metadata
    w.open("metaMetadata")
    _identifier(w, "oai", oai_identifier)
    w.leaf("metadataSchema", "LOMv1.0")
    w.close("metaMetadata")
    # 4 Technical
    encodings = data.get("encoding") or []
    if encodings or data.get("url"):
        w.open("technical")
        for fmt in _dedupe(e["encodingFormat"] for e in encodings if e.get("encodingFormat")):
            w.leaf("format", fmt)
        sizes = [int(e["contentSize"]) for e in encodings if e.get("contentSize")]
        if len(sizes) == 1:
            w.leaf("size", sizes[0])
        if data.get("url"):
            w.leaf("location", data["url"])
        for e in encodings:
            w.leaf("location", e["contentUrl"])
        w.close("technical")
    # 5 Educational
    types = [LOM_TYPES[u[len(_HCRT):]] for u in data.get("learningResourceType") or () if u[len(_HCRT):] in LOM_TYPES]
    roles = [LOM_ROLES[u[len(_AUDIENCE):]] for u in data.get("audience") or () if u[len(_AUDIENCE):] in LOM_ROLES]
    contexts = [c for c in (_lom_context(u) for u in data.get("educationalLevel") or ()) if c]
    if types or roles or contexts or data.get("typicalAgeRange") or langs:
        w.open("educational")
        for value in _dedupe(types):
            _vocab(w, "learningResourceType", value)
        for value in _dedupe(roles):
            _vocab(w, "intendedEndUserRole", value)
        for value in _dedupe(contexts):
            _vocab(w, "context", value)
        if data.get("typicalAgeRange"):
            _lang_string(w, "typicalAgeRange", [(None, data["typicalAgeRange"])])
        for tag in langs:
            w.leaf("language", tag)
        w.close("educational")
    # 6 Rights
    license_url = data.get("license")
    free = data.get("isAccessibleForFree")
    if license_url or free is not None:
        w.open("rights")
        if free is not None:
            _vocab(w, "cost", "no" if free else "yes")
        if license_url:
            lic = licenses.try_normalize(license_url)
            public_domain = lic is not None and not lic.requires_attribution
            _vocab(w, "copyrightAndOtherRestrictions", "no" if public_domain else "yes")
            _lang_string(w, "description", [(None, license_url)])
        w.close("rights")
    # 7 Relation
    for prop, kind in (("isPartOf", "ispartof"), ("hasPart", "haspart"), ("isBasedOn", "isbasedon")):
        for rel in data.get(prop) or ():
            w.open("relation")
            _vocab(w, "kind", kind)
            w.open("resource")
            _identifier(w, _catalog_of(rel["id"]), rel["id"])
            if rel.get("name"):
                _lang_string(w, "description", [(None, rel["name"])])
            w.close("resource")
            w.close("relation")
    # 9 Classification: subjects, ISCED levels and SDGs, each in its own taxonomy
    subjects = data.get("about") or []
    if subjects:
        w.open("classification")
        _vocab(w, "purpose", "discipline")
        for subject in subjects:
            _taxon_path(w, "Wikidata" if "wikidata.org" in subject.get("id", "") else "oerrepo",
                        subject.get("id", ""), subject.get("prefLabel") or {})
        w.close("classification")
    levels = data.get("educationalLevel") or []
    if levels:
        w.open("classification")
        _vocab(w, "purpose", "educational level")
        for uri in levels:
            _taxon_path(w, "ISCED 2011", uri, vocabularies.labels("educationalLevel", uri))
        w.close("classification")
    goals = data.get("sdg") or []
    if goals:
        w.open("classification")
        _vocab(w, "purpose", "educational objective")
        for uri in goals:
            _taxon_path(w, "UN Sustainable Development Goals", uri, vocabularies.labels("sdg", uri))
        w.close("classification")
    w.raw("</lom>")


@dataclass(frozen=True)
class MetadataFormat:
    """One metadata format: its prefix, schema, namespace and writer."""

    prefix: str
    schema: str
    namespace: str
    write: Callable[[Writer, dict, str], None]


FORMATS: dict[str, MetadataFormat] = {
    "oai_dc": MetadataFormat(
        "oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS, write_oai_dc
    ),
    "lom": MetadataFormat("lom", "http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd", LOM_NS, write_lom),
}
