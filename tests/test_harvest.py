"""Harvesting against a loopback OAI-PMH partner that misbehaves on demand (tests/oai_server.py)."""

from __future__ import annotations

import time

import pytest
from oai_server import (
    Partner,
    Rec,
    as_latin1,
    bare_ampersand,
    control_chars,
    dc,
    deflate_unasked,
    gzip_unasked,
    latin1_bytes_in_utf8,
    simple_records,
    with_bom,
)

from oerrepo import HarvestError, Repository

FAST = dict(backoff=0.01, retries=3, timeout=1.0)


@pytest.fixture
def repo(data_dir):
    with Repository(data_dir) as r:
        yield r


def test_harvest_stores_every_page_and_records_provenance(repo):
    with Partner(simple_records(25), page_size=10) as partner:
        report = repo.harvest(partner.url, source="partner", **FAST)
    src = report.sources[0]
    assert (src.pages, src.new, src.complete) == (3, 25, True)
    assert repo.count() == 25
    res = repo.get("partner-7")
    assert res.name == "Blueprint number 7"
    assert res.license == "https://creativecommons.org/licenses/by/4.0/"
    (prov,) = res.provenance
    assert (prov.source, prov.oai_identifier, prov.datestamp, prov.metadata_prefix) == (
        "partner", "oai:partner.test:7", "2024-01-01T00:00:00Z", "oai_dc")
    assert repo.history("partner-7")[0].origin == "harvest:partner"


def test_user_agent_names_the_repository_and_its_contact(repo):
    repo.set_setting("base_url", "https://oer.example.eu")
    repo.set_setting("admin_email", "oer@example.eu")
    with Partner(simple_records(2)) as partner:
        repo.harvest(partner.url)
    assert partner.agents[0].startswith("oerrepo/")
    assert "+https://oer.example.eu" in partner.agents[0] and "mailto:oer@example.eu" in partner.agents[0]


def test_second_harvest_is_incremental_from_the_partners_response_date(repo):
    records = simple_records(5)
    with Partner(records) as partner:
        repo.harvest(partner.url, source="p")
        records[1].xml = dc("Blueprint two, revised", creators=["Teacher 2"], rights=["CC-BY-4.0"])
        records[1].datestamp = "2024-07-01T00:00:00Z"
        records[2].deleted, records[2].datestamp = True, "2024-07-01T00:00:00Z"
        partner.records.append(Rec("oai:partner.test:new", "2024-07-02T00:00:00Z",
                           dc("A new one", rights=["CC0-1.0"])))
        report = repo.harvest("p")
    assert {"from": "2024-06-01T12:00:00Z", "metadataPrefix": "oai_dc", "verb": "ListRecords"} in partner.requests
    src = report.sources[0]
    assert (src.new, src.updated, src.deleted) == (1, 1, 1)
    assert repo.get("partner-2").name == "Blueprint two, revised"
    assert "partner-3" not in repo
    assert repo.get("partner-3", include_deleted=True).deleted


def test_day_granularity_partner_is_asked_with_a_date(repo):
    with Partner(simple_records(3, stamp="2024-01-01"), day_granularity=True) as partner:
        repo.harvest(partner.url, source="p")
        repo.harvest("p")
    assert partner.requests[-1]["from"] == "2024-06-01"


def test_datestamps_with_offsets_and_fractions_become_utc(repo):
    recs = simple_records(2)
    recs[0].raw_datestamp = "2024-03-01T10:00:00+02:00"
    recs[1].raw_datestamp = "2024-03-01T10:00:00.123Z"
    with Partner(recs) as partner:
        repo.harvest(partner.url)
    assert repo.get("partner-1").provenance[0].datestamp == "2024-03-01T08:00:00Z"
    assert repo.get("partner-2").provenance[0].datestamp == "2024-03-01T10:00:00Z"


