"""Reading a page's records into our stored form: crosswalk, licence, normalisation.

None of it needs the store: 8 ms a page of 100 short oai_dc records, against ~1 ms for
sending the page to another process and its records back. A long harvest therefore hands
it to a process of its own
(:class:`PagePreparer`): while the harvesting process stores one page, that process
reads the next, which the fetching thread sends it as soon as it has arrived. Both paths
run :func:`prepare`, so a record reads the same either way.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .. import licenses
from ..errors import InvalidResource
from ..model import normalize_record
from ..subprocesses import start_helper
from .crosswalk import Crosswalked, Reader

__all__ = ["Prepared", "prepare", "PagePreparer"]


@dataclass
class Prepared:
    """What reading a page's records gave: ``records[i]`` is ``(record, crosswalk)`` for the
    i-th item read, ``(None, None)`` when it was refused; the reasons, in order, for the report."""

    records: list[tuple[dict | None, Crosswalked | None]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (oai identifier, reason)
    license_problems: list[tuple[str, str, bool]] = field(default_factory=list)  # (oai identifier, problem, kept)


def prepare(items: Sequence[tuple[str, Any]], reader: Reader, *, license_policy: str,
            repo_policy: licenses.LicensePolicy) -> Prepared:
    """Read ``(oai identifier, metadata element or None)`` items with ``reader``, then find each
    one's licence and normalise it; ``license_policy``: what a record without a usable
    licence gets ("keep": stored and flagged, "skip": refused)."""
    out = Prepared()
    for oai_id, payload in items:
        out.records.append(_prepare_one(out, oai_id, payload, reader, license_policy, repo_policy))
    return out


def _prepare_one(out: Prepared, oai_id: str, payload: Any, reader: Reader, license_policy: str,
                 repo_policy: licenses.LicensePolicy) -> tuple[dict | None, Crosswalked | None]:
    if payload is None:
        out.rejected.append((oai_id, "the record has no metadata"))
        return None, None
    try:
        cw = reader(payload)
    except (ValueError, TypeError, AttributeError, InvalidResource) as exc:
        out.rejected.append((oai_id, f"its metadata could not be read: {exc}"))
        return None, None
    return _normalize(out, oai_id, cw, license_policy, repo_policy), cw


def _normalize(out: Prepared, oai_id: str, cw: Crosswalked, license_policy: str,
               repo_policy: licenses.LicensePolicy) -> dict | None:
    record = dict(cw.record)
    rights = licenses.read_rights(cw.rights)  # the most restrictive reading when statements disagree
    lic = rights.license
    cw.notes.extend(rights.notes)
    if lic is not None:
        record["license"] = lic.url
        if rights.problem:
            out.license_problems.append((oai_id, rights.problem, True))
    else:
        problem = rights.problem or (f"licence not recognised: {rights.unrecognised[0]!r}"
                                     if rights.unrecognised else "no licence given")
        keep = license_policy != "skip"
        out.license_problems.append((oai_id, problem, keep))
        if not keep:
            return None
        cw.notes.append(problem)
    for attempt in range(3):
        try:
            return normalize_record(record, policy=repo_policy, require_license=False, where=oai_id)
        except InvalidResource as exc:
            problems = exc.problems or [str(exc)]
            props = {re.split(r"[:/]", p, maxsplit=1)[0].strip() for p in problems}
            if "license" in props and lic is not None:
                reason = next((p for p in problems if p.startswith("license")), str(exc))
                out.license_problems.append((oai_id, reason, False))
                out.rejected.append((oai_id, f"refused by the repository's licence policy: {reason}"))
                return None
            droppable = {p for p in props if p in record and p not in ("name",)}
            if "name" in props or not droppable or attempt == 2:
                out.rejected.append((oai_id, "; ".join(problems)))
                return None
            for prop in droppable:
                record.pop(prop)
                cw.notes.append(f"{prop} left out: " + next(p for p in problems if p.startswith(prop)))
    return None


# The payloads were parsed (and repaired) once already: this parser only reads our own
# serialisation of them back, with nothing resolved from outside.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _prepare_serialised(items: list[tuple[str, bytes | None]], reader: Reader, license_policy: str,
                        repo_policy: str) -> Prepared:
    elements = [(oai_id, etree.fromstring(xml, _PARSER) if xml is not None else None) for oai_id, xml in items]
    return prepare(elements, reader, license_policy=license_policy, repo_policy=licenses.LicensePolicy(repo_policy))


def _ready() -> bool:
    return True


class PagePreparer:
    """A process that reads pages' records (see :func:`prepare`) while the harvest stores others.

    Spawned, not forked: the harvesting process runs threads and holds database connections.
    Closing drops what has not started; when the process has died, the page's Future raises
    ``BrokenProcessPool`` and the harvest reads the page itself (see ``SourceHarvest._read``).
    """

    def __init__(self, reader: Reader, *, license_policy: str, repo_policy: str):
        self.reader, self.license_policy, self.repo_policy = reader, license_policy, repo_policy
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=start_helper)
        self._pool.submit(_ready)  # starts the process, and its imports, now

    def submit(self, items: Sequence[tuple[str, Any]]) -> Future:
        """Start reading ``(oai identifier, metadata element or None)`` items; a Future of :class:`Prepared`."""
        serialised = [(oai_id, etree.tostring(payload, with_tail=False) if payload is not None else None)
                      for oai_id, payload in items]
        return self._pool.submit(_prepare_serialised, serialised, self.reader, self.license_policy, self.repo_policy)

    def close(self, *, wait: bool = True) -> None:
        """End the process (``wait``: after what it is reading; else at once, dropping it)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
