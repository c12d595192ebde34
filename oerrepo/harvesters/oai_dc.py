"""Crosswalk from simple Dublin Core (``oai_dc``) to our record.

Every oai_dc element that has a place in our record is carried: title and description
keep their ``xml:lang``; ``dc:rights`` feeds the licence module (a KIM conditions-of-access
concept URI there is the access condition); ``dc:subject`` values that name an SDG or one
of our concept URIs (ISCED level, audience, resource type) become those, the rest
keywords; ``dc:type`` becomes a resource type where it names one; ``dc:identifier`` gives
the URL (the first web address), DOI and handles, and further addresses (sameAs);
``dc:source`` is what the resource is based on.
"""

from __future__ import annotations

import re

from lxml import etree

from .crosswalk import (
    Crosswalked,
    agent,
    children,
    clean_text,
    concept,
    lang_of,
    language,
    local,
    put_identifier,
    sdg_of,
)

__all__ = ["read_oai_dc", "NAMESPACE", "PREFIXES"]

NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai_dc/"
PREFIXES = ("oai_dc",)

# dc:type values seen at partners, to hcrt slugs (None: known but no hcrt concept).
_TYPES = {
    "lesson plan": "lesson_plan", "lessonplan": "lesson_plan", "worksheet": "worksheet", "exercise": "drill_and_practice",
    "presentation": "slide", "slides": "slide", "video": "video", "moving image": "video", "movingimage": "video",
    "sound": "audio", "audio": "audio", "image": "image", "stillimage": "image", "still image": "image",
    "dataset": "data", "software": "application", "interactive resource": "application",
    "interactiveresource": "application", "game": "educational_game", "course": "course",
    "learning object": None, "text": "text", "article": "text", "book": "textbook", "map": "map",
    "assessment": "assessment", "quiz": "assessment", "test": "assessment",
}
_FORMAT_WITH_URL = re.compile(r"^\s*([a-z]+/[\w.+-]+)\s+(https?://\S+)\s*$", re.I)


def read_oai_dc(metadata: etree._Element) -> Crosswalked:
    """Crosswalk one ``oai_dc:dc`` element."""
    out = Crosswalked()
    dc = metadata if local(metadata) == "dc" else next(children(metadata, "dc"), metadata)
    elements = [(local(e), e) for e in dc if isinstance(e.tag, str)]
    langs: list[str] = []
    for name, e in elements:
        if name == "language":
            tag = language(e.text, out.notes)
            if tag and tag not in langs:
                langs.append(tag)
    if langs:
        out.record["inLanguage"] = langs
    default = langs[0] if langs else "und"
    for name, e in elements:
        value = (e.text or "").strip()
        if not value:
            continue
        if name == "title":
            lang = lang_of(e) or default
            if lang not in out.record.get("name", {}):
                out.add_text("name", lang, value)
        elif name == "description":
            out.add_text("description", lang_of(e) or default, value)
        elif name in ("creator", "contributor"):
            out.add(name, agent(value))
        elif name == "publisher":
            out.add("publisher", agent(value, "Organization"))
        elif name == "subject":
            _subject(out, value)
        elif name == "date":
            if "datePublished" not in out.record and re.match(r"^\d{4}(-\d{2}){0,2}([ T]|$)", value):
                out.record["datePublished"] = value[:10] if " " in value else value
        elif name == "type":
            uri = concept("learningResourceType", value, _TYPES)
            if uri:
                out.add("learningResourceType", uri)
            else:
                level = concept("educationalLevel", value) if "://" in value else None
                if level:
                    out.add("educationalLevel", level)
        elif name == "format":
            m = _FORMAT_WITH_URL.match(value)
            if m:
                out.add("encoding", {"contentUrl": m.group(2), "encodingFormat": m.group(1).lower()})
        elif name == "identifier":
            put_identifier(out, value)
        elif name == "source":
            if re.match(r"^[a-z][a-z0-9+.-]*:\S+$", value, re.I):
                out.add("isBasedOn", {"id": value})
        elif name == "relation":
            if value.lower().startswith(("http://", "https://")) and "/sdg/" in value:
                _subject(out, value)
        elif name == "rights":
            access = concept("conditionsOfAccess", value) if "conditionsOfAccess/" in value else None
            if access:
                out.record.setdefault("conditionsOfAccess", access)
            else:
                out.rights.append(value)
    return out


def _subject(out: Crosswalked, value: str) -> None:
    sdg = sdg_of(value)
    if sdg:
        out.add("sdg", sdg)
        return
    if "://" in value:
        for vocab, prop in (("educationalLevel", "educationalLevel"), ("audience", "audience"),
                            ("learningResourceType", "learningResourceType")):
            uri = concept(vocab, value)
            if uri:
                out.add(prop, uri)
                return
        out.add("about", {"id": value})
        return
    for part in re.split(r"\s*;\s*", clean_text(value)):
        if part:
            out.add("keywords", part)
