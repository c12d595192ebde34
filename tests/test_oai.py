"""The OAI-PMH feed, request by request: every verb, every format, every error, schema-valid."""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import urlencode

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from lxml import etree
from oai_schemas import LOM, OAI, error_code, validate

from oerrepo import Repository
from oerrepo.oai.readahead import ReadAhead

DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Repository:
    repo = Repository(tmp_path_factory.mktemp("oai") / "data")
    repo.load_samples()
    repo.set_setting("repository_name", "Open Schooling <Blueprints> & Co")
    repo.set_setting("admin_email", "oer@schools.example.org")
    repo.set_setting("base_url", "https://oer.example.org")
    repo.set_setting("oai_page_size", 7)
    yield repo
    repo.close()


@pytest.fixture
def repo(tmp_path) -> Repository:
    repo = Repository(tmp_path / "data")
    repo.load_samples()
    repo.set_setting("oai_page_size", 7)
    yield repo
    repo.close()


def ask(repo: Repository, **args) -> etree._Element:
    return validate(repo.oai_response(args))


def harvest(repo: Repository, verb: str = "ListIdentifiers", **args) -> tuple[list[etree._Element], list[dict]]:
    """Follow resumption tokens to the end; return every header and each page's token attributes."""
    headers, tokens = [], []
    doc = ask(repo, verb=verb, **args)
    while True:
        assert error_code(doc) is None, etree.tostring(doc)[:500]
        headers += doc.findall(f".//{OAI}header")
        token = doc.find(f".//{OAI}resumptionToken")
        if token is None:
            return headers, tokens
        tokens.append(dict(token.attrib, text=token.text))
        if not token.text:
            return headers, tokens
        doc = ask(repo, verb=verb, resumptionToken=token.text)


def ids(headers) -> list[str]:
    return [h.findtext(f"{OAI}identifier") for h in headers]


# --------------------------------------------------------------------------- verbs


def test_identify_names_the_repository_from_its_settings(samples):
    doc = ask(samples, verb="Identify")
    ident = doc.find(f"{OAI}Identify")
    assert ident.findtext(f"{OAI}repositoryName") == "Open Schooling <Blueprints> & Co"
    assert ident.findtext(f"{OAI}baseURL") == "https://oer.example.org/oai"
    assert ident.findtext(f"{OAI}adminEmail") == "oer@schools.example.org"
    assert ident.findtext(f"{OAI}deletedRecord") == "persistent"
    assert ident.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext(f"{OAI}compression") == "gzip"
    ns = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"
    assert doc.findtext(f".//{ns}repositoryIdentifier") == "oer.example.org"
    assert doc.find(f"{OAI}request").get("verb") == "Identify"


def test_identifiers_use_the_namespace_setting_and_round_trip(repo):
    repo.set_setting("oai_identifier", "blueprints.example.eu")
    rid = "water-quality-kit-river"
    assert repo.oai_identifier(rid) == f"oai:blueprints.example.eu:{rid}"
    doc = ask(repo, verb="GetRecord", identifier=repo.oai_identifier(rid), metadataPrefix="oai_dc")
    assert doc.findtext(f".//{OAI}header/{OAI}identifier") == f"oai:blueprints.example.eu:{rid}"


def test_list_metadata_formats_offers_dc_lom_and_the_full_record(samples):
    doc = ask(samples, verb="ListMetadataFormats")
    assert [e.text for e in doc.iter(f"{OAI}metadataPrefix")] == ["oai_dc", "lom", "oerrepo"]
    assert "http://ltsc.ieee.org/xsd/LOM" in [e.text for e in doc.iter(f"{OAI}metadataNamespace")]
    doc = ask(samples, verb="ListMetadataFormats", identifier=samples.oai_identifier("school-solar-garden"))
    assert len(doc.findall(f".//{OAI}metadataFormat")) == 3


