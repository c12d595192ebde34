"""What every search backend indexes of a document: the same tokens for Whoosh and PostgreSQL.

Each text is read in its own language (see :mod:`.analysis`): its folded words without
that language's stop words (per field, for field weights), its stems, the topics its
words name (see :mod:`.topics`) and, for phrases, its successive word pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import fold, folded_words, pairs_of, primary_language, stems_of, stopwords, words_of
from .backend import IndexDocument
from .topics import tag_text

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
    pairs: list[str] = field(default_factory=list)

    def words(self) -> set[str]:
        """Every distinct folded word of the titles, keywords and descriptions."""
        return {*self.title, *self.keywords, *self.description}


# A longer "word" is no word anybody searches for (and PostgreSQL refuses lexemes of 2 KB).
MAX_WORD = 100


def _content_words(words: list[str], lang: str) -> list[str]:
    stop = stopwords(lang)
    return [w for w in (fold(x) for x in words) if w not in stop]


def tokens_of(doc: IndexDocument) -> DocumentTokens:
    """Analyse a document's texts, each in its own language."""
    out = DocumentTokens()
    for target, items in (("title", doc.titles), ("keywords", doc.keywords), ("description", doc.descriptions)):
        bucket = getattr(out, target)
        for lang, text in items:
            lang = primary_language(lang)
            words = [w for w in words_of(text) if len(w) <= MAX_WORD]
            bucket += _content_words(words, lang)
            out.stems += stems_of(words, lang, both=True)
            out.pairs += pairs_of([fold(w) for w in words])  # within one text, never across two
    whole, parts = tag_text([(primary_language(lang), text) for lang, text in (*doc.titles, *doc.keywords,
                                                                                 *doc.descriptions)])
    out.topics, out.parts = whole, parts
    for text in doc.body:
        words = [w for w in folded_words(text) if len(w) <= MAX_WORD]
        out.body += words
        out.pairs += pairs_of(words)
    return out
