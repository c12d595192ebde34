"""The harvest loop: one partner source, page by page, resumable at any moment.

Each ListRecords page is written in ONE store transaction together with its
provenance rows and the source's saved position (resumption token, the ``from`` of
the running harvest). A process killed at any point therefore finds, when run again,
either the page fully stored with the token that follows it, or neither; it asks for
the next page and never stores a record twice. When the saved token has expired the
list is asked for again from the running harvest's ``from``: records seen before come
back unchanged. A complete harvest saves the partner's responseDate of its first page
as the ``from`` of the next one, in the partner's granularity.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .. import __version__, licenses, waiting
from ..errors import HarvestError
from ..identity import namespace as hub_namespace
from ..store import harvest as sql
from ..store import utc_now
from .client import Header, OAIClient, Page, next_token
from .crosswalk import Reader
from .dedup import match_keys
from .formats import FAMILY_NAMESPACES, choose_format, family_of, reader_for
from .merge import Merger, record_keys
from .network import Hub, origin_of
from .pages_ahead import PagesAhead
from .prepare import PagePreparer, Prepared, prepare
from .provenance import provenance_of_row
from .report import SourceReport
from .transport import Response, RetryPolicy, Transport, user_agent

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store

log = logging.getLogger("oerrepo.harvest")  # shown as it happens by the harvest command

__all__ = ["SourceHarvest", "IndexAside", "Progress", "Setting", "LICENSE_POLICIES"]

Progress = Callable[..., None]
Setting = Callable[[str, Any], Any]  # one repository setting by name, with a default
LICENSE_POLICIES = ("keep", "skip")  # a record without a usable licence: kept and flagged, or skipped
_ID_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_TOKENS_KEPT = 50  # tokens remembered per list to recognise a server that loops
# A complete list that lacks all of a source's records, or more than half of them (and more
# than this many), is more likely a partner's fault than a withdrawal: those records are
# kept unless the harvest allows mass deletion.
MASS_DELETION_MIN = 10
# The search index follows a harvest in batches, not page by page: a commit per page of
# 100 records costs the index more than the records themselves. A harvest still running
# after this many seconds, or that brought INDEX_ASIDE_AFTER records, gives the records it
# stores for the first time to the index as it stores them (each page's, in the page's
# transaction: the index's own processes analyse them while the next pages come), and the
# index applies the rest at the end; where the index takes none, a second process follows
# the store instead (index/background.py). Stored pages are safe either way, and the index
# is current when the harvest returns.
INDEX_EVERY = 10.0
INDEX_ASIDE_AFTER = 1000  # records (harvested, or listed by the partner): the indexing is handed over at once
ANALYZE_AFTER = 1000  # records: then every tenfold, the store's statistics are refreshed (see Store.analyze)


class IndexAside(Protocol):
    """How the search index keeps up while a long harvest stores pages: it takes new records
    in the transaction storing them (``feed``), or a second process follows the store."""

    def feed(self, resources: list, conn: Any) -> bool:
        """Index these new records while the transaction ``conn`` storing them runs; False when
        the index takes none (see :meth:`oerrepo.index.api.SearchService.feed`)."""

    def discard(self) -> None:
        """The feeding transaction rolled back."""

    def feed_ending(self, seconds_left: float, records_left: int) -> bool:
        """The last ``records_left`` records of the harvest come in about ``seconds_left``; True:
        nothing more to tell (see :meth:`oerrepo.index.api.SearchService.feed_ending`)."""

    def start_background(self) -> bool:
        """Let a second process follow the store from now on; False where none can start."""

    def stop_background(self, *, wait: bool = True) -> str | None:
        """This harvest no longer needs the second process (``wait``: the index is then current);
        returns what stopped it before it indexed everything, or None."""


@dataclass
class _Outcome:
    resource_id: str | None
    action: str  # new, updated, unchanged, merged, deleted, rejected, kept


class SourceHarvest:
    """Harvest one registered source into a store (see :meth:`run`).

    ``follow`` brings the search index up to the store (waiting for it); ``aside`` lets a
    second process do that while a long harvest goes on; ``setting`` reads the repository's
    settings (its licence policy, and the address and e-mail the user agent names).
    """

    def __init__(
        self,
        store: Store,
        source: sql.SourceRow,
        *,
        follow: Callable[[], None],
        aside: IndexAside,
        setting: Setting,
        full: bool = False,
        progress: Progress | None = None,
        sleep: Callable[[float], None] | None = None,
        allow_mass_deletion: bool = False,
        stop: threading.Event | None = None,
        may_feed: bool = True,
    ):
        self.store = store
        self.follow = follow
        self.aside = aside
        self.source = source
        self.name = source["name"]
        self.origin = f"harvest:{self.name}"
        self.full = full
        self.allow_mass_deletion = allow_mass_deletion
        self.stop = stop  # set by another thread: end after the page being stored (resumable)
        # False where other harvests run at once in this process: the index then follows the
        # store in a second process, as one feeding harvest's commit must not take the others'.
        self.may_feed = may_feed
        self.progress = progress
        settings = source.get("settings") or {}
        self.license_policy = settings.get("on_missing_license", "keep")
        self.report = SourceReport(source=self.name, url=source["url"], set_specs=tuple(source["set_specs"]))
        agent = user_agent(__version__, setting("base_url", None), setting("admin_email", None))
        transport_options: dict[str, Any] = {}
        if sleep is not None:
            transport_options["sleep"] = sleep
        self.transport = Transport(
            source["url"],
            agent=agent,
            delay=float(settings.get("delay", 0.0) or 0.0),
            retry=RetryPolicy.from_settings(settings),
            on_wait=self.report.note,
            **transport_options,
        )
        self.client = OAIClient(self.transport)
        self.repo_policy = licenses.LicensePolicy(setting("license_policy", "any"))
        # This hub as the network sees it: echoes of its own records are recognised by it.
        base_url = setting("base_url", None)
        self.merger = Merger(self.name, self.origin, self.report,
                             Hub(hub_namespace(self.store), frozenset({f"{base_url}/oai"} if base_url else ())))
        self.namespace: str | None = None  # of the format read, named in the provenance we publish
        self._unknown_deletions = 0
        self._unindexed = False  # pages stored since the search index last followed
        self._indexed_at = time.monotonic()
        self._indexing_aside: bool | None = False  # a second process keeps the index up; None: cannot
        self._feeding: bool | None = False  # new records go to the index with their page; None: it takes none
        self._fed = False  # some did
        self._end_told = False  # the index knows when the last records are expected (see IndexAside.feed_ending)
        self._analyzed_at = ANALYZE_AFTER  # records stored from which the store's statistics are refreshed
        # A long harvest's pages are read (crosswalk, licence, normalisation) in a process of
        # its own as they arrive, while this one stores the page before (see .prepare).
        self._preparer: PagePreparer | None = None

    # -- the run --------------------------------------------------------------------

    def run(self) -> SourceReport:
        """Harvest until the partner's list ends; raises HarvestError (the report is on ``.report``)."""
        interrupted = True  # until the run ends or fails by itself (Ctrl-C leaves the index to the next open)
        try:
            self._run()
            interrupted = False
        except HarvestError as exc:
            self.report.error = str(exc)
            self.report.error_code = exc.code
            exc.report = self.report
            interrupted = exc.code == "interrupted"
            raise
        except Exception:
            interrupted = False
            raise
        finally:
            self.transport.close()
            if self._preparer is not None:
                self._preparer.close(wait=not interrupted)
                self._preparer = None
            if not interrupted and (self._fed or self._indexing_aside):
                # What is left takes seconds after a long harvest's last page: say so.
                log.info("%s: writing the search index for the records harvested", self.name)
            if self._indexing_aside:
                # The second process ends with a last catch-up; on Ctrl-C it is not waited for.
                problem = self.aside.stop_background(wait=not interrupted)
                if problem:  # the catch-up below indexes what it left
                    self.report.note(f"the second indexing process failed ({problem}); this process indexed the "
                                     "records instead")
            if self._unindexed and not interrupted:
                self._follow_index()
            elif interrupted and self._fed:
                # Ctrl-C: what was fed is dropped, with the index writer and its lock; the next
                # catch-up (in any thread) applies the stored pages from the store.
                self.aside.discard()
            if self._unknown_deletions:
                self.report.note(f"{self._unknown_deletions} deletion(s) of records never harvested here were ignored")
        return self.report

    def _run(self) -> None:
        # Records people stored here get their match keys, so partners' copies of them are recognised.
        sql.refresh_local_keys(self.store, match_keys)
        identity = self.client.identify_partner()
        state = dict(self.source["state"] or {})
        prefix, reader = self._choose_format(state)
        self.report.metadata_prefix = prefix
        if state.get("metadata_prefix") not in (None, prefix):
            state = {}  # another format: earlier positions do not apply
        state["metadata_prefix"] = prefix
        state["granularity"] = identity.granularity
        set_specs: list[str | None] = list(self.source["set_specs"]) or [None]
        if self.source["set_specs"]:
            self._check_sets()

        running = state.get("running") if not self.full else None
        if running:
            self.report.resumed = True
        else:
            last = None if self.full else state.get("last_from")
            # listed_since: our clock when the lists began; a record of this source not seen
            # in lists asked without 'from' is no longer at the partner (see _delete_unlisted).
            running = {"from": _in_granularity(last, identity.day_granularity), "set_index": 0,
                       "token": None, "tokens": [], "started": None, "listed_since": self._clock_start()}
        self.report.from_date = running["from"]
        # The next pages are fetched while this one is stored: the partner's answer time and
        # our parsing overlap with the storing. One request at a time, as before.
        # Its thread is left behind on Ctrl-C: a request in flight never holds up the stop.
        ahead = PagesAhead(lambda request: self._fetch(prefix, *request), read=self.client.read_page,
                           peek=lambda answer: next_token(answer.body), then=self._start_reading)
        try:
            self._list(state, running, set_specs, prefix, reader, identity, ahead)
        except BaseException:
            # Failing or interrupted: do not wait for a page fetched ahead (it is never stored).
            ahead.close(wait=False)
            raise
        ahead.close()

    def _list(self, state: dict, running: dict, set_specs: list[str | None], prefix: str, reader: Reader,
              identity: Any, ahead: PagesAhead) -> None:
        """Page through the lists of every set, storing each page with the position after it."""
        # An expired token restarts the list from the safe point (the running 'from') as long
        # as each attempt gets further than the one before: partners whose tokens live
        # shorter than a whole list still get harvested, and one that never lets us past the
        # same page ends with a clear error instead of looping.
        pages = 0  # pages of the current list stored by this attempt
        listed, list_started = 0, time.monotonic()  # records of the list received, since when
        best: int | None = None  # how far the previous attempt at this list got
        restarts = 0
        while running["set_index"] < len(set_specs):
            if self.stop is not None and self.stop.is_set():
                raise self._interrupted(state, running)
            request = (running["token"], running["from"], set_specs[running["set_index"]])
            reading = None  # the page's records as the preparing process reads them
            try:
                # Pages are waited for here, fetched in the fetching thread: Ctrl-C (or the
                # stop of harvest_all's other workers) ends the wait at once, not the request.
                page, reading = self._await(ahead.get(request), state, running)
            except HarvestError as exc:
                if exc.code == "interrupted":
                    raise
                if exc.code == "noRecordsMatch":
                    page = Page(response_date=self.client.response_date, records=[], token=None, token_element=False)
                elif exc.code == "badResumptionToken" and running["token"] and (best is None or pages > best):
                    restarts += 1
                    self.report.note(
                        f"the saved resumption token was refused ({exc}) after {pages} pages; asked for the list "
                        f"again from {running['from'] or 'the beginning'} (restart {restarts})"
                    )
                    best, pages = pages, 0
                    listed, list_started = 0, time.monotonic()
                    running.update(token=None, tokens=[])
                    continue
                elif exc.code == "badResumptionToken" and running["token"]:
                    self._save_state(state, running)
                    raise HarvestError(
                        f"{self.source['url']} refused its own resumption token {restarts + 1} times; the last "
                        f"attempt got no further than the one before ({pages} pages). The pages harvested are "
                        "kept; harvest again later, or ask the partner to keep resumption tokens valid longer",
                        code="badResumptionToken",
                    ) from exc
                else:
                    self._save_state(state, running)
                    raise
            if running["started"] is None:
                running["started"] = page.response_date or utc_now()
            pages += 1
            listed += len(page.records)
            looping = bool(page.token and (page.token == running["token"] or page.token in running["tokens"]))
            if page.token and not looping:
                running["token"] = page.token
                running["tokens"] = (running["tokens"] + [page.token])[-_TOKENS_KEPT:]
            elif not looping:  # this list is complete (no token, or an empty element)
                running.update(set_index=running["set_index"] + 1, token=None, tokens=[])
                pages, best, restarts = 0, None, 0  # the next set's list starts afresh
                listed, list_started = 0, time.monotonic()
            done = running["set_index"] >= len(set_specs)
            if done:
                state["last_from"] = _in_granularity(running["started"], identity.day_granularity)
                state["last_complete"] = utc_now()
                state.pop("running", None)
            else:
                state["running"] = running
            # Lists asked without 'from' hold everything the partner has, deleted or not.
            unlisted_since = running.get("listed_since") if done and running["from"] is None else None
            self._store_page(page, reader, prefix, state, unlisted_since=unlisted_since, reading=reading)
            if page.token and page.complete_list_size and self._fed and self._feeding and not self._end_told:
                left, elapsed = page.complete_list_size - listed, time.monotonic() - list_started
                self._end_told = self.aside.feed_ending(left * elapsed / listed, left) if left > 0 and listed else False
            if looping:
                raise HarvestError(
                    f"{self.source['url']} returned the resumption token {page.token!r} a second time, "
                    "so the list would never end; the pages before were kept. Report this to the partner "
                    "and harvest again later",
                    code="resumptionLoop",
                )
        self.report.complete = True

    def _await(self, fetch: Future, state: dict, running: dict) -> tuple[Page, Future | None]:
        """The page ``fetch`` gives and its reading, or HarvestError "interrupted" once the harvest is stopped."""
        if not waiting.wait(fetch, self.stop):
            raise self._interrupted(state, running)
        return fetch.result()

    def _interrupted(self, state: dict, running: dict) -> HarvestError:
        self._save_state(state, running)
        return HarvestError(
            "the harvest was interrupted; the pages before were kept and the next run continues from there",
            code="interrupted",
        )

    def _fetch(self, prefix: str, token: str | None, from_: str | None, set_spec: str | None) -> Response:
        if token:
            return self.client.request_page(token=token)
        return self.client.request_page(metadata_prefix=prefix, from_=from_, set_spec=set_spec)

    def _start_reading(self, page: Page) -> Future | None:
        """The reading of a page's records by the preparing process, once there is one (see :mod:`.prepare`)."""
        preparer = self._preparer
        if preparer is None or not page.records:
            return None
        try:
            return preparer.submit(self._to_read(page)[1])
        except BrokenProcessPool as exc:  # the process died: the harvest reads the page itself, and says so
            broken: Future = Future()
            broken.set_exception(exc)
            return broken
        except RuntimeError:  # the harvest is ending (the process was closed)
            return None

    def _to_read(self, page: Page) -> tuple[list, list[tuple[str, Any]]]:
        """The page's provenance chains, and the records whose metadata is read: neither
        deletions nor echoes (records of this hub coming back through partners are never stored)."""
        chains = [self.merger.chains(header) for header, _ in page.records]
        items = [(header.identifier, payload) for (header, payload), (_, echo) in zip(page.records, chains)
                 if not echo and not header.deleted]
        return chains, items

    def _choose_format(self, state: dict) -> tuple[str, Reader]:
        prefix = self.source.get("metadata_prefix")
        namespace = None
        if not prefix:
            try:
                offered = self.client.metadata_formats()
            except HarvestError as exc:
                offered = []
                self.report.note(f"ListMetadataFormats failed ({exc}); using oai_dc")
            prefix = choose_format(offered) or ("oai_dc" if not offered else None)
            if prefix is None:
                listed = ", ".join(p for p, _, _ in offered)
                raise HarvestError(
                    f"{self.source['url']} offers no metadata format we can read (it offers {listed}); "
                    "we read oai_dc, lom, oai_datacite/datacite and mods",
                    code="cannotDisseminateFormat",
                )
            namespace = next((ns for p, _, ns in offered if p == prefix), None)
        reader = reader_for(prefix, namespace)
        family = family_of(prefix, namespace)
        self.namespace = namespace or (FAMILY_NAMESPACES.get(family) if family else None)
        if reader is None:
            raise HarvestError(
                f"metadata format {prefix!r} cannot be read; use oai_dc, lom, oai_datacite, datacite or mods",
                code="cannotDisseminateFormat",
            )
        return prefix, reader

    def _check_sets(self) -> None:
        try:
            known = {spec for spec, _ in self.client.set_specs()}
        except HarvestError as exc:
            self.report.note(f"ListSets failed ({exc}); harvesting the asked sets anyway")
            return
        if not known:
            raise HarvestError(
                f"{self.source['url']} has no sets; remove the set(s) {', '.join(self.source['set_specs'])} "
                "from the source",
                code="noSetHierarchy",
            )
        for spec in self.source["set_specs"]:
            if spec not in known:
                self.report.note(f"set {spec!r} is not listed by the partner's ListSets")

    def _save_state(self, state: dict, running: dict) -> None:
        state["running"] = running
        with self.store.transaction() as conn:
            sql.save_state(conn, self.name, state)

    # -- one page -------------------------------------------------------------------

    def _store_page(self, page: Page, reader: Reader, prefix: str, state: dict, *,
                    unlisted_since: str | None = None, reading: Future | None = None) -> None:
        report = self.report
        report.pages += 1
        where = f"page {report.pages}"
        for repair in page.repairs:
            report.repairs.append((where, repair))
        for problem in page.problems:
            report.rejected.append((where, problem))
        # Echoes (records of this hub coming back through partners) are recognised before
        # their metadata is read: they are never stored.
        chains, items = self._to_read(page)
        got = self._read(items, reader, reading)
        for entry in got.rejected:
            report.rejected.append(entry)
        for entry in got.license_problems:
            report.license_problems.append(entry)
        read = iter(got.records)
        prepared = [(header, None, None) if header.deleted or echo else (header, *next(read))
                    for (header, _), (_, echo) in zip(page.records, chains)]
        origins = [origin_of(h.identifier, kept) for (h, _, _), (kept, _) in zip(prepared, chains)]
        keys = [record_keys(data, origin) if data is not None else []
                for (_, data, _), origin in zip(prepared, origins)]
        try:
            with self.store.transaction() as conn:
                self._store_records(prepared, chains, origins, keys, prefix, state, conn, unlisted_since)
        except BaseException:
            if self._feeding:  # the page rolled back, and with it what the index was given
                self._feeding = None
                self.aside.discard()
            raise
        self._unindexed = True
        if report.records >= self._analyzed_at:
            # The tables it looks records up in have grown tenfold (from nothing, in a first
            # harvest): their statistics are refreshed, or the database may read them whole.
            self.store.analyze()
            self._analyzed_at *= 10
        due = time.monotonic() - self._indexed_at >= INDEX_EVERY
        fed = self._feeding
        # A partner that says how long its list is (completeListSize) lets a long harvest hand
        # its indexing over after the first page, rather than after INDEX_ASIDE_AFTER records
        # this process would otherwise index itself, reading them back from the store.
        large = report.records >= INDEX_ASIDE_AFTER or (page.complete_list_size or 0) >= INDEX_ASIDE_AFTER
        if fed is False and self._indexing_aside is False and (due or large):
            self._preparer = PagePreparer(reader, license_policy=self.license_policy, repo_policy=self.repo_policy.name)
            if self.may_feed:
                self._feeding = True  # from the next page on
            else:
                self._feeding = fed = None
        if fed is None and self._indexing_aside is False:
            # A harvest this long is worth a second process that indexes while it goes on
            # (asked once: where one cannot be started, this process follows every INDEX_EVERY).
            self._indexing_aside = self.aside.start_background() or None
        if not fed and not self._indexing_aside and due:
            self._follow_index()
        if self.progress:
            self.progress(source=self.name, pages=1, records=len(page.records))

    def _store_records(self, prepared: list, chains: list, origins: list, keys: list, prefix: str,
                       state: dict, conn, unlisted_since: str | None) -> None:
        """Write a page's prepared records in its transaction ``conn``, with the harvest's position."""
        report, merger = self.report, self.merger
        # Everything the page will ask about is read in a few queries, and everything
        # it writes goes out in a few more when the page is done (same transaction).
        batch = sql.HarvestPage(self.store, conn, self.name)
        known = batch.rows(h.identifier for h, _, _ in prepared)
        candidates = [rid for (h, data, _), origin in zip(prepared, origins)
                      if data is not None and h.identifier not in known for rid in Merger.id_candidates(origin)]
        batch.prefetch((), [k for ks in keys for k in ks], candidates)
        for (header, data, cw), these_keys, (kept, echo) in zip(prepared, keys, chains):
            report.records += 1
            if echo and not header.deleted:
                merger.echo(batch, header, known.get(header.identifier))
                if header.identifier in known:
                    known[header.identifier] = sql.ProvenanceRow(known[header.identifier], deleted=True)
            elif header.deleted:
                if not merger.delete(batch, header, known.get(header.identifier)):
                    self._unknown_deletions += 1
                if header.identifier in known:
                    known[header.identifier] = sql.ProvenanceRow(known[header.identifier], deleted=True)
            elif data is not None:
                # a partner may list one identifier twice in a page: the second sees the first
                known[header.identifier] = merger.upsert(
                    batch, header, data, cw, prefix, self.namespace, known.get(header.identifier), these_keys,
                    kept,
                )
        batch.flush()
        if self._feeding:
            self._feed(batch.created(), conn)
        if unlisted_since:
            # With the last page, in its transaction: the harvest is complete with them or not at all.
            self._delete_unlisted(conn, unlisted_since)
        sql.save_state(conn, self.name, state)
        # No finish_feed: what the index still builds of this page goes out with the next
        # page or at the catch-up that ends the harvest, so building overlaps fetching.

    def _feed(self, created: list, conn) -> None:
        resources = []
        for resource, rows in created:
            resource.provenance = tuple(provenance_of_row(row) for row in rows)
            resources.append(resource)
        if not resources:
            return
        if self.aside.feed(resources, conn):
            self._fed = True
        else:
            self._feeding = None  # the index takes none (another writer holds it): a second process follows

    def _clock_start(self) -> str:
        """Now (UTC, seconds), later than any row an earlier harvest of this source wrote: rows
        are stamped to the second, so a harvest that ended within this second waits for the next."""
        now, waited = utc_now(), 0.0
        last = sql.last_harvested_at(self.store, self.name)
        while last is not None and last >= now and waited < 2.0:
            time.sleep(0.05)
            waited += 0.05
            now = utc_now()
        return now

    def _delete_unlisted(self, conn, since: str) -> None:
        """Records a complete list no longer holds are deleted (partners with deletedRecord
        'no' or 'transient' never say so), unless another source still provides them."""
        unlisted, live = sql.unlisted(conn, self.name, since)
        if not unlisted:
            return
        report = self.report
        everything = len(unlisted) == live  # an empty list: far more often a fault than a withdrawal
        many = len(unlisted) > MASS_DELETION_MIN and 2 * len(unlisted) > live
        if (everything or many) and not self.allow_mass_deletion:
            report.note(
                f"{len(unlisted)} of the {live} records from this source are no longer listed by the partner; "
                f"they were kept because that is {'all' if everything else 'more than half'} of them. "
                "Check the partner, then harvest again with full=True and allow_mass_deletion=True "
                "(--full --allow-mass-deletion) to delete them"
            )
            return
        for start in range(0, len(unlisted), 500):
            batch = sql.HarvestPage(self.store, conn, self.name)
            known = batch.rows(unlisted[start : start + 500])
            for oai_id, row in known.items():
                report.unlisted += 1
                self.merger.delete(batch, Header(oai_id, row["datestamp"], tuple(row["set_specs"]), True), row)
            batch.flush()
        report.note(f"{len(unlisted)} record(s) no longer listed by the partner were handled as deleted")

    def _follow_index(self) -> None:
        self.follow()
        self._unindexed = False
        self._indexed_at = time.monotonic()

    def _read(self, items: list[tuple[str, Any]], reader: Reader, reading: Future | None) -> Prepared:
        """The page's records read (see :mod:`.prepare`): by the preparing process, or here."""
        if reading is not None:
            try:
                return waiting.result(reading)
            except BrokenProcessPool:
                self.report.note("the process reading the records ended unexpectedly; this process read them "
                                 "instead")
                if self._preparer is not None:
                    self._preparer.close(wait=False)
                    self._preparer = None
        return prepare(items, reader, license_policy=self.license_policy, repo_policy=self.repo_policy)


def _in_granularity(stamp: str | None, day: bool) -> str | None:
    """A UTC datestamp in the partner's granularity (day-granularity partners get the date)."""
    if not stamp:
        return None
    if day:
        return stamp[:10]
    return stamp if "T" in stamp else f"{stamp[:10]}T00:00:00Z"
