"""The metadata formats the feed disseminates: ``oai_dc`` and IEEE LOM, written from the stored record.

Both crosswalks take the record in its stored form (``schemas/resource.schema.json``).
LOM is written for the strict LOMv1.0 binding: vocabulary elements carry only
LOMv1.0 values, so hcrt resource types, LRMI audiences and ISCED levels are mapped
to the nearest LOMv1.0 value, and the exact concepts go to ``classification``
(subjects, ISCED levels, SDGs, hcrt resource types, LRMI audiences, conditions of
access), where any taxonomy may be named.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .. import licenses, vocabularies
from .render import Writer, attr, esc

__all__ = ["MetadataFormat", "FORMATS", "LOM_TYPES", "LOM_ROLES", "TAXONOMIES"]

DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"

_HCRT = "https://w3id.org/kim/hcrt/"
_AUDIENCE = "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/"
_ISCED = "https://w3id.org/kim/isced-2011/level"
_SDG = "http://metadata.un.org/sdg/"

# Names of the taxonomies classification paths are given in (LOM 9.2.1 source). The
# strict LOMv1.0 binding allows no other vocabulary source than LOMv1.0 in vocabulary
# elements, so the exact concepts of these schemes travel as classifications.
TAXONOMIES = {
    "learningResourceType": "HCRT https://w3id.org/kim/hcrt/scheme",
    "audience": "LRMI educationalAudienceRole http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/",
    "conditionsOfAccess": "KIM conditionsOfAccess https://w3id.org/kim/conditionsOfAccess/",
    "educationalLevel": "ISCED 2011",
    "sdg": "UN Sustainable Development Goals",
}

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


_DC_START = (
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ '
    'http://www.openarchives.org/OAI/2.0/oai_dc.xsd">'
)


def _same(text: str) -> str:
    return text


def _elements(tag: str, values, lang_attr: str = "") -> str:
    """``<tag>v</tag>`` for each (already escaped) value, in one join."""
    values = list(values)
    if not values:
        return ""
    start, end = f"<{tag}{lang_attr}>", f"</{tag}>"
    return start + (end + start).join(values) + end


def write_oai_dc(w: Writer, data: dict, oai_identifier: str, *, plain: bool = False) -> None:
    """Simple Dublin Core: titles and descriptions per language, controlled values as concept URIs.

    ``plain`` says that no text in the record needs escaping (the caller checked the
    stored JSON text once), so values are written as they are.
    """
    # This is the hot path of every harvest: values are joined in bulk, not written one by one.
    e = _same if plain else esc
    get = data.get
    parts = [_DC_START]
    out = parts.append
    for lang, text in (get("name") or {}).items():
        out(f"<dc:title{_xml_lang(lang)}>{e(text)}</dc:title>")
    creators = get("creator")
    if creators:
        out(_elements("dc:creator", [e(a["name"]) for a in creators]))
    keywords = get("keywords")
    if keywords:
        out(_elements("dc:subject", keywords if plain else map(esc, keywords), _xml_lang(_first_lang(data))))
    for subject in get("about") or ():
        labels = subject.get("prefLabel")
        if labels:
            for lang, text in labels.items():
                out(f"<dc:subject{_xml_lang(lang)}>{e(text)}</dc:subject>")
        else:
            out(f"<dc:subject>{e(subject['id'])}</dc:subject>")
    # Controlled values as concept URIs (SDGs, ISCED levels, audiences): harvesters resolve them.
    for prop in ("sdg", "educationalLevel", "audience"):
        uris = get(prop)
        if uris:
            out(_elements("dc:subject", uris if plain else map(esc, uris)))
    for lang, text in (get("description") or {}).items():
        out(f"<dc:description{_xml_lang(lang)}>{e(text)}</dc:description>")
    for prop, tag in (("publisher", "dc:publisher"), ("contributor", "dc:contributor")):
        agents = get(prop)
        if agents:
            out(_elements(tag, [e(a["name"]) for a in agents]))
    date = get("datePublished") or get("dateCreated")
    if date:
        out(f"<dc:date>{e(date)}</dc:date>")
    types = get("learningResourceType")
    if types:
        out(_elements("dc:type", types if plain else map(esc, types)))
    encodings = get("encoding")
    if encodings:
        out(_elements("dc:format", _dedupe(e(x["encodingFormat"]) for x in encodings if x.get("encodingFormat"))))
    url = get("url")
    ids = [url] if url else []
    ids += get("identifier") or ()
    rid = get("id", "")
    if _is_uri(rid):
        ids.append(rid)
    ids += get("sameAs") or ()
    if ids:
        out(_elements("dc:identifier", _dedupe(ids) if plain else map(esc, _dedupe(ids))))
    bases = get("isBasedOn")
    if bases:
        out(_elements("dc:source", [e(b["id"]) for b in bases]))
    langs = get("inLanguage")
    if langs:
        out(_elements("dc:language", langs if plain else map(esc, langs)))
    for prop in ("isPartOf", "hasPart"):
        rels = get(prop)
        if rels:
            out(_elements("dc:relation", [e(r["id"]) for r in rels]))
    if get("license"):
        out(f"<dc:rights>{e(data['license'])}</dc:rights>")
    if get("conditionsOfAccess"):
        out(f"<dc:rights>{e(data['conditionsOfAccess'])}</dc:rights>")
    out("</oai_dc:dc>")
    w.parts.append("".join(parts))


_LANG_ATTRS: dict[str | None, str] = {}


def _xml_lang(lang: str | None) -> str:
    cached = _LANG_ATTRS.get(lang)
    if cached is None:
        cached = f' xml:lang="{attr(lang)}"' if lang and lang != "und" else ""
        if len(_LANG_ATTRS) < 4096:  # language tags are few; a flood of odd ones is not kept
            _LANG_ATTRS[lang] = cached
    return cached


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


def _vcard(agent: dict, role: str) -> str:
    """A vCard 3.0 for a person or organisation.

    An organisation's FN repeats its ORG (the usual LOM convention, which readers use
    to tell organisations from people). ORCID/ROR ids go in UID, web pages in URL, and a
    person's affiliation's ids in X-ORG-ID / X-ORG-URL (vCard has no place of its own
    for them). A person who publishes is marked X-KIND:individual, as publishers are
    read as organisations by default.
    """
    name = _vcard_escape(agent["name"])
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{name}"]
    aff = None
    if agent.get("type") == "Organization":
        lines.append(f"ORG:{name}")
        lines.append("N:;;;;")
    else:
        lines.append("N:;;;;")
        if role == "publisher":
            lines.append("X-KIND:individual")
        aff = agent.get("affiliation")
        if aff:
            lines.append(f"ORG:{_vcard_escape(aff['name'])}")
    if agent.get("id"):
        lines.append(f"UID:{agent['id']}")
    if agent.get("url"):
        lines.append(f"URL:{agent['url']}")
    if aff and aff.get("id"):
        lines.append(f"X-ORG-ID:{aff['id']}")
    if aff and aff.get("url"):
        lines.append(f"X-ORG-URL:{aff['url']}")
    lines.append("END:VCARD")
    return "\n".join(lines)


_LOM_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?")
# LOM's DateTime (dataTypes.xsd): a zone only after fractional seconds.
_LOM_DATETIME = re.compile(
    r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+(Z|[+-]\d{2}:\d{2})?)?)?)?)?)?)?$"
)


def _lom_date(value: str | None) -> str | None:
    """The date in LOM's DateTime form: whole when LOM can carry it, else its date part."""
    if not value or value.startswith("0000"):
        return None
    if _LOM_DATETIME.match(value):
        return value
    m = _LOM_DATE.match(value)
    return m.group(0) if m else None