def test_get_record_in_dublin_core(samples):
    doc = ask(samples, verb="GetRecord", identifier=samples.oai_identifier("water-quality-kit-river"),
              metadataPrefix="oai_dc")
    dc = doc.find(f".//{OAI}metadata")[0]
    assert dc.findtext(f"{DC}title") == "Citizen science water-quality kit for the local river"
    assert dc.find(f"{DC}title").get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert dc.findtext(f"{DC}rights") == "https://creativecommons.org/licenses/by/4.0/"
    assert "http://metadata.un.org/sdg/6" in [e.text for e in dc.iter(f"{DC}subject")]
    assert "https://w3id.org/kim/hcrt/experiment" in [e.text for e in dc.iter(f"{DC}type")]
    assert "Mira Okonkwo-Lindqvist" in [e.text for e in dc.iter(f"{DC}creator")]
    assert "https://doi.org/10.5281/zenodo.5719024" in [e.text for e in dc.iter(f"{DC}identifier")]
    assert [e.text for e in dc.iter(f"{DC}language")] == ["en"]


def test_get_record_in_lom_carries_educational_and_rights_fields(samples):
    doc = ask(samples, verb="GetRecord", identifier=samples.oai_identifier("water-quality-kit-river"),
              metadataPrefix="lom")
    lom = doc.find(f".//{LOM}lom")
    edu = lom.find(f"{LOM}educational")
    values = lambda tag: [e.findtext(f"{LOM}value") for e in edu.findall(f"{LOM}{tag}")]  # noqa: E731
    assert values("learningResourceType") == ["experiment", "exercise"]  # experiment, worksheet
    assert values("intendedEndUserRole") == ["teacher", "learner"]
    assert values("context") == ["school"]  # ISCED 2 and 3
    assert edu.findtext(f"{LOM}typicalAgeRange/{LOM}string") == "11-16"
    rights = lom.find(f"{LOM}rights")
    assert rights.findtext(f"{LOM}description/{LOM}string") == "https://creativecommons.org/licenses/by/4.0/"
    assert rights.findtext(f"{LOM}cost/{LOM}value") == "no"
    assert rights.findtext(f"{LOM}copyrightAndOtherRestrictions/{LOM}value") == "yes"
    taxa = [e.text for e in lom.iter(f"{LOM}id")]
    assert "http://metadata.un.org/sdg/14" in taxa
    assert "https://w3id.org/kim/isced-2011/level3" in taxa
    assert lom.findtext(f"{LOM}general/{LOM}title/{LOM}string") == (
        "Citizen science water-quality kit for the local river"
    )


def test_public_domain_work_has_no_copyright_restrictions(repo):
    repo.add({"id": "pd-map", "name": "Old map", "license": "CC0-1.0"})
    doc = ask(repo, verb="GetRecord", identifier=repo.oai_identifier("pd-map"), metadataPrefix="lom")
    assert doc.findtext(f".//{LOM}copyrightAndOtherRestrictions/{LOM}value") == "no"


