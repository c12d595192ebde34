"""Crosswalk from MODS (``mods``), as MyCoRe/MIR repositories serve it.

Carried: titles with subtitles by ``xml:lang``, personal and corporate names by MARC
relator role (aut/cre: creator, pbl: publisher, others: contributor) with ORCID,
abstracts, topics (SDGs recognised), languages (ISO 639-2 and RFC 5646), dates and
publisher from ``originInfo``, identifiers (DOI, URN, handle, URI), locations (landing
page, file, preview image), ``accessCondition`` licences (``xlink:href`` or text),
the type of resource and the host item.
"""

from __future__ import annotations

import re

from lxml import etree

from .crosswalk import (
    Crosswalked,
    agent,
    child,
    children,
    concept,
    lang_of,
    language,
    local,
    put_identifier,
    sdg_of,
    text_of,
)

__all__ = ["read_mods", "NAMESPACE", "PREFIXES"]

NAMESPACE = "http://www.loc.gov/mods/v3"
PREFIXES = ("mods", "oai_mods", "mods3")
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

_TYPE_OF_RESOURCE = {
    "text": "text", "still image": "image", "moving image": "video", "sound recording": "audio",
    "sound recording musical": "audio", "sound recording nonmusical": "audio", "software multimedia": "application",
    "cartographic": "map", "notated music": "sheet_music", "mixed material": None, "three dimensional object": None,
}
_CREATOR_ROLES = {"aut", "cre", "author", "creator"}
_PUBLISHER_ROLES = {"pbl", "publisher"}
_SKIP_ROLES = {"his", "dgg", "fnd", "own"}  # host institution, degree grantor, funder, owner


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def read_mods(metadata: etree._Element) -> Crosswalked:
    """Crosswalk one ``mods:mods`` element."""
    out = Crosswalked()
    mods = metadata if local(metadata) == "mods" else next(children(metadata, "mods"), metadata)
    langs: list[str] = []
    for lang_node in children(mods, "language"):
        for term in children(lang_node, "languageTerm"):
            if (term.get("type") or "code") == "code":
                tag = language(term.text, out.notes)
                if tag and tag not in langs:
                    langs.append(tag)
    if langs:
        out.record["inLanguage"] = langs
    default = langs[0] if langs else "und"

    for info in children(mods, "titleInfo"):
        if info.get("type") in ("alternative", "abbreviated", "uniform"):
            continue
        title = text_of(child(info, "title"))
        sub = text_of(child(info, "subTitle"))
        lang = lang_of(info) or default
        if title and lang not in out.record.get("name", {}):
            out.add_text("name", lang, f"{title}: {sub}" if sub else title)
    for abstract in children(mods, "abstract"):
        out.add_text("description", lang_of(abstract) or default, "".join(abstract.itertext()))

    for name in children(mods, "name"):
        roles = {_key(text_of(t)) for t in children(child(name, "role"), "roleTerm") if text_of(t)}
        if roles & _SKIP_ROLES:
            continue
        kind = "Organization" if name.get("type") == "corporate" else "Person"
        display = text_of(child(name, "displayForm"))
        parts = {p.get("type") or "": text_of(p) for p in children(name, "namePart")}
        full = f"{parts['given']} {parts['family']}" if parts.get("given") and parts.get("family") else (
            display or " ".join(v for v in parts.values() if v)
        )
        orcid = next((text_of(i) for i in children(name, "nameIdentifier") if i.get("type") == "orcid"), None)
        affiliation = text_of(child(name, "affiliation")) or None
        person = agent(full, kind, orcid, affiliation if kind == "Person" else None)
        if person is None:
            continue
        if roles & _PUBLISHER_ROLES:
            person["type"] = "Organization"
            person.pop("affiliation", None)
            out.add("publisher", person)
        elif roles & _CREATOR_ROLES or not roles:
            out.add("creator", person)
        else:
            out.add("contributor", person)

    for origin in children(mods, "originInfo"):
        for tag_name, prop in (("dateIssued", "datePublished"), ("dateCreated", "dateCreated"),
                               ("dateModified", "dateModified")):
            value = text_of(child(origin, tag_name))
            if value and prop not in out.record and re.match(r"^\d{4}(-\d{2}){0,2}$", value):
                out.record[prop] = value
        publisher = text_of(child(origin, "publisher"))
        if publisher:
            out.add("publisher", agent(publisher, "Organization"))

    for subject in children(mods, "subject"):
        uri = subject.get("valueURI") or ""
        for topic in children(subject, "topic"):
            value = text_of(topic)
            sdg = sdg_of(topic.get("valueURI") or uri) or sdg_of(value)
            if sdg:
                out.add("sdg", sdg)
            elif value:
                out.add("keywords", value)
    for classification in children(mods, "classification"):
        sdg = sdg_of(classification.get("valueURI") or "")
        if sdg:
            out.add("sdg", sdg)

    for ident in children(mods, "identifier"):
        kind, value = (ident.get("type") or "").lower(), text_of(ident)
        if not value:
            continue
        if kind == "doi":
            out.add("identifier", value if value.lower().startswith(("http", "doi:")) else f"https://doi.org/{value}")
        elif kind in ("urn", "hdl", "handle"):
            out.add("identifier", value)
        elif kind == "uri":
            put_identifier(out, value)
    for location in children(mods, "location"):
        for url in children(location, "url"):
            value, access = text_of(url), (url.get("access") or "").lower()
            if not value.lower().startswith(("http://", "https://")):
                continue
            if access == "preview":
                out.record.setdefault("image", value)
            elif access == "raw object":
                out.add("encoding", {"contentUrl": value})
            else:
                out.record["url"] = out.record.get("url") or value

    for condition in children(mods, "accessCondition"):
        for value in (condition.get(XLINK_HREF), text_of(condition)):
            if value:
                out.rights.append(value)

    for tor in children(mods, "typeOfResource"):
        uri = concept("learningResourceType", text_of(tor), _TYPE_OF_RESOURCE)
        if uri:
            out.add("learningResourceType", uri)
    for genre in children(mods, "genre"):
        uri = concept("learningResourceType", text_of(genre) or (genre.get("valueURI") or "").rsplit("#", 1)[-1])
        if uri and uri not in out.record.get("learningResourceType", []):
            out.add("learningResourceType", uri)

    for related in children(mods, "relatedItem"):
        if related.get("type") != "host":
            continue
        target = next((text_of(i) for i in children(related, "identifier") if text_of(i)), "") or text_of(
            child(related, "location", "url")
        )
        title = text_of(child(related, "titleInfo", "title"))
        if target and re.match(r"^[a-z][a-z0-9+.-]*:\S+$", target, re.I):
            out.add("isPartOf", {"id": target, "name": title} if title else {"id": target})
    return out
