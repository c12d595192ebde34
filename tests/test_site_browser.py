"""The site in a real Chromium (Debian's ``chromium``, driven by Playwright for Python).

Journeys run with JavaScript off (everything must work) and on (comfort only); the
keyboard alone reaches search, facets and results; axe-core finds no serious or critical
violations on the kinds of pages. Where no browser can be had these tests skip with the
reason, except under CI (``CI=true``), where .ci/run installs one and a missing browser
is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from oai_schemas import running

from oerrepo import Repository

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    for candidate in (os.environ.get("OERREPO_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    _unavailable("no chromium executable (apt-get install chromium, or set OERREPO_CHROMIUM)")
    raise AssertionError("unreachable")


def _axe_source() -> str:
    for candidate in (os.environ.get("OERREPO_AXE"), ROOT / ".ci" / "npm" / "node_modules" / "axe-core" / "axe.min.js",
                      ROOT / "node_modules" / "axe-core" / "axe.min.js", "/usr/lib/node_modules/axe-core/axe.min.js",
                      "/usr/local/lib/node_modules/axe-core/axe.min.js"):
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_text(encoding="utf-8")
    _unavailable("axe-core not found (npm install --prefix .ci/npm axe-core, or set OERREPO_AXE)")
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    executable = _chromium()
    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        except Error as exc:
            _unavailable(f"chromium at {executable} did not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    repo = Repository(tmp_path_factory.mktemp("browser") / "data")
    repo.load_samples()
    repo.add_source("museum-oai", "https://museum.example.org/oai")
    with running(repo.wsgi_app()) as base:
        yield repo, base
    repo.close()


@pytest.fixture(params=[False, True], ids=["no-js", "js"])
def page(request, browser):
    context = browser.new_context(java_script_enabled=request.param, locale="en-GB")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # a script error, or a resource the CSP refused, is a console error; failed loads are
    # checked by response (browsers ask any non-HTML document for /favicon.ico)
    tab.on("console", lambda msg: errors.append(f"{tab.url}: {msg.text}")
           if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    tab.on("response", lambda r: errors.append(f"{r.url}: {r.status}")
           if r.status >= 400 and not r.url.endswith("/favicon.ico") and r.request.resource_type != "document" else None)
    tab.js = request.param
    yield tab
    context.close()
    assert not errors, errors  # no script errors, no resource the CSP refused


def count(page) -> int:
    return int(page.locator("#count").inner_text().split()[0].replace(",", ""))


def test_search_refine_remove_and_page(site, page):
    repo, base = site
    page.goto(base + "/")
    page.fill("#q", "water")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=water*")
    total = count(page)
    assert total == repo.search("water").total > 0
    page.locator("aside.facets a", has_text="Clean water and sanitation").first.click()
    page.wait_for_url("**sdg=6*")
    narrowed = count(page)
    assert narrowed < total
    chip = page.locator(".chips a.chip")
    assert chip.count() == 1
    chip.click()
    page.wait_for_url(lambda url: "sdg=" not in url)
    assert count(page) == total
    # sorting: the select submits on change with JS; without, the reader presses the button
    page.select_option("#sort", "date")
    if not page.js:
        page.click("form.sort button")
    page.wait_for_url("**sort=date*")
    page.goto(base + "/search?q=")
    page.locator("nav.pager a[rel=next]").click()
    page.wait_for_url("**page=2*")
    assert page.locator('nav.pager a[aria-current="page"]').inner_text() == "2"


def test_resource_page_and_back_to_results(site, page):
    repo, base = site
    page.goto(base + "/search?q=bee+hotel")
    page.locator("ol.hits h3 a").first.click()
    page.wait_for_url("**/resources/**")
    assert page.locator("h1").inner_text()
    assert "licensed under" in page.locator("#attr-text").input_value()
    copy = page.locator("button.copy-button").first
    assert copy.is_visible() is page.js  # the copy buttons exist only where they work
    page.locator("a", has_text="Turtle").first.click()
    page.wait_for_url("**.ttl")  # waits for the load, so the whole document is read below
    assert "LearningResource" in page.content()


def test_combining_two_selected_resources(site, page):
    repo, base = site
    page.goto(base + "/search?q=&license=CC-BY-SA-4.0")
    boxes = page.locator("input[data-pick]")
    first_id = boxes.nth(0).get_attribute("value")
    boxes.nth(0).check()
    if page.js:  # the selection lasts while the reader goes on to another page
        page.goto(base + "/search?q=&license=CC-BY-4.0")
        page.locator("input[data-pick]").nth(0).check()
        assert page.locator("[data-pick-count]").inner_text() == "(2)"
    else:
        boxes.nth(1).check()
    page.locator("form.pick-form button[type=submit]").click()
    page.wait_for_url("**/combine?**")
    ids = parse_qs(urlsplit(page.url).query)["id"]
    assert first_id in ids and len(ids) == 2
    verdict = page.locator(".verdict")
    assert "Yes" in verdict.locator("h2").inner_text()
    assert "CC BY-SA 4.0" in verdict.inner_text()
    credits = page.locator("#c-text").input_value()
    for rid in ids:
        assert " ".join(repo.get(rid).name.split()) in credits


def test_language_switcher(site, page):
    _, base = site
    page.goto(base + "/search?q=water")
    page.locator("nav.langs a[lang=el]").click()
    page.wait_for_url("**lang=el*")
    assert page.locator("html").get_attribute("lang") == "el"
    assert page.locator("nav[aria-label] a", has_text="Αναζήτηση").count()
    page.locator("aside.facets a").first.click()
    assert page.locator("html").get_attribute("lang") == "el"  # the choice travels with the links


def test_keyboard_only(site, page):
    repo, base = site
    page.goto(base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    for _ in range(5):  # from the main content, the search field is the next stop
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("energia")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=energia*")
    # Tab through to the first facet link and follow it with Enter
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('aside.facets')"):
            break
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href and "q=energia" in href
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url.endswith(href.split("?", 1)[1]) or href.split("?", 1)[1] in url)
    focused = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused is not None


def test_keyboard_skips_the_facets_to_the_hits(site, page):
    _, base = site
    page.goto(base + "/search?q=water")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # skip to content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#results"
    page.keyboard.press("Enter")
    for _ in range(4):  # past the sort control to the first hit, not through the facets
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('ol.hits')"):
            break
    first_hit = page.locator("ol.hits h3 a").first.get_attribute("href")
    assert page.evaluate("document.activeElement.getAttribute('href')") == first_hit
    page.keyboard.press("Enter")
    page.wait_for_url("**/resources/**")


def test_embedded_search_in_a_partner_page(site, browser):
    _, base = site
    partner_html = f'<!DOCTYPE html><html lang="en"><title>Partner</title><iframe title="search" src="{base}/embed?sdg=6"></iframe>' \
                   f'<iframe title="home" src="{base}/"></iframe></html>'.encode()

    class Partner(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(partner_html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"http://127.0.0.1:{server.server_port}/")
        embedded = tab.frame_locator("iframe[title=search]")
        assert embedded.locator("ol.hits li").count() > 0
        tab.wait_for_load_state("load")
        # framing the rest of the site is refused: the frame stays without our page
        assert tab.frame_locator("iframe[title=home]").locator("a.brand").count() == 0
    finally:
        context.close()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", ["/", "/search?q=water&sdg=6", "/resources/water-quality-kit-river",
                                  "/partners", "/partners/museum-oai", "/combine?id=water-quality-kit-river&id=bee-hotel-engineering-challenge",
                                  "/resources/no-such-kit", "/embed?sdg=6", "/review"])
@pytest.mark.parametrize("lang", ["en", "el"])
def test_axe_finds_no_serious_violations(site, browser, path, lang):
    _, base = site
    source = _axe_source()
    context = browser.new_context(locale=lang)
    try:
        tab = context.new_page()
        tab.goto(base + path + ("&" if "?" in path else "?") + f"lang={lang}")
        tab.evaluate(source)  # evaluated by the driver, so the page's CSP needs no exception
        result = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert result["passes"], "axe-core checked nothing"
        assert not serious, serious
    finally:
        context.close()
