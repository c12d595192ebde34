"""The search and reindex commands."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from oerrepo import Repository
from oerrepo.cli import cli


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "data"
    with Repository(path) as repo:
        repo.load_samples()
    return path


def run(data, *args):
    return CliRunner().invoke(cli, ["--data", str(data), *args])


def test_search_json_prints_the_documented_object(data):
    result = run(data, "search", "energia", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"total", "hits", "facets", "suggestion"}
    assert out["total"] == len(out["hits"]) or out["total"] > len(out["hits"])
    assert all({"id", "name", "score"} <= set(h) for h in out["hits"])
    assert set(out["facets"]) == {
        "license", "inLanguage", "sdg", "learningResourceType", "educationalLevel", "audience", "source"
    }
    assert out["suggestion"] is None


def test_search_filters_take_short_forms(data):
    out = json.loads(run(data, "search", "--sdg", "7", "--language", "pt", "--license", "cc-by", "--json").output)
    with Repository(data) as repo:
        expected = {
            r.id for r in repo.iter(sdg=7, language="pt")
            if r.license == "https://creativecommons.org/licenses/by/4.0/"
        }
    assert {h["id"] for h in out["hits"]} == expected and expected


def test_search_text_output_shows_hits_and_facets(data):
    result = run(data, "search", "water", "--page-size", "2")
    assert result.exit_code == 0, result.output
    assert "resources found (showing 1-2" in result.output
    assert "Licence: CC-BY-4.0" in result.output
    assert "SDG 6 (" in result.output  # water quality: SDG 6 among the counts


def test_a_hit_without_a_language_says_so(tmp_path):
    with Repository(tmp_path / "d") as repo:
        repo.add({"id": "bare", "name": "Seed bombs for bare ground", "license": "CC0-1.0"})
        repo.add({"id": "full", "name": "Seed bombs in Porto", "license": "CC-BY-4.0", "inLanguage": ["pt"]})
    result = run(tmp_path / "d", "search", "seed bombs")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.endswith("Seed bombs for bare ground  [CC0-1.0; language not given]") for line in lines)
    assert any(line.endswith("Seed bombs in Porto  [CC-BY-4.0; pt]") for line in lines)


def test_misspelt_query_suggests(data):
    result = run(data, "search", "watr")
    assert "Did you mean: water" in result.output


def test_bad_filter_is_one_clear_error(data):
    result = run(data, "search", "water", "--type", "spaceship")
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot filter by learningResourceType 'spaceship'")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("query", ['"unbalanced', "((", "AND", "NOT", "nosuchfield:x", ":", "*", '"" ()'])
def test_odd_queries_never_trace_back(data, query):
    result = run(data, "search", query, "--json")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert "total" in json.loads(result.output)


def test_reindex(data):
    result = run(data, "reindex", "--json")
    assert result.exit_code == 0, result.output
    with Repository(data) as repo:
        assert json.loads(result.output) == {"indexed": repo.count()}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_licence_filter_without_a_version_takes_every_version(repo_factory):
    # A teacher filtering by "CC BY-NC" wants the NC resources whatever their version; a
    # version given, or another licence of the family (BY-NC-SA), narrows as before.
    repo = repo_factory()
    for rid, lic in (("a", "CC BY-NC 2.0"), ("b", "CC BY-NC 3.0"), ("c", "CC-BY-NC-4.0"), ("d", "CC BY-NC-SA 4.0"),
                     ("e", "CC BY 4.0"), ("f", "https://creativecommons.org/licenses/by-nc/3.0/de/")):
        repo.add({"id": rid, "name": f"Pond survey {rid}", "license": lic})

    def found(*filters: str) -> set[str]:
        return {hit.id for hit in repo.search("pond", license=list(filters), page_size=50).hits}

    assert found("CC BY-NC") == found("cc-by-nc") == {"a", "b", "c", "f"}
    assert found("CC BY-NC 3.0") == {"b"}
    assert found("CC BY") == {"e"}  # BY alone, never BY-NC
    assert found("CC BY-NC-SA") == {"d"}
    # listing and counting read the filter the same way
    assert {r.id for r in repo.iter(license="CC BY-NC")} == {"a", "b", "c", "f"}
    assert repo.count(license="CC BY-NC") == 4 and repo.count(license="CC-BY-NC-4.0") == 1