@pytest.mark.parametrize("kind, options", [
    ("503", {"retry_after": "1"}),
    ("503", {"retry_after": "date", "seconds": 1}),
    ("429", {"retry_after": "0"}),
    ("500", {}),
    ("reset", {}),
    ("slow", {"seconds": 1.5}),
])
def test_transient_failures_are_retried(repo, kind, options):
    with Partner(simple_records(15)) as partner:
        partner.fault(kind, **options)
        report = repo.harvest(partner.url, **FAST)
    assert report.sources[0].complete and repo.count() == 15
    assert any("retry" in n for n in report.sources[0].notes)


def test_a_partner_that_keeps_failing_ends_with_an_error_and_keeps_earlier_pages(repo):
    with Partner(simple_records(25)) as partner:
        partner.fault("none", times=1)  # the first page is served normally
        partner.fault("500", times=10)
        with pytest.raises(HarvestError) as info:
            repo.harvest(partner.url, **FAST)
    assert "failed 4 time(s)" in str(info.value)
    assert repo.count() == 10
    assert info.value.report.sources[0].new == 10


def test_a_retry_after_longer_than_allowed_stops_the_harvest(repo):
    with Partner(simple_records(3)) as partner:
        partner.fault("503", retry_after="86400")
        with pytest.raises(HarvestError, match="come back in 86400"):
            repo.harvest(partner.url, **FAST)


def test_html_instead_of_oai_pmh_is_an_error_naming_the_problem(repo):
    with Partner(simple_records(3)) as partner:
        partner.fault("html", verb="Identify")
        with pytest.raises(HarvestError, match="did not answer with OAI-PMH XML"):
            repo.harvest(partner.url, **FAST)


def test_oai_error_with_http_422_is_read(repo):
    with Partner(simple_records(3)) as partner:
        partner.fault("error422", code="cannotDisseminateFormat", text="no such format")
        with pytest.raises(HarvestError) as info:
            repo.harvest(partner.url, **FAST)
    assert info.value.code == "cannotDisseminateFormat"


def test_no_records_match_with_http_422_is_an_empty_harvest(repo):
    with Partner(simple_records(3)) as partner:
        partner.fault("error422", code="noRecordsMatch")
        report = repo.harvest(partner.url, **FAST)
    assert report.sources[0].complete and report.sources[0].records == 0


def test_bare_error_without_envelope_is_read(repo):
    with Partner(simple_records(3)) as partner:
        partner.fault("bare_error", code="badArgument")
        with pytest.raises(HarvestError) as info:
            repo.harvest(partner.url, **FAST)
    assert info.value.code == "badArgument"


@pytest.mark.parametrize("how, expect", [
    (gzip_unasked, "gzip"),
    (deflate_unasked, "deflate"),
    (control_chars, "XML does not allow"),
    (bare_ampersand, "bare '&'"),
])
def test_damaged_pages_are_repaired_and_the_repair_reported(repo, how, expect):
    with Partner(simple_records(5)) as partner:
        partner.fault("mangle", how=how)
        report = repo.harvest(partner.url, **FAST)
    src = report.sources[0]
    assert src.new == 5 and src.complete
    assert any(expect in what for _, what in src.repairs), src.repairs
    if how is bare_ampersand:
        assert repo.get("partner-1").name == "Sun & Moon blueprint number 1"
        # an undeclared HTML entity becomes its character
        assert repo.get("partner-1").data["creator"][0]["name"] == "Teacher 1"


@pytest.mark.parametrize("how", [as_latin1, latin1_bytes_in_utf8, with_bom])
def test_encodings_are_read(repo, how):
    recs = [Rec("oai:p:1", "2024-01-01T00:00:00Z", dc("Café scientifique", rights=["CC-BY-4.0"]))]
    with Partner(recs) as partner:
        partner.fault("mangle", how=how)
        report = repo.harvest(partner.url, **FAST)
    assert report.sources[0].new == 1
    assert repo.get("p-1").name == "Café scientifique"


def test_huge_text_node_keeps_the_page(repo):
    recs = simple_records(3)
    recs[1].xml = dc("Long one", rights=["CC-BY-4.0"], description="x" * 12_000_000)
    with Partner(recs) as partner:
        report = repo.harvest(partner.url, **FAST)
    src = report.sources[0]
    assert src.new == 3
    assert len(repo.get("partner-2").data["description"]["en"]) <= 100_000
    assert any("cut" in what for _, what in src.repairs)


