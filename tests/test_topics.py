"""The topic vocabulary's compiled matchers, kept beside the index for the next process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from oerrepo import Repository

ROOT = Path(__file__).resolve().parents[1]

# A new process (as a cold `oerrepo search` is) tagging query words with the kept matchers.
_TAG = """
import json, sys
from oerrepo.index import topics
topics.keep_compiled(sys.argv[1], sys.argv[2])
print(json.dumps(sorted({t for t, *_ in topics.tag_words(["climate", "change", "bees"], "en", query=True)})))
"""


def _tag(folder: Path, version: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _TAG, str(folder), version], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return json.loads(done.stdout)


def test_a_new_process_reads_the_kept_matchers_and_rewrites_those_of_another_version(tmp_path):
    kept = tmp_path / "topic-matchers.json"
    found = _tag(tmp_path, "v1")
    assert {"climate-change", "bees-pollinators"} <= set(found), found
    data = json.loads(kept.read_text(encoding="utf-8"))
    assert data["version"].startswith("v1 PyStemmer ")
    # What the next process finds comes from the file: take English's "bee" labels out of it.
    english = data["languages"]["en"]["by_stem"]
    for stem in [s for s, labels in english.items() if any(t == "bees-pollinators" for _, t in labels)]:
        del english[stem]
    kept.write_text(json.dumps(data), encoding="utf-8")
    assert "bees-pollinators" not in _tag(tmp_path, "v1")
    # Another version (an edited vocabulary, another analysis): compiled and written anew.
    assert _tag(tmp_path, "v2") == found
    assert json.loads(kept.read_text(encoding="utf-8"))["version"].startswith("v2 ")
    kept.write_text("{not json", encoding="utf-8")
    assert _tag(tmp_path, "v2") == found
    assert json.loads(kept.read_text(encoding="utf-8"))["version"].startswith("v2 ")


def test_a_cold_search_keeps_the_matchers_in_the_index_folder(tmp_path):
    repo = Repository(tmp_path / "data")
    try:
        repo.add({"id": "t-bees", "name": {"en": "Bee hotel"}, "license": "CC0-1.0", "inLanguage": ["en"]})
    finally:
        repo.close()
    search = [sys.executable, "-m", "oerrepo", "--data", str(tmp_path / "data"), "search", "Bienen"]
    first = subprocess.run(search, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert "t-bees" in first
    assert (tmp_path / "data" / "index" / "topic-matchers.json").is_file()
    assert subprocess.run(search, capture_output=True, text=True, check=True, cwd=ROOT).stdout == first


def _analysed(text: str, lang: str) -> tuple[list[str], list[str]]:
    """A text as the indexing reads it: its words that are not stop words, folded, and their stems."""
    from oerrepo.index.analysis import fold, primary_language, stems_of, stopwords, words_of

    lang = primary_language(lang)
    folded = [fold(w) for w in words_of(text) if fold(w) not in stopwords(lang)]
    return folded, stems_of(folded, lang)


def test_an_indexed_text_names_the_topics_a_query_of_the_same_words_names_once_a_mention():
    from importlib.resources import files

    from oerrepo.index import topics
    from oerrepo.index.analysis import words_of

    texts = [
        ("de", "Wasserqualität"), ("de", "Klimawandel und Klima"), ("de", "Qualität des Wassers im Fluss"),
        ("en", "Solar energy"), ("en", "solar energy, solar panels and energy from the sun"),
        ("it", "energia solare"), ("el", "κλίμα"), ("en", "climate change climate change"),
    ]
    for resource in json.loads(files("oerrepo.samples").joinpath("blueprints.json").read_text(encoding="utf-8")):
        for field in ("name", "description"):
            if isinstance(resource.get(field), dict):
                texts += resource[field].items()
    assert len(texts) > 100
    found = 0
    for lang, text in texts * 2:  # the second time, short texts come from what the first found
        expected = [(t, whole) for t, _, _, whole in topics.tag_words(words_of(text), lang)]
        assert list(topics.tag_analysed(*_analysed(text, lang), lang)) == expected, (lang, text)
        found += len(expected)
    assert found > 200
    assert [t for t, _ in topics.tag_analysed(*_analysed("Wasserqualität", "de"), "de")] != []
