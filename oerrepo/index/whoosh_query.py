"""A planned query (see :mod:`.query`) as a Whoosh query, and the Whoosh index as a :class:`~.query.Lexicon`."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from whoosh import query as wq

from .analysis import folded_words, primary_language
from .docsets import TextPhrase
from .query import TEXT_FIELDS, _all_stopwords, lookup_each
from .schema import BOOSTS

__all__ = ["compile_tree", "coordination_groups", "WhooshLexicon"]

_KIND_FIELDS = {"word": ("title", "keywords", "description", "body"), "stem": ("stems",), "topic": ("topics",),
                "part": ("parts",)}
_FACET_PROPS = ("license", "sdg", "learningResourceType", "educationalLevel", "audience", "inLanguage", "source")


def _alt(alt: tuple, field_name: str | None) -> wq.Query:
    kind = alt[0]
    if kind == "word":
        fields = (alt[1],) if alt[1] else (field_name,) if field_name else TEXT_FIELDS
        terms = [wq.Term(f, alt[2], boost=BOOSTS[f] * alt[3]) for f in fields]
        return terms[0] if len(terms) == 1 else wq.Or(terms)
    if kind == "stem":
        return wq.Term("stems", alt[1], boost=BOOSTS["stems"] * alt[2])
    if kind in ("topic", "part"):
        return wq.Term(kind + "s", alt[1], boost=BOOSTS[kind + "s"] * alt[2])
    if kind == "concept":
        return wq.ConstantScoreQuery(wq.Term(alt[1], alt[2]), alt[3])
    if kind == "split":
        parts = [wq.Or([_alt(a, None) for a in part]) if part else wq.NullQuery for part in alt[2]]
        return wq.And(parts, boost=alt[1])
    raise ValueError(f"unknown alternative {alt!r}")


def _phrase(field_name: str | None, text: str) -> wq.Query:
    words = folded_words(text)
    if not words:
        return wq.NullQuery
    stop = _all_stopwords()
    content = [w for w in dict.fromkeys(words) if w not in stop] or list(dict.fromkeys(words))
    fields = (field_name,) if field_name else TEXT_FIELDS
    per_field = []
    for f in fields:
        terms = [wq.Term(f, w, boost=BOOSTS[f]) for w in content if w not in stop or len(content) == len(words)]
        per_field.append(wq.And(terms) if len(terms) > 1 else terms[0] if terms else wq.Every())
    any_field = per_field[0] if len(per_field) == 1 else wq.Or(per_field)
    # A single word needs no check of its neighbours.
    return TextPhrase(any_field, field_name, tuple(words)) if len(words) > 1 else any_field


def compile_tree(tree: tuple) -> wq.Query:
    """The Whoosh query of a planned tree (see :class:`~.query.Plan`)."""
    kind = tree[0]
    if kind == "all":
        return wq.Every()
    if kind in ("and", "or", "should"):
        parts = [compile_tree(sub) for sub in tree[1]]
        parts = [p for p in parts if p is not wq.NullQuery]
        if kind == "and":
            return wq.And(parts) if parts else wq.NullQuery
        return wq.Or(parts) if parts else wq.NullQuery
    if kind == "not":
        return wq.Not(compile_tree(tree[1]))
    if kind == "match":
        alts = [_alt(a, None) for a in tree[2]]
        if not alts:
            return wq.NullQuery
        return alts[0] if len(alts) == 1 else wq.Or(alts)
    if kind == "word":  # a field's word (planned words arrive as "match")
        return wq.Term(tree[1], folded_words(tree[2])[0] if folded_words(tree[2]) else tree[2])
    if kind == "phrase":
        return _phrase(tree[1], tree[2])
    if kind == "prefix":
        fields = (tree[1],) if tree[1] else ("title", "keywords", "description", "body")
        parts = [wq.Prefix(f, tree[2], boost=BOOSTS[f]) for f in fields]
        return parts[0] if len(parts) == 1 else wq.Or(parts)
    if kind == "facet":
        prop, values = tree[1], tree[2]
        if prop == "inLanguage":
            parts = [q for v in values for q in (wq.Term(prop, v), wq.Prefix(prop, v + "-"))]
        else:
            parts = [wq.Term(prop, v) for v in values]
        return wq.ConstantScoreQuery(parts[0] if len(parts) == 1 else wq.Or(parts), 0.0)
    if kind == "id":
        return wq.Term("id", tree[1])
    raise ValueError(f"cannot search for {tree!r}")


def coordination_groups(tree: tuple) -> list[tuple]:
    """The parts of a query whose share a record holds raises its rank: the words side by side."""
    if tree[0] == "should":
        return list(tree[1])
    if tree[0] == "and" and tree[1] and tree[1][0][0] == "should":
        return list(tree[1][0][1])
    return [tree]


class WhooshLexicon:
    """What the query planner asks of one searcher generation (see :class:`~.query.Lexicon`)."""

    def __init__(self, searcher, sets, cache: dict):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.sets = sets
        self._cache = cache  # per generation: the joined word list for compound look-ups
        # Whoosh counts the deleted documents of a segment in its frequencies until a merge
        # drops them: a word only deleted records held would look known (and be suggested).
        self._deleted = self.reader.doc_count_all() - self.reader.doc_count()

    def frequencies(self, tokens: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        known = self._cache.setdefault("frequencies", {})  # this generation's answers so far
        out = {}
        for kind, text in tokens:
            n = known.get((kind, text))
            if n is not None:
                if n:
                    out[(kind, text)] = n
                continue
            n = 0
            for f in _KIND_FIELDS[kind]:
                try:
                    n += self.reader.doc_frequency(f, text)
                except Exception:  # a token the field cannot hold
                    continue
            if n and n <= self._deleted:  # all its records may be deleted ones: count the live
                n = sum(self._live(f, text) for f in _KIND_FIELDS[kind])
            if len(known) < 100_000:
                known[(kind, text)] = n
            if n:
                out[(kind, text)] = n
        return out

    def _live(self, field: str, text: str) -> int:
        try:
            return sum(1 for _ in self.reader.postings(field, text).all_ids())  # deleted ones left out
        except Exception:  # noqa: BLE001 - a token the field cannot hold, as above
            return 0

    def languages(self, tokens: list[tuple[str, str]]) -> dict[str, int]:
        bits = 0
        for kind, text in tokens:
            for f in _KIND_FIELDS[kind]:
                bits |= self.sets.term(f, text)
        if not bits:
            return {}
        out: dict[str, int] = {}
        for tag, docs in self.sets.values("inLanguage").items():
            n = (docs & bits).bit_count()
            if n:
                lang = primary_language(tag)
                out[lang] = out.get(lang, 0) + n
        return out

    def _words(self) -> tuple[str, list[int], list[str]]:
        joined = self._cache.get("words")
        if joined is None:
            words: set[str] = set()
            for f in ("title", "keywords", "description"):
                words.update(w.decode("utf-8") if isinstance(w, bytes) else w for w in self.reader.lexicon(f))
            ordered = sorted(words)
            starts, pos = [], 0
            for w in ordered:
                starts.append(pos)
                pos += len(w) + 1
            joined = self._cache["words"] = ("\n".join(ordered) + "\n", starts, ordered)
        return joined

    def compounds(self, word: str, limit: int) -> list[str]:
        text, starts, ordered = self._words()
        found: dict[str, None] = {}
        i = text.find(word)
        scanned = 0
        while i != -1 and scanned < 5000:
            scanned += 1
            k = bisect.bisect_right(starts, i) - 1
            candidate = ordered[k]
            offset = i - starts[k]
            rest = len(candidate) - offset - len(word)
            # Head of a compound (remainder >= 3) or its tail (what precedes >= 3, an ending of <= 3 after).
            if (offset == 0 and rest >= 3) or (offset >= 3 and rest <= 3):
                found[candidate] = None
            i = text.find(word, i + 1)
        if not found:
            return []
        freq = self.frequencies([("word", w) for w in found])
        return sorted(found, key=lambda w: -freq.get(("word", w), 0))[:limit]

    def lookup(self, tokens: list[tuple[str, str]], words: list[str], limit: int):
        return lookup_each(self, tokens, words, limit)

    def prefetch(self, tokens: list[tuple[str, str]]) -> None:
        """Nothing to do: the index is read in this process as it is asked."""

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        found: dict[str, int] = {}
        for f in ("title", "keywords", "description"):
            for candidate in self.reader.terms_within(f, word, maxdist):
                candidate = candidate.decode("utf-8") if isinstance(candidate, bytes) else candidate
                found[candidate] = 0
        freq = self.frequencies([("word", w) for w in found])
        return [(w, freq.get(("word", w), 0)) for w in found]


def iter_terms(q: wq.Query) -> Iterable[tuple[str, str]]:
    """The (field, text) of every term a compiled query holds (for snippets)."""
    for fieldname, text in q.iter_all_terms():
        yield fieldname, text.decode("utf-8") if isinstance(text, bytes) else text
