"""Cross-language topics: the multilingual topic vocabulary, found in texts and in queries.

``oerrepo/schemas/topics.json`` lists the topics Open Schooling resources are about
(the SDGs' themes, school science subjects, common activities), each with labels in
the languages we carry records in (see its ``sources``). A text is tagged with the
topics whose label it holds, in the text's own language: the label's words, stemmed
and without stop words, within a few words of each other ("Qualität des Wassers"
holds "Wasserqualität"'s other label "Qualität Wasser"), or, in the languages that
write compounds as one word, as the head or tail of a compound ("Klimawandel" holds
"Klima"). A query is tagged the same way in every language, so ``κλίμα``,
``Klimawandel`` and ``climate change`` meet at the topics they name.

The index stores a document's topic ids as tokens (``topic`` kind); the query planner
adds a query word's topics as alternatives of the word.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path

from .analysis import COMPOUND_LANGUAGES, fold, primary_language, stem, stems_of, stopwords, words_of

__all__ = ["Topic", "topics", "tag_text", "tag_words", "tag_analysed", "vocabulary_version", "keep_compiled"]

# A compound's part must leave at least this many letters to the other part.
_MIN_PART = 3
# A label word shorter than this is never looked for inside a compound ("ar", "sol").
_MIN_COMPOUND_LABEL = 4


@dataclass(frozen=True)
class Topic:
    """One topic: its id and its labels by language (the first label is the preferred one)."""

    id: str
    labels: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class _Matcher:
    # Sequences: tuples when compiled here, lists when read from a kept file (labels are tuples).
    by_stem: Mapping[str, Sequence[tuple[tuple[str, ...], str]]]  # stem -> (label stems, topic id)
    parts: Mapping[str, Collection[str]]  # folded label word or its stem -> topic ids (one-word labels)


@cache
def _data() -> dict:
    return json.loads(files("oerrepo.schemas").joinpath("topics.json").read_text(encoding="utf-8"))


@cache
def vocabulary_version() -> str:
    """A short fingerprint of the topic vocabulary: an index tagged with another one is rebuilt."""
    import hashlib

    text = files("oerrepo.schemas").joinpath("topics.json").read_bytes()
    return hashlib.sha1(text).hexdigest()[:10]


@cache
def topics() -> tuple[Topic, ...]:
    """Every topic of the vocabulary, in its order."""
    out = []
    for entry in _data()["topics"]:
        labels = {
            lang: tuple(label.strip() for label in value.split("|") if label.strip())
            for lang, value in entry.items()
            if lang != "id"
        }
        out.append(Topic(entry["id"], labels))
    return tuple(out)


log = logging.getLogger(__name__)

# Where the compiled matchers of every language are kept (see keep_compiled), and for which version.
_COMPILED_FILE = "topic-matchers.json"
_kept: tuple[Path, str] | None = None
_kept_lock = threading.Lock()


def keep_compiled(folder: str | os.PathLike, version: str) -> None:
    """Keep the compiled label matchers of every language in ``folder`` (an index's folder),
    for an index of analysis ``version``: the first query of a new process reads them there
    instead of stemming every label of every language again (tens of milliseconds, which a
    cold ``oerrepo search`` feels). A file of another version is compiled and written anew."""
    global _kept
    with _kept_lock:
        # The matchers depend on the version only: those of this process serve every folder.
        if _kept is None or _kept[1] != version:
            _kept = (Path(folder), version)
            _matcher.cache_clear()
            _compiled.cache_clear()
            _indexed_compound.cache_clear()
            _tagged_short.cache_clear()


@cache
def _matcher(lang: str) -> _Matcher:
    compiled = _compiled()
    if compiled is not None:
        return compiled.get(lang) or _Matcher({}, {})
    return _compile(lang)


@cache
def _compiled() -> dict[str, _Matcher] | None:
    """Every language's matcher, read from the kept file (written first when missing or of another
    version); None when no folder is kept."""
    if _kept is None:
        return None
    import Stemmer  # loaded already by .analysis

    folder, version = _kept[0], f"{_kept[1]} PyStemmer {Stemmer.version()}"  # its stems are in the file
    path = folder / _COMPILED_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") == version:
            # Labels as tuples (they key caches); topic id lists as JSON reads them.
            return {
                lang: _Matcher({s: [(tuple(label), t) for label, t in v] for s, v in m["by_stem"].items()}, m["parts"])
                for lang, m in data["languages"].items()
            }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # missing, unreadable or of another form: compiled again below
    langs = sorted({lang for topic in topics() for lang in topic.labels})
    matchers = {lang: _compile(lang) for lang in langs}
    data = {
        "version": version,
        "languages": {
            lang: {"by_stem": {s: [[list(label), t] for label, t in v] for s, v in m.by_stem.items()},
                   "parts": {w: sorted(ids) for w, ids in m.parts.items()}}
            for lang, m in matchers.items()
        },
    }
    try:
        if folder.is_dir():
            temporary = folder / f".{_COMPILED_FILE}.{os.getpid()}.{threading.get_ident()}"
            temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, path)  # readers see the old file or the whole new one
    except OSError as exc:
        log.debug("the compiled topic matchers could not be kept in %s: %s", folder, exc)
    return matchers


def _compile(lang: str) -> _Matcher:
    by_stem: dict[str, list] = {}
    parts: dict[str, set[str]] = {}
    for topic in topics():
        for label in topic.labels.get(lang, ()):
            words = words_of(label)
            stems = tuple(stems_of([fold(w) for w in words], lang))
            if not stems:
                continue
            for s in dict.fromkeys(stems):
                by_stem.setdefault(s, []).append((stems, topic.id))
            if len(words) == 1 and lang in COMPOUND_LANGUAGES and len(fold(words[0])) >= _MIN_COMPOUND_LABEL:
                parts.setdefault(fold(words[0]), set()).add(topic.id)
                if len(stems[0]) >= _MIN_COMPOUND_LABEL:
                    parts.setdefault(stems[0], set()).add(topic.id)
    return _Matcher(
        {s: tuple(v) for s, v in by_stem.items()},
        {w: frozenset(v) for w, v in parts.items()},
    )


def _compound_topics(word: str, lang: str, parts: Mapping[str, Collection[str]], query: bool = False) -> set[str]:
    """Topics named by the head or the tail of a compound word ('sonnenenergie': sun, energy)."""
    found: set[str] = set()
    n = len(word)
    for k in range(_MIN_PART, n - _MIN_PART + 1):
        head, tail = word[:k], word[k:]
        if len(tail) >= _MIN_COMPOUND_LABEL:
            hit = parts.get(tail) or parts.get(stem(tail, lang, query=query))
            if hit:
                found.update(hit)
        if len(head) >= _MIN_COMPOUND_LABEL:
            hit = parts.get(head) or parts.get(stem(head, lang, query=query))
            if hit:
                found.update(hit)
    return found


def tag_words(words: list[str], lang: str, *, query: bool = False) -> list[tuple[str, int, int, bool]]:
    """(topic id, first word, last word + 1, whole) for each topic named in lower-cased words of
    one language; ``whole`` is False where a label is only part of a compound word. ``query``:
    the words come from a search (stemmed without the indexing caches, which they would fill)."""
    lang = primary_language(lang)
    if not _matcher(lang).by_stem:
        return []
    # Stems keep the places of their words, stop words left out.
    stop = stopwords(lang)
    places = [i for i, w in enumerate(words) if fold(w) not in stop]
    folded = [fold(words[i]) for i in places]
    return _tag(places, folded, stems_of(folded, lang, query=query), lang, query)


def tag_analysed(folded: list[str], stems: list[str], lang: str) -> Sequence[tuple[str, bool]]:
    """The topics named in a text being indexed, analysed already (its words that are not
    stop words, folded, and the stems of those): (topic id, whole) once per mention, as
    :func:`tag_words` finds them."""
    lang = primary_language(lang)
    if len(stems) <= _SHORT_TEXT:
        return _tagged_short(tuple(folded), tuple(stems), lang)
    return _mentions(folded, stems, lang)


def _mentions(folded: Sequence[str], stems: Sequence[str], lang: str) -> list[tuple[str, bool]]:
    # Where a mention is does not matter here, only that two mentions are two.
    return [(topic_id, whole) for topic_id, _, _, whole in _tag(range(len(stems)), folded, stems, lang, False)]


# Keywords and titles are short and repeat from record to record ("Klimawandel", "Solar
# energy"): two of three texts of a catalogue are such, and a sixth of those new. Their
# topics are found once. Only indexed text comes here, as for _indexed_compound. The most
# recent 2,048 answer 83 % of them (as many as 16,384 do in the benchmark records and the
# search-eval corpus), and a bound reached early keeps a long job's memory from growing.
_SHORT_TEXT = 4  # words, stop words left out


@lru_cache(maxsize=2048)
def _tagged_short(folded: tuple[str, ...], stems: tuple[str, ...], lang: str) -> tuple[tuple[str, bool], ...]:
    return tuple(_mentions(folded, stems, lang))


def _tag(places: Sequence[int], folded: Sequence[str], stems: Sequence[str], lang: str,
         query: bool) -> list[tuple[str, int, int, bool]]:
    matcher = _matcher(lang)
    by_stem = matcher.by_stem
    if not by_stem:
        return []
    found: dict[tuple[str, int, int, bool], None] = {}
    present: set[str] | None = None
    complete: dict[tuple[str, ...], bool] = {}  # has the text every stem of this label at all?
    # Most words name no topic: they are passed over in one comprehension, not one loop turn each.
    for j in [j for j, s in enumerate(stems) if s in by_stem]:
        for label, topic_id in by_stem[stems[j]]:
            n = len(label)
            if n == 1:
                found[(topic_id, places[j], places[j] + 1, True)] = None
                continue
            if present is None:
                present = set(stems)
            ok = complete.get(label)
            if ok is None:
                ok = complete[label] = present.issuperset(label)
            if not ok:
                continue
            lo = max(0, j - n)
            window = stems[lo : j + n + 1]
            if all(map(window.__contains__, label)):
                used = [lo + window.index(x) for x in label]
                found[(topic_id, places[min(used)], places[max(used)] + 1, True)] = None
    if lang in COMPOUND_LANGUAGES and matcher.parts:
        whole = {(t, s) for t, s, _, _ in found}
        for i, word in zip(places, folded):
            if len(word) >= _MIN_COMPOUND_LABEL + _MIN_PART:
                inside = _compound_topics(word, lang, matcher.parts, True) if query else _indexed_compound(word, lang)
                for topic_id in inside:
                    if (topic_id, i) not in whole:
                        found[(topic_id, i, i + 1, False)] = None
    return list(found)


# The words of indexed texts repeat (a catalogue's vocabulary is far smaller than its text):
# each word is split once. Query words never come here (anyone can make new ones up).
@lru_cache(maxsize=65_536)
def _indexed_compound(word: str, lang: str) -> tuple[str, ...]:
    return tuple(sorted(_compound_topics(word, lang, _matcher(lang).parts)))


def tag_text(texts: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The topic ids of (language, text) pairs, each text read in its own language, once per
    mention: (topics named by a whole label, topics named only inside a compound word)."""
    whole: list[str] = []
    parts: list[str] = []
    for lang, text in texts:
        for topic_id, _, _, is_whole in tag_words(words_of(text), lang):
            (whole if is_whole else parts).append(topic_id)
    return whole, parts
