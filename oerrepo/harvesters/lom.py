"""Crosswalk from IEEE LOM (``lom``, ``oai_lom``), including the LRE application profile.

European Schoolnet's Learning Resource Exchange (LRE) uses the LOM binding with its
own vocabularies (source ``LREv3.0``): its resource types and educational contexts
are mapped here beside LOMv1.0's. Elements carried: general (identifier, title,
language, description, keyword), lifeCycle contributions (vCard FN/ORG/UID/URL, the
authors' date as the creation date, the publisher's as the publication date), technical
location, format and size, educational (resource type, end-user role, context, typical
age range), rights (licence URL or text, cost), relations with their descriptions and
classifications (disciplines, SDGs, ISCED levels, hcrt resource types, LRMI audiences,
conditions of access). Where a classification names the exact concepts of a scheme,
they are taken rather than the LOMv1.0 approximations in ``educational``.
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
    language,
    local,
    put_identifier,
    sdg_of,
    text_of,
)

__all__ = ["read_lom", "NAMESPACE", "PREFIXES"]

NAMESPACE = "http://ltsc.ieee.org/xsd/LOM"
PREFIXES = ("lom", "oai_lom", "lre", "ims_lom", "lom_ims")

# LOMv1.0 and LREv3.0 learning resource types -> hcrt slugs (None: no matching concept).
_TYPES = {
    "exercise": "drill_and_practice", "drill and practice": "drill_and_practice", "simulation": "simulation",
    "questionnaire": "questionnaire", "diagram": "diagram", "figure": "image", "graph": "diagram",
    "index": "index", "slide": "slide", "presentation": "slide", "table": "data", "data": "data",
    "narrative text": "text", "text": "text", "exam": "assessment", "assessment": "assessment",
    "self assessment": "assessment", "experiment": "experiment", "problem statement": "worksheet",
    "lecture": "text", "lesson plan": "lesson_plan", "educational game": "educational_game", "game": "educational_game",
    "image": "image", "video": "video", "audio": "audio", "broadcast": "video", "web page": "web_page",
    "website": "web_page", "application": "application", "tool": "application", "course": "course",
    "case study": "case_study", "demonstration": "simulation", "map": "map", "glossary": "index",
    "reference": "index", "textbook": "textbook", "other": "other", "open activity": None,
    "enquiry oriented activity": None, "exploration": None, "role play": None, "project": None,
    "guide advice sheets": "text", "wiki": "web_page", "weblog": "web_page", "learning pathway": "course",
}
# intendedEndUserRole -> LRMI educationalAudienceRole.
_ROLES = {
    "teacher": "teacher", "learner": "student", "student": "student", "author": "professional",
    "manager": "administrator", "parent": "parent", "counsellor": "mentor", "tutor": "mentor",
    "other": None,
}
# educational context -> ISCED-2011 levels.
_CONTEXTS = {
    "pre school": ["0"], "preschool": ["0"], "primary education": ["1"], "primary school": ["1"],
    "compulsory education": ["1", "2"], "secondary education": ["2", "3"], "lower secondary education": ["2"],
    "upper secondary education": ["3"], "higher education": ["6"], "university first cycle": ["6"],
    "university second cycle": ["7"], "university postgrade": ["8"], "vocational education": ["4"],
}
_AUTHOR_ROLES = {"author", "creator"}
_PUBLISHER_ROLES = {"publisher"}
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# Concept schemes a classification may carry exactly, by their concept URIs' start.
_SCHEMES = (
    ("learningResourceType", "https://w3id.org/kim/hcrt/", "hcrt"),
    ("audience", "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/", "educationalaudiencerole"),
    ("conditionsOfAccess", "https://w3id.org/kim/conditionsOfAccess/", "conditionsofaccess"),
)
# Properties read both from LOMv1.0 vocabularies (approximate) and classifications (exact).
_APPROXIMATED = ("learningResourceType", "audience", "educationalLevel")


def _value(node: etree._Element | None) -> str:
    """A LOM vocabulary element's value (``<value>``), or the element's text."""
    if node is None:
        return ""
    v = child(node, "value")
    return text_of(v if v is not None else node)


def _strings(node: etree._Element | None) -> list[tuple[str | None, str]]:
    """A LOM langstring as (language, text) pairs (also plain text for lax servers)."""
    if node is None:
        return []
    out = []
    for s in children(node, "string", "langstring"):
        text = " ".join((s.text or "").split()) if local(node) != "description" else (s.text or "").strip()
        if text:
            out.append((s.get("language") or s.get("{http://www.w3.org/XML/1998/namespace}lang"), text))
    if not out and (node.text or "").strip():
        out.append((None, node.text.strip()))
    return out


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def read_lom(metadata: etree._Element) -> Crosswalked:
    """Crosswalk one ``lom`` element (LOMv1.0 or LRE)."""
    out = Crosswalked()
    lom = metadata if local(metadata) == "lom" else next(children(metadata, "lom"), metadata)
    general = child(lom, "general")
    langs = []
    for el in children(general, "language"):
        tag = language(el.text, out.notes)
        if tag and tag not in langs:
            langs.append(tag)
    if langs:
        out.record["inLanguage"] = langs
    default = langs[0] if langs else "und"

    def lang(code: str | None) -> str:
        return (language(code, out.notes) if code else None) or default

    for ident in children(general, "identifier"):
        put_identifier(out, text_of(child(ident, "entry")))
    _technical(out, child(lom, "technical"))
    for code, text in _strings(child(general, "title")):
        out.add_text("name", lang(code), text)
    for description in children(general, "description"):
        for code, text in _strings(description):
            out.add_text("description", lang(code), text)
    for keyword in children(general, "keyword"):
        for _, text in _strings(keyword):
            out.add("keywords", text)

    for contribute in children(child(lom, "lifeCycle"), "contribute"):
        role = _key(_value(child(contribute, "role")))
        date = text_of(child(contribute, "date", "dateTime"))
        if role in _AUTHOR_ROLES and date and "dateCreated" not in out.record:
            out.record["dateCreated"] = date
        elif role in _PUBLISHER_ROLES and date and "datePublished" not in out.record:
            out.record["datePublished"] = date
        for entity in children(contribute, "entity"):
            person = _vcard(entity.text or "", publisher=role in _PUBLISHER_ROLES)
            if person is None:
                continue
            if role in _AUTHOR_ROLES:
                out.add("creator", person)
            elif role in _PUBLISHER_ROLES:
                out.add("publisher", person)
            else:
                out.add("contributor", person)

    # LOMv1.0 values of educational, kept apart until the classifications are read.
    approximate: dict[str, list[str]] = {prop: [] for prop in _APPROXIMATED}
    for educational in children(lom, "educational"):
        for el in children(educational, "learningResourceType"):
            value = _value(el)
            uri = concept("learningResourceType", value, _TYPES)
            if uri:
                approximate["learningResourceType"].append(uri)
            elif value:
                out.notes.append(f"learning resource type {value!r} has no matching concept; left out")
        for el in children(educational, "intendedEndUserRole"):
            uri = concept("audience", _value(el), _ROLES)
            if uri:
                approximate["audience"].append(uri)
        for el in children(educational, "context"):
            value = _value(el)
            levels = _CONTEXTS.get(_key(value))
            if levels:
                for n in levels:
                    approximate["educationalLevel"].append(concept("educationalLevel", n))
            else:
                uri = concept("educationalLevel", value)
                if uri:
                    approximate["educationalLevel"].append(uri)
        for el in children(educational, "typicalAgeRange"):
            for _, text in _strings(el):
                age = re.sub(r"\s+", "", text).replace("–", "-")
                if re.fullmatch(r"\d{1,2}(-\d{0,2})?", age) and "typicalAgeRange" not in out.record:
                    out.record["typicalAgeRange"] = age
        for el in children(educational, "language"):
            tag = language(el.text)
            if tag and tag not in out.record.get("inLanguage", []):
                out.record.setdefault("inLanguage", []).append(tag)

    rights = child(lom, "rights")
    if rights is not None:
        for description in children(rights, "description"):
            for _, text in _strings(description):
                out.rights.append(text)
        cost = _key(_value(child(rights, "cost")))
        if cost in ("no", "yes"):
            out.record["isAccessibleForFree"] = cost == "no"

    for relation in children(lom, "relation"):
        kind = _key(_value(child(relation, "kind")))
        resource = child(relation, "resource")
        entry = text_of(child(resource, "identifier", "entry"))
        prop = {"ispartof": "isPartOf", "haspart": "hasPart", "isbasedon": "isBasedOn",
                "isversionof": "isBasedOn", "references": None}.get(kind.replace(" ", ""))
        if prop and entry:
            related = {"id": entry}
            names = [text for description in children(resource, "description") for _, text in _strings(description)]
            if names:
                related["name"] = names[0]
            out.add(prop, related)

    for classification in children(lom, "classification"):
        purpose = _key(_value(child(classification, "purpose")))
        for path in children(classification, "taxonPath"):
            source = " ".join(t for _, t in _strings(child(path, "source")))
            for taxon in children(path, "taxon"):
                ident = text_of(child(taxon, "id"))
                entries = _strings(child(taxon, "entry"))
                _classify(out, purpose, source, ident, entries, default)
    for prop, values in approximate.items():
        if prop not in out.record:  # no exact concepts in a classification
            for uri in values:
                out.add(prop, uri)
    return out


def _technical(out: Crosswalked, technical: etree._Element | None) -> None:
    """The first web location is the resource's URL (unless an identifier gave it); the others are
    files in the listed formats."""
    formats = [text_of(f) for f in children(technical, "format")]
    files = []
    for loc in children(technical, "location"):
        url = text_of(loc)
        if not url.lower().startswith(("http://", "https://")) or url == out.record.get("url"):
            continue
        if "url" not in out.record:
            out.record["url"] = url
        elif formats:
            files.append(url)
    for n, url in enumerate(files):
        # one format per file when they pair up; otherwise the first format for all
        fmt = formats[n] if len(formats) == len(files) else formats[0]
        out.add("encoding", {"contentUrl": url, "encodingFormat": fmt})
    size = text_of(child(technical, "size"))
    if size.isdigit() and len(out.record.get("encoding", ())) == 1:
        out.record["encoding"][0]["contentSize"] = size


def _scheme_concept(source: str, ident: str, entries: list[tuple[str | None, str]]) -> tuple[str, str] | None:
    """(property, concept URI) for a taxon of a scheme we carry exactly (by its URI, or its label in that scheme)."""
    source_key = source.lower().replace(" ", "")
    for prop, base, name in _SCHEMES:
        if ident.startswith(base) or ident.startswith(base.replace("https://", "http://")):
            uri = concept(prop, ident)
        elif name in source_key:
            uri = concept(prop, ident) or next((concept(prop, text) for _, text in entries if concept(prop, text)), None)
        else:
            continue
        if uri:
            return prop, uri
    return None


def _classify(out: Crosswalked, purpose: str, source: str, ident: str,
              entries: list[tuple[str | None, str]], default: str) -> None:
    exact = _scheme_concept(source, ident, entries)
    if exact:
        prop, uri = exact
        if prop == "conditionsOfAccess":
            out.record.setdefault(prop, uri)
        else:
            out.add(prop, uri)
        return
    label = entries[0][1] if entries else ""
    sdg = sdg_of(ident) or (sdg_of(label) if "sdg" in source.lower() or "sustainable" in source.lower() else None)
    if sdg or (source.strip().upper() in ("SDG", "UN SDG") and ident.isdigit()):
        out.add("sdg", sdg or concept("sdg", ident))
        return
    if purpose == "educational level" or "isced" in source.lower():
        uri = concept("educationalLevel", ident) or concept("educationalLevel", label)
        if uri:
            out.add("educationalLevel", uri)
            return
    if purpose in ("discipline", "idea", "") or not purpose:
        subject: dict = {}
        if ident and re.match(r"^[a-z][a-z0-9+.-]*://\S+$", ident, re.I):
            subject["id"] = ident
        labels = {}
        for code, text in entries:
            tag = language(code) if code else None
            labels.setdefault(tag or default, text)
        if labels:
            subject["prefLabel"] = labels
        if subject:
            out.add("about", subject)


def _vcard(text: str, publisher: bool = False) -> dict | None:
    """A person or organisation from a LOM vCard (FN, N, ORG, UID, URL); plain names are accepted too.

    An organisation is a card marked KIND/X-KIND org, or whose FN is its ORG; a
    publisher's card is an organisation unless marked as an individual.
    """
    text = text.replace("\r\n", "\n").replace("\\n", "\n")
    if "BEGIN:VCARD" not in text.upper():
        return agent(text.strip(), "Organization" if publisher else "Person")
    fields: dict[str, str] = {}
    for line in re.split(r"\n(?![ \t])", text):
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        name = key.split(";", 1)[0].strip().upper()
        fields.setdefault(name, value.strip().replace("\\,", ",").replace("\\;", ";"))
    name = fields.get("FN")
    if not name and fields.get("N"):
        parts = [p for p in fields["N"].split(";") if p]
        name = " ".join(reversed(parts[:2])) if parts else ""
    org = fields.get("ORG", "").split(";")[0].strip()
    kind = (fields.get("KIND") or fields.get("X-KIND") or "").lower()
    if not name:
        name, kind = org, "org"
    if not name:
        return None
    if kind in ("org", "organization", "group"):
        is_org = True
    elif kind in ("individual", "person"):
        is_org = False
    else:
        is_org = (org and " ".join(org.split()) == " ".join(name.split())) or publisher
    found = agent(name, "Organization" if is_org else "Person", ident=_uri(fields.get("UID")))
    if found is None:
        return None
    url = _uri(fields.get("URL"))
    if url:
        found["url"] = url
    if org and not is_org:
        affiliation = {"type": "Organization", "name": " ".join(org.split())}
        for key, prop in (("X-ORG-ID", "id"), ("X-ORG-URL", "url")):
            value = _uri(fields.get(key))
            if value:
                affiliation[prop] = value
        found["affiliation"] = affiliation
    return found


def _uri(value: str | None) -> str | None:
    """A vCard value that is an absolute URI (ORCID, ROR, web page), else None."""
    value = (value or "").strip()
    return value if _URI.match(value) else None
