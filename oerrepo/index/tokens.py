"""What every search backend indexes of a document: the same tokens for Whoosh and PostgreSQL.

Each text is read in its own language (see :mod:`.analysis`): its folded words without
that language's stop words (per field, for field weights), its stems, the topics its
words name (see :mod:`.topics`) and, for phrases, each text's folded words in order
(see :mod:`.phrases`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .analysis import fold, folded_words, primary_language, stems_of, stopwords, words_of
from .backend import IndexDocument
from .phrases import texts_of
from .topics import tag_analysed

__all__ = ["DocumentTokens", "tokens_of"]


@dataclass
class DocumentTokens:
    """The analysed tokens of one document (see the module docstring)."""

    title: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    stems: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    # Per field of phrases.FIELDS, its texts' folded words in order (see .phrases).
    phrases: tuple[str, ...] = ("", "", "", "")

    def words(self) -> set[str]:
        """Every distinct folded word of the titles, keywords and descriptions."""
        return {*self.title, *self.keywords, *self.description}


# A longer "word" is no word anybody searches for (and PostgreSQL refuses lexemes of 2 KB).
MAX_WORD = 100


# The analysis of one word in one language, kept for the next texts that hold it: a
# catalogue's texts repeat a far smaller vocabulary. Only indexed text comes here. Its
# bound is reached after ~15,000 records, like fold's (see analysis.fold).
@lru_cache(maxsize=16_384)
def _word(word: str, lang: str) -> tuple[str, bool, tuple[str, ...], str]:
    """(folded, is a stop word, its stems for the index, the stem of the folded word)."""
    folded = fold(word)
    if folded in stopwords(lang):
        return folded, True, (), ""
    stems = tuple(stems_of([word], lang, both=True))
    return folded, False, stems, stems_of([folded], lang)[0]


def tokens_of(doc: IndexDocument) -> DocumentTokens:
    """Analyse a document's texts, each in its own language."""
    out = DocumentTokens()
    stems, topics, parts = out.stems, out.topics, out.parts
    sequences: list[str] = []
    for target, items in (("title", doc.titles), ("keywords", doc.keywords), ("description", doc.descriptions)):
        bucket = getattr(out, target)
        texts = []
        for lang, text in items:
            lang = primary_language(lang)
            analysed = [_word(w, lang) for w in words_of(text) if len(w) <= MAX_WORD]
            folded = [a[0] for a in analysed]
            places = [i for i, a in enumerate(analysed) if not a[1]]
            content = [folded[i] for i in places]
            bucket += content
            for i in places:
                stems += analysed[i][2]
            texts.append(folded)
            for topic_id, whole in tag_analysed(content, [analysed[i][3] for i in places], lang):
                (topics if whole else parts).append(topic_id)
        sequences.append(texts_of(texts))
    texts = []
    for text in doc.body:
        words = [w for w in folded_words(text) if len(w) <= MAX_WORD]
        out.body += words
        texts.append(words)
    sequences.append(texts_of(texts))
    out.phrases = tuple(sequences)
    return out
