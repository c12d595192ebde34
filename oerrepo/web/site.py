"""The site for people: pages rendered on the server from the :class:`Repository`, read-only.

Every page works without JavaScript; the one script only adds comfort (copy buttons,
a selection for "Can I combine these?" kept while the reader browses, sorting on change).
Routes (all GET/HEAD):

- ``/`` home: search box, what the catalogue holds, ways to browse;
- ``/search`` results with facets, for clients that ask for HTML (others get the JSON API);
- ``/resources/<id>`` a resource, for clients that ask for HTML (others get linked data);
- ``/collections/<spec>`` the resources of a collection;
- ``/combine?id=...&id=...`` may these resources be remixed into one, and how to attribute it;
- ``/partners``, ``/partners/<name>`` the partners and their last harvests; ``/review`` licence
  problems and duplicates to review;
- ``/embed?...`` a search a partner can show in an iframe (the only page that may be framed);
- ``/static/<file>`` the stylesheet and script.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qsl, quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..errors import OerRepoError, ResourceNotFound, SearchError
from . import i18n
from .present import (
    FACET_TITLES,
    LOCAL_SOURCE,
    N_,
    explain_license,
    facet_label,
    safe_snippet,
    shorten,
    stored_value,
    url_value,
)
from .state import FILTERS, PAGE_SIZE, SearchState, query_string

__all__ = ["Site", "wants_html", "CSP", "EMBED_CSP"]

Response = tuple[int, list[tuple[str, str]], bytes]

# Nothing from elsewhere: no CDN, no fonts, no inline script or style (the JSON-LD data block
# is not script CSP governs). Only /embed may be framed, by any site.
_CSP_BASE = ("default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
             "form-action 'self'; base-uri 'none'")
CSP = _CSP_BASE + "; frame-ancestors 'none'"
EMBED_CSP = _CSP_BASE + "; frame-ancestors *"
_STATIC = {"site.css": "text/css; charset=utf-8", "site.js": "text/javascript; charset=utf-8"}
_MAX_COMBINE = 20
_REVIEW_SHOWN = 200  # entries of each review list on the page
_FACET_SHOWN = 30  # values per facet on a page; the rest are counted, not listed
_MACHINE_TYPES = ("application/json", "application/ld+json", "text/turtle", "application/rdf+xml",
                  "application/n-triples", "application/xml", "text/xml")


def wants_html(accept: str | None) -> bool:
    """True when an Accept header prefers HTML to every machine format we serve (browsers do;
    ``*/*``, JSON and RDF clients do not, so they keep getting what they got before)."""
    ranges = []
    for part in (accept or "").split(",")[:60]:
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if "/" in media:
            ranges.append((media.lower(), q))

    def quality(media: str) -> float:
        best, level = 0.0, -1
        for accepted, q in ranges:
            rank = 2 if accepted == media else 1 if accepted == media.split("/")[0] + "/*" else 0 if accepted == "*/*" else -1
            if rank > level:
                best, level = q, rank
        return best

    html_q = max(quality("text/html"), quality("application/xhtml+xml"))
    return html_q > 0 and html_q > max(quality(m) for m in _MACHINE_TYPES)


@dataclass
class Request:
    """What a page needs of an HTTP request."""

    path: str
    args: dict[str, list[str]]
    lang: str
    lang_chosen: bool
    script_name: str = ""
    base_url: str = ""
    preferred: tuple[str, ...] = ()  # the reader's languages for record texts, most wanted first

    def text(self, resource: Any, prop: str) -> tuple[str, str]:
        """A language-map text of a record in the first of the reader's languages it has
        (else in the record's own language), with its language tag ('' when unknown)."""
        values = resource.data.get(prop) or {}
        for code in self.preferred:
            for tag, text in values.items():
                if tag == code or tag.split("-")[0] == code:
                    return text, tag
        text = resource.text(prop, self.lang)
        return text, _lang_of(values, text)

    def arg(self, name: str, default: str = "") -> str:
        return self.args.get(name, [default])[0]

    def href(self, path: str, pairs: list[tuple[str, str]] | None = None) -> str:
        """A link inside the site that keeps the reader's chosen language."""
        pairs = list(pairs or [])
        if self.lang_chosen and not any(k == "lang" for k, _ in pairs):
            pairs.append(("lang", self.lang))
        return self.script_name + path + query_string(pairs)


class Site:
    """The pages of one repository; :meth:`route` answers a request or returns None when the path is not a page."""

    def __init__(self, repo: Any, *, base_url: Callable[[dict], str] | None = None):
        self.repo = repo
        self._base_url = base_url or (lambda environ: "")

    # -- entry points used by the WSGI app ----------------------------------------------

    def route(self, environ: dict, path: str) -> Response | None:
        """Answer a page of the site, or None when ``path`` is none of its pages."""
        if path.startswith("/static/"):
            return self.static(path[len("/static/"):])
        pages = {"/": self.home, "/combine": self.combine, "/partners": self.partners, "/review": self.review,
                 "/embed": self.embed}
        if path in pages:
            return self._answer(environ, path, pages[path])
        if path.startswith("/partners/") and len(path) > len("/partners/"):
            name = path[len("/partners/"):]
            return self._answer(environ, path, lambda req: self.partner(req, name))
        if path.startswith("/collections/") and len(path) > len("/collections/"):
            spec = path[len("/collections/"):]
            return self._answer(environ, path, lambda req: self.collection(req, spec))
        return None

    def results_page(self, environ: dict, path: str = "/search") -> Response:
        """The results page for ``/search`` (the WSGI app sends JSON clients to the API instead)."""
        return self._answer(environ, path, self.results)

    def resource_page(self, environ: dict, path: str, resource_id: str) -> Response:
        """A resource's page (or the human 404 / 410 page)."""
        return self._answer(environ, path, lambda req: self.resource(req, resource_id))

    def not_found_page(self, environ: dict, path: str) -> Response:
        """The human 404 page for a path that is nothing."""
        return self._answer(environ, path, lambda req: self._error(req, 404))

    # -- plumbing --------------------------------------------------------------------

    def _request(self, environ: dict, path: str) -> Request:
        args: dict[str, list[str]] = {}
        raw = environ.get("QUERY_STRING", "")[:16 * 1024]
        try:
            text = raw.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            text = raw.encode("latin-1", "replace").decode("utf-8", "replace")
        for key, value in parse_qsl(text, keep_blank_values=True)[:200]:
            args.setdefault(key, []).append(value)
        lang, chosen = i18n.choose_language(args.get("lang", [None])[0], environ.get("HTTP_ACCEPT_LANGUAGE"))
        preferred = (lang, *i18n.accepted_languages(environ.get("HTTP_ACCEPT_LANGUAGE")))
        return Request(path=path, args=args, lang=lang, lang_chosen=chosen, preferred=tuple(dict.fromkeys(preferred)),
                       script_name=environ.get("SCRIPT_NAME", "").rstrip("/"), base_url=self._base_url(environ))

    def _answer(self, environ: dict, path: str, page: Callable[[Request], Response]) -> Response:
        req = self._request(environ, path)
        try:
            return page(req)
        except SearchError as exc:
            return self._error(req, 400, detail=str(exc))
        except OerRepoError as exc:
            return self._error(req, 500, detail=str(exc))

    @cache  # noqa: B019 - one Site per app, and one environment per language for its life
    def _environment(self, lang: str) -> Environment:
        env = Environment(loader=PackageLoader("oerrepo.web", "templates"), autoescape=select_autoescape(default=True),
                          extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
        env.install_gettext_translations(i18n.translations(lang), newstyle=True)
        env.filters["snippet"] = safe_snippet
        env.filters["shorten"] = shorten
        env.filters["when"] = lambda value: _when(value, lang)
        env.filters["number"] = lambda n: f"{n:,}".replace(",", "\u202f") if lang != "en" else f"{n:,}"
        env.globals["static"] = _static_url
        env.globals["dom_id"] = lambda value: "r" + hashlib.sha1(value.encode()).hexdigest()[:10]
        return env

    def render(self, req: Request, template: str, status: int = 200, *, embed: bool = False, **context: Any) -> Response:
        env = self._environment(req.lang)
        name = str(self.repo.setting("repository_name") or "") or "oerrepo"
        switch = [(code, i18n.own_name(code), self._switch_url(req, code)) for code in i18n.LANGUAGES]
        body = env.get_template(template).render(
            req=req, lang=req.lang, site_name=name, languages=switch, href=req.href, embed=embed, **context)
        headers = [("Content-Type", "text/html; charset=utf-8"),
                   ("Content-Security-Policy", EMBED_CSP if embed else CSP),
                   ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                   ("Content-Language", req.lang), ("Vary", "Accept, Accept-Language"),
                   ("Cache-Control", "no-cache")]
        if not embed:
            headers.append(("X-Frame-Options", "DENY"))
        return status, headers, body.encode("utf-8")

    def _switch_url(self, req: Request, code: str) -> str:
        pairs = [(k, v) for k, vs in req.args.items() if k != "lang" for v in vs]
        pairs.append(("lang", code))
        return req.script_name + req.path + query_string(pairs)

    def _error(self, req: Request, status: int, *, detail: str = "", resource: Any = None) -> Response:
        return self.render(req, "error.html", status, code=status, detail=detail, resource=resource)

    def static(self, name: str) -> Response:
        if name not in _STATIC:
            return 404, [("Content-Type", "text/plain; charset=utf-8")], f"no static file {name!r}\n".encode()
        return 200, [("Content-Type", _STATIC[name]), ("Cache-Control", "public, max-age=604800, immutable"),
                     ("X-Content-Type-Options", "nosniff")], _static_bytes(name)

    # -- pages -----------------------------------------------------------------------

    def home(self, req: Request) -> Response:
        overview = self.repo.search("", page_size=1)
        facets = self._facets(req, SearchState(lang=req.lang if req.lang_chosen else None), overview, limit=12)
        sets = [s for s in self.repo.sets() if s.get("count")]
        return self.render(req, "home.html", total=overview.total if overview.total else self.repo.count(),
                           facets=facets, sets=sets, machine=self._machine_links(req))

    def results(self, req: Request, *, embed: bool = False) -> Response:
        state = SearchState.from_args(req.args, req.lang if req.lang_chosen else None)
        filters, unknown = self._resolve(state)
        error = None
        try:
            result = self.repo.search(state.q, open_only=state.open_only, sort=state.sort, page=state.page,
                                      page_size=PAGE_SIZE, **filters)
        except SearchError as exc:
            result, error = None, str(exc)
        hits = self._hits(req, result.hits) if result else []
        pages = min(result.pages, 1000) if result else 1
        context = dict(state=state, result=result, hits=hits, error=error, unknown=unknown,
                       pagination=_pagination(state, pages, path="/embed" if embed else "/search"), page_count=pages)
        if embed:
            return self.render(req, "embed.html", 400 if error else 200, embed=True, **context)
        return self.render(req, "results.html", 400 if error else 200, facets=self._facets(req, state, result),
                           chips=self._chips(req, state), sorts=_sort_options(), **context)

    def embed(self, req: Request) -> Response:
        return self.results(req, embed=True)

    def resource(self, req: Request, resource_id: str) -> Response:
        try:
            res = self.repo.get(resource_id, include_deleted=True)
        except ResourceNotFound:
            return self._error(req, 404, detail=resource_id)
        if res.deleted:
            return self._error(req, 410, resource=res)
        data = res.data
        (title, title_lang), (description, description_lang) = req.text(res, "name"), req.text(res, "description")
        lic = res.license_info()
        attribution = {}
        if lic is not None:
            for fmt in ("text", "html", "markdown"):
                try:
                    attribution[fmt] = res.attribution(fmt)
                except OerRepoError:  # a source URL that is not http(s): no linked forms
                    pass
        quoted = quote(res.id, safe="")
        formats = [(label, req.script_name + f"/resources/{quoted}.{ext}", media)
                   for label, ext, media in (("JSON-LD", "jsonld", "application/ld+json"), ("Turtle", "ttl", "text/turtle"),
                                             ("RDF/XML", "rdf", "application/rdf+xml"),
                                             ("N-Triples", "nt", "application/n-triples"))]
        try:
            jsonld = _script_json(self.repo.jsonld(res.id))
        except OerRepoError:
            jsonld = None
        return self.render(
            req, "resource.html", res=res, data=data, title=title, title_lang=title_lang,
            description=description, description_lang=description_lang,
            titles=data.get("name") or {},
            descriptions=data.get("description") or {},
            license=explain_license(lic) if lic else None, raw_license=data.get("license"),
            attribution=attribution, facts=self._facts(req, data), formats=formats, jsonld=jsonld,
            canonical=self.repo.resource_iri(res.id), partners=[p for p in res.provenance if not getattr(p, "deleted", False)],
            relations=self._relations(req, data), similar=self._similar(req, res),
            combine_url=req.href("/combine", [("id", res.id)]),
        )

    def collection(self, req: Request, spec: str) -> Response:
        found = next((s for s in self.repo.sets() if s["spec"] == spec), None)
        if found is None:
            return self._error(req, 404, detail=spec)
        state = SearchState.from_args(req.args)
        total = self.repo.count(set_spec=spec)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(state.page, pages)
        resources = self.repo.list(set_spec=spec, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        hits = [self._hit_view(req, res, "") for res in resources]
        pagination = _pagination(replace(state, page=page, lang=req.lang if req.lang_chosen else None), pages,
                                 path=f"/collections/{quote(spec, safe='')}")
        return self.render(req, "collection.html", collection=found, total=total, hits=hits, pagination=pagination)

    def combine(self, req: Request) -> Response:
        ids = list(dict.fromkeys(v.strip() for v in req.args.get("id", []) if v.strip()))[:_MAX_COMBINE]
        picked, missing = [], []
        for rid in ids:
            try:
                res = self.repo.get(rid)
            except ResourceNotFound:
                missing.append(rid)
                continue
            picked.append(res)
        without = [r for r in picked if r.license_info() is None]
        answer = None
        licensed = [r for r in picked if r.license_info() is not None]
        if len(licensed) >= 2 and not without:
            answer = self.repo.combine_licenses(*(r.license_info() for r in licensed))
        attributions = {fmt: [] for fmt in ("text", "html", "markdown")}
        for res in licensed:
            for fmt in attributions:
                try:
                    attributions[fmt].append(res.attribution(fmt))
                except OerRepoError:
                    attributions[fmt].append(res.attribution("text") if fmt != "html" else Markup.escape(res.attribution("text")))
        keep = [r.id for r in picked]
        items = [dict(res=r, title=req.text(r, "name")[0],
                      license=explain_license(r.license_info()) if r.license_info() else None,
                      remove=req.href("/combine", [("id", i) for i in keep if i != r.id]),
                      url=_resource_url(req, r.id)) for r in picked]
        q = req.arg("q").strip()[:500]
        found = []
        if q:
            result = self.repo.search(q, page_size=10, facets=False)
            for hit in result.hits:
                if hit.id not in keep:
                    found.append(dict(hit=hit, add=req.href("/combine", [("id", i) for i in [*keep, hit.id]]),
                                      url=_resource_url(req, hit.id)))
        text_block = "\n".join(attributions["text"])
        return self.render(req, "combine.html", items=items, missing=missing, without=without, answer=answer,
                           attributions=attributions, text_block=text_block,
                           html_block="\n".join(f"<p>{a}</p>" for a in attributions["html"]),
                           markdown_block="\n\n".join(attributions["markdown"]), q=q, found=found, keep=keep)

    def partners(self, req: Request) -> Response:
        sources = [self._source_view(req, s) for s in self.repo.sources()]
        local = self.repo.search("", source=LOCAL_SOURCE, page_size=1, facets=False).total
        return self.render(req, "partners.html", sources=sources, local=local,
                           review_url=req.href("/review"))

    def partner(self, req: Request, name: str) -> Response:
        source = next((s for s in self.repo.sources() if s["name"] == name), None)
        if source is None:
            return self._error(req, 404, detail=name)
        problems = self._license_problems(source=name)
        return self.render(req, "partner.html", source=self._source_view(req, source), problems=problems)

    def review(self, req: Request) -> Response:
        problems = self._license_problems()
        duplicates = None
        finder = getattr(self.repo, "duplicates", None)  # where the repository reports them
        if callable(finder):
            report = finder()
            found = report.to_dict() if hasattr(report, "to_dict") else dict(report)
            duplicates = dict(
                probable=[dict(pair=[(name, _resource_url(req, rid)) for rid, name in zip(p["ids"], p["names"])],
                               why=p.get("why", "")) for p in found.get("probable", [])[:_REVIEW_SHOWN]],
                probable_count=found.get("probableCount", len(found.get("probable", []))),
                merged=[dict(name=c.get("name") or c["id"], url=_resource_url(req, c["id"]),
                             providers=c.get("providers", [])) for c in found.get("merged", [])[:_REVIEW_SHOWN]],
                merged_count=found.get("mergedCount", len(found.get("merged", []))),
            )
        return self.render(req, "review.html", problems=problems, duplicates=duplicates)

    # -- pieces of pages -------------------------------------------------------------

    def _machine_links(self, req: Request) -> list[tuple[str, str]]:
        base = req.base_url
        oai = f"{base}/oai"
        return [
            (f"{oai}?verb=Identify", "OAI-PMH"),
            (f"{base}/catalog", "DCAT"),
            (f"{base}/export.ttl", "Turtle"),
            (f"{base}/export.jsonld", "JSON-LD"),
            (f"{base}/search?q=&format=json", "JSON"),
        ]

    def _resolve(self, state: SearchState) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
        """The search filters of a state, and the values that name nothing (shown, not searched)."""
        filters: dict[str, list[str]] = {}
        unknown = []
        for name, values in state.filters.items():
            for value in values:
                if stored_value(name, value, self.repo) is None:
                    unknown.append((name, value))
                else:
                    filters.setdefault(name, []).append(value)
        return filters, unknown

    def _facets(self, req: Request, state: SearchState, result: Any, *, limit: int = _FACET_SHOWN) -> list[dict]:
        if result is None:
            return []
        out = []
        for name, prop in FILTERS.items():
            counts = dict(result.facets.get(prop, {}))
            chosen = {stored_value(name, v, self.repo): v for v in state.filters.get(name, ())}
            chosen.pop(None, None)
            for stored in chosen:
                counts.setdefault(stored, 0)
            if not counts:
                continue
            items = []
            ordered = sorted(counts.items(), key=lambda kv: (kv[0] not in chosen, -kv[1], kv[0]))
            if name == "sdg":  # the goals have an order people know
                ordered = sorted(counts.items(), key=lambda kv: _goal_number(kv[0]))
            for stored, count in ordered[:limit]:
                selected = stored in chosen
                short = chosen.get(stored) or url_value(name, stored, self.repo)
                target = state.removing(name, short) if selected else state.adding(name, short)
                label = facet_label(name, stored, req.lang, self.repo)
                if name == "source" and stored == LOCAL_SOURCE:
                    label = i18n.translations(req.lang).gettext(N_("catalogued here"))
                items.append(dict(label=label, count=count,
                                  selected=selected, url=req.script_name + target.url(), value=short))
            out.append(dict(name=name, title=FACET_TITLES[name], entries=items, hidden=max(0, len(counts) - limit)))
        if result.facets.get("license"):
            open_count = 0
            for url, n in result.facets["license"].items():
                lic = self._license(url)
                open_count += n if lic is not None and lic.is_open else 0
            out.insert(4, dict(name="open_only", title="", open_only=state.open_only, count=open_count,
                               url=req.script_name + state.toggling_open().url(), entries=[]))
        return out

    def _chips(self, req: Request, state: SearchState) -> list[dict]:
        chips = []
        for name, values in state.filters.items():
            for value in values:
                stored = stored_value(name, value, self.repo)
                label = facet_label(name, stored, req.lang, self.repo) if stored else value
                chips.append(dict(title=FACET_TITLES[name], label=label,
                                  url=req.script_name + state.removing(name, value).url()))
        if state.open_only:
            chips.append(dict(title="", label=None, open_only=True,
                              url=req.script_name + state.toggling_open().url()))
        return chips

    @cache  # noqa: B019 - licences are few and never change meaning
    def _license(self, value: str):
        try:
            return self.repo.license(value)
        except OerRepoError:
            return None

    def _hits(self, req: Request, hits: list) -> list[dict]:
        snippets = {hit.id: hit.snippet for hit in hits}
        # one read for the page; a resource deleted since the index answered is left out
        return [self._hit_view(req, res, snippets[res.id]) for res in self.repo.get_many(snippets)]

    def _hit_view(self, req: Request, res: Any, snippet: str) -> dict:
        lang = req.lang
        lic = res.license_info()
        data = res.data
        (title, title_lang), (description, description_lang) = req.text(res, "name"), req.text(res, "description")
        return dict(
            id=res.id, url=_resource_url(req, res.id), title=title, title_lang=title_lang,
            snippet=snippet, description=description, description_lang=description_lang,
            license=explain_license(lic) if lic else None,
            languages=[i18n.language_name(code, lang) for code in data.get("inLanguage", [])],
            types=[facet_label("type", u, lang) for u in data.get("learningResourceType", [])],
            levels=[facet_label("level", u, lang) for u in data.get("educationalLevel", [])],
            partners=sorted({p.source for p in res.provenance if not getattr(p, "deleted", False)}),
        )

    def _facts(self, req: Request, data: dict) -> list[tuple[str, list]]:
        lang = req.lang
        facts: list[tuple[str, list]] = []

        def concepts(param: str, prop: str) -> list[tuple[str, str]]:
            return [(facet_label(param, uri, lang), req.href("/search", [(param, url_value(param, uri))]))
                    for uri in data.get(prop, [])]

        for title, param, prop in ((N_("Sustainable Development Goals"), "sdg", "sdg"),
                                   (N_("Resource type"), "type", "learningResourceType"),
                                   (N_("Educational level"), "level", "educationalLevel"),
                                   (N_("Audience"), "audience", "audience")):
            if data.get(prop):
                facts.append((title, concepts(param, prop)))
        if data.get("inLanguage"):
            facts.append((N_("Languages"), [(i18n.language_name(c, lang), req.href("/search", [("language", c)]))
                                        for c in data["inLanguage"]]))
        if data.get("typicalAgeRange"):
            facts.append((N_("Ages"), [(data["typicalAgeRange"], None)]))
        if data.get("about"):
            subjects = []
            for s in data["about"]:
                labels = s.get("prefLabel") or {}
                text = labels.get(lang) or labels.get("en") or next(iter(labels.values()), s.get("id", ""))
                subjects.append((text, _http(s.get("id"))))
            facts.append((N_("Subjects"), subjects))
        if data.get("keywords"):
            facts.append((N_("Keywords"), [(k, req.href("/search", [("q", f'"{k}"')])) for k in data["keywords"]]))
        for title, prop in ((N_("Authors"), "creator"), (N_("Contributors"), "contributor"), (N_("Publisher"), "publisher"),
                            (N_("Funder"), "funder")):
            if data.get(prop):
                facts.append((title, [(_agent_text(a), _http(a.get("id")) or _http(a.get("url"))) for a in data[prop]]))
        if data.get("funding"):
            facts.append((N_("Funding"), [(" ".join(x for x in (g.get("name"), g.get("identifier") and f"({g['identifier']})")
                                                    if x), _http(g.get("url"))) for g in data["funding"]]))
        for title, prop in ((N_("Created"), "dateCreated"), (N_("Published"), "datePublished"),
                            (N_("Last changed"), "dateModified")):
            if data.get(prop):
                facts.append((title, [(_when(data[prop], lang), None)]))
        if "isAccessibleForFree" in data:
            facts.append((N_("Free of charge"), [(N_("Yes") if data["isAccessibleForFree"] else N_("No"), None)]))
        if data.get("sets"):
            names = {s["spec"]: s["name"] for s in self.repo.sets()}
            facts.append((N_("Collections"), [(names.get(spec, spec), req.href("/collections/" + quote(spec, safe="")))
                                              for spec in data["sets"]]))
        if data.get("conditionsOfAccess"):
            facts.append((N_("Access"), [(_concept_label("conditionsOfAccess", u, lang), None)
                                     for u in data["conditionsOfAccess"]]))
        return facts

    def _relations(self, req: Request, data: dict) -> list[dict]:
        out = []
        for title, prop in ((N_("Based on"), "isBasedOn"), (N_("Part of"), "isPartOf"), (N_("Has part"), "hasPart")):
            for rel in data.get(prop, []):
                ident = rel["id"]
                local = ident if ident in self.repo else ident.rstrip("/").rsplit("/", 1)[-1]
                if local and local in self.repo:
                    url = _resource_url(req, local)
                else:
                    url = _http(ident)
                out.append(dict(title=title, name=rel.get("name") or ident, url=url))
        return out

    def _similar(self, req: Request, res: Any) -> list[dict]:
        data = res.data
        filters: dict[str, list[str]] = {}
        if data.get("sdg"):
            filters["sdg"] = data["sdg"]
        if not filters and data.get("learningResourceType"):
            filters["type"] = data["learningResourceType"][:1]
        if not filters:
            return []
        words = " OR ".join(f'"{k}"' for k in data.get("keywords", [])[:5] if '"' not in k)
        try:
            result = self.repo.search(words, page_size=6, facets=False, **filters)
            if result.total <= 1 and words:
                result = self.repo.search("", page_size=6, facets=False, **filters)
        except SearchError:
            return []
        return [dict(title=h.name, url=_resource_url(req, h.id)) for h in result.hits if h.id != res.id][:5]

    def _source_view(self, req: Request, source: dict) -> dict:
        last = source.get("lastHarvest") or {}
        return dict(
            name=source["name"], url=source["url"], records=source.get("records", 0),
            page=req.href(f"/partners/{quote(source['name'], safe='')}"),
            records_url=req.href("/search", [("source", source["name"])]),
            last_complete=source.get("lastComplete"), resumable=source.get("resumable"),
            last=last, format=source.get("formatUsed") or source.get("metadataPrefix"),
        )

    def _license_problems(self, source: str | None = None) -> list[dict] | None:
        finder = getattr(self.repo, "license_problems", None)
        if not callable(finder):
            return None
        return list(finder(source=source))


# --------------------------------------------------------------------------- helpers


def _when(value: Any, lang: str) -> str:
    """An ISO date or UTC timestamp as the reader's language writes it; other text as it is."""
    from datetime import date, datetime

    from babel.dates import format_date, format_datetime

    text = str(value or "")
    try:
        if len(text) == 10:
            return format_date(date.fromisoformat(text), "medium", locale=lang)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return format_datetime(moment, "medium", tzinfo=moment.tzinfo, locale=lang) + (" UTC" if text.endswith("Z") else "")
    except (ValueError, TypeError):
        return text


def _goal_number(uri: str) -> int:
    tail = uri.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 99


def _sort_options() -> list[tuple[str, str]]:
    return [("relevance", N_("Relevance")), ("date", N_("Newest first")), ("name", N_("Title A–Z"))]


def _pagination(state: SearchState, pages: int, path: str = "/search") -> dict:
    current = min(state.page, pages)
    window = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    links = []
    last = 0
    for n in window:
        if n - last > 1:
            links.append(None)  # a gap
        links.append(dict(number=n, url=state.on_page(n).url(path), current=n == current))
        last = n
    return dict(
        pages=pages, current=current, links=links if pages > 1 else [],
        previous=state.on_page(current - 1).url(path) if current > 1 else None,
        next=state.on_page(current + 1).url(path) if current < pages else None,
    )


def _resource_url(req: Request, resource_id: str) -> str:
    return req.href("/resources/" + quote(resource_id, safe=""))


def _lang_of(texts: dict | None, text: str) -> str:
    """The language tag of the text shown (for ``lang=``), '' when unknown."""
    code = next((k for k, v in (texts or {}).items() if v == text), "")
    return "" if code == "und" else code


def _http(value: Any) -> str | None:
    return value if isinstance(value, str) and value.lower().startswith(("http://", "https://")) else None


def _agent_text(agent: dict) -> str:
    aff = agent.get("affiliation")
    return agent.get("name", "") + (f" ({aff['name']})" if isinstance(aff, dict) and aff.get("name") else "")


def _concept_label(vocabulary: str, uri: str, lang: str) -> str:
    from .. import vocabularies

    return vocabularies.label(vocabulary, uri, lang)


def _script_json(document: dict) -> Markup:
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@cache
def _static_bytes(name: str) -> bytes:
    return files("oerrepo.web").joinpath("static", name).read_bytes()


@cache
def _static_url(name: str) -> str:
    # The content's hash in the URL lets browsers keep the file for a week and still see changes.
    return f"/static/{name}?v={hashlib.sha256(_static_bytes(name)).hexdigest()[:10]}"
