"""BM25F scores of the matching documents, summed term by term from the postings.

Whoosh scores by stepping a tree of matchers (one per field and per stem) a document
at a time, 8 µs and more per matching document: too slow once a word matches tens of
thousands of records. The score of an AND / OR / AND-MAYBE tree of terms is the sum of
the BM25F scores of its terms that occur in the document, so it can be computed term
by term instead: each term's postings are read block by block, and each posting of a
document in the match set adds ``idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))``
(Whoosh's own formula and parameters) to that document, for the documents where the
term's part of the query matches (an AND part only where all of it matches). Terms
under NOT add nothing; phrases add the scores of their words in the phrase's field;
prefixes and wildcards the scores of the words they stand for; concept queries add
their constant.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length, length_to_byte

from .docsets import TextPhrase, ids_of, segment_id
from .whoosh_internals import field_b, length_bytes, posting_blocks

__all__ = ["score_matches"]

# A prefix standing for more words than this is scored by its most frequent ones.
_EXPAND_LIMIT = 32


def score_matches(searcher, sets, q: wq.Query, matched: int, lengths_cache: dict) -> dict[int, float]:
    """BM25F score of every document in the bitmap ``matched`` for query ``q`` (docnum -> score).

    ``sets`` is the generation's :class:`~.docsets.DocSets`; ``lengths_cache`` keeps the
    length bytes of each (segment, field) across generations.
    """
    return score_parts(searcher, sets, q, matched, lengths_cache)[0]


def score_parts(
    searcher, sets, q: wq.Query, matched: int, lengths_cache: dict, *, common: int | None = None
) -> tuple[dict[int, float], list[tuple[int, float]]]:
    """Like :func:`score_matches`, but a term (or constant part) matching more than ``common``
    documents is not read posting by posting: it comes back as (bitmap, constant), the
    constant being its BM25F score for one occurrence in a document of average length
    (``idf * boost``). Ranking 100,000 records then costs bitmap operations, not a Python
    step per posting, while rare terms, which decide the order, are scored exactly."""
    weighting = searcher.weighting if isinstance(searcher.weighting, BM25F) else BM25F()
    k1 = weighting.K1
    scores: dict[int, float] = {}
    constants: list[tuple[int, float]] = []
    get = scores.get
    schema = searcher.schema
    leaves = list(searcher.leaf_searchers())

    def add_term(fieldname: str, text, boost: float, within: int) -> None:
        if fieldname not in schema or not within:
            return
        field = schema[fieldname]
        btext = field.to_bytes(text) if not isinstance(text, bytes) else text
        if not field.scorable:
            for docnum in ids_of(sets.term(fieldname, btext) & within):
                scores[docnum] = get(docnum, 0.0) + boost
            return
        if not sets.doc_frequency(fieldname, btext):
            return
        idf = searcher.idf(fieldname, btext)
        if common is not None and sets.doc_frequency(fieldname, btext) > common:
            # Reading its postings would cost more than the few documents it ranks are worth.
            bits = sets.term(fieldname, btext) & within
            if bits:
                constants.append((bits, idf * boost))
            return
        avgfl = searcher.avg_field_length(fieldname) or 1.0
        b = field_b(weighting, fieldname)
        # K1 * (1 - B + B * dl / avgdl) for each possible length byte.
        norms = [k1 * ((1 - b) + b * byte_to_length(i) / avgfl) for i in range(256)]
        factor = idf * (k1 + 1) * boost
        # Usually every document holding the term matches (a word's alternatives are
        # OR-ed): then no posting needs the membership test.
        everywhere = not (sets.term(fieldname, btext) & ~within)
        wbytes = b"" if everywhere else within.to_bytes((within.bit_length() >> 3) + 1, "little")
        nbytes = len(wbytes)
        for sub, offset in leaves:
            reader = sub.reader()
            key = (segment_id(reader), fieldname)
            lbytes = lengths_cache.get(key)
            if lbytes is None:
                lbytes = lengths_cache[key] = length_bytes(reader, fieldname)
            if len(lbytes) < reader.doc_count_all():  # no length column: average length
                lbytes = lengths_cache[key] = bytes([length_to_byte(round(avgfl))]) * reader.doc_count_all()
            if everywhere and not reader.has_deletions():
                for ids, weights in posting_blocks(reader, fieldname, btext):
                    for d, w in zip(ids, weights):
                        g = d + offset
                        scores[g] = get(g, 0.0) + factor * w / (w + norms[lbytes[d]])
                continue
            if everywhere:  # deleted documents still sit in the postings
                wbytes = sets.live.to_bytes((sets.live.bit_length() >> 3) + 1, "little")
                nbytes = len(wbytes)
            for ids, weights in posting_blocks(reader, fieldname, btext):
                for d, w in zip(ids, weights):
                    g = d + offset
                    i = g >> 3
                    if i < nbytes and wbytes[i] >> (g & 7) & 1:
                        scores[g] = get(g, 0.0) + factor * w / (w + norms[lbytes[d]])

    def add_constant(q: wq.Query, score: float, within: int) -> None:
        bits = sets.query(q) & within
        if common is not None and bits.bit_count() > common:
            constants.append((bits, score))
            return
        for docnum in ids_of(bits):
            scores[docnum] = get(docnum, 0.0) + score

    def walk(q: wq.Query, boost: float, within: int) -> None:
        # Whoosh's matchers add up the scores of the parts that match a document:
        # an OR the parts present, an AND all of them (so it narrows what its parts
        # score to the documents matching it whole), AND-MAYBE its optional part too.
        if not within:
            return
        boost *= getattr(q, "boost", 1.0) or 1.0
        if isinstance(q, wq.Term):
            add_term(q.fieldname, q.text, boost, within)
        elif isinstance(q, TextPhrase):  # its words count where the phrase is
            walk(q.child, boost, within & sets.query(q))
        elif isinstance(q, wq.Phrase):
            inside = sets.query(q) & within  # its words count where the phrase is
            for word in dict.fromkeys(q.words):
                add_term(q.fieldname, word, boost, inside)
        elif isinstance(q, wq.ConstantScoreQuery):
            add_constant(q.child, q.score * boost, within)
        elif isinstance(q, wq.AndMaybe):
            walk(q.a, boost, within)
            walk(q.b, boost, within)
        elif isinstance(q, wq.AndNot):
            walk(q.a, boost, within)
        elif isinstance(q, wq.Not) or q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return
        elif isinstance(q, wq.And):
            narrowed = within & sets.query(q)
            for sub in q.subqueries:
                walk(sub, boost, narrowed)
        elif isinstance(q, wq.Or) and not q.minmatch:
            for sub in q.subqueries:
                walk(sub, boost, within)
        elif isinstance(q, (wq.Prefix, wq.Wildcard)) and q.fieldname in schema:
            # The words a prefix or wildcard stands for, each scored as a term (the
            # most frequent ones only, when it stands for very many).
            btexts = list(q._btexts(searcher.reader()))
            if len(btexts) > _EXPAND_LIMIT:
                btexts = sorted(btexts, key=lambda t: -sets.doc_frequency(q.fieldname, t))[:_EXPAND_LIMIT]
            for btext in btexts:
                add_term(q.fieldname, btext, boost, within)
        else:  # fuzzy terms, every, ...: a constant for each document they match
            add_constant(q, boost, within)

    walk(q, 1.0, matched)
    return scores, constants