def test_entities_are_never_expanded_nor_fetched(repo):
    def bomb(data: bytes):
        doctype = (b'<!DOCTYPE OAI-PMH [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                   b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY ext SYSTEM "file:///etc/passwd">]>')
        data = data.replace(b"<OAI-PMH", doctype + b"<OAI-PMH", 1)
        return data.replace(b"Blueprint number 1<", b"Blueprint &c;&ext; 1<"), "text/xml", {}

    with Partner(simple_records(3)) as partner:
        partner.fault("mangle", how=bomb)
        report = repo.harvest(partner.url, **FAST)
    title = repo.get("partner-1").name
    assert "aaaa" not in title and "root:" not in title
    assert any("DOCTYPE" in what for _, what in report.sources[0].repairs)


def test_empty_page_with_token_continues_and_empty_token_element_ends(repo):
    with Partner(simple_records(15), final_token="empty") as partner:
        partner.fault("empty_page")
        report = repo.harvest(partner.url, **FAST)
    assert repo.count() == 15 and report.sources[0].complete


def test_empty_list_records_element_is_an_empty_harvest(repo):
    with Partner([], no_match="empty") as partner:
        report = repo.harvest(partner.url, **FAST)
    assert report.sources[0].complete and report.sources[0].records == 0


def test_repeated_token_stops_with_an_error_and_keeps_committed_pages(repo):
    with Partner(simple_records(30)) as partner:
        partner.fault("none")
        partner.fault("repeat_token")
        with pytest.raises(HarvestError) as info:
            repo.harvest(partner.url, **FAST)
    assert info.value.code == "resumptionLoop"
    assert repo.count() == 20


def test_expired_token_restarts_from_the_last_safe_from(repo):
    with Partner(simple_records(25)) as partner:
        partner.fault("none")
        partner.fault("500", times=10)
        with pytest.raises(HarvestError):
            repo.harvest(partner.url, source="p", **FAST)
        assert repo.sources()[0]["resumable"]
        partner.faults.clear()
        partner.expire_tokens()
        report = repo.harvest("p")
    src = report.sources[0]
    assert src.resumed and src.complete
    assert any("token was refused" in n for n in src.notes)
    assert repo.count() == 25 and (src.new, src.unchanged) == (15, 10)


def test_record_without_licence_is_kept_flagged_or_skipped_by_source_policy(repo, tmp_path):
    recs = simple_records(2) + [Rec("oai:p:nolicence", "2024-01-01T00:00:00Z",
                                    dc("No licence", rights=["All rights reserved"]))]
    with Partner(recs) as partner:
        report = repo.harvest(partner.url, source="keep")
        kept = repo.get("nolicence")
        with Repository(tmp_path / "other") as other:
            other.add_source("strict", partner.url, on_missing_license="skip")
            skipped = other.harvest("strict").sources[0]
            assert "nolicence" not in other
    assert kept.license is None
    assert any("All rights reserved" in n for n in kept.provenance[0].notes)
    assert report.sources[0].license_problems[0][0] == "oai:p:nolicence"
    assert skipped.license_problems.total == 1 and skipped.new == 2


def test_generic_rights_text_never_widens_the_licence_url_beside_it(repo):
    # DSpace's dc.rights text first, dc.rights.uri second: the URL's NC and version are kept
    recs = [Rec("oai:p:dspace", "2024-01-01T00:00:00Z",
                dc("Bee hotels", rights=["Creative Commons Attribution", "http://creativecommons.org/licenses/by-nc/3.0/"])),
            Rec("oai:p:versionless", "2024-01-01T00:00:00Z",
                dc("Pond life", rights=["Creative Commons Attribution-NonCommercial"]))]
    with Partner(recs) as partner:
        report = repo.harvest(partner.url)
    src = report.sources[0]
    assert repo.get("dspace").license == "https://creativecommons.org/licenses/by-nc/3.0/"
    problems = {oai_id: (problem, kept) for oai_id, problem, kept in src.license_problems}
    assert "disagree" in problems["oai:p:dspace"][0] and problems["oai:p:dspace"][1] is True
    assert "oai:p:versionless" not in problems
    versionless = repo.get("versionless")
    assert versionless.license == "https://creativecommons.org/licenses/by-nc/4.0/"
    assert any("no version given" in n for n in versionless.provenance[0].notes)
    assert any(oai_id == "oai:p:versionless" and "no version given" in note for oai_id, note in src.repairs)