def _contribute(w: Writer, role: str, agents: list[dict], date: str | None) -> None:
    if not agents and not date:
        return
    w.open("contribute")
    _vocab(w, "role", role)
    for agent in agents:
        w.leaf("entity", _vcard(agent, role))
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


def write_lom(w: Writer, data: dict, oai_identifier: str, *, plain: bool = False) -> None:
    """IEEE LOM (strict LOMv1.0 binding) with the educational and rights fields portals need.

    LOM always escapes what it writes (``plain`` is accepted for a common signature).
    """
    w.raw(
        '<lom xmlns="http://ltsc.ieee.org/xsd/LOM" '
        'xsi:schemaLocation="http://ltsc.ieee.org/xsd/LOM http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd">'
    )
    langs = list(data.get("inLanguage") or ())
    lang = langs[0] if langs else None
    # 1 General
    w.open("general")
    # The URL first: readers (ours too) take the first web identifier as the resource's
    # address, and the others (a URI id, sameAs) as further names of the same resource.
    rid, url = data.get("id", ""), data.get("url")
    if url:
        _identifier(w, "URI", url)
    if rid != url:
        _identifier(w, _catalog_of(rid) if _is_uri(rid) else "oerrepo", rid)
    for value in data.get("identifier") or ():
        _identifier(w, _catalog_of(value), value)
    for value in data.get("sameAs") or ():
        if value not in (rid, url):
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
    created, published = _lom_date(data.get("dateCreated")), _lom_date(data.get("datePublished"))
    if creators or publishers or contributors or created or published:
        w.open("lifeCycle")
        # The authors' contribution is dated with the creation date, the publisher's with the
        # publication date: readers take them back from there.
        _contribute(w, "author", creators, created)
        _contribute(w, "publisher", publishers, published)
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
    # 9 Classification: subjects, ISCED levels, SDGs and the exact concepts LOMv1.0's own
    # vocabularies can only approximate (resource types, audiences, conditions of access).
    subjects = data.get("about") or []
    if subjects:
        w.open("classification")
        _vocab(w, "purpose", "discipline")
        for subject in subjects:
            _taxon_path(w, "Wikidata" if "wikidata.org" in subject.get("id", "") else "oerrepo",
                        subject.get("id", ""), subject.get("prefLabel") or {})
        w.close("classification")
    for prop, purpose in (("educationalLevel", "educational level"), ("sdg", "educational objective"),
                          ("learningResourceType", "idea"), ("audience", "idea"),
                          ("conditionsOfAccess", "accessibility restrictions")):
        uris = data.get(prop) or []
        if isinstance(uris, str):
            uris = [uris]
        if uris:
            w.open("classification")
            _vocab(w, "purpose", purpose)
            for uri in uris:
                _taxon_path(w, TAXONOMIES[prop], uri, vocabularies.labels(prop, uri))
            w.close("classification")
    w.raw("</lom>")


@dataclass(frozen=True)
class MetadataFormat:
    """One metadata format: its prefix, schema, namespace and writer."""

    prefix: str
    schema: str
    namespace: str
    write: Callable[..., None]  # (writer, record, oai_identifier, *, plain=False)


FORMATS: dict[str, MetadataFormat] = {
    "oai_dc": MetadataFormat(
        "oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS, write_oai_dc
    ),
    "lom": MetadataFormat("lom", "http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd", LOM_NS, write_lom),
}
