"""schema.org / LRMI / AMB JSON-LD records mapped to our input form (the reverse of export).

The mapping reads the compact keys AMB and most LRMI publishers write; a value we cannot
represent (an AlignmentObject, accessibility features) is left out rather than guessed.
What remains goes through the ordinary normalisation, so vocabulary values, licences and
languages are checked exactly as for any other record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import vocabularies
from ..errors import InvalidResource

_KEEP = {
    "id", "type", "inLanguage", "keywords", "about", "learningResourceType", "educationalLevel", "audience",
    "typicalAgeRange", "license", "conditionsOfAccess", "isAccessibleForFree", "creator", "contributor",
    "publisher", "funder", "funding", "dateCreated", "datePublished", "dateModified", "url", "identifier",
    "isBasedOn", "isPartOf", "hasPart", "sameAs", "encoding", "image", "sdg",
}
_SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/", "schema:", "sdo:")
_AGENT_KEYS = ("type", "name", "id", "url", "affiliation")
_ROLE_TEXT = {"teacher": "teacher", "student": "student", "learner": "student", "parent": "parent",
              "administrator": "administrator", "mentor": "mentor", "general public": "generalPublic"}


def _language_of(context: Any) -> str | None:
    items = context if isinstance(context, list) else [context]
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("@language"), str):
            return item["@language"]
    return None


def _plain_key(key: str) -> str:
    for prefix in _SCHEMA_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return "id" if key == "@id" else "type" if key == "@type" else key


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text_value(value: Any, lang: str | None) -> Any:
    """A string, a value object, a language map, or a list of those -> our language map input."""
    if isinstance(value, str):
        return {lang: value} if lang else value
    if isinstance(value, Mapping):
        if "@value" in value:
            return {value.get("@language") or lang or "und": value["@value"]}
        return dict(value)
    if isinstance(value, list):
        out: dict = {}
        for item in value:
            mapped = _text_value(item, lang)
            if isinstance(mapped, str):
                mapped = {"und": mapped}
            out.update(mapped)
        return out
    return value


def _concept_ids(vocab: str, value: Any, *, strict: bool = False) -> list:
    """Concept objects or strings -> the values our vocabulary knows (others left out)."""
    out = []
    for item in _as_list(value):
        candidate = item
        if isinstance(item, Mapping):
            candidate = item.get("id") or item.get("@id") or item.get("educationalRole")
            if candidate is None and isinstance(item.get("prefLabel"), Mapping):
                candidate = next(iter(item["prefLabel"].values()), None)
        if isinstance(candidate, Mapping):
            candidate = candidate.get("id") or candidate.get("@id")
        if candidate is None:
            continue
        if vocab == "audience" and isinstance(candidate, str) and candidate.lower() in _ROLE_TEXT:
            candidate = _ROLE_TEXT[candidate.lower()]
        try:
            out.append(vocabularies.resolve(vocab, candidate))
        except InvalidResource:
            if strict:
                raise
    return list(dict.fromkeys(out))


def _agents(value: Any) -> list:
    out = []
    for item in _as_list(value):
        if isinstance(item, str):
            out.append({"name": item})
            continue
        if not isinstance(item, Mapping):
            continue
        agent = {k: v for k, v in ((_plain_key(k), v) for k, v in item.items()) if k in _AGENT_KEYS}
        kind = agent.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k in ("Person", "Organization")), None)
        agent["type"] = kind if kind in ("Person", "Organization") else "Organization" if kind else "Person"
        if isinstance(agent.get("affiliation"), (Mapping, list)):
            aff = _agents(agent["affiliation"])
            if aff:
                agent["affiliation"] = aff[0]
            else:
                agent.pop("affiliation")
        if agent.get("name"):
            out.append(agent)
    return out


def _relations(value: Any) -> list:
    out = []
    for item in _as_list(value):
        if isinstance(item, str):
            out.append({"id": item})
        elif isinstance(item, Mapping) and (item.get("id") or item.get("@id")):
            rel = {"id": item.get("id") or item.get("@id")}
            if isinstance(item.get("name"), str):
                rel["name"] = item["name"]
            out.append(rel)
    return out


def _encodings(value: Any) -> list:
    out = []
    for item in _as_list(value):
        if isinstance(item, Mapping) and item.get("contentUrl"):
            out.append({k: item[k] for k in ("contentUrl", "encodingFormat", "contentSize", "name") if item.get(k)})
    return out


def _subjects(value: Any, lang: str | None) -> list:
    out = []
    for item in _as_list(value):
        if isinstance(item, str):
            out.append({"prefLabel": {lang or "und": item}} if "/" not in item else {"id": item})
        elif isinstance(item, Mapping):
            subject = {}
            if item.get("id") or item.get("@id"):
                subject["id"] = item.get("id") or item.get("@id")
            label = item.get("prefLabel") or item.get("name")
            if label:
                subject["prefLabel"] = _text_value(label, lang) if not isinstance(label, str) else {lang or "und": label}
            if subject:
                out.append(subject)
    return out


def map_jsonld(record: Mapping[str, Any]) -> dict:
    """Map one schema.org / LRMI / AMB JSON-LD record to our input form.

    >>> map_jsonld({"@context": ["https://w3id.org/kim/amb/context.jsonld", {"@language": "de"}],
    ...             "id": "https://example.org/oer", "type": ["LearningResource"], "name": "Beispiel",
    ...             "license": {"id": "https://creativecommons.org/publicdomain/zero/1.0/"}})["name"]
    {'de': 'Beispiel'}
    """
    if not isinstance(record, Mapping):
        raise InvalidResource(f"a JSON-LD record must be an object, got {type(record).__name__}")
    lang = _language_of(record.get("@context"))
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key == "@context":
            continue
        flat.setdefault(_plain_key(key), value)
    out: dict[str, Any] = {}
    if "id" in flat and isinstance(flat["id"], str):
        out["id"] = flat["id"]
    if isinstance(flat.get("dct:identifier"), str) and flat["dct:identifier"].strip():
        out["id"] = flat["dct:identifier"]  # our own export: the record's id, whatever base URL served it
    types = [t for t in _as_list(flat.get("type")) if isinstance(t, str)]
    out["type"] = [_plain_key(t) for t in types if _plain_key(t) != "Thing"] or ["LearningResource"]
    for prop, every_language in (("name", "dct:title"), ("description", "dct:description")):
        if isinstance(flat.get(every_language), Mapping) and flat[every_language]:
            # our export gives AMB one language in `name` and every language in dct:title
            out[prop] = dict(flat[every_language])
        elif prop in flat:
            out[prop] = _text_value(flat[prop], lang)
    if "inLanguage" in flat:
        out["inLanguage"] = [v.get("@value") if isinstance(v, Mapping) else v for v in _as_list(flat["inLanguage"])]
    elif lang:
        out["inLanguage"] = [lang]
    if "keywords" in flat:
        words = []
        for item in _as_list(flat["keywords"]):
            words.append(item.get("@value") if isinstance(item, Mapping) else item)
        out["keywords"] = [w for w in words if isinstance(w, str)]
    if "about" in flat:
        out["about"] = _subjects(flat["about"], lang)
    for prop, vocab in (("learningResourceType", "learningResourceType"), ("educationalLevel", "educationalLevel"),
                        ("sdg", "sdg")):
        if prop in flat:
            out[prop] = _concept_ids(vocab, flat[prop])
    audience = _as_list(flat.get("audience")) + _as_list(flat.get("educationalRole"))
    if audience:
        out["audience"] = _concept_ids("audience", audience)
    if "conditionsOfAccess" in flat:
        found = _concept_ids("conditionsOfAccess", flat["conditionsOfAccess"])
        if found:
            out["conditionsOfAccess"] = found[0]
    if "license" in flat:
        # every licence statement goes on: several are read together, never the first alone
        lic = flat["license"]
        out["license"] = lic[0] if isinstance(lic, list) and len(lic) == 1 else lic
    for prop in ("creator", "contributor", "publisher", "funder"):
        if prop in flat:
            out[prop] = _agents(flat[prop])
    for prop in ("isBasedOn", "isPartOf", "hasPart"):
        if prop in flat:
            out[prop] = _relations(flat[prop])
    if "encoding" in flat:
        out["encoding"] = _encodings(flat["encoding"])
    for prop in ("typicalAgeRange",):
        if prop in flat:
            values = [v for v in _as_list(flat[prop]) if isinstance(v, str)]
            if values:
                out[prop] = _widest_age_range(values)
    for prop in ("isAccessibleForFree", "dateCreated", "datePublished", "dateModified", "funding"):
        if prop in flat:
            out[prop] = flat[prop]
    for prop in ("url", "image"):
        value = flat.get(prop)
        if isinstance(value, Mapping):
            value = value.get("id") or value.get("@id") or value.get("contentUrl") or value.get("url")
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str):
            out[prop] = value
    own = {flat.get("id"), out.get("id")}
    for prop in ("identifier", "sameAs"):
        values = []
        for v in _as_list(flat.get(prop)):
            v = v.get("id") or v.get("@id") or v.get("value") if isinstance(v, Mapping) else v
            if isinstance(v, str) and not (prop == "sameAs" and v in own):  # our export adds the record's own IRI
                values.append(v)
        if values:
            out[prop] = values
    if "sets" in flat:
        out["sets"] = [s for s in _as_list(flat["sets"]) if isinstance(s, str)]
    return {k: v for k, v in out.items() if v not in (None, [], {}, "")}


def _widest_age_range(values: list[str]) -> str:
    """LRMI writers list several ranges ('2-5', '5-8'); we keep one range covering them."""
    lows, highs = [], []
    for value in values:
        low, _, high = value.replace(" ", "").partition("-")
        if low.isdigit():
            lows.append(int(low))
        if high.isdigit():
            highs.append(int(high))
    if not lows:
        return values[0]
    return f"{min(lows)}-{max(highs) if highs else ''}"