def test_licence_refused_by_the_repository_policy_is_reported_not_silently_dropped(repo):
    repo.set_setting("license_policy", "open-only")
    recs = [Rec("oai:p:nc", "2024-01-01T00:00:00Z", dc("Non-commercial", rights=["CC BY-NC 4.0"]))]
    with Partner(recs) as partner:
        report = repo.harvest(partner.url)
    src = report.sources[0]
    assert "nc" not in repo
    assert src.rejected.total == 1 and "licence policy" in src.rejected[0][1]
    assert src.license_problems.total == 1


def test_bad_fields_are_left_out_not_the_record(repo):
    recs = [Rec("oai:p:1", "2024-01-01T00:00:00Z",
                dc("Odd identifiers", rights=["CC0-1.0"], identifiers=["https://example.org/a b c"]))]
    with Partner(recs) as partner:
        report = repo.harvest(partner.url)
    assert "p-1" in repo
    assert report.sources[0].new == 1


def test_duplicates_across_sources_become_one_record_with_two_provenances(repo):
    a = [Rec("oai:a:1", "2024-01-01T00:00:00Z",
             dc("Bee hotels", creators=["Maria Silva"], rights=["CC-BY-4.0"], identifiers=["https://doi.org/10.1234/bee"])),
         Rec("oai:a:2", "2024-01-01T00:00:00Z",
             dc("Solar ovens", creators=["Jonas Berg", "Ana Ruiz"], rights=["CC-BY-4.0"]))]
    b = [Rec("oai:b:9", "2024-01-01T00:00:00Z",
             dc("Bee Hotels!", creators=["Silva, Maria"], rights=["CC-BY-4.0"], identifiers=["10.1234/BEE"])),
         Rec("oai:b:10", "2024-01-01T00:00:00Z",
             dc("Solar  ovens", creators=["Ruiz, Ana", "Berg, Jonas"], rights=["CC-BY-4.0"])),
         Rec("oai:b:11", "2024-01-01T00:00:00Z", dc("Solar ovens", creators=["Someone Else"], rights=["CC-BY-4.0"]))]
    with Partner(a) as pa, Partner(b) as pb:
        repo.harvest(pa.url, source="a")
        report = repo.harvest(pb.url, source="b")
        src = report.sources[0]
        assert src.merged.total == 2 and src.new == 1
        assert {why.split()[1] for _, _, why in src.merged} == {"DOI", "title"}
        assert sorted(p.source for p in repo.get("a-1").provenance) == ["a", "b"]
        # deleted at one partner: kept while the other still provides it
        a[0].deleted, a[0].datestamp = True, "2024-07-01T00:00:00Z"
        repo.harvest("a")
        assert "a-1" in repo
        b[0].deleted, b[0].datestamp = True, "2024-07-01T00:00:00Z"
        repo.harvest("b")
        assert "a-1" not in repo


def test_a_duplicate_under_other_licence_conditions_is_flagged(repo):
    a = [Rec("oai:a:1", "2024-01-01T00:00:00Z",
             dc("Bee hotels", creators=["Maria Silva"], rights=["CC-BY-4.0"], identifiers=["https://doi.org/10.1234/bee"]))]
    b = [Rec("oai:b:9", "2024-01-01T00:00:00Z",
             dc("Bee hotels", creators=["Maria Silva"], rights=["CC-BY-NC-4.0"], identifiers=["10.1234/bee"]))]
    with Partner(a) as pa, Partner(b) as pb:
        repo.harvest(pa.url, source="a")
        src = repo.harvest(pb.url, source="b").sources[0]
    assert src.merged.total == 1
    [(oai_id, problem, kept)] = list(src.license_problems)
    assert oai_id == "oai:b:9" and "CC BY-NC 4.0" in problem and "'a-1'" in problem


