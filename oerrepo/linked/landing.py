"""The HTML landing page of a resource: readable by people, with JSON-LD for search engines."""

from __future__ import annotations

import json
from html import escape

from .. import vocabularies
from ..model import Resource
from .document import primary_language
from .negotiate import CONTENT_TYPES

_ALTERNATES = (("jsonld", "JSON-LD"), ("turtle", "Turtle"), ("rdfxml", "RDF/XML"), ("nt", "N-Triples"))
_EXT = {"jsonld": "jsonld", "turtle": "ttl", "rdfxml": "rdf", "nt": "nt"}


def script_json(document: dict) -> str:
    """JSON for a <script> element: no '<' at all, so '</script>' or '<!--' cannot end or confuse it."""
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _link(url: str, text: str | None = None) -> str:
    safe = url if url.lower().startswith(("http://", "https://", "mailto:")) else "#"
    return f'<a href="{escape(safe)}">{escape(text or url)}</a>'


def _agent(agent: dict) -> str:
    name = escape(agent["name"])
    if agent.get("id", "").startswith(("http://", "https://")):
        name = _link(agent["id"], agent["name"])
    aff = agent.get("affiliation")
    return name + (f" ({escape(aff['name'])})" if aff else "")


def landing_page(resource: Resource, document: dict, iri: str, site: str) -> str:
    """The HTML page of one resource; every value from the record is escaped."""
    data = resource.data
    lang = primary_language(data)
    title = resource.text("name", lang)
    rows: list[tuple[str, str]] = []
    lic = resource.license_info()
    if lic:
        state = "open licence" if lic.is_open else "restricted licence (" + (
            ", ".join(lic.restrictions())) + ")"
        rows.append(("Licence", f'{_link(lic.url, lic.title)} — {escape(state)}'))
        try:
            rows.append(("Attribution", resource.attribution("html")))
        except Exception:  # a source URL that is not http(s): keep the text line
            rows.append(("Attribution", escape(resource.attribution("text"))))
    elif data.get("license"):
        rows.append(("Licence", _link(data["license"])))
    for prop, label in (("creator", "Creators"), ("contributor", "Contributors"), ("publisher", "Publisher")):
        if data.get(prop):
            rows.append((label, ", ".join(_agent(a) for a in data[prop])))
    if data.get("inLanguage"):
        rows.append(("Languages", escape(", ".join(data["inLanguage"]))))
    for prop, label in (("learningResourceType", "Type"), ("educationalLevel", "Level"),
                        ("audience", "Audience"), ("sdg", "Sustainable Development Goals")):
        if data.get(prop):
            rows.append((label, ", ".join(
                _link(uri, vocabularies.label(prop, uri, lang)) for uri in data[prop])))
    if data.get("typicalAgeRange"):
        rows.append(("Ages", escape(data["typicalAgeRange"])))
    if data.get("about"):
        subjects = []
        for s in data["about"]:
            text = next(iter((s.get("prefLabel") or {}).values()), s.get("id", ""))
            subjects.append(_link(s["id"], text) if s.get("id") else escape(text))
        rows.append(("Subjects", ", ".join(subjects)))
    if data.get("keywords"):
        rows.append(("Keywords", escape(", ".join(data["keywords"]))))
    links = []
    if data.get("url"):
        links.append(_link(data["url"]))
    for enc in data.get("encoding", ()):
        label = enc.get("name") or enc["contentUrl"]
        extra = " ".join(x for x in (enc.get("encodingFormat"), enc.get("contentSize") and f"{enc['contentSize']} bytes") if x)
        links.append(_link(enc["contentUrl"], label) + (f" ({escape(extra)})" if extra else ""))
    links += [_link(u) for u in [*data.get("identifier", ()), *data.get("sameAs", ())]]
    if links:
        rows.append(("Links", "<br>".join(links)))
    for p in resource.provenance:
        rows.append(("Harvested from", f"{escape(p.source)} ({escape(p.oai_identifier)})"))
    descriptions = "".join(
        f'<p lang="{escape(code)}">{escape(text)}</p>\n' for code, text in (data.get("description") or {}).items()
    )
    other_titles = "".join(
        f'<p class="title" lang="{escape(code)}">{escape(text)}</p>\n'
        for code, text in (data.get("name") or {}).items() if code != lang
    )
    table = "\n".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    base_name = iri.rstrip("/")
    alternates = "\n".join(
        f'<link rel="alternate" type="{CONTENT_TYPES[fmt].split(";")[0]}" href="{escape(base_name)}.{_EXT[fmt]}">'
        for fmt, _ in _ALTERNATES
    )
    formats = " · ".join(f'<a href="{escape(base_name)}.{_EXT[fmt]}">{label}</a>' for fmt, label in _ALTERNATES)
    html_lang = "" if lang == "und" else f' lang="{escape(lang)}"'
    return f"""<!DOCTYPE html>
<html{html_lang}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — {escape(site)}</title>
<link rel="canonical" href="{escape(iri)}">
{alternates}
<script type="application/ld+json">
{script_json(document)}
</script>
<style>body{{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
th{{text-align:left;vertical-align:top;padding-right:1rem;white-space:nowrap}}td{{padding-bottom:.4rem}}</style>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
{other_titles}{descriptions}<table>
{table}
</table>
<p>Metadata: {formats}</p>
</main>
<footer><p>{escape(site)}</p></footer>
</body>
</html>
"""


