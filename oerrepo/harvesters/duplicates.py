"""Duplicates for coordinators: what the harvests merged, and what they did not dare to.

Merged clusters are resources provided by more than one party (a local record and
partners' copies of it, or several partners): each names its providers and why their
copies were merged. Probable duplicates are pairs of resources the harvests kept apart
because the evidence is too weak to merge automatically, for a person to decide:

- nearly the same title (after folding case, accents and punctuation) with different
  creators, or none;
- the same resource in two languages: the same creators and date in different
  languages, or the same web address but for a language segment (``/en/`` vs ``/pt/``,
  ``?lang=en``).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..store import Store
from ..store import harvest as sql
from .dedup import fold, normalized_url

__all__ = ["Cluster", "ProbableDuplicate", "DuplicatesReport", "find_duplicates", "TITLE_SIMILARITY"]

TITLE_SIMILARITY = 0.88  # difflib ratio of folded titles from which two titles count as "nearly the same"
PAIR_LIMIT = 1000  # probable pairs reported at most (the count goes on)
_LANG_SEGMENT = re.compile(r"/(?:[a-z]{2}|[a-z]{2}-[a-z]{2})(?=/|$)", re.I)
_LANG_QUERY = re.compile(r"([?&])(?:lang|language|locale|hl)=[A-Za-z-]{2,5}(&|$)", re.I)


@dataclass
class Cluster:
    """One resource and the parties that provide it."""

    id: str
    name: str
    local: bool  # stored here by a person: its values win over every partner's
    providers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "local": self.local, "providers": self.providers}


@dataclass
class ProbableDuplicate:
    """Two resources that may be one, and why they were not merged."""

    ids: tuple[str, str]
    names: tuple[str, str]
    why: str

    def to_dict(self) -> dict:
        return {"ids": list(self.ids), "names": list(self.names), "why": self.why}


@dataclass
class DuplicatesReport:
    """Merged clusters and probable duplicates (see :func:`find_duplicates`)."""

    merged: list[Cluster] = field(default_factory=list)
    probable: list[ProbableDuplicate] = field(default_factory=list)
    probable_total: int = 0

    def to_dict(self) -> dict:
        return {"merged": [c.to_dict() for c in self.merged], "probable": [p.to_dict() for p in self.probable],
                "mergedCount": len(self.merged), "probableCount": self.probable_total}

    def summary(self, *, details: int = 20) -> str:
        lines = [f"{len(self.merged)} merged resource(s), {self.probable_total} probable duplicate(s) not merged"]
        if self.merged:
            lines.append("merged:")
            for c in self.merged[:details]:
                who = ", ".join(
                    f"{p['source']} ({p['role']}{'; ' + p['why'] if p.get('why') else ''})" for p in c.providers
                )
                lines.append(f"  {c.id} \"{c.name}\"{' [local]' if c.local else ''}: {who}")
            if len(self.merged) > details:
                lines.append(f"  ... and {len(self.merged) - details} more (see --json)")
        if self.probable:
            lines.append("probable duplicates (not merged; decide and edit or delete one):")
            for p in self.probable[:details]:
                lines.append(f"  {p.ids[0]} \"{p.names[0]}\" ~ {p.ids[1]} \"{p.names[1]}\": {p.why}")
            if self.probable_total > details:
                lines.append(f"  ... and {self.probable_total - details} more (see --json)")
        return "\n".join(lines)


def _first(texts: dict | None) -> str:
    return next(iter((texts or {}).values()), "")


def _creators(data: dict) -> frozenset[str]:
    return frozenset(" ".join(sorted(fold(c.get("name", "")).split())) for c in data.get("creator") or ()) - {""}


def _without_language(url: str) -> str:
    return _LANG_QUERY.sub(lambda m: m.group(1) if m.group(2) else "", _LANG_SEGMENT.sub("", url)).rstrip("?&/")


def find_duplicates(store: Store) -> DuplicatesReport:
    """Merged clusters and probable duplicates of the live records of a store."""
    report = DuplicatesReport()
    records: dict[str, dict] = {r.id: r.data for r in store.iter_resources()}
    for rid, rows in sql.live_provenance(store).items():
        if rid not in records:
            continue
        primary = any(r["role"] == "primary" for r in rows)
        if len(rows) < 2 and primary:
            continue  # one partner's record, nothing merged
        providers = [] if primary else [{"source": "(local)", "role": "primary", "why": "stored here"}]
        for row in rows:
            why = next((n[len("merged: "):] for n in row["notes"] if n.startswith("merged: ")), None)
            providers.append({"source": row["source"], "oaiIdentifier": row["oai_identifier"], "role": row["role"],
                              **({"why": why} if why else {})})
        report.merged.append(Cluster(rid, _first(records[rid].get("name")), not primary, providers))
    report.merged.sort(key=lambda c: c.id)
    seen: set[tuple[str, str]] = set()

    def add(a: str, b: str, why: str) -> None:
        pair = (a, b) if a < b else (b, a)
        if pair in seen:
            return
        seen.add(pair)
        report.probable_total += 1
        if len(report.probable) < PAIR_LIMIT:
            names = (_first(records[pair[0]].get("name")), _first(records[pair[1]].get("name")))
            report.probable.append(ProbableDuplicate(pair, names, why))

    _similar_titles(records, add)
    _translations(records, add)
    report.probable.sort(key=lambda p: p.ids)
    return report


def _similar_titles(records: dict[str, dict], add) -> None:
    # Blocking: only titles sharing their first or their last two words are compared.
    blocks: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    for rid, data in records.items():
        for title in dict.fromkeys(fold(t) for t in (data.get("name") or {}).values()):
            words = title.split()
            if len(words) < 2:
                continue
            blocks[("first", *words[:2])].append((rid, title))
            blocks[("last", *words[-2:])].append((rid, title))
    for members in blocks.values():
        if len(members) < 2 or len(members) > 200:
            continue  # a block this large is a common phrase, not a duplicate
        for i, (a, ta) in enumerate(members):
            for b, tb in members[i + 1:]:
                if a == b:
                    continue
                ratio = 1.0 if ta == tb else difflib.SequenceMatcher(None, ta, tb).ratio()
                if ratio < TITLE_SIMILARITY:
                    continue
                ca, cb = _creators(records[a]), _creators(records[b])
                if ca and ca == cb:
                    why = "nearly the same title and the same creators"
                elif not ca or not cb:
                    why = "nearly the same title; creators missing on one side"
                else:
                    why = "nearly the same title but different creators"
                add(a, b, f"{why} (title similarity {ratio:.2f})")


def _groups(pairs: Iterable[tuple[Any, str]]) -> dict[Any, list[str]]:
    out: dict[Any, list[str]] = defaultdict(list)
    for key, rid in pairs:
        out[key].append(rid)
    return out


def _translations(records: dict[str, dict], add) -> None:
    def langs(rid: str) -> frozenset[str]:
        return frozenset(records[rid].get("inLanguage") or ())

    by_people = _groups(
        ((_creators(d), d.get("datePublished") or d.get("dateCreated")), rid)
        for rid, d in records.items() if _creators(d) and (d.get("datePublished") or d.get("dateCreated"))
    )
    for members in by_people.values():
        for i, a in enumerate(members[:50]):
            for b in members[i + 1:50]:
                if langs(a) and langs(b) and not langs(a) & langs(b):
                    add(a, b, "same creators and date in different languages (a translation?)")
    urls = {rid: normalized_url(d["url"]) for rid, d in records.items() if d.get("url")}
    by_url = _groups((_without_language(u), rid) for rid, u in urls.items() if u and _without_language(u) != u)
    plain = _groups((u, rid) for rid, u in urls.items() if u)
    for stripped, members in by_url.items():
        members = members + plain.get(stripped, [])
        for i, a in enumerate(members[:50]):
            for b in members[i + 1:50]:
                if urls[a] != urls[b]:
                    add(a, b, "the same web address but for its language (a translation?)")