def test_sets_are_harvested_one_after_the_other(repo):
    recs = simple_records(6)
    for i, r in enumerate(recs):
        r.sets = ("physics",) if i % 2 else ("biology",)
    with Partner(recs, sets=(("physics", "Physics"), ("biology", "Biology"), ("art", "Art"))) as partner:
        report = repo.harvest(partner.url, set_specs=["physics"])
    assert report.sources[0].new == 3
    assert repo.get("partner-2").provenance[0].set_specs == ("physics",)


def test_unknown_url_or_name_is_a_clear_error(repo):
    with pytest.raises(HarvestError, match="neither a registered source nor an http"):
        repo.harvest("nosuchsource")
    with pytest.raises(HarvestError, match="without '\\?verb"):
        repo.harvest("http://127.0.0.1:1/oai?verb=Identify")


def test_unreachable_partner_is_an_error_not_a_traceback(repo):
    with pytest.raises(HarvestError, match="could not be reached"):
        repo.harvest("http://127.0.0.1:9/oai", retries=0, timeout=0.5)


class _Counting(Repository):
    """Counts how often the search index is asked to follow the store."""

    follows = 0

    def _changed(self) -> None:
        type(self).follows += 1
        super()._changed()


def _harvesting_beside(aside) -> type[_Counting]:
    """A repository whose harvests keep the index up through ``aside(search service)`` instead
    of the search service itself (an index that takes no records, a second process that fails)."""
    from oerrepo.harvesters.api import Harvester

    class Beside(_Counting):
        def _compose(self, store):
            parts = super()._compose(store)
            parts.harvests = Harvester(store, follow=self._changed, aside=aside(parts.search),
                                       setting=store.get_setting)
            return parts

    return Beside


def test_the_search_index_follows_a_harvest_in_batches_and_is_current_at_its_end(data_dir, monkeypatch):
    monkeypatch.setattr(_Counting, "follows", 0)
    with _Counting(data_dir) as repo:
        with Partner(simple_records(25), page_size=10) as partner:
            assert repo.harvest(partner.url, source="partner", **FAST).sources[0].pages == 3
        assert _Counting.follows == 1  # once, at the end (a short harvest)
        assert [hit.id for hit in repo.search("Blueprint number 17").hits][:1] == ["partner-17"]
        assert repo.search("Blueprint").total == 25


def _slow_pages(partner: Partner) -> None:
    # pages slower than the second process's polls, so it adds to a writer it keeps
    partner.on_request = lambda args: time.sleep(0.3) if args.get("verb") == "ListRecords" else None


def test_a_long_harvest_gives_the_index_its_new_records_with_their_pages(data_dir, monkeypatch):
    import multiprocessing

    from oerrepo.harvesters import loop

    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)  # as if every page came after ten seconds
    helpers: list[list[str]] = []
    with Repository(data_dir) as repo:
        # more records than a multi-process index writer hands a sub-process at once (100)
        with Partner(simple_records(300), page_size=50) as partner:
            _slow_pages(partner)
            report = repo.harvest(partner.url, source="partner", **FAST, progress=lambda **_: helpers.append(
                [p.name for p in multiprocessing.active_children()]))
        assert report.sources[0].pages == 6
        # Fed from the second page on, the index's own processes analyse the records (Whoosh's
        # writer processes, started by its first hundred, or PostgreSQL's row builders: an
        # executor's spawned processes); no second process follows the store.
        assert all(any(n.startswith(("oerrepo-index-writer", "SpawnProcess")) for n in names)
                   for names in helpers[2:]), helpers
        assert not any("oerrepo-index" in names for names in helpers)
        assert not multiprocessing.active_children()  # stopped when the harvest returned...
        result = repo.search("Blueprint")  # ...with the index current, each record under its source
        assert result.total == 300 and result.facets["source"] == {"partner": 300}
        assert [hit.id for hit in repo.search("Blueprint number 217").hits][:1] == ["partner-217"]


