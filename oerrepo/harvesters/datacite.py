"""Crosswalk from DataCite (``oai_datacite``, ``datacite``), as Zenodo and the TIB serve it.

Reads kernel-3 and kernel-4 by local name. ``oai_datacite`` wraps the resource in
``<oai_datacite><payload>``; the TIB AV-Portal wraps it in ``<resources>``. Carried:
DOI and URL, creators and contributors with ORCID/ROR and affiliation, titles by
language, publisher, dates, subjects (SDGs recognised), language, resource type,
``rightsList`` (licence by SPDX id, URI or title), abstracts, related identifiers
and funding.
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
    descendants,
    lang_of,
    language,
    local,
    sdg_of,
    text_of,
)

__all__ = ["read_datacite", "NAMESPACE", "PREFIXES"]

NAMESPACE = "http://datacite.org/schema/kernel-4"
PREFIXES = ("oai_datacite", "datacite", "oai_datacite4", "datacite4", "oai_datacite3", "datacite3")

_GENERAL_TYPES = {
    "audiovisual": "video", "image": "image", "sound": "audio", "dataset": "data", "software": "application",
    "interactiveresource": "application", "text": "text", "book": "textbook", "collection": None, "model": None,
    "workflow": None, "event": None, "physicalobject": None, "service": None, "other": "other",
}
_SPECIFIC_TYPES = {"presentation": "slide", "lesson": "lesson_plan", "lesson plan": "lesson_plan", "lecture": "text",
                   "video": "video", "poster": "image", "worksheet": "worksheet", "course": "course"}
_RELATIONS = {"ispartof": "isPartOf", "haspart": "hasPart", "isderivedfrom": "isBasedOn",
              "isbasedon": "isBasedOn", "isidenticalto": "sameAs", "issourceof": None}


def _resource(metadata: etree._Element) -> etree._Element:
    if local(metadata) == "resource":
        return metadata
    found = next(descendants(metadata, "resource"), None)
    return found if found is not None else metadata


def _doi_url(value: str) -> str:
    value = value.strip()
    value = re.sub(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)", "", value, flags=re.I)
    return f"https://doi.org/{value}"


def _orcid_or_ror(node: etree._Element) -> str | None:
    for ident in children(node, "nameIdentifier", "affiliationIdentifier"):
        scheme = (ident.get("nameIdentifierScheme") or ident.get("affiliationIdentifierScheme") or "").upper()
        value = (ident.text or "").strip()
        if scheme in ("ORCID", "ROR") and value:
            return value
    return None


def _person(node: etree._Element, name_tag: str) -> dict | None:
    name_node = child(node, name_tag)
    name = text_of(name_node)
    given, family = text_of(child(node, "givenName")), text_of(child(node, "familyName"))
    if given and family:
        name = f"{given} {family}"
    kind = "Organization" if name_node is not None and name_node.get("nameType") == "Organizational" else "Person"
    affiliation_node = child(node, "affiliation")
    affiliation = text_of(affiliation_node) or None
    person = agent(name, kind, _orcid_or_ror(node))
    if person and affiliation and kind == "Person":
        person["affiliation"] = {"type": "Organization", "name": affiliation}
        ror = _orcid_or_ror(affiliation_node) if affiliation_node is not None else None
        if affiliation_node is not None and affiliation_node.get("affiliationIdentifierScheme", "").upper() == "ROR":
            ror = affiliation_node.get("affiliationIdentifier")
        if ror:
            person["affiliation"]["id"] = ror
    return person


def read_datacite(metadata: etree._Element) -> Crosswalked:
    """Crosswalk one DataCite ``resource`` (or the wrapper around it)."""
    out = Crosswalked()
    res = _resource(metadata)
    tag = language(text_of(child(res, "language")), out.notes)
    if tag:
        out.record["inLanguage"] = [tag]
    default = tag or "und"

    ident = child(res, "identifier")
    if ident is not None and (ident.get("identifierType") or "").upper() == "DOI" and text_of(ident):
        out.add("identifier", _doi_url(text_of(ident)))
    for alt in descendants(child(res, "alternateIdentifiers"), "alternateIdentifier"):
        kind, value = (alt.get("alternateIdentifierType") or "").lower(), text_of(alt)
        if kind == "url" and "url" not in out.record:
            out.record["url"] = value
        elif kind in ("handle", "urn", "doi") and value:
            out.add("identifier", _doi_url(value) if kind == "doi" else value)
    for creator in descendants(child(res, "creators"), "creator"):
        out.add("creator", _person(creator, "creatorName"))
    for contributor in descendants(child(res, "contributors"), "contributor"):
        kind = contributor.get("contributorType") or ""
        person = _person(contributor, "contributorName")
        if kind in ("HostingInstitution", "RegistrationAgency", "RegistrationAuthority", "Distributor"):
            continue
        out.add("contributor", person)

    titles = list(descendants(child(res, "titles"), "title"))
    main = [t for t in titles if not t.get("titleType")] or titles
    for title in main:
        lang = lang_of(title) or default
        if lang not in out.record.get("name", {}):
            out.add_text("name", lang, text_of(title))
    publisher = text_of(child(res, "publisher"))
    if publisher:
        out.add("publisher", agent(publisher, "Organization"))

    dates = {(d.get("dateType") or ""): text_of(d) for d in descendants(child(res, "dates"), "date")}
    for kind, prop in (("Issued", "datePublished"), ("Created", "dateCreated"), ("Updated", "dateModified")):
        value = dates.get(kind, "").split("/")[0]
        if re.match(r"^\d{4}(-\d{2}){0,2}", value):
            out.record[prop] = value
    year = text_of(child(res, "publicationYear"))
    if "datePublished" not in out.record and re.fullmatch(r"\d{4}", year):
        out.record["datePublished"] = year

    for subject in descendants(child(res, "subjects"), "subject"):
        value, uri = text_of(subject), subject.get("valueURI") or ""
        sdg = sdg_of(uri) or sdg_of(value) if ("sdg" in (subject.get("subjectScheme") or "").lower() or "sdg" in uri
                                                 or sdg_of(value)) else None
        if sdg:
            out.add("sdg", sdg)
        elif uri.startswith(("http://", "https://")):
            out.add("about", {"id": uri, "prefLabel": {lang_of(subject) or default: value}} if value else {"id": uri})
        elif value:
            out.add("keywords", value)

    rtype = child(res, "resourceType")
    if rtype is not None:
        uri = concept("learningResourceType", text_of(rtype), _SPECIFIC_TYPES) if text_of(rtype) else None
        general = (rtype.get("resourceTypeGeneral") or "").lower()
        uri = uri or concept("learningResourceType", general, _GENERAL_TYPES) if general in _GENERAL_TYPES else uri
        if uri:
            out.add("learningResourceType", uri)

    for rights in descendants(child(res, "rightsList"), "rights"):
        for value in (rights.get("rightsIdentifier"), rights.get("rightsURI"), text_of(rights)):
            if value and value.lower().startswith("info:eu-repo/semantics/openaccess"):
                out.record["isAccessibleForFree"] = True
            elif value:
                out.rights.append(value)

    for description in descendants(child(res, "descriptions"), "description"):
        if (description.get("descriptionType") or "Abstract") in ("Abstract", "Other", "TechnicalInfo"):
            out.add_text("description", lang_of(description) or default, "".join(description.itertext()))

    for related in descendants(child(res, "relatedIdentifiers"), "relatedIdentifier"):
        prop = _RELATIONS.get((related.get("relationType") or "").lower())
        value = text_of(related)
        if not prop or not value:
            continue
        kind = (related.get("relatedIdentifierType") or "").upper()
        target = _doi_url(value) if kind == "DOI" else value
        if prop == "sameAs":
            out.add("sameAs", target)
        else:
            out.add(prop, {"id": target})

    for funding in descendants(child(res, "fundingReferences"), "fundingReference"):
        funder = text_of(child(funding, "funderName"))
        award = text_of(child(funding, "awardNumber"))
        title = text_of(child(funding, "awardTitle"))
        if not (title or award):
            if funder:
                out.add("funder", agent(funder, "Organization"))
            continue
        grant: dict = {"name": title or award}
        if award:
            grant["identifier"] = award
        if funder:
            grant["funder"] = {"name": funder}
        out.add("funding", grant)
    return out
