"""Language-aware text analysis shared by every search backend.

Every word is *folded* (lower case, accents and ligatures removed, Greek final sigma
made ordinary) so that "educacao" finds "educação" and "ενεργεια" finds "Ενέργεια".
A text is analysed in its own language: that language's stop words are dropped (so
Spanish "las" in a Spanish text does not match Polish "las", forest) and its words
are stemmed by the language's Snowball stemmer (PyStemmer: compiled Snowball, every
language we carry records in, Greek and Polish included). The stem is taken from the
lower-cased word and then folded, which is what the stemmers expect ("mehiläisten"
and "mehiläiset" meet); a query word is stemmed both as typed and folded, so a word
typed without its accents finds the accented text.

The analysis produces plain strings; :mod:`.schema` (Whoosh) and
:mod:`.postgres` (PostgreSQL) store them, so both backends index the same tokens.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache

import Stemmer
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer
from whoosh.lang import has_stopwords, stopwords_for_language

__all__ = [
    "fold",
    "fold_text",
    "folding_analyzer",
    "folded_words",
    "primary_language",
    "stem",
    "stems_of",
    "query_stems",
    "stopwords",
    "words_of",
    "is_greek",
    "STEM_LANGUAGES",
    "COMPOUND_LANGUAGES",
]

# BCP 47 primary subtag -> Snowball algorithm (PyStemmer).
_ALGORITHMS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "et": "estonian", "eu": "basque", "fi": "finnish", "fr": "french",
    "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian", "no": "norwegian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
STEM_LANGUAGES: tuple[str, ...] = tuple(sorted(lang for lang, alg in _ALGORITHMS.items()
                                               if alg in Stemmer.algorithms()))
# Languages that write compounds as one word: their words are looked for inside longer ones.
COMPOUND_LANGUAGES = frozenset({"de", "nl", "sv", "fi", "el", "da", "no", "nb", "nn"})

# Characters NFKD does not decompose into a base letter plus marks.
_SPECIAL = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ς": "σ", "ĳ": "ij"}
)
_WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)

# Whoosh carries no stop words for these; the commonest function words, folded.
_EXTRA_STOPWORDS = {
    "el": "και κι ο η το οι τα του τησ των τον την στο στη στην στον στα στουσ στισ σε με για απο ωσ "
          "που να θα δεν μη μην ειναι ενα ενασ μια μιασ ή αλλα οτι πωσ οπωσ αυτο αυτη αυτοσ τουσ τισ "
          "εινα ηταν εχει εχουν πολυ πιο κατα μετα προσ χωρισ",
    "pl": "i w z na do o a że się nie jak to jest od po za przez dla oraz lub czy ale co ich jego jej "
          "są być ten ta te tym tego tej który która które przy pod nad bez jako też już tak",
}


# Bounded well below a catalogue's vocabulary x languages: query words go through it too,
# and each made-up word a client sends costs ~300 bytes here until it is pushed out. An
# indexing process fills it with the rare words of its records (names, numbers): 65,536
# words took ~20 MB, reached only after ~60,000 records, so an import's memory grew with
# its size up to there; the frequent words that make the hits fit in far fewer.
@lru_cache(maxsize=16_384)
def fold(word: str) -> str:
    """Lower-case a word and strip its accents: 'Energía' -> 'energia', 'Σχολείς' -> 'σχολεισ'."""
    lowered = word.lower().translate(_SPECIAL)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_SPECIAL)


def fold_text(text: str) -> str:
    """:func:`fold` for a whole text (a record's name): not kept in fold's cache, where
    every record would leave a text of its own that no other record repeats."""
    return fold.__wrapped__(text)


def primary_language(tag: str | None) -> str:
    """The primary subtag of a BCP 47 tag ('pt-BR' -> 'pt'); '' for none."""
    return (tag or "").split("-")[0].lower()


def is_greek(word: str) -> bool:
    """True for a word in Greek script."""
    return any("\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff" for c in word)


# Words an indexing stemmer keeps with their stems, per language. tokens._word keeps the
# analysis of the 16,384 latest words in front of it, so this cache sees only the rarer
# ones; at 50,000 a language, an index writer held ~30 MB more after 100,000 records than
# after 20,000 (a catalogue's rare words never end) for no measurable speed.
STEMMER_CACHE = 5_000


@cache
def _stemmer(lang: str):
    algorithm = _ALGORITHMS.get(lang)
    return Stemmer.Stemmer(algorithm, STEMMER_CACHE) if algorithm in Stemmer.algorithms() else None


# Query words come from anyone. Stemmed with the indexing stemmers above, every made-up
# word a client sends would stay in their caches (50,000 words for each of 16 languages:
# a serving process grew by ~120 KB per such search). Queries get stemmers without a cache,
# one set per thread, as a PyStemmer object must not be used by two threads at once.
_query_stemmers = threading.local()


def _query_stemmer(lang: str):
    stemmers = _query_stemmers.__dict__
    if lang not in stemmers:
        algorithm = _ALGORITHMS.get(lang)
        stemmers[lang] = Stemmer.Stemmer(algorithm, 0) if algorithm in Stemmer.algorithms() else None
    return stemmers[lang]


@cache
def stopwords(lang: str) -> frozenset[str]:
    """The folded stop words of a language (empty when we have none)."""
    lang = primary_language(lang)
    words: set[str] = set()
    if lang in _EXTRA_STOPWORDS:
        words.update(_EXTRA_STOPWORDS[lang].split())
    elif has_stopwords(lang):
        words.update(stopwords_for_language(lang))
    return frozenset(fold(w) for w in words)


def stem(word: str, lang: str, *, query: bool = False) -> str:
    """The folded stem of a lower-cased word in a language (the folded word when we have no stemmer).

    ``query``: the word comes from a search, and is stemmed without the indexing caches."""
    stemmer = (_query_stemmer if query else _stemmer)(primary_language(lang))
    if stemmer is None:
        return fold(word)
    return fold(stemmer.stemWord(word))


def words_of(text: str) -> list[str]:
    """The lower-cased words of a text, unfolded (stemmers want their accents)."""
    return [w.lower() for w in _WORD.findall(text)]


def folded_words(text: str) -> list[str]:
    """The folded words of a text, stop words kept: what a phrase or a title is made of."""
    return list(map(fold, _WORD.findall(text)))  # findall: the whole match (the group does not capture)


def stems_of(words: list[str], lang: str, *, both: bool = False, query: bool = False) -> list[str]:
    """The folded stems of lower-cased words in their language, stop words dropped.

    With ``both``, a word whose stem differs when taken from its folded form gets that
    stem too (French "électricité" and "electricite" stem apart), so the index meets a
    query typed without accents. ``query``: the words come from a search (see :func:`stem`).
    """
    lang = primary_language(lang)
    stop = stopwords(lang)
    stemmer = (_query_stemmer if query else _stemmer)(lang)
    out = []
    for word in words:
        folded = fold(word)
        if folded in stop:
            continue
        if stemmer is None or (word.isdigit() and word.isascii()):  # stemmers leave 0-9 as they are
            out.append(folded)
            continue
        first = fold(stemmer.stemWord(word))
        out.append(first)
        if both and folded != word:
            second = stemmer.stemWord(folded)
            if second != first:
                out.append(second)
    return out


@lru_cache(maxsize=4096)  # the words of recent queries, not every word ever asked for
def query_stems(word: str, langs: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Every distinct stem a query word may have: in ``langs`` (every stemmed language when
    empty), from the word as typed and folded, so a word typed without accents still meets
    the stems of accented text."""
    lowered = word.lower()
    folded = fold(word)
    if not langs:
        langs = ("el",) if is_greek(word) else tuple(lang for lang in STEM_LANGUAGES if lang != "el")
    found: dict[str, None] = {}
    for lang in langs:
        stemmer = _query_stemmer(lang)
        if stemmer is None:
            continue
        found[fold(stemmer.stemWord(lowered))] = None
        found[fold(stemmer.stemWord(folded))] = None
    return tuple(found)


class _FoldFilter(Filter):
    """Fold every token (case, accents, ligatures, final sigma)."""

    def __call__(self, tokens: Iterable) -> Iterator:
        for t in tokens:
            t.text = fold(t.text)
            yield t


def folding_analyzer():
    """Words, lower case, accents folded: the analyzer of the Whoosh text fields."""
    return RegexTokenizer() | LowercaseFilter() | _FoldFilter()