def test_the_command_says_when_it_writes_the_index_after_a_long_harvest(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from oerrepo.cli import cli
    from oerrepo.harvesters import loop

    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)
    with Partner(simple_records(300), page_size=50) as partner:
        long = CliRunner().invoke(cli, ["--data", str(tmp_path / "d"), "harvest", partner.url])
    with Partner(simple_records(20), page_size=50) as partner:
        short = CliRunner().invoke(cli, ["--data", str(tmp_path / "e"), "harvest", partner.url])
    assert long.exit_code == 0 and short.exit_code == 0, long.output + short.output
    said = "writing the search index for the records harvested"
    assert said in long.output and said not in short.output  # a short one's index is written at once


def test_a_long_harvest_that_fails_leaves_the_index_holding_the_pages_it_stored(data_dir, monkeypatch):
    from oerrepo.harvesters import loop

    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)  # records fed to the index from the second page on
    with Repository(data_dir) as repo:
        with Partner(simple_records(300), page_size=50) as partner:
            partner.fault("none", times=4)  # four pages are served, then the partner fails
            partner.fault("500", times=10)
            with pytest.raises(HarvestError):
                repo.harvest(partner.url, source="partner", **FAST)
        assert repo.count() == 200
    with Repository(data_dir) as again:  # the index files themselves, read afresh
        result = again.search("Blueprint")
        assert result.total == 200 and result.facets["source"] == {"partner": 200}
        assert [hit.id for hit in again.search("Blueprint number 187").hits][:1] == ["partner-187"]


def test_a_long_harvest_stopped_by_ctrl_c_leaves_the_index_to_the_next_catch_up(data_dir, monkeypatch):
    import threading

    from oerrepo.harvesters import loop

    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)  # records fed to the index from the second page on
    pages: list[int] = []

    def interrupt_at_page_four(**counts) -> None:
        pages.append(counts["pages"])
        if len(pages) == 4:
            raise KeyboardInterrupt

    with Repository(data_dir) as repo:
        with Partner(simple_records(300), page_size=50) as partner:
            with pytest.raises(KeyboardInterrupt):
                repo.harvest(partner.url, source="partner", progress=interrupt_at_page_four, **FAST)
        assert repo.count() == 200
        found: list[int] = []  # as a web server's request thread would search
        other = threading.Thread(target=lambda: found.append(repo.search("Blueprint").total))
        other.start()
        other.join()
        assert found == [200]


def test_where_the_index_takes_no_records_a_second_process_follows_the_harvest(data_dir, monkeypatch):
    import multiprocessing

    from oerrepo.harvesters import loop

    class NotFeeding:
        """An index that another writer holds whenever the harvest offers it records."""

        def __init__(self, search):
            self.start_background, self.stop_background = search.start_background, search.stop_background

        def feed(self, resources, conn) -> bool:
            return False

    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)
    helpers: list[list[str]] = []
    with _harvesting_beside(NotFeeding)(data_dir) as repo:
        with Partner(simple_records(300), page_size=50) as partner:
            _slow_pages(partner)
            report = repo.harvest(partner.url, source="partner", **FAST, progress=lambda **_: helpers.append(
                [p.name for p in multiprocessing.active_children()]))
        assert report.sources[0].pages == 6 and all("oerrepo-index" in names for names in helpers[1:]), helpers
        # it indexed everything itself: nothing failed there and left the work to this process
        assert not [n for n in report.sources[0].notes if "indexing process" in n], report.sources[0].notes
        assert not multiprocessing.active_children()
        assert repo.search("Blueprint").total == 300


class _BrokenFollower:
    """An index follower whose index cannot be written (spawned: defined at module level)."""

    def catch_up(self, *, commit: bool = True) -> None:
        raise OSError("No space left on device")

    def close(self) -> None:
        pass


def test_a_second_indexing_process_that_fails_says_why_when_stopped():
    from oerrepo.index.background import BackgroundIndexer

    indexer = BackgroundIndexer(_BrokenFollower)
    assert indexer.start()
    assert indexer.stop() == "it stopped: No space left on device"


