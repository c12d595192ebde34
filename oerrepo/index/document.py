"""From a stored record to the :class:`IndexDocument` every backend indexes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import vocabularies
from ..model import Resource
from .backend import IndexDocument

__all__ = ["document_for", "sources_of", "LOCAL_SOURCE"]

LOCAL_SOURCE = "local"

# Controlled properties whose concept labels (in every language the vocabulary has)
# go into the cross-language field: "Klimaschutz" then finds an English SDG 13 record.
_CONCEPT_PROPS = (
    ("sdg", "sdg"),
    ("learningResourceType", "learningResourceType"),
    ("educationalLevel", "educationalLevel"),
    ("audience", "audience"),
)


def sources_of(resource: Resource) -> list[str]:
    """The harvest sources a resource came from; records typed in locally have the source 'local'."""
    return sorted({p.source for p in resource.provenance}) or [LOCAL_SOURCE]


def _agents(values: Iterable[Any]) -> Iterable[str]:
    for agent in values or ():
        if isinstance(agent, Mapping):
            if agent.get("name"):
                yield agent["name"]
            affiliation = agent.get("affiliation")
            for aff in affiliation if isinstance(affiliation, list) else [affiliation]:
                if isinstance(aff, Mapping) and aff.get("name"):
                    yield aff["name"]
        elif isinstance(agent, str):
            yield agent


def _date(data: Mapping[str, Any], fallback: str | None) -> str:
    for prop in ("dateModified", "datePublished", "dateCreated"):
        value = data.get(prop)
        if isinstance(value, str) and value[:4].isdigit():
            return value[:10]
    return (fallback or "")[:10]


def document_for(resource: Resource, sources: list[str] | None = None) -> IndexDocument:
    """The index document of a stored resource (``sources`` defaults to :func:`sources_of`)."""
    data = resource.data
    languages = list(data.get("inLanguage") or [])
    main_lang = languages[0] if languages else "und"

    titles = [(lang, text) for lang, text in (data.get("name") or {}).items()]
    descriptions = [(lang, text) for lang, text in (data.get("description") or {}).items()]
    # Keywords carry no language of their own: they are in the record's languages.
    keywords = [(main_lang, k) for k in data.get("keywords") or ()]
    concepts: list[str] = []
    for subject in data.get("about") or ():
        for lang, label in (subject.get("prefLabel") or {}).items():
            keywords.append((lang, label))
    for prop, vocab in _CONCEPT_PROPS:
        for uri in data.get(prop) or ():
            concepts.extend(dict.fromkeys(vocabularies.labels(vocab, uri).values()))

    body = list(_agents(data.get("creator")))
    body += _agents(data.get("contributor"))
    body += _agents(data.get("publisher"))
    body += _agents(data.get("funder"))
    for grant in data.get("funding") or ():
        if isinstance(grant, Mapping):
            body += [str(grant[k]) for k in ("name", "identifier") if grant.get(k)]

    facets = {
        "license": [data["license"]] if data.get("license") else [],
        "inLanguage": languages,
        "sdg": list(data.get("sdg") or ()),
        "learningResourceType": list(data.get("learningResourceType") or ()),
        "educationalLevel": list(data.get("educationalLevel") or ()),
        "audience": list(data.get("audience") or ()),
        "source": sources if sources is not None else sources_of(resource),
    }
    return IndexDocument(
        id=resource.id,
        name=resource.name,
        titles=titles,
        keywords=keywords,
        descriptions=descriptions,
        body=body,
        concepts=concepts,
        facets=facets,
        date=_date(data, resource.datestamp),
        languages=languages,
        license=data.get("license"),
    )
