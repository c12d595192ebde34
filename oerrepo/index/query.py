"""What a person types, read and planned once for every search backend.

:func:`parse` reads the query language into a small tree of tuples: words (several
words side by side: any may match, records holding more of them rank higher),
``"phrases"``, ``AND`` (every part) / ``OR`` / ``NOT``, brackets, ``field:value``
(``title:``, ``keywords:``, ``description:``, ``author:``, and the facets
``license:``, ``language:``, ``sdg:``, ``type:``, ``level:``, ``audience:``,
``source:``, ``id:``) and ``prefix*``. An unbalanced quote or bracket, a lone
operator or an unknown field is repaired, and a note says how the query was read.

:func:`plan` turns each word into the tokens that may stand for it in the index (see
:mod:`.analysis` and :mod:`.topics`), asking the backend's :class:`Lexicon` what the
index holds:

- the word itself (folded), and its stems in every stemmed language;
- the topics it names in any language (so ``κλίμα`` meets ``Klimawandel``), and the
  vocabulary concepts (SDGs, resource types, levels, audiences) whose label holds it;
- compounds: a word the index splits into two indexed parts (``Bienenhotel``: "Bienen"
  and "Hotel") and the indexed compounds a word heads or ends (``Biene``: "Wildbienen");
- a misspelt word (one the index does not hold in any form) is replaced by its likeliest
  correction, if one leads to results; the corrected query is the suggestion.

It also guesses the query's language from the languages of the records holding its
words, so a backend can rank records in that language first. Each backend compiles
the planned tree into its own query (:mod:`.whoosh_query`, :mod:`.postgres`).

The work one query may cause is bounded: at most :data:`MAX_WORDS` words are read,
:data:`MAX_CORRECTIONS` words corrected and :data:`MAX_COMPOUNDS` compounds added a word.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from .. import licenses, vocabularies
from ..errors import InvalidResource, SearchError
from ..model import FACETS
from .analysis import STEM_LANGUAGES, fold, is_greek, query_stems, stopwords, words_of
from .topics import tag_words

__all__ = [
    "FACETS",
    "FIELD_ALIASES",
    "FACET_VOCABULARIES",
    "TEXT_FIELDS",
    "Lexicon",
    "Parsed",
    "Plan",
    "parse",
    "plan",
    "resolve_facet_value",
    "exact_title",
    "MAX_WORDS",
    "MAX_CORRECTIONS",
    "MAX_COMPOUNDS",
]

MAX_WORDS = 32
# A record in the query's language ranks this many times higher: twice when the language
# is guessed from the query's words, always first when the reader names it.
LANGUAGE_BOOST = 2.0
STRICT_LANGUAGE_BOOST = 1000.0
MAX_CORRECTIONS = 4  # words looked up for a correction, found or not
MAX_COMPOUNDS = 12
# A token more records than this hold is "common": ranking may count it as a constant.
COMMON = 1000

# Weights of what may stand for a word, relative to the word itself.
W_WORD = 1.0
W_STEM = 0.8
W_TOPIC = 0.6  # a topic the word names, matched in a record by one of its labels
W_TOPIC_PART = 0.25  # ... matched in a record only as part of a compound ("Klassenklima")
W_SPLIT = 0.7  # both parts of a compound the index holds apart
W_COMPOUND = 0.45  # an indexed compound the word heads or ends
W_CONCEPT = 0.3  # a vocabulary concept (SDG, type, level, audience) whose label holds the word

# Names a person may put before ':' -> the field.
FIELD_ALIASES: dict[str, str] = {
    "title": "title",
    "name": "title",
    "keyword": "keywords",
    "keywords": "keywords",
    "subject": "keywords",
    "about": "keywords",
    "description": "description",
    "author": "body",
    "creator": "body",
    "contributor": "body",
    "publisher": "body",
    "funder": "body",
    "license": "license",
    "licence": "license",
    "language": "inLanguage",
    "lang": "inLanguage",
    "inlanguage": "inLanguage",
    "sdg": "sdg",
    "type": "learningResourceType",
    "learningresourcetype": "learningResourceType",
    "level": "educationalLevel",
    "educationallevel": "educationalLevel",
    "audience": "audience",
    "source": "source",
    "id": "id",
}
TEXT_FIELDS = ("title", "keywords", "description", "body")
FACET_VOCABULARIES = {
    "sdg": "sdg",
    "learningResourceType": "learningResourceType",
    "educationalLevel": "educationalLevel",
    "audience": "audience",
}
_OPERATORS = {"AND", "OR", "NOT"}
_FIELD_RE = re.compile(r"(?<![\w:/])([A-Za-z_][\w]*):(?=\S)")
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([A-Za-z_]\w*):(?:"([^"]*)"|([^\s()]+))|([^\s()"]+))')
_WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)


class Lexicon(Protocol):
    """What the planner asks a backend's index (tokens are (kind, text): kinds ``word``,
    ``stem``, ``topic``, ``part``)."""

    def frequencies(self, tokens: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The number of live documents holding each token (absent: none)."""

    def languages(self, tokens: list[tuple[str, str]]) -> dict[str, int]:
        """Documents holding any of the tokens, counted by their first language."""

    def compounds(self, word: str, limit: int) -> list[str]:
        """Indexed words (folded) that start or end with ``word`` and hold at least 3 more letters."""

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        """Indexed words within ``maxdist`` edits of ``word``, with their document counts."""

    def lookup(
        self, tokens: list[tuple[str, str]], words: list[str], limit: int
    ) -> tuple[dict[tuple[str, str], int], dict[str, list[str]]]:
        """:meth:`frequencies` of ``tokens`` and :meth:`compounds` of each of ``words``, at once
        (a backend across a network answers both in one round trip)."""

    def prefetch(self, tokens: list[tuple[str, str]]) -> None:
        """A hint: the planner is about to ask :meth:`languages` of some of these tokens, and the
        search will read their documents (a backend may read them all at once)."""


