"""Language-aware text analysis: folding, stemming per language, and the Greek fallback.

Every text is *folded* (lower case, accents and ligatures removed, Greek final sigma
made ordinary) so that "educacao" finds "educação" and "ενεργεια" finds "Ενέργεια".
Texts whose language has a Snowball stemmer are also stemmed in that language; the
stem is taken from the folded word, so a query typed without accents stems exactly
like the accented text did. Greek has no stemmer in Whoosh: a small suffix stripper
stands in. Languages with neither are searched through the folded fields alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer
from whoosh.lang import has_stemmer, has_stopwords, stemmer_for_language, stopwords_for_language

__all__ = [
    "fold",
    "folding_analyzer",
    "folded_words",
    "pairs_of",
    "stems_of",
    "word_pairs",
    "stem_analyzer",
    "stems_for_query",
    "stem_words",
    "STEM_LANGUAGES",
]

# Characters NFKD does not decompose into a base letter plus marks.
_SPECIAL = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ς": "σ", "ĳ": "ij"}
)

# Whoosh's Snowball stemmers, plus our Greek suffix stripper.
STEM_LANGUAGES: tuple[str, ...] = tuple(sorted({*(lang for lang in ("ar", "da", "de", "en", "es", "fi", "fr", "hu",
                                                                     "it", "nl", "no", "pt", "ro", "ru", "sv", "tr")
                                                   if has_stemmer(lang)), "el"}))

_WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower-case a word and strip its accents: 'Energía' -> 'energia', 'Σχολείς' -> 'σχολεισ'."""
    lowered = word.lower().translate(_SPECIAL)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_SPECIAL)


class FoldFilter(Filter):
    """Fold every token (case, accents, ligatures, final sigma)."""

    def __call__(self, tokens: Iterable) -> Iterator:
        for t in tokens:
            t.text = fold(t.text)
            yield t


# Greek inflection endings (folded: no tonos, final sigma as σ), longest first.
# Stripping one of them brings the forms of a noun or adjective to one stem:
# ενεργεια / ενεργειασ -> ενεργει, σχολειο / σχολεια / σχολειων -> σχολει.
_GREEK_ENDINGS = sorted(
    [
        "ματων", "ματοσ", "ματα", "ουμε", "ουσε", "ησεισ", "ησεων", "ηση", "ησησ", "εισ", "ουν", "ετε",
        "ων", "ου", "οσ", "οι", "εσ", "ασ", "ησ", "υσ", "α", "η", "ο", "ι", "ε", "υ",
    ],
    key=len,
    reverse=True,
)


def greek_stem(word: str) -> str:
    """A light Greek stemmer (suffix stripping on folded words); Whoosh ships none."""
    for ending in _GREEK_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _is_greek(word: str) -> bool:
    return any("\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff" for c in word)


@cache
def _stemmer(lang: str) -> Callable[[str], str]:
    if lang == "el":
        return lru_cache(maxsize=100_000)(greek_stem)
    return lru_cache(maxsize=100_000)(stemmer_for_language(lang))


@cache
def _stopwords(lang: str) -> frozenset[str]:
    if not has_stopwords(lang):
        return frozenset()
    return frozenset(fold(w) for w in stopwords_for_language(lang))


def primary_language(tag: str | None) -> str:
    """The primary subtag of a BCP 47 tag ('pt-BR' -> 'pt'); '' for none."""
    return (tag or "").split("-")[0].lower()


def folded_words(text: str) -> list[str]:
    """The words of a text as the folded fields index them."""
    return [fold(m.group()) for m in _WORD.finditer(text)]


def stems_of(words: list[str], lang: str) -> list[str]:
    """The stems of folded words in their language (stop words dropped); [] without a stemmer."""
    lang = primary_language(lang)
    if lang not in STEM_LANGUAGES:
        return []
    stem = _stemmer(lang)
    stop = _stopwords(lang)
    return [stem(w) for w in words if w not in stop]


def pairs_of(words: list[str]) -> list[str]:
    """Each two successive words: ['pond', 'life', 'ponds'] -> ['pond life', 'life ponds']."""
    return [f"{a} {b}" for a, b in zip(words, words[1:])]


def stem_words(text: str, lang: str) -> list[str]:
    """The stems of a text in its language (folded first, stop words dropped); [] without a stemmer."""
    return stems_of(folded_words(text), lang)


def word_pairs(text: str) -> list[str]:
    """Each two successive folded words of a text: 'Pond life, ponds' -> ['pond life', 'life ponds']."""
    return pairs_of(folded_words(text))


@lru_cache(maxsize=50_000)
def stems_for_query(word: str) -> tuple[str, ...]:
    """Every distinct stem a folded query word may have in the languages we stem."""
    if _is_greek(word):
        return (greek_stem(word),)
    found = dict.fromkeys(_stemmer(lang)(word) for lang in STEM_LANGUAGES if lang != "el")
    return tuple(found)


class ExpandStemsFilter(Filter):
    """At query time, replace a folded word by its stems in every language (same position).

    At index time the field receives stems already (see :func:`stem_words`) and the
    filter passes them through.
    """

    def __call__(self, tokens: Iterable) -> Iterator:
        for t in tokens:
            if t.mode != "query":
                yield t
                continue
            original = t.text
            for stem in stems_for_query(original):
                t.text = stem
                yield t
            t.text = original


def folding_analyzer():
    """Words, lower case, accents folded: the analyzer of the cross-language text fields."""
    return RegexTokenizer() | LowercaseFilter() | FoldFilter()


def stem_analyzer():
    """The analyzer of the stemmed field: stems at index time, every language's stems at query time."""
    return RegexTokenizer() | LowercaseFilter() | FoldFilter() | ExpandStemsFilter()

