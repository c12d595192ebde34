"""From what a person types to a Whoosh query, forgiving the usual mistakes.

The language: words (all must match), ``"phrases"``, ``AND`` / ``OR`` / ``NOT``,
brackets, ``field:value`` (``title:``, ``keywords:``, ``description:``, ``author:``,
and the facets ``license:``, ``language:``, ``sdg:``, ``type:``, ``level:``,
``audience:``, ``source:``, ``id:``), and ``prefix*``. An unbalanced quote or bracket,
a lone operator or an unknown field is repaired, and a note says how the query was read.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh import qparser
from whoosh import query as wq

from .. import licenses, vocabularies
from ..errors import InvalidResource, SearchError
from .analysis import fold
from .schema import PHRASE_FIELDS, TEXT_FIELDS, exact_title

__all__ = [
    "ParsedQuery",
    "parse_query",
    "FIELD_ALIASES",
    "FACET_VOCABULARIES",
    "resolve_facet_value",
    "is_concept_word",
]

# Names a person may put before ':' -> the index field.
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

FACET_VOCABULARIES = {
    "sdg": "sdg",
    "learningResourceType": "learningResourceType",
    "educationalLevel": "educationalLevel",
    "audience": "audience",
}
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_FIELD_RE = re.compile(r"(?<![\w:/])([A-Za-z_][\w]*):(?=\S)")
_WORD_RE = re.compile(r"[^\W_](?:[\w.'’-]*[^\W_])?\*?")


@dataclass
class ParsedQuery:
    """A parsed query plus what we noticed while reading it."""

    query: wq.Query | None  # None: no words at all (every resource matches)
    words: list[tuple[int, int, str]] = field(default_factory=list)  # free words: (start, end, text)
    text: str = ""
    notes: list[str] = field(default_factory=list)


def resolve_facet_value(prop: str, value: str) -> list[str]:
    """The stored values a filter value stands for ('13' -> the SDG 13 URI); SearchError if unknown."""
    value = value.strip()
    try:
        if prop == "license":
            return [licenses.normalize(value).url]
        if prop == "inLanguage":
            from ..model import normalize_language

            return [normalize_language(value)]
        if prop in FACET_VOCABULARIES:
            return [vocabularies.resolve(FACET_VOCABULARIES[prop], value)]
    except InvalidResource as exc:
        raise SearchError(f"cannot filter by {prop} {value!r}: {exc}") from exc
    return [value]


def _repair(text: str, notes: list[str]) -> str:
    """Even out quotes and brackets and drop dangling operators, saying so."""
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
    return " ".join(cleaned)


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


def _parser(schema) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(list(TEXT_FIELDS), schema, group=qparser.AndGroup)
    # Apostrophes ("l'énergie") and square brackets are text, not syntax, for our users.
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.remove_plugin_class(qparser.RangePlugin)
    return parser


# A record matched only through a concept label ranks below one that holds the word.
CONCEPT_SCORE = 0.5
_LABEL_WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)  # the words the folding analyzer sees


@lru_cache(maxsize=1)
def _concept_labels() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(facet property, concept URI, folded label words) for every label of every concept."""
    out = []
    for prop, vocab in FACET_VOCABULARIES.items():
        for concept in vocabularies.concepts(vocab):
            for text in dict.fromkeys(vocabularies.labels(vocab, concept.uri).values()):
                out.append((prop, concept.uri, tuple(fold(w) for w in _LABEL_WORD.findall(text))))
    return tuple(out)


@lru_cache(maxsize=4096)
def _concepts_with(kind: str, pattern: tuple[str, ...] | str) -> tuple[tuple[str, str], ...]:
    """The (property, URI) pairs whose labels hold a word, a phrase, a prefix or a wildcard."""
    found: dict[tuple[str, str], None] = {}
    for prop, uri, words in _concept_labels():
        if kind == "word":
            hit = pattern in words
        elif kind == "prefix":
            hit = any(w.startswith(pattern) for w in words)
        elif kind == "wildcard":
            hit = any(fnmatch.fnmatchcase(w, pattern) for w in words)
        else:  # phrase
            n = len(pattern)
            hit = any(words[i : i + n] == pattern for i in range(len(words) - n + 1))
        if hit:
            found[(prop, uri)] = None
    return tuple(found)


def is_concept_word(word: str) -> bool:
    """True when a folded word occurs in a concept label (so it is no misspelling)."""
    return bool(_concepts_with("word", word))


