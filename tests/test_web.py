"""The site for people over real HTTP (waitress on loopback): pages, negotiation, safety, languages.

The browser journeys (JavaScript on and off, keyboard, axe-core) are in test_site_browser.py.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from lxml import html as lxml_html
from oai_schemas import running

from oerrepo import Repository

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SDG6 = "http://metadata.un.org/sdg/6"
EXPERIMENT = "https://w3id.org/kim/hcrt/experiment"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    repo = Repository(tmp_path_factory.mktemp("site") / "data")
    repo.load_samples()
    repo.add({"id": "nasty", "name": {"en": '<script>alert("x")</script> & "friends"'},
              "description": {"en": "<img src=x onerror=alert(1)> water"}, "inLanguage": "en",
              "license": "CC-BY-4.0", "url": "javascript:alert(1)"})
    repo.add({"id": "gone-kit", "name": {"en": "A kit that was withdrawn"}, "license": "CC-BY-4.0"})
    repo.delete("gone-kit")
    with running(repo.wsgi_app()) as base:
        yield repo, base
    repo.close()


def page(base: str, path: str, *, accept_language: str | None = None, **params) -> tuple[requests.Response, lxml_html.HtmlElement]:
    headers = {"Accept": BROWSER}
    if accept_language:
        headers["Accept-Language"] = accept_language
    reply = requests.get(base + path, params=params or None, headers=headers, timeout=30)
    return reply, lxml_html.fromstring(reply.content)


def records(repo: Repository, **wanted: str) -> list:
    """The stored records holding every wanted value (read from the store, not the index)."""
    return [r for r in repo.iter() if all(v in r.data.get(k, []) for k, v in wanted.items())]


def facet_count(doc, param: str, value: str) -> int | None:
    for link in doc.cssselect("aside.facets a"):
        query = parse_qs(urlsplit(link.get("href")).query)
        if value in query.get(param, []):
            return int(link.getparent().cssselect(".count")[0].text_content().replace(",", ""))
    return None


# -- the machine interfaces stay as they were ---------------------------------------------


def test_json_clients_still_get_json_from_search(site):
    repo, base = site
    for accept in (None, "*/*", "application/json", "application/json, text/html;q=0.5"):
        headers = {"Accept": accept} if accept else {}
        reply = requests.get(f"{base}/search", params={"q": "water"}, headers=headers, timeout=30)
        assert reply.headers["Content-Type"].startswith("application/json"), accept
        assert reply.json()["total"] == repo.search("water").total
        assert "Accept" in reply.headers["Vary"]
    browser = requests.get(f"{base}/search", params={"q": "water"}, headers={"Accept": BROWSER}, timeout=30)
    assert browser.headers["Content-Type"].startswith("text/html")
    doc = lxml_html.fromstring(browser.content)
    as_json = doc.xpath('//a[@type="application/json"]')[0].get("href")  # the page's own link to its JSON
    reply = requests.get(urljoin(base, as_json), headers={"Accept": BROWSER}, timeout=30)
    assert reply.headers["Content-Type"].startswith("application/json") and reply.json()["total"] > 0


def test_linked_data_clients_still_get_linked_data(site):
    repo, base = site
    for accept, media in (("application/ld+json", "application/ld+json"), ("text/turtle", "text/turtle"),
                          ("*/*", "application/ld+json")):
        reply = requests.get(f"{base}/resources/bee-hotel-engineering-challenge", headers={"Accept": accept}, timeout=30)
        assert reply.status_code == 200 and reply.headers["Content-Type"].startswith(media)
    assert requests.get(f"{base}/resources/gone-kit", timeout=30).status_code == 410
    assert requests.get(f"{base}/resources/no-such-kit", timeout=30).headers["Content-Type"].startswith("text/plain")


# -- home and languages ----------------------------------------------------------------------


def test_home_page_in_the_readers_language(site):
    repo, base = site
    reply, doc = page(base, "/")
    assert doc.get("lang") == "en" and f"{len(repo)} open educational resources" in reply.text
    assert doc.cssselect("form[role=search] input[name=q]")
    reply, doc = page(base, "/", accept_language="pt-BR,pt;q=0.9,en;q=0.5")
    assert doc.get("lang") == "pt" and "Pesquisar" in reply.text
    assert "Portugiesisch" not in reply.text
    reply, doc = page(base, "/", accept_language="de")
    assert doc.get("lang") == "de" and "Suche" in reply.text
    # the switcher wins over the header, and its choice travels with the links
    reply, doc = page(base, "/", accept_language="de", lang="el")
    assert doc.get("lang") == "el"
    browse = [a.get("href") for a in doc.cssselect(".browse a")]
    assert browse and all("lang=el" in href for href in browse)
    switcher = {a.get("lang"): a.get("href") for a in doc.cssselect("nav.langs a")}
    assert set(switcher) == {"en", "de", "fr", "es", "pt", "it", "el"}


def test_browse_counts_come_from_the_catalogue(site):
    repo, base = site
    _, doc = page(base, "/")
    assert facet_count_in(doc, "sdg", "6") == len(records(repo, sdg=SDG6))


def facet_count_in(doc, param: str, value: str) -> int | None:
    for link in doc.cssselect(".browse a"):
        if value in parse_qs(urlsplit(link.get("href")).query).get(param, []):
            return int(link.getparent().cssselect(".count")[0].text_content().replace(",", ""))
    return None


# -- results ---------------------------------------------------------------------------------


def test_facet_counts_honour_the_other_filters(site):
    repo, base = site
    _, doc = page(base, "/search", q="", sdg="6")
    # the type facet counts only SDG 6 records; the SDG facet itself still offers other goals
    assert facet_count(doc, "type", "experiment") == len(records(repo, sdg=SDG6, learningResourceType=EXPERIMENT))
    assert facet_count(doc, "sdg", "13") == len(records(repo, sdg="http://metadata.un.org/sdg/13"))
    heading = doc.cssselect("#count")[0].text_content()
    assert heading.startswith(str(len(records(repo, sdg=SDG6))))


def test_a_chosen_filter_can_be_removed_and_the_url_holds_the_state(site):
    repo, base = site
    reply, doc = page(base, "/search", q="water", sdg="6", type="experiment", sort="name")
    chips = doc.cssselect(".chips a.chip")
    assert len(chips) == 2
    without_type = next(a.get("href") for a in chips if "Resource type" in a.text_content())
    state = parse_qs(urlsplit(without_type).query)
    assert state == {"q": ["water"], "sdg": ["6"], "sort": ["name"]}
    _, after = page(base, without_type)
    assert int(after.cssselect("#count")[0].text_content().split()[0]) == repo.search("water", sdg=6).total
    assert after.cssselect("select#sort option[selected]")[0].get("value") == "name"


def test_pagination_and_sorting(site):
    repo, base = site
    _, first = page(base, "/search", q="")
    _, second = page(base, "/search", q="", page="2")
    ids_first = [a.get("href") for a in first.cssselect("ol.hits h3 a")]
    ids_second = [a.get("href") for a in second.cssselect("ol.hits h3 a")]
    assert len(ids_first) == 10 and ids_second and not set(ids_first) & set(ids_second)
    assert second.cssselect('nav.pager a[aria-current="page"]')[0].text_content() == "2"
    pages = [a.text_content() for a in first.cssselect("nav.pager a[aria-label]")]
    assert pages[-1] == str(-(-len(repo) // 10))
    # a page far beyond the end is an empty page, not an error
    reply, _ = page(base, "/search", q="", page="999999")
    assert reply.status_code == 200


def test_did_you_mean_leads_to_results(site):
    repo, base = site
    _, doc = page(base, "/search", q="watr")
    link = doc.cssselect(".suggestion a")[0]
    assert link.text_content() == "water"
    _, after = page(base, link.get("href"))
    assert after.cssselect("ol.hits li")


def test_unknown_filter_values_and_bad_queries_are_explained(site):
    _, base = site
    reply, doc = page(base, "/search", q="water", sdg="99")
    assert reply.status_code == 200 and "sdg=99" in doc.cssselect(".notice")[0].text_content()
    reply, doc = page(base, "/search", q="(" * 5000)
    assert reply.status_code in (200, 400) and doc.cssselect("main h1")


def test_record_text_and_queries_are_escaped(site):
    _, base = site
    reply, doc = page(base, "/search", q='<b onmouseover="x">water</b>')
    assert '<b onmouseover' not in reply.text
    reply, doc = page(base, "/search", q="water friends")
    assert "<script>alert" not in reply.text and "<img src=x" not in reply.text
    reply, doc = page(base, "/resources/nasty")
    assert reply.status_code == 200 and "<script>alert" not in reply.text
    assert doc.cssselect("h1")[0].text_content() == '<script>alert("x")</script> & "friends"'
    assert not [a for a in doc.cssselect("a") if (a.get("href") or "").startswith("javascript:")]


def test_every_page_sends_a_content_security_policy_and_only_embed_may_be_framed(site):
    _, base = site
    for path in ("/", "/search?q=water", "/resources/nasty", "/combine", "/partners", "/review", "/nowhere"):
        reply, _ = page(base, path)
        policy = reply.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy
    reply, _ = page(base, "/embed", sdg="6")
    assert "frame-ancestors *" in reply.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in reply.headers


def test_the_site_is_read_only(site):
    _, base = site
    for path in ("/", "/search", "/combine", "/partners", "/embed", "/resources/nasty"):
        reply = requests.post(base + path, data={"id": "nasty"}, timeout=30)
        assert reply.status_code == 405, path
    doc = lxml_html.fromstring(requests.get(base + "/", headers={"Accept": BROWSER}, timeout=30).content)
    assert all((f.get("method") or "get").lower() == "get" for f in doc.cssselect("form"))


# -- resource pages ----------------------------------------------------------------------------


def test_resource_page_tells_everything_in_the_readers_language(site):
    repo, base = site
    res = repo.get("kit-qualidade-agua-rio")
    reply, doc = page(base, "/resources/kit-qualidade-agua-rio", accept_language="pt")
    assert doc.cssselect("h1")[0].text_content() == res.data["name"]["pt"]
    reply, doc = page(base, "/resources/kit-qualidade-agua-rio", accept_language="en")
    assert doc.cssselect("h1")[0].text_content() == res.data["name"]["en"]
    assert doc.cssselect("h1")[0].get("lang") == "en"
    # a German reader who also reads English gets the English text of a pt/en record, in a German page
    _, german = page(base, "/resources/kit-qualidade-agua-rio", accept_language="de, en;q=0.8")
    assert german.get("lang") == "de" and german.cssselect("h1")[0].text_content() == res.data["name"]["en"]
    text = doc.text_content()
    assert "You may adapt it" in text and "Commercial use is allowed" in text  # CC BY in plain words
    areas = {a.get("id"): a.text_content() for a in doc.cssselect("textarea")}
    assert "licensed under CC BY 4.0" in areas["attr-text"]
    assert 'rel="license"' in areas["attr-html"] and "](" in areas["attr-md"]
    for enc in res.data.get("encoding", []):
        assert doc.cssselect(f'a[href="{enc["contentUrl"]}"]')
    formats = {a.text_content(): a.get("href") for a in doc.cssselect("#machine ~ ul a")}
    turtle = requests.get(urljoin(base, formats["Turtle"]), timeout=30)
    assert turtle.headers["Content-Type"].startswith("text/turtle") and "LearningResource" in turtle.text


def test_restricted_licences_are_explained(site):
    repo, base = site
    _, doc = page(base, "/resources/moda-circolare-maglietta")
    text = doc.text_content()
    assert "You may not share adapted versions" in text and "no remixing" in text


def test_relations_link_to_local_pages(site):
    _, base = site
    _, doc = page(base, "/resources/water-quality-kit-river")
    links = [a.get("href") for a in doc.cssselect("#rel ~ ul a")]
    assert "/resources/river-nitrate-worksheet" in links


def test_withdrawn_and_unknown_resources_get_human_pages(site):
    _, base = site
    reply, doc = page(base, "/resources/gone-kit")
    assert reply.status_code == 410 and "withdrawn" in doc.cssselect("h1")[0].text_content()
    assert doc.cssselect("nav a") and doc.cssselect("form[role=search]")
    reply, doc = page(base, "/resources/no-such-kit", accept_language="fr")
    assert reply.status_code == 404 and doc.get("lang") == "fr" and doc.cssselect("nav a")
    reply, doc = page(base, "/no/such/page")
    assert reply.status_code == 404 and doc.cssselect("form[role=search]")


# -- can I combine these? -------------------------------------------------------------------


def combine(base: str, *ids: str):
    reply = requests.get(f"{base}/combine", params=[("id", i) for i in ids], headers={"Accept": BROWSER}, timeout=30)
    assert reply.status_code == 200
    return lxml_html.fromstring(reply.content)


def test_combining_by_and_by_sa_gives_by_sa(site):
    repo, base = site
    doc = combine(base, "kit-qualidade-agua-rio", "bee-hotel-engineering-challenge")
    verdict = doc.cssselect(".verdict")[0]
    assert "yes" in verdict.get("class")
    offered = [a.get("href") for a in verdict.cssselect("li a")]
    assert offered == ["https://creativecommons.org/licenses/by-sa/4.0/"]  # ShareAlike binds the result
    credits = doc.cssselect("#c-text")[0].text_content()
    for rid in ("kit-qualidade-agua-rio", "bee-hotel-engineering-challenge"):
        assert " ".join(repo.get(rid).name.split()) in credits


def test_no_derivatives_cannot_be_combined(site):
    _, base = site
    doc = combine(base, "moda-circolare-maglietta", "kit-qualidade-agua-rio")
    assert "no" in doc.cssselect(".verdict")[0].get("class").split()
    # NonCommercial and ShareAlike exclude each other too
    nc = next(r.id for r in site[0].iter() if r.license == "https://creativecommons.org/licenses/by-nc/4.0/")
    doc = combine(base, nc, "bee-hotel-engineering-challenge")
    assert "no" in doc.cssselect(".verdict")[0].get("class").split()


def test_selection_without_javascript_grows_and_shrinks_through_links(site):
    _, base = site
    doc = combine(base, "kit-qualidade-agua-rio")
    form = doc.cssselect("#add ~ form, form[action$='/combine']")[0]
    assert [i.get("value") for i in form.cssselect("input[name=id]")] == ["kit-qualidade-agua-rio"]
    reply = requests.get(f"{base}/combine", params=[("id", "kit-qualidade-agua-rio"), ("q", "bee hotel")],
                         headers={"Accept": BROWSER}, timeout=30)
    add = lxml_html.fromstring(reply.content).cssselect("ul.found a.add")[0].get("href")
    after = lxml_html.fromstring(requests.get(urljoin(base, add), headers={"Accept": BROWSER}, timeout=30).content)
    assert len(after.cssselect("ul.picked > li")) == 2 and after.cssselect(".verdict")
    remove = after.cssselect("ul.picked a.remove")[0].get("href")
    assert parse_qs(urlsplit(remove).query)["id"] and len(parse_qs(urlsplit(remove).query)["id"]) == 1
    doc = combine(base, "kit-qualidade-agua-rio", "no-such-kit")
    assert "no-such-kit" in doc.cssselect(".notice")[0].text_content()


# -- coordinators and partners' websites ----------------------------------------------------------


def test_partner_pages_list_sources_and_link_to_their_records(site):
    repo, base = site
    repo.add_source("museum-oai", "https://museum.example.org/oai")
    _, doc = page(base, "/partners")
    row = [tr for tr in doc.cssselect("tbody tr") if "museum-oai" in tr.text_content()][0]
    records_link = row.cssselect("td a")[0].get("href")
    assert parse_qs(urlsplit(records_link).query) == {"source": ["museum-oai"]}
    reply, doc = page(base, "/partners/museum-oai")
    assert reply.status_code == 200 and "https://museum.example.org/oai" in doc.text_content()
    assert page(base, "/partners/nobody")[0].status_code == 404


def test_embedded_search_shows_a_subset_chosen_in_the_url(site):
    repo, base = site
    reply, doc = page(base, "/embed", sdg="6")
    shown = int(re.match(r"\d+", doc.cssselect(".count-line")[0].text_content()).group())
    assert shown == len(records(repo, sdg=SDG6))
    assert not doc.cssselect("header.top")  # no site chrome inside a partner's page
    assert all(a.get("target") == "_blank" for a in doc.cssselect("ol.hits h3 a"))
    hidden = {i.get("name"): i.get("value") for i in doc.cssselect("form input[type=hidden]")}
    assert hidden == {"sdg": "6"}  # a search inside the frame keeps the subset


def test_static_files_are_served_from_the_package(site):
    _, base = site
    _, doc = page(base, "/")
    for href in [link.get("href") for link in doc.cssselect("link[rel=stylesheet]")] + \
                [s.get("src") for s in doc.cssselect("script[src]")]:
        reply = requests.get(urljoin(base, href), timeout=30)
        assert reply.status_code == 200 and "immutable" in reply.headers["Cache-Control"]
    assert requests.get(f"{base}/static/../wsgi.py", timeout=30).status_code == 404


# -- translations ----------------------------------------------------------------------------


def test_every_language_translates_every_message_with_its_placeholders():
    from importlib.resources import files

    from babel.messages.pofile import read_po

    from oerrepo.web.i18n import DEFAULT, LANGUAGES

    locales = files("oerrepo.web").joinpath("locales")
    with locales.joinpath("messages.pot").open("rb") as f:
        template = [m.id for m in read_po(f) if m.id]
    placeholders = re.compile(r"%\(\w+\)s")
    for lang in LANGUAGES:
        if lang == DEFAULT:
            continue
        with locales.joinpath(lang, "LC_MESSAGES", "messages.po").open("rb") as f:
            catalog = read_po(f, locale=lang)
        for msgid in template:
            message = catalog.get(msgid)
            assert message is not None and not message.fuzzy, (lang, msgid)
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            source = msgid[-1] if isinstance(msgid, tuple) else msgid
            for form in forms:
                assert form.strip(), (lang, msgid)
                assert sorted(placeholders.findall(form)) == sorted(placeholders.findall(source)), (lang, msgid, form)


def test_the_message_template_holds_every_message_the_site_uses():
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    web = Path(__file__).resolve().parents[1] / "oerrepo" / "web"
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    used = {m[2] for m in extract_from_dir(str(web), method_map, options, keywords=keywords)}
    with (web / "locales" / "messages.pot").open("rb") as f:
        known = {m.id for m in read_po(f) if m.id}
    assert used <= known, sorted(map(str, used - known))


def test_partner_pages_show_the_last_harvest_and_its_licence_problems(tmp_path):
    from oai_server import Partner, Rec, dc, simple_records

    repo = Repository(tmp_path / "data")
    records = simple_records(6) + [Rec("oai:partner.test:nolicence", "2024-01-02T00:00:00Z",
                                       dc("Pond dipping without a licence", rights=[])),
                                   Rec("oai:partner.test:oddlicence", "2024-01-02T00:00:00Z",
                                       dc("Soil kit with an odd licence", rights=["Free for schools, ask us"]))]
    with Partner(records) as partner:
        repo.harvest(partner.url, source="pond-partner", backoff=0.01, retries=1, timeout=2.0)
    with running(repo.wsgi_app()) as base:
        _, doc = page(base, "/partners")
        row = [tr for tr in doc.cssselect("tbody tr") if "pond-partner" in tr.text_content()][0]
        cells = [td.text_content().strip() for td in row.cssselect("td")]
        # records, last harvest, new, updated, deleted, rejected, licence problems, errors
        assert cells[0] == "8" and cells[1] and cells[2] == "8" and cells[3:5] == ["0", "0"] and cells[6] == "2"
        _, doc = page(base, "/partners/pond-partner")
        problems = {a.text_content(): a.get("href") for a in doc.xpath("//h2[.='Licence problems']/following-sibling::ul[1]//a")}
        assert set(problems) == {"Pond dipping without a licence", "Soil kit with an odd licence"}
        linked, _ = page(base, problems["Pond dipping without a licence"])
        assert linked.status_code == 200 and "licence of this resource is not clear" in linked.text
        _, review = page(base, "/review")
        assert "Soil kit with an odd licence" in review.text_content()
    repo.close()


def test_review_lists_resources_merged_from_several_partners(tmp_path):
    from oai_server import Partner, Rec, dc

    repo = Repository(tmp_path / "data")
    same = dict(creators=["Ada Teacher"], rights=["CC-BY-4.0"], identifiers=["https://doi.org/10.5281/zenodo.777"])
    with Partner([Rec("oai:a.test:1", "2024-01-01T00:00:00Z", dc("Bee hotels for schools", **same))]) as a, \
            Partner([Rec("oai:b.test:9", "2024-01-01T00:00:00Z", dc("Bee hotels for schools", **same))]) as b:
        repo.harvest(a.url, source="hub-a", backoff=0.01, retries=1, timeout=2.0)
        repo.harvest(b.url, source="hub-b", backoff=0.01, retries=1, timeout=2.0)
    assert repo.count() == 1
    with running(repo.wsgi_app()) as base:
        _, doc = page(base, "/review")
        merged = [li for li in doc.xpath("//h3[contains(., 'Merged')]/following-sibling::ul[1]/li")]
        assert len(merged) == 1 and "hub-a" in merged[0].text_content() and "hub-b" in merged[0].text_content()
        linked, _ = page(base, merged[0].cssselect("a")[0].get("href"))
        assert linked.status_code == 200 and "Bee hotels for schools" in linked.text
    repo.close()


@pytest.mark.parametrize("path", ["/combine?id=%ff%fe", "/partners/%ff", "/search?q=%ff", "/embed?page=-1&sort=zzz",
                                  "/search?q=" + "a" * 3000, "/?lang=xx", "/search?type=nonsense&level=9&page=abc",
                                  "/collections/%ff", "/search?q=(((", "/combine?" + "&".join(f"id=x{i}" for i in range(300))])
def test_odd_requests_get_pages_not_errors(site, path):
    _, base = site
    reply = requests.get(base + path, headers={"Accept": BROWSER}, timeout=30)
    assert reply.status_code in (200, 400, 404) and reply.headers["Content-Type"].startswith("text/html")
    assert lxml_html.fromstring(reply.content).cssselect("h1")


def test_collection_pages_list_their_resources(site):
    repo, base = site
    spec = next(s["spec"] for s in repo.sets() if s["count"] > 10)
    _, doc = page(base, f"/collections/{spec}")
    shown = [a.get("href") for a in doc.cssselect("ol.hits h3 a")]
    assert len(shown) == 10 and doc.cssselect("nav.pager a[rel=next]")
    members = {r.id for r in repo.iter(set_spec=spec)}
    assert all(urlsplit(href).path.rsplit("/", 1)[-1] in members for href in shown)


def test_the_site_on_a_postgresql_store(tmp_path, pg_url):
    repo = Repository(tmp_path / "data", db_url=pg_url)
    repo.load_samples()
    with running(repo.wsgi_app()) as base:
        _, doc = page(base, "/search", q="", sdg="6")
        assert facet_count(doc, "type", "experiment") == len(records(repo, sdg=SDG6, learningResourceType=EXPERIMENT))
        reply, doc = page(base, "/resources/kit-qualidade-agua-rio", accept_language="pt")
        assert reply.status_code == 200 and doc.get("lang") == "pt"
        verdict = combine(base, "kit-qualidade-agua-rio", "bee-hotel-engineering-challenge").cssselect(".verdict")[0]
        assert "yes" in verdict.get("class")
    repo.close()