@pytest.mark.parametrize("prefix", ["oai_dc", "lom"])
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_complete_list_in_pages_returns_every_record_once(samples, verb, prefix):
    headers, tokens = harvest(samples, verb, metadataPrefix=prefix)
    expected = {samples.oai_identifier(r.id) for r in samples.iter(include_deleted=True)}
    assert len(ids(headers)) == len(expected) and set(ids(headers)) == expected
    assert len(tokens) == -(-len(expected) // 7)  # a token per full page, then an empty one
    assert [int(t["cursor"]) for t in tokens] == [7 * i for i in range(len(tokens))]
    assert {t["completeListSize"] for t in tokens} == {str(len(expected))}
    assert all(t.get("expirationDate", "").endswith("Z") for t in tokens[:-1])
    assert tokens[-1]["text"] is None


def test_list_by_collection_and_by_derived_sets(samples):
    sdg13 = {r.id for r in samples.iter(sdg=13)}
    headers, _ = harvest(samples, metadataPrefix="oai_dc", set="sdg:13")
    assert {samples.oai_identifier(i) for i in sdg13} == set(ids(headers))
    assert all("sdg:13" in [s.text for s in h.findall(f"{OAI}setSpec")] for h in headers)

    portuguese = {r.id for r in samples.iter(language="pt")}
    headers, _ = harvest(samples, metadataPrefix="lom", verb="ListRecords", set="lang:pt")
    assert {samples.oai_identifier(i) for i in portuguese} == set(ids(headers)) and portuguese

    by_sa = {r.id for r in samples.iter(license="CC-BY-SA-4.0")}
    headers, _ = harvest(samples, metadataPrefix="oai_dc", set="license:cc-by-sa-4.0")
    assert {samples.oai_identifier(i) for i in by_sa} == set(ids(headers)) and by_sa

    plans = {r.id for r in samples.iter(type="lesson_plan")}
    headers, _ = harvest(samples, metadataPrefix="oai_dc", set="type:lesson_plan")
    assert {samples.oai_identifier(i) for i in plans} == set(ids(headers))

    collection = samples.sets()[0]["spec"]
    members = {r.id for r in samples.iter(set_spec=collection)}
    headers, _ = harvest(samples, metadataPrefix="oai_dc", set=collection)
    assert {samples.oai_identifier(i) for i in members} == set(ids(headers)) and members


def test_list_sets_names_collections_and_derived_sets(samples):
    doc = ask(samples, verb="ListSets")
    specs = {s.findtext(f"{OAI}setSpec"): s.findtext(f"{OAI}setName") for s in doc.iter(f"{OAI}set")}
    for collection in samples.sets():
        assert specs[collection["spec"]] == collection["name"]
        if ":" in collection["spec"]:
            assert collection["spec"].split(":")[0] in specs  # the hierarchy's parent is a set too
    assert specs["sdg:13"].startswith("SDG 13")
    assert "license:cc-by-4.0" in specs and "lang:en" in specs and "level:isced-2" in specs
    assert "type:lesson_plan" in specs


def test_from_and_until_select_by_datestamp(repo):
    everything = {h.findtext(f"{OAI}identifier") for h in harvest(repo, metadataPrefix="oai_dc")[0]}
    day = ask(repo, verb="Identify").findtext(f".//{OAI}earliestDatestamp")[:10]
    headers, _ = harvest(repo, metadataPrefix="oai_dc", **{"from": day, "until": day})
    assert set(ids(headers)) == everything
    doc = ask(repo, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2000-01-01")
    assert error_code(doc) == "noRecordsMatch"  # until before earliestDatestamp
    doc = ask(repo, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2999-01-01T00:00:00Z"})
    assert error_code(doc) == "noRecordsMatch"


def test_deleted_records_stay_as_tombstones(repo):
    repo.delete("school-solar-garden")
    oai_id = repo.oai_identifier("school-solar-garden")
    doc = ask(repo, verb="GetRecord", identifier=oai_id, metadataPrefix="lom")
    header = doc.find(f".//{OAI}header")
    assert header.get("status") == "deleted" and doc.find(f".//{OAI}metadata") is None
    headers, _ = harvest(repo, "ListRecords", metadataPrefix="oai_dc")
    gone = [h for h in headers if h.get("status") == "deleted"]
    assert ids(gone) == [oai_id]
    # ... also in the lists of the sets it belonged to
    for spec in [s.text for s in gone[0].findall(f"{OAI}setSpec")]:
        assert oai_id in ids(harvest(repo, metadataPrefix="oai_dc", set=spec)[0])


# --------------------------------------------------------------------------- completeness under change


def test_list_is_complete_and_exact_while_the_repository_changes(repo):
    start = {repo.oai_identifier(r.id) for r in repo.iter(include_deleted=True)}
    ordered = sorted(r.id for r in repo.iter())
    doc = ask(repo, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2999-12-31")
    served = ids(doc.findall(f".//{OAI}header"))
    size = doc.find(f".//{OAI}resumptionToken").get("completeListSize")
    last_served = ordered[6]
    later = [i for i in ordered if i > last_served]
    # Change things on both sides of the harvest's position.
    repo.update(later[0], {"description": {"en": "Rewritten while being harvested."}}, merge=True)
    repo.delete(later[1])
    repo.update(ordered[0], {"keywords": ["changed"]}, merge=True)
    repo.delete(ordered[1])
    repo.add({"id": "zz-added-during-harvest", "name": "New", "license": "CC-BY-4.0"})
    repo.add({"id": "aa-added-during-harvest", "name": "New", "license": "CC-BY-4.0"})
    token = doc.find(f".//{OAI}resumptionToken").text
    while token:
        doc = ask(repo, verb="ListIdentifiers", resumptionToken=token)
        served += ids(doc.findall(f".//{OAI}header"))
        element = doc.find(f".//{OAI}resumptionToken")
        assert element.get("completeListSize") == size
        token = element.text
    assert len(served) == len(set(served)) and set(served) == start


# --------------------------------------------------------------------------- errors


BAD_REQUESTS = [
    ({}, "badVerb"),
    ({"verb": "Frobnicate"}, "badVerb"),
    ({"verb": ["Identify", "Identify"]}, "badVerb"),
    ({"verb": "Identify", "extra": "1"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": ""}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-13-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T10:00:00"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01", "until": "2024-02-01T00:00:00Z"},
     "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-01", "until": "2024-01-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "no spaces allowed"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "ListRecords", "metadataPrefix": "<oai_dc&>"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "no-such-set"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "sdg:99"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
    ({"verb": "ListRecords", "resumptionToken": "<&\">'"}, "badResumptionToken"),
    ({"verb": "ListIdentifiers", "resumptionToken": "a" * 5000}, "badArgument"),
    ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:elsewhere.org:1"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:oer.example.org:<no&such>"},
     "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "not a uri at all"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "x" * 100_000}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:oer.example.org:a\x00b"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "lom-strict",
      "identifier": "oai:oer.example.org:water-quality-kit-river"}, "cannotDisseminateFormat"),
    ({"verb": "ListMetadataFormats", "identifier": "oai:oer.example.org:nothing-here"}, "idDoesNotExist"),
    ({"verb": "Identify", "verb2": "<script>"}, "badArgument"),
]


@pytest.mark.parametrize("args,code", BAD_REQUESTS, ids=[urlencode(a, doseq=True)[:60] for a, _ in BAD_REQUESTS])
def test_bad_requests_get_the_right_schema_valid_error(samples, args, code):
    doc = validate(samples.oai_response(args))
    assert error_code(doc) == code
    request = doc.find(f"{OAI}request")
    assert request.text == "https://oer.example.org/oai"
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}  # the protocol: echo the base URL only


def test_arguments_with_xml_special_characters_are_echoed_safely(samples):
    identifier = "oai:oer.example.org:a&b'c"
    doc = ask(samples, verb="GetRecord", metadataPrefix="oai_dc", identifier=identifier)
    assert error_code(doc) == "idDoesNotExist"
    assert doc.find(f"{OAI}request").get("identifier") == identifier


def test_sets_can_be_turned_off(repo):
    repo.set_setting("oai_sets", False)
    assert error_code(ask(repo, verb="ListSets")) == "noSetHierarchy"
    assert error_code(ask(repo, verb="ListRecords", metadataPrefix="oai_dc", set="sdg:13")) == "noSetHierarchy"


def _first_token(repo: Repository, verb: str = "ListIdentifiers") -> str:
    doc = ask(repo, verb=verb, metadataPrefix="oai_dc")
    return doc.find(f".//{OAI}resumptionToken").text


def test_tampered_and_misused_tokens_are_bad_resumption_tokens(samples):
    token = _first_token(samples)
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert error_code(ask(samples, verb="ListIdentifiers", resumptionToken=flipped)) == "badResumptionToken"
    body, _, signature = token.rpartition(".")
    assert error_code(ask(samples, verb="ListIdentifiers", resumptionToken=body)) == "badResumptionToken"
    assert error_code(ask(samples, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    # A token signed by another repository (another secret) is refused too.
    foreign = URLSafeTimedSerializer("another secret", salt="oerrepo-oai-resumption").dumps(["ListIdentifiers"])
    assert error_code(ask(samples, verb="ListIdentifiers", resumptionToken=foreign)) == "badResumptionToken"


def test_expired_token_is_a_bad_resumption_token(samples):
    token = _first_token(samples)
    secret = samples.setting("oai_secret")

    class SignedTwoDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 24 * 3600

    payload = URLSafeTimedSerializer(secret, salt="oerrepo-oai-resumption").loads(token)
    old = URLSafeTimedSerializer(secret, salt="oerrepo-oai-resumption", signer=SignedTwoDaysAgo).dumps(payload)
    doc = ask(samples, verb="ListIdentifiers", resumptionToken=old)
    assert error_code(doc) == "badResumptionToken"
    assert "expired" in doc.findtext(f"{OAI}error")


def test_post_style_arguments_and_sequence_pairs_work_the_same(samples):
    a = samples.oai_response([("verb", "ListSets")])
    b = samples.oai_response({"verb": "ListSets"})
    strip = lambda x: etree.tostring(validate(x).find(f"{OAI}ListSets"))  # noqa: E731
    assert strip(a) == strip(b)


def test_oai_metadata_is_a_standalone_document(samples):
    xml = samples.oai_metadata("water-quality-kit-river", "lom")
    doc = etree.fromstring(xml)
    assert doc.tag == f"{LOM}lom"
    dc = etree.fromstring(samples.oai_metadata("water-quality-kit-river"))
    assert dc.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"


def test_control_characters_in_stored_text_never_break_the_xml(repo):
    repo.add({"id": "odd-text", "name": "Bell \x07 and form feed \x0c", "license": "CC-BY-4.0",
              "description": "Tabs\tand <tags> & ampersands"})
    for prefix in ("oai_dc", "lom"):
        doc = ask(repo, verb="GetRecord", identifier=repo.oai_identifier("odd-text"), metadataPrefix=prefix)
        assert error_code(doc) is None


def test_ids_that_are_uris_make_valid_oai_identifiers(repo):
    repo.add({"id": "https://example.org/res/äb?x=1&y=%20#frag", "name": "x", "license": "CC-BY-4.0"})
    oai_id = repo.oai_identifier("https://example.org/res/äb?x=1&y=%20#frag")
    doc = ask(repo, verb="GetRecord", identifier=oai_id, metadataPrefix="lom")
    assert error_code(doc) is None
    assert doc.findtext(f".//{OAI}header/{OAI}identifier") == oai_id


def test_lists_write_stored_text_exactly_and_serve_each_change(repo):
    # Lists take the fast way for text with nothing to escape; the rest is escaped (or dropped).
    repo.add({"id": "odd-list-text", "name": "Bell \x07 & <b>bold</b>", "license": "CC-BY-4.0",
              "description": "Line one\nand \"two\"", "keywords": ["a < b", "plain"]})

    def dc_of(resource_id: str) -> dict:
        headers, _ = harvest(repo, "ListRecords", metadataPrefix="oai_dc")
        record = next(h.getparent() for h in headers if h.findtext(f"{OAI}identifier") == repo.oai_identifier(resource_id))
        return {"title": record.findtext(f".//{DC}title"), "description": record.findtext(f".//{DC}description"),
                "subjects": [s.text for s in record.iter(f"{DC}subject")]}

    first = dc_of("odd-list-text")
    assert first["title"] == "Bell  & <b>bold</b>"
    assert first["description"] == 'Line one\nand "two"'
    assert first["subjects"][:2] == ["a < b", "plain"]
    assert dc_of("odd-list-text") == first  # asked again: the same text
    repo.update("odd-list-text", {"name": "Renamed"}, merge=True)
    assert dc_of("odd-list-text")["title"] == "Renamed"  # a change is served at once


# --------------------------------------------------------------------------- read-ahead


def _pages(repo: Repository, pause: float = 0.0, **args) -> list[bytes]:
    """Every page of a list, with what differs between two harvests of it (dates, token texts) blanked.

    ``pause`` is the time the harvester takes to read each page.
    """
    volatile = re.compile(rb'<responseDate>[^<]*</responseDate>|(?:expirationDate|resumptionToken)="[^"]*"|(?<=">)[^<]+(?=</resumptionToken>)')
    pages, token = [], None
    while True:
        body = repo.oai_response({"verb": "ListRecords", "resumptionToken": token} if token else args)
        pages.append(volatile.sub(b"", body))
        element = validate(body).find(f".//{OAI}resumptionToken")
        token = element.text if element is not None else None
        if not token:
            return pages
        time.sleep(pause)


def test_pages_rendered_ahead_are_the_pages_rendered_on_request(repo):
    repo.update(sorted(r.id for r in repo.iter())[3], {"name": "Changed before the harvests"}, merge=True)
    ahead = _pages(repo, pause=0.1, verb="ListRecords", metadataPrefix="lom")
    feed_cache = repo._parts.feed.cache
    reader = next(v[1] for k, v in feed_cache.items() if isinstance(k, tuple) and k[0] == "records")
    assert reader.hits == len(ahead) - 1  # every page after the first came from read-ahead
    repo.set_setting("oai_read_ahead", False)
    on_request = _pages(repo, verb="ListRecords", metadataPrefix="lom")
    assert reader.hits == len(ahead) - 1
    assert len(ahead) > 3 and on_request == ahead


def test_a_page_rendered_ahead_is_exact_although_records_change_before_it_is_asked_for(repo):
    first = repo.oai_response({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    token = validate(first).find(f".//{OAI}resumptionToken").text
    ordered = sorted(r.id for r in repo.iter())
    time.sleep(0.2)  # the second page is rendered meanwhile
    repo.delete(ordered[8])  # on the second page
    repo.add({"id": ordered[7] + "-new", "name": "Added between the pages", "license": "CC0-1.0"})
    doc = ask(repo, verb="ListIdentifiers", resumptionToken=token)
    assert ids(doc.findall(f".//{OAI}header")) == [repo.oai_identifier(i) for i in ordered[7:14]]
    assert all(h.get("status") is None for h in doc.findall(f".//{OAI}header"))


def test_read_ahead_keeps_few_pages_and_leaves_unstarted_work_to_the_request():
    gate, started = threading.Event(), threading.Event()
    ahead = ReadAhead(max_pages=2)
    ahead.schedule("busy", lambda: gate.wait(5) and "busy page")
    ahead.schedule("queued", lambda: "queued page")
    ahead.schedule("newest", lambda: started.set() or "newest page")  # the oldest ('busy') is dropped
    assert ahead.take("busy") is None
    assert ahead.take("queued") is None  # not started (the thread was busy): the request renders it
    gate.set()
    assert started.wait(5)
    assert ahead.take("newest") == "newest page" and ahead.hits == 1  # started: the request waits for it
    assert ahead.take("newest") is None  # taken once

    def broken():
        raise ValueError("store closed")

    ahead.schedule("broken", broken)
    time.sleep(0.2)
    assert ahead.take("broken") is None  # the request renders it again and reports the error itself
    ahead.close()
    ahead.schedule("late", lambda: "late page")
    assert ahead.take("late") is None


def test_a_harvest_spread_over_two_processes_is_not_rendered_twice(tmp_path):
    # Two repositories on one data folder stand for two web workers behind a round-robin balancer.
    with Repository(tmp_path / "data") as first:
        first.load_samples()
        first.set_setting("oai_page_size", 7)
    workers = [Repository(tmp_path / "data"), Repository(tmp_path / "data")]
    try:
        pages, token, turn = 0, None, 0
        while True:
            args = {"verb": "ListIdentifiers", "resumptionToken": token} if token else \
                {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
            element = validate(workers[turn % 2].oai_response(args)).find(f".//{OAI}resumptionToken")
            pages, turn = pages + 1, turn + 1
            token = element.text if element is not None else None
            if not token:
                break
            time.sleep(0.05)
        readers = [next(v[1] for k, v in w._parts.feed.cache.items() if isinstance(k, tuple)
                        and k[0] == "records") for w in workers]
        assert pages == 9
        # Only the list's first page was read ahead (by the worker that started it), in vain.
        assert [(r.scheduled, r.hits) for r in readers] == [(1, 0), (0, 0)]
    finally:
        for w in workers:
            w.close()