def _concept_query(q: wq.Query) -> wq.Query:
    """A query on the (never filled) ``concepts`` field as the facet terms of the matching concepts."""
    if isinstance(q, wq.Term):
        found = _concepts_with("word", str(q.text))
    elif isinstance(q, wq.Phrase):
        found = _concepts_with("phrase", tuple(str(w) for w in q.words))
    elif isinstance(q, wq.Prefix):
        found = _concepts_with("prefix", str(q.text))
    elif isinstance(q, wq.Wildcard):
        found = _concepts_with("wildcard", str(q.text))
    else:
        return wq.NullQuery
    if not found:
        return wq.NullQuery
    return wq.ConstantScoreQuery(wq.Or([wq.Term(prop, uri) for prop, uri in found]), CONCEPT_SCORE)


def _phrase_query(q: wq.Phrase) -> wq.Query:
    """A phrase as its words in the field asked plus its successive word pairs (see schema)."""
    words = [str(w) for w in q.words]
    if not words:
        return wq.NullQuery
    parts: list[wq.Query] = [wq.Term(q.fieldname, w, boost=q.boost) for w in dict.fromkeys(words)]
    if q.slop <= 1:  # a looser phrase ("..."~3) keeps only its words
        parts += [wq.Term("pairs", f"{a} {b}", boost=q.boost) for a, b in dict.fromkeys(zip(words, words[1:]))]
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _resolve_facets(q: wq.Query) -> wq.Query:
    """Replace facet terms typed in the query by the stored values they stand for."""
    if getattr(q, "fieldname", None) == "concepts":
        return _concept_query(q)
    if isinstance(q, wq.Term) and q.fieldname in ("license", "sdg", "learningResourceType", "educationalLevel",
                                                    "audience", "inLanguage", "source"):
        values = resolve_facet_value(q.fieldname, str(q.text))
        if q.fieldname == "inLanguage":
            return wq.Or([wq.Term("inLanguage", values[0]), wq.Prefix("inLanguage", values[0] + "-")])
        return wq.Term(q.fieldname, values[0])
    if isinstance(q, wq.Phrase) and q.fieldname == "stems":
        return wq.NullQuery  # stems keep no positions; the folded fields answer phrases
    if isinstance(q, wq.Phrase) and q.fieldname in PHRASE_FIELDS:
        return _phrase_query(q)
    if isinstance(q, (wq.Prefix, wq.Wildcard)) and q.fieldname in FACET_VOCABULARIES:
        raise SearchError(f"{q.fieldname} values cannot end with '*'; give a whole value such as 'sdg:13'")
    if q.is_leaf():
        return q
    return q.apply(_resolve_facets)


def parse_query(text: str, schema) -> ParsedQuery:
    """Parse a query as typed (see the module docstring); SearchError for what cannot be repaired."""
    notes: list[str] = []
    raw = (text or "").strip()
    if not raw:
        return ParsedQuery(None, text="", notes=notes)
    fixed = _fields_note(_repair(raw, notes), notes)
    # Facet values contain ':' and '/' (licence URLs): quote them so the parser keeps them whole.
    fixed = re.sub(
        r'\b(license|inLanguage|sdg|learningResourceType|educationalLevel|audience|source|id):(?!")(\S+)',
        lambda m: f'{m.group(1)}:"{m.group(2)}"' if re.search(r"[:/()]", m.group(2)) else m.group(0),
        fixed,
    )
    try:
        parsed = _parser(schema).parse(fixed)
    except Exception as exc:  # Whoosh raises assorted errors on odd input
        raise SearchError(f"cannot read the query {raw!r}: {exc}; check quotes, brackets and field names") from exc
    parsed = _resolve_facets(parsed).normalize()
    if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
        notes.append("the query holds no searchable words; showing every resource")
        return ParsedQuery(None, text=raw, notes=notes)

    words = []
    for m in _WORD_RE.finditer(fixed):
        before = fixed[: m.start()]
        if m.group() in _OPERATORS or m.group().endswith("*"):
            continue
        if re.search(r'(\w+):"?$', before):  # a field value: not spelling-checked
            continue
        if before.count('"') % 2:  # inside a phrase: still a word
            pass
        words.append((m.start(), m.end(), m.group()))

    # An exact title match ranks first: a bonus for it, never a condition.
    plain = not re.search(r'["():*]|\b(?:AND|OR|NOT)\b', fixed)
    if plain and words:
        title = exact_title(fixed)
        parsed = wq.AndMaybe(parsed, wq.Term("title_exact", title, boost=50.0))
    return ParsedQuery(parsed, words=words, text=fixed, notes=notes)