def lookup_each(lexicon, tokens: list[tuple[str, str]], words: list[str], limit: int):
    """:meth:`Lexicon.lookup` answered by one question per word (for a backend in this process)."""
    return lexicon.frequencies(tokens), {w: lexicon.compounds(w, limit) for w in words}


# -- reading the query --------------------------------------------------------------------


@dataclass
class Parsed:
    """A query read into a tree (see :func:`parse`), its free words, notes, and whether it is plain words."""

    tree: tuple
    words: list[tuple[int, int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plain: bool = False
    text: str = ""


def resolve_facet_value(prop: str, value: str) -> list[str]:
    """The stored values a filter value stands for ('13' -> the SDG 13 URI); SearchError if unknown."""
    value = value.strip()
    try:
        if prop == "license":
            return licenses.filter_urls(value)
        if prop == "inLanguage":
            from ..model import normalize_language

            return [normalize_language(value)]
        if prop in FACET_VOCABULARIES:
            return [vocabularies.resolve(FACET_VOCABULARIES[prop], value)]
    except InvalidResource as exc:
        raise SearchError(f"cannot filter by {prop} {value!r}: {exc}") from exc
    return [value]


def exact_title(text: str) -> str:
    """A title folded and with punctuation and spacing evened out, for exact matching."""
    return " ".join(fold(w) for w in text.replace("_", " ").split() if any(c.isalnum() for c in w)).strip(
        " .,;:!?\"'()[]"
    )


def repair(text: str, notes: list[str]) -> str:
    """Even out quotes and brackets, drop dangling operators and unknown fields, saying so."""
    if text.count('"') % 2:
        i = text.rfind('"')
        text = text[:i] + text[i + 1 :]
        notes.append("an unbalanced quote was ignored")
    depth, out = 0, []
    dropped = False
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                dropped = True
                continue
            depth -= 1
        out.append(ch)
    text = "".join(out)
    if depth:
        text += ")" * depth
        dropped = True
    if dropped:
        notes.append("unbalanced brackets were evened out")
    tokens = text.split()
    # An operator needs a word on each side (NOT only on its right).
    cleaned: list[str] = []
    for i, tok in enumerate(tokens):
        if tok in _OPERATORS:
            prev_ok = bool(cleaned) and cleaned[-1] not in _OPERATORS and not cleaned[-1].endswith("(")
            next_ok = i + 1 < len(tokens) and tokens[i + 1] not in _OPERATORS - {"NOT"} and tokens[i + 1] != ")"
            if (tok == "NOT" and next_ok) or (prev_ok and next_ok):
                cleaned.append(tok)
                continue
            notes.append(f"the operator {tok} had nothing to join and was ignored")
            continue
        cleaned.append(tok)
    return _fields_note(" ".join(cleaned), notes)


def _fields_note(text: str, notes: list[str]) -> str:
    def fix(match: re.Match) -> str:
        name = match.group(1)
        if name.lower() in FIELD_ALIASES:
            return FIELD_ALIASES[name.lower()] + ":"
        notes.append(
            f"there is no field {name!r}; searched for the words after it everywhere "
            f"(fields: {', '.join(sorted(set(FIELD_ALIASES) - {'inlanguage', 'learningresourcetype', 'educationallevel'}))})"
        )
        return ""

    return _FIELD_RE.sub(fix, text)


def parse(typed: str) -> Parsed:
    """Read a query (see the module docstring) into a tree of tuples.

    Nodes: ("all",), ("and", [nodes]) every part, ("should", [nodes]) words side by side
    (any, more is better), ("or", [nodes]), ("not", node), ("word", field, text),
    ("phrase", field, text), ("prefix", field, folded text), ("facet", prop, [values]),
    ("id", value). ``field`` is None (every text) or title / keywords / description / body.

    >>> parse("kite lift").tree
    ('should', [('word', None, 'kite'), ('word', None, 'lift')])
    """
    notes: list[str] = []
    raw = (typed or "").strip()
    if not raw:
        return Parsed(("all",), notes=notes)
    fixed = repair(raw, notes)
    tokens: list[tuple] = []
    words: list[tuple[int, int, str]] = []
    dropped = 0
    for m in _TOKEN.finditer(fixed):
        if m.group(1):
            tokens.append(("(",))
        elif m.group(2):
            tokens.append((")",))
        elif m.group(3) is not None:
            if _WORD.search(m.group(3)):
                tokens.append(("phrase", None, m.group(3)))
        elif m.group(4):
            term = _field_term(m.group(4), m.group(5) if m.group(5) is not None else m.group(6))
            if term is not None:
                tokens.append(term)
        elif m.group(7):
            tok = m.group(7)
            if tok in _OPERATORS:
                tokens.append((tok,))
            elif tok.endswith("*") and _WORD.search(tok):
                tokens.append(("prefix", None, fold(tok.rstrip("*"))))
            elif _WORD.search(tok):
                if len(words) >= MAX_WORDS:
                    dropped += 1
                    continue
                start = m.start(7)
                for w in _WORD.finditer(tok):
                    words.append((start + w.start(), start + w.end(), w.group()))
                    tokens.append(("word", None, w.group()))
    if dropped:
        notes.append(f"only the first {MAX_WORDS} words were searched for ({dropped} more were left out)")
    if not tokens:
        notes.append("the query holds no searchable words; showing every resource")
        return Parsed(("all",), notes=notes, text=fixed)
    tree = _Parser(tokens).parse()
    plain = not re.search(r'["():*]|\b(?:AND|OR|NOT)\b', fixed)
    return Parsed(tree, words, notes, plain, fixed)


def _field_term(name: str, value: str) -> tuple | None:
    field_name = FIELD_ALIASES.get(name.lower(), name)
    value = value.strip()
    if not value:
        return None
    if field_name == "id":
        return ("id", value)
    if field_name in FACETS:
        if value.endswith("*"):
            raise SearchError(f"{field_name} values cannot end with '*'; give a whole value such as 'sdg:13'")
        return ("facet", field_name, resolve_facet_value(field_name, value))
    if field_name in TEXT_FIELDS:
        if value.endswith("*"):
            return ("prefix", field_name, fold(value.rstrip("*")))
        return ("phrase" if " " in value else "word", field_name, value)
    return ("word", None, value)


class _Parser:
    """OR binds loosest, then AND (words side by side: 'should'), then NOT."""

    _MAX_DEPTH = 16  # brackets deeper than this are read as plain grouping of the words inside

    def __init__(self, tokens: list[tuple]):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def _peek(self) -> tuple | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> tuple:
        parts = [self._or()]
        while self._peek() is not None:  # a stray ')': read on
            self.i += 1
            parts.append(self._or())
        parts = [p for p in parts if p != ("all",)] or [("all",)]
        return parts[0] if len(parts) == 1 else ("and", parts)

    def _or(self) -> tuple:
        parts = [self._and()]
        while self._peek() == ("OR",):
            self.i += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def _and(self) -> tuple:
        parts = [self._not()]
        strict = False
        while (tok := self._peek()) is not None and tok not in (("OR",), (")",)):
            if tok == ("AND",):
                strict = True
                self.i += 1
            parts.append(self._not())
        if len(parts) == 1:
            return parts[0]
        if strict:
            return ("and", parts)
        required = [p for p in parts if p[0] in ("not", "facet", "id")]
        optional = [p for p in parts if p[0] not in ("not", "facet", "id")]
        if not required:
            return ("should", optional)
        if not optional:
            return ("and", required)
        return ("and", [optional[0] if len(optional) == 1 else ("should", optional), *required])

    def _not(self) -> tuple:
        negations = 0
        while self._peek() == ("NOT",):  # a loop, not recursion: "NOT NOT ..." may be long
            self.i += 1
            negations += 1
        atom = self._atom()
        return ("not", atom) if negations % 2 else atom

    def _atom(self) -> tuple:
        tok = self._peek()
        if tok is None:
            return ("all",)
        self.i += 1
        if tok == ("(",):
            if self.depth >= self._MAX_DEPTH:
                while self._peek() == ("(",):  # a loop, not recursion
                    self.i += 1
                return self._atom()
            self.depth += 1
            inner = self._or()
            self.depth -= 1
            if self._peek() == (")",):
                self.i += 1
            return inner
        if tok in (("AND",), ("OR",), (")",)):
            return ("all",)
        return tok


# -- planning: what may stand for each word -----------------------------------------------


@dataclass
class Plan:
    """A parsed query with each word replaced by ("match", word, alternatives).

    An alternative is ("word", field, folded word, weight) (field None: every text field),
    ("stem", stem, weight), ("topic", id, weight), ("part", id, weight), ("concept",
    property, URI, weight) or ("split", weight, [alternatives of each part]).
    ``language`` is the query's language as guessed (or as asked), ``suggestion`` the
    corrected query when a word was replaced.
    """

    tree: tuple
    parsed: Parsed
    language: str | None = None
    language_given: bool = False  # the reader said it: her language's records come first
    suggestion: str | None = None
    notes: list[str] = field(default_factory=list)
    frequencies: dict[tuple[str, str], int] = field(default_factory=dict)  # token -> documents holding it

    @property
    def language_boost(self) -> float:
        """How many times a record in :attr:`language` outranks one in another."""
        return STRICT_LANGUAGE_BOOST if self.language_given else LANGUAGE_BOOST


def _word_nodes(tree: tuple) -> list[tuple]:
    kind = tree[0]
    if kind in ("and", "or", "should"):
        return [n for sub in tree[1] for n in _word_nodes(sub)]
    if kind == "not":
        return _word_nodes(tree[1])
    if kind == "word":
        return [tree]
    return []


def _basic(word: str, field_name: str | None) -> list[tuple]:
    folded = fold(word)
    alts: list[tuple] = [("word", field_name, folded, W_WORD)]
    if field_name is None:
        alts += [("stem", s, W_STEM) for s in query_stems(word)]
    return alts


def _tokens_of(alts: list[tuple]) -> list[tuple[str, str]]:
    out = []
    for alt in alts:
        if alt[0] == "word":
            out.append(("word", alt[2]))
        elif alt[0] in ("stem", "topic", "part"):
            out.append((alt[0], alt[1]))
    return out


# The languages whose stems a compound's parts are looked up by (those writing compounds as one word).
_SPLIT_LANGS = tuple(lang for lang in ("de", "nl", "sv", "fi", "da", "no") if lang in STEM_LANGUAGES)


def _splits(word: str) -> list[tuple[str, str]]:
    """Ways to cut a folded word into two parts of at least 3 letters (a linking 's' dropped too)."""
    out = []
    for k in range(3, len(word) - 2):
        head, tail = word[:k], word[k:]
        out.append((head, tail))
        if head.endswith("s") and len(head) > 4:
            out.append((head[:-1], tail))
    return out


@lru_cache(maxsize=1)
def _concept_labels() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(facet property, concept URI, folded label words) for every label of every concept."""
    out = []
    for prop, vocab in FACET_VOCABULARIES.items():
        for concept in vocabularies.concepts(vocab):
            for text in dict.fromkeys(vocabularies.labels(vocab, concept.uri).values()):
                out.append((prop, concept.uri, tuple(fold(w) for w in _WORD.findall(text))))
    return tuple(out)


@lru_cache(maxsize=1)
def _distinctive_label_words() -> dict[str, tuple[str, str]]:
    """Label words of six letters or more that name one concept only in their vocabulary
    ('klimaschutz' -> SDG 13; not 'education', which every level's label holds)."""
    owners: dict[tuple[str, str], set[str]] = {}
    for prop, uri, label in _concept_labels():
        for word in label:
            if len(word) >= 6:
                owners.setdefault((prop, word), set()).add(uri)
    return {word: (prop, next(iter(uris))) for (prop, word), uris in owners.items() if len(uris) == 1}


def _concepts_in(words: list[str]) -> dict[int, list[tuple[str, str]]]:
    """Vocabulary concepts (SDGs, types, levels, audiences) named by the query words, by word
    position: a whole label ('lesson plan') or a word only that concept's labels hold ('Klimaschutz')."""
    folded = [fold(w) for w in words]
    found: dict[int, list[tuple[str, str]]] = {}
    distinctive = _distinctive_label_words()
    for i, word in enumerate(folded):
        if word in distinctive:
            found.setdefault(i, []).append(distinctive[word])
    for prop, uri, label in _concept_labels():
        n = len(label)
        if not n or label[0] not in folded:
            continue
        for i in range(len(folded) - n + 1):
            if tuple(folded[i : i + n]) == label:
                for j in range(i, i + n):
                    slot = found.setdefault(j, [])
                    if (prop, uri) not in slot:
                        slot.append((prop, uri))
    return found


def _topics_of(words: list[str]) -> dict[int, dict[str, float]]:
    """Topic ids named by the query words, by word position, in any language (whole labels
    weigh more than a compound's part)."""
    found: dict[int, dict[str, float]] = {}
    lowered = [w.lower() for w in words]
    greek = any(is_greek(w) for w in words)
    langs = ("el",) if greek else tuple(lang for lang in ("en", "de", "fr", "es", "pt", "it", "pl", "nl", "fi", "sv",
                                                          "da", "no", "ro", "cs", "hu") if lang in STEM_LANGUAGES)
    for lang in langs:
        for topic_id, start, end, whole in tag_words(lowered, lang, query=True):
            weight = 1.0 if whole else 0.4
            for i in range(start, end):
                slot = found.setdefault(i, {})
                slot[topic_id] = max(slot.get(topic_id, 0.0), weight)
    return found


def _typo_cost(typed: str, word: str) -> float:
    """How unlikely a typing slip turns ``word`` into ``typed``: a doubled or dropped double
    letter, two swapped letters or a vowel for a vowel cost less than other edits."""
    n, m = len(typed), len(word)
    vowels = set("aeiouyαεηιουω")
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = float(i)
    for j in range(m + 1):
        d[0][j] = float(j)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            a, b = typed[i - 1], word[j - 1]
            sub = 0.0 if a == b else (0.6 if a in vowels and b in vowels else 1.0)
            dele = 0.5 if i > 1 and typed[i - 2] == a else 1.0  # a doubled letter typed once more
            ins = 0.5 if j > 1 and word[j - 2] == b else 1.0  # a double letter typed once
            d[i][j] = min(d[i - 1][j] + dele, d[i][j - 1] + ins, d[i - 1][j - 1] + sub)
            if i > 1 and j > 1 and a == word[j - 2] and typed[i - 2] == b:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 0.6)
    return d[n][m]


def best_correction(word: str, lexicon: Lexicon) -> str | None:
    """The likeliest word the index holds that ``word`` is a slip for, or None."""
    folded = fold(word)
    if len(folded) < 3 or folded.isdigit():
        return None
    maxdist = 1 if len(folded) < 6 else 2
    best, best_score = None, None
    # Two swapped letters are two plain edits but one slip: ask for one edit more.
    for candidate, docs in lexicon.near(folded, min(maxdist + 1, 2)):
        if candidate == folded or docs <= 0:
            continue
        cost = _typo_cost(folded, candidate)
        if cost > maxdist:
            continue
        # Likelier slips first, then more frequent words; a first letter is rarely mistyped.
        score = cost + (0.5 if candidate[0] != folded[0] else 0.0) - 0.15 * math.log1p(docs)
        if best_score is None or score < best_score:
            best, best_score = candidate, score
    return best


def plan(parsed: Parsed, lexicon: Lexicon, *, language: str | None = None) -> Plan:
    """Replace every word of a parsed query by what may stand for it (see the module docstring)."""
    nodes = _word_nodes(parsed.tree)
    result = Plan(parsed.tree, parsed, notes=list(parsed.notes))
    if not nodes:
        result.language = language
        result.language_given = bool(language)
        return result

    # One round trip: how often the index holds each word, stem and compound part.
    basic = [_basic(node[2], node[1]) for node in nodes]
    wanted: list[tuple[str, str]] = [t for alts in basic for t in _tokens_of(alts)]
    split_candidates: dict[int, list[tuple[str, str]]] = {}
    for i, node in enumerate(nodes):
        folded = fold(node[2])
        if node[1] is None and len(folded) >= 7:
            split_candidates[i] = _splits(folded)
            for head, tail in split_candidates[i]:
                wanted += [("word", head), ("word", tail)]
                wanted += [("stem", s) for s in query_stems(head, _SPLIT_LANGS) + query_stems(tail, _SPLIT_LANGS)]
    free = [i for i, node in enumerate(nodes) if node[1] is None]
    texts = {i: nodes[i][2] for i in free}
    topics = _topics_of([texts[i] for i in free])
    wanted += _topic_tokens(topics)
    freq, compounds = lexicon.lookup(list(dict.fromkeys(wanted)), _compound_heads(texts.values()), MAX_COMPOUNDS)

    def known(token: tuple[str, str]) -> bool:
        return freq.get(token, 0) > 0

    # A word the index holds in no form (no word, stem, compound part or topic) is a slip:
    # its likeliest correction stands in for it.
    corrections: dict[int, str] = {}
    attempts = 0
    for k, i in enumerate(free):
        if attempts >= MAX_CORRECTIONS:  # a query of many unknown words costs no more than a few
            break
        if any(known(t) for t in _tokens_of(basic[i])) or topics.get(k):
            continue
        if i in split_candidates and _best_split(split_candidates[i], known):
            continue
        attempts += 1
        correction = best_correction(nodes[i][2], lexicon)
        if correction is not None:
            corrections[i] = correction
            texts[i] = correction
            basic[i] = _basic(correction, None)
    if corrections:
        topics = _topics_of([texts[i] for i in free])
        more = [t for i in corrections for t in _tokens_of(basic[i])] + _topic_tokens(topics)
        more_freq, more_compounds = lexicon.lookup(
            [t for t in dict.fromkeys(more) if t not in freq],
            [w for w in _compound_heads(texts[i] for i in corrections) if w not in compounds],
            MAX_COMPOUNDS,
        )
        freq.update(more_freq)
        compounds.update(more_compounds)

    concepts = _concepts_in([texts[i] for i in free])

    alts_by_node: dict[int, list[tuple]] = {}
    position = {i: k for k, i in enumerate(free)}
    for i in range(len(nodes)):
        alts = [a for a in basic[i] if known(_tokens_of([a])[0])]
        k = position.get(i)
        if k is not None:
            for topic_id, weight in topics.get(k, {}).items():
                if known(("topic", topic_id)):
                    alts.append(("topic", topic_id, W_TOPIC * weight))
                if known(("part", topic_id)):
                    alts.append(("part", topic_id, W_TOPIC_PART * weight))
            for prop, uri in concepts.get(k, ()):
                alts.append(("concept", prop, uri, W_CONCEPT))
            folded = fold(texts[i])
            if i in split_candidates and i not in corrections and not any(a[0] == "word" for a in alts):
                split = _best_split(split_candidates[i], known)
                if split is not None:
                    alts.append(("split", W_SPLIT, [_known_basic(part, known) for part in split]))
            if len(folded) >= 4 and folded not in _all_stopwords():
                for word in compounds.get(folded, ()):
                    if word != folded:
                        alts.append(("word", None, word, W_COMPOUND))
        alts_by_node[i] = alts

    replaced = {id(node): ("match", node[2], tuple(alts_by_node[i])) for i, node in enumerate(nodes)}
    result.tree = _replace(parsed.tree, replaced)
    if corrections:
        text = parsed.text
        by_word = {nodes[i][2]: c for i, c in corrections.items()}
        for start, end, word in sorted(parsed.words, reverse=True):
            if word in by_word:
                text = text[:start] + by_word[word] + text[end:]
        result.suggestion = text
        result.notes.append(f"no resource holds {', '.join(repr(nodes[i][2]) for i in corrections)}; "
                            f"showing results for {text!r}")
    result.language = language or _guess_language(alts_by_node, nodes, lexicon)
    result.language_given = bool(language)
    result.frequencies = freq
    return result


def _topic_tokens(topics: dict[int, dict[str, float]]) -> list[tuple[str, str]]:
    return [(kind, topic_id) for slot in topics.values() for topic_id in slot for kind in ("topic", "part")]


def _compound_heads(texts) -> list[str]:
    """The folded query words whose compounds the planner looks up."""
    stop = _all_stopwords()
    return list(dict.fromkeys(w for w in (fold(t) for t in texts) if len(w) >= 4 and w not in stop))


def _known_basic(part: str, known) -> list[tuple]:
    return [a for a in _basic(part, None) if known(_tokens_of([a])[0])]


def _best_split(splits: list[tuple[str, str]], known) -> tuple[str, str] | None:
    best, best_len = None, 0
    for head, tail in splits:
        if any(known(t) for t in _tokens_of(_basic(head, None))) and any(
            known(t) for t in _tokens_of(_basic(tail, None))
        ):
            shortest = min(len(head), len(tail))
            if shortest > best_len:
                best, best_len = (head, tail), shortest
    return best


def _replace(tree: tuple, replaced: dict[int, tuple]) -> tuple:
    if id(tree) in replaced:
        return replaced[id(tree)]
    kind = tree[0]
    if kind in ("and", "or", "should"):
        return (kind, [_replace(sub, replaced) for sub in tree[1]])
    if kind == "not":
        return ("not", _replace(tree[1], replaced))
    return tree


def _guess_language(alts_by_node, nodes, lexicon: Lexicon) -> str | None:
    """The language most of the query's words are found in (by records in it), or None."""
    texts = [n[2] for n in nodes if n[1] is None]
    if texts and all(is_greek(t) for t in texts):
        return "el"
    votes: dict[str, float] = {}
    lexicon.prefetch([t for alts in alts_by_node.values() for t in _tokens_of(alts)])
    for i, node in enumerate(nodes):
        if node[1] is not None:
            continue
        if fold(node[2]) in _all_stopwords():
            continue
        exact = [t for t in _tokens_of(alts_by_node[i]) if t[0] in ("word", "stem")][:4]
        if not exact:
            continue
        counts = lexicon.languages(exact)
        total = sum(counts.values())
        for lang, n in counts.items():
            votes[lang] = votes.get(lang, 0.0) + n / total
    if not votes:
        return None
    return max(votes.items(), key=lambda kv: (kv[1], kv[0]))[0]


@lru_cache(maxsize=1)
def _all_stopwords() -> frozenset[str]:
    out: set[str] = set()
    for lang in ("en", "de", "fr", "es", "pt", "it", "nl", "sv", "fi", "pl", "el"):
        out |= stopwords(lang)
    return frozenset(out)


def words_in(text: str) -> list[str]:
    """The lower-cased words of a text (re-exported for the backends)."""
    return words_of(text)