def test_a_harvest_whose_second_indexing_process_failed_says_so_and_indexes_itself(data_dir, monkeypatch):
    from oerrepo.harvesters import loop

    class Failing:
        """An index that takes no records with their pages; a second indexing process that
        started, then stopped on an error."""

        def feed(self, resources, conn) -> bool:
            return False

        def start_background(self) -> bool:
            return True

        def stop_background(self, *, wait: bool = True) -> str | None:
            return "it stopped: No space left on device"

    BrokenSecondProcess = _harvesting_beside(lambda search: Failing())
    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)
    monkeypatch.setattr(_Counting, "follows", 0)
    with BrokenSecondProcess(data_dir) as repo:
        with Partner(simple_records(30), page_size=10) as partner:
            report = repo.harvest(partner.url, source="partner", **FAST)
        assert "the second indexing process failed (it stopped: No space left on device); this process indexed " \
            "the records instead" in report.sources[0].notes
        # after the first page (as a due one), then only at the end, by this process
        assert BrokenSecondProcess.follows == 2
        assert repo.search("Blueprint").total == 30


def test_a_failed_harvest_still_brings_the_index_up_to_the_pages_it_stored(data_dir, monkeypatch):
    monkeypatch.setattr(_Counting, "follows", 0)
    with _Counting(data_dir) as repo:
        with Partner(simple_records(30), page_size=10) as partner:
            partner.fault("none", times=2)  # two pages are served normally, then the partner fails
            partner.fault("500", times=10)
            with pytest.raises(HarvestError):
                repo.harvest(partner.url, source="partner", **FAST)
        assert _Counting.follows == 1  # when the harvest stopped, not at the next search
        assert repo.count() == 20
        assert repo.search("Blueprint").total == 20


# --------------------------------------------------------------------------- records no longer listed


def test_a_full_harvest_deletes_what_the_partner_no_longer_lists(repo):
    records = simple_records(25)
    with Partner(records, page_size=10) as partner:
        repo.harvest(partner.url, source="p", **FAST)
        del partner.records[3]  # oai:partner.test:4, gone without a deleted header
        del partner.records[20]  # oai:partner.test:22
        incremental = repo.harvest("p").sources[0]
        assert incremental.unlisted == 0 and "partner-4" in repo  # a list with 'from' is not all
        report = repo.harvest("p", full=True).sources[0]
    assert (report.complete, report.unlisted, report.deleted, report.unchanged) == (True, 2, 2, 23)
    assert "partner-4" not in repo and "partner-22" not in repo
    assert repo.get("partner-4", include_deleted=True).deleted
    assert repo.count() == 23
    assert repo.history("partner-22")[-1].origin == "harvest:p"
    assert report.to_dict()["unlisted"] == 2 and "(2 no longer listed)" in report.summary()


def test_a_record_another_source_still_provides_is_kept_when_one_stops_listing_it(repo):
    shared = dc("Seed bombs for the school fence", creators=["Ana Lima"], identifiers=["https://doi.org/10.5281/zenodo.77"],
                rights=["CC-BY-4.0"])
    with Partner([Rec("oai:a.test:1", "2024-01-01T00:00:00Z", shared)] + simple_records(3)) as a, \
            Partner([Rec("oai:b.test:9", "2024-01-01T00:00:00Z", shared)]) as b:
        repo.harvest(a.url, source="a", **FAST)
        repo.harvest(b.url, source="b", **FAST)
        del a.records[0]
        report = repo.harvest("a", full=True).sources[0]
    assert (report.unlisted, report.deleted) == (1, 0)
    (rid,) = [r.id for r in repo.iter() if r.name == "Seed bombs for the school fence"]
    assert [(p.source, p.deleted) for p in repo.get(rid).provenance] == [("b", False), ("a", True)]


def test_a_list_that_lost_most_records_deletes_nothing_unless_allowed(repo):
    with Partner(simple_records(30), page_size=10) as partner:
        repo.harvest(partner.url, source="p", **FAST)
        partner.records = partner.records[:4]
        kept = repo.harvest("p", full=True).sources[0]
        assert (kept.complete, kept.unlisted, kept.deleted) == (True, 0, 0)
        assert repo.count() == 30
        assert any("26 of the 30 records" in n and "--allow-mass-deletion" in n for n in kept.notes)
        allowed = repo.harvest("p", full=True, allow_mass_deletion=True).sources[0]
    assert (allowed.unlisted, allowed.deleted) == (26, 26)
    assert repo.count() == 4


