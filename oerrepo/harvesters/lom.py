"""Crosswalk from IEEE LOM (``lom``, ``oai_lom``), including the LRE application profile.

European Schoolnet's Learning Resource Exchange (LRE) uses the LOM binding with its
own vocabularies (source ``LREv3.0``): its resource types and educational contexts
are mapped here beside LOMv1.0's. Elements carried: general (identifier, title,
language, description, keyword), lifeCycle contributions (vCard FN/ORG), technical
location and format, educational (resource type, end-user role, context, typical age
range), rights (licence URL or text), relations and classifications (disciplines, SDGs,
ISCED levels).
"""

from __future__ import annotations

import re

from lxml import etree

from .crosswalk import (
    Crosswalked, agent, child, children, concept, language, local, put_identifier, sdg_of, text_of,
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
        for entity in children(contribute, "entity"):
            person = _vcard(entity.text or "")
            if person is None:
                continue
            if role in _AUTHOR_ROLES:
                out.add("creator", person)
            elif role in _PUBLISHER_ROLES:
                person["type"] = "Organization"
                person.pop("affiliation", None)
                out.add("publisher", person)
                if date and "datePublished" not in out.record:
                    out.record["datePublished"] = date
            else:
                out.add("contributor", person)

    technical = child(lom, "technical")
    formats = [text_of(f) for f in children(technical, "format")]
    for loc in children(technical, "location"):
        url = text_of(loc)
        if not url.lower().startswith(("http://", "https://")):
            continue
        if "url" not in out.record:
            out.record["url"] = url
        elif formats:
            out.add("encoding", {"contentUrl": url, "encodingFormat": formats[0]})

    for educational in children(lom, "educational"):
        for el in children(educational, "learningResourceType"):
            value = _value(el)
            uri = concept("learningResourceType", value, _TYPES)
            if uri:
                out.add("learningResourceType", uri)
            elif value:
                out.notes.append(f"learning resource type {value!r} has no matching concept; left out")
        for el in children(educational, "intendedEndUserRole"):
            uri = concept("audience", _value(el), _ROLES)
            if uri:
                out.add("audience", uri)
        for el in children(educational, "context"):
            value = _value(el)
            levels = _CONTEXTS.get(_key(value))
            if levels:
                for n in levels:
                    out.add("educationalLevel", concept("educationalLevel", n))
            else:
                uri = concept("educationalLevel", value)
                if uri:
                    out.add("educationalLevel", uri)
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
        entry = text_of(child(relation, "resource", "identifier", "entry"))
        prop = {"ispartof": "isPartOf", "haspart": "hasPart", "isbasedon": "isBasedOn",
                "isversionof": "isBasedOn", "references": None}.get(kind.replace(" ", ""))
        if prop and entry:
            out.add(prop, {"id": entry})

    for classification in children(lom, "classification"):
        purpose = _key(_value(child(classification, "purpose")))
        for path in children(classification, "taxonPath"):
            source = " ".join(t for _, t in _strings(child(path, "source")))
            for taxon in children(path, "taxon"):
                ident = text_of(child(taxon, "id"))
                entries = _strings(child(taxon, "entry"))
                _classify(out, purpose, source, ident, entries, default)
    return out


def _classify(out: Crosswalked, purpose: str, source: str, ident: str,
              entries: list[tuple[str | None, str]], default: str) -> None:
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


def _vcard(text: str) -> dict | None:
    """A person or organisation from a LOM vCard (FN, N, ORG); plain names are accepted too."""
    text = text.replace("\r\n", "\n").replace("\\n", "\n")
    if "BEGIN:VCARD" not in text.upper():
        return agent(text.strip())
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
    if not name:
        return agent(org, "Organization") if org else None
    return agent(name, "Person", affiliation=org or None)