def test_an_empty_list_from_the_beginning_deletes_nothing_unless_allowed(repo):
    with Partner(simple_records(3)) as partner:
        repo.harvest(partner.url, source="p", **FAST)
        partner.records = []  # the partner answers noRecordsMatch
        kept = repo.harvest("p", full=True).sources[0]
        assert (kept.complete, kept.unlisted, repo.count()) == (True, 0, 3)
        assert any("that is all of them" in n for n in kept.notes)
        assert repo.harvest("p", full=True, allow_mass_deletion=True).sources[0].deleted == 3
    assert repo.count() == 0


def test_the_next_pages_are_asked_for_while_this_one_is_stored_but_not_more_than_two_ahead(data_dir):
    stored_when_asked: list[int] = []
    with Repository(data_dir) as repo, Partner(simple_records(500), page_size=100) as partner:
        repo.store
        partner.on_request = lambda args: "resumptionToken" in args and stored_when_asked.append(repo.count())
        report = repo.harvest(partner.url, source="p", **FAST).sources[0]
        assert (report.pages, report.new, repo.count()) == (5, 500, 500)
    # Page p (2 to 5) was asked for before page p - 1 was committed, and only once the harvest
    # had taken page p - 2 to store it (so after page p - 3 was committed).
    assert len(stored_when_asked) == 4
    for page, stored in enumerate(stored_when_asked, start=2):
        assert max(0, 100 * (page - 3)) <= stored <= 100 * (page - 2), stored_when_asked


def test_a_record_another_partner_also_provides_is_served_again_with_its_new_provenance(repo):
    shared = dc("Bee hotels", creators=["Maria Silva"], rights=["CC-BY-4.0"], identifiers=["https://doi.org/10.1234/bee"])
    with Partner([Rec("oai:a:1", "2024-01-01T00:00:00Z", shared)]) as pa, \
            Partner([Rec("oai:b:9", "2024-01-01T00:00:00Z", shared)]) as pb:
        repo.harvest(pa.url, source="a")
        assert [hit.id for hit in repo.search("bee", source="b").hits] == []
        seq_before = repo.get("a-1").seq
        assert repo.harvest(pb.url, source="b").sources[0].merged.total == 1
        # The merge is a revision of its own: the search facet, exports and feeds see partner b at once.
        assert [hit.id for hit in repo.search("bee", source="b").hits] == ["a-1"]
        latest = repo.history("a-1")[-1]
        assert (latest.action, latest.changed, latest.origin) == ("update", ("provenance",), "harvest:b")
        assert repo.get("a-1").seq > seq_before
        # Harvested again unchanged, nothing moves.
        seq_merged = repo.get("a-1").seq
        repo.harvest("a", full=True)
        repo.harvest("b", full=True)
        assert repo.get("a-1").seq == seq_merged


def test_where_no_second_process_can_start_the_harvest_asks_once_and_indexes_itself(data_dir, monkeypatch):
    from oerrepo.harvesters import loop

    class Refusing:
        """An index that takes no records with their pages, and a second indexing process that
        cannot start (as where spawning is not allowed)."""

        def feed(self, resources, conn) -> bool:
            return False

        def start_background(self) -> bool:
            NoSecondProcess.asked += 1
            return False

        def stop_background(self, *, wait: bool = True) -> None:
            raise AssertionError("never started")

    class NoSecondProcess(_harvesting_beside(lambda search: Refusing())):
        asked = 0

    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)
    monkeypatch.setattr(_Counting, "follows", 0)
    with NoSecondProcess(data_dir) as repo:
        with Partner(simple_records(30), page_size=10) as partner:
            repo.harvest(partner.url, source="partner", **FAST)
        assert NoSecondProcess.asked == 1
        assert NoSecondProcess.follows == 3  # after every page (each one 'due' here), none left at the end
        assert repo.search("Blueprint").total == 30
