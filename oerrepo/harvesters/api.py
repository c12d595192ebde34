"""Harvesting partner sources into a store: the harvest part of :class:`oerrepo.Repository`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import waiting
from ..errors import HarvestError, InvalidSource, SourceNotFound
from ..store import harvest as sql
from .loop import LICENSE_POLICIES, IndexAside, Progress, Setting, SourceHarvest
from .provenance import HarvestProvenance, ProvenanceReader
from .report import HarvestReport, SourceReport

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store
    from .duplicates import DuplicatesReport

__all__ = ["Harvester", "ProvenanceReader", "HarvestProvenance"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class Harvester:
    """Partner sources and their harvests, into one store.

    ``follow`` brings the search index up to the store after pages are stored; ``aside``
    lets a second process do that during long harvests; ``setting`` reads repository settings.
    """

    def __init__(self, store: Store, *, follow: Callable[[], None], aside: IndexAside, setting: Setting):
        self.store = store
        self._follow = follow
        self._aside = aside
        self._setting = setting

    def _job(self, row: dict, **options: Any) -> SourceHarvest:
        return SourceHarvest(self.store, row, follow=self._follow, aside=self._aside, setting=self._setting,
                             **options)

    # -- sources ------------------------------------------------------------------

    def add_source(
        self,
        name: str,
        url: str,
        *,
        metadata_prefix: str | None = None,
        set_specs: Sequence[str] = (),
        delay: float | None = None,
        retries: int | None = None,
        timeout: float | None = None,
        backoff: float | None = None,
        on_missing_license: str = "keep",
        replace: bool = False,
        verify: bool = False,
    ) -> dict:
        """Register a partner's OAI-PMH endpoint under a name, for ``harvest(name)`` and ``harvest_all()``.

        ``metadata_prefix`` pins a format (default: the richest one the partner offers that
        we read); ``set_specs`` limits the harvest to sets; ``delay`` (seconds between
        requests), ``retries``, ``backoff`` (seconds before the first retry, doubled
        each time) and ``timeout`` set politeness and patience;
        ``on_missing_license`` is ``keep`` (store and flag records without a usable
        licence) or ``skip``. ``replace`` changes an existing source. ``verify`` asks the
        partner's Identify first and registers nothing when it does not answer as an
        OAI-PMH endpoint; a source registered without it is ``verified: False`` until a
        harvest reaches it.

        >>> repo.add_source("zenodo-oer", "https://zenodo.org/oai2d", set_specs=["user-oer"])  # doctest: +SKIP
        """
        if not _NAME.match(name or ""):
            raise InvalidSource(
                f"source name {name!r} may hold only letters, digits, '.', '_' and '-' (at most 100)"
            )
        url = _check_url(url)
        if on_missing_license not in LICENSE_POLICIES:
            raise InvalidSource(f"on_missing_license {on_missing_license!r} must be 'keep' or 'skip'")
        settings: dict[str, Any] = {"on_missing_license": on_missing_license}
        for key, value, kind in (("delay", delay, float), ("retries", retries, int), ("timeout", timeout, float),
                                 ("backoff", backoff, float)):
            if value is not None:
                if kind(value) < 0:
                    raise InvalidSource(f"{key} must not be negative, got {value!r}")
                settings[key] = kind(value)
        specs = [s.strip() for s in set_specs if s and s.strip()]
        if verify:
            self._verify_source(url, settings)
        else:
            old = sql.get_source(self.store, name) if replace else None
            settings["verified"] = bool(old and old["url"] == url and old["settings"].get("verified", True))
        row = sql.put_source(
            self.store, name, url, metadata_prefix=metadata_prefix or None, set_specs=specs,
            settings=settings, replace=replace,
        )
        return _public(row)

    def _verify_source(self, url: str, settings: dict) -> None:
        from .. import __version__
        from .client import OAIClient
        from .transport import RetryPolicy, Transport, user_agent

        agent = user_agent(__version__, self._setting("base_url", None), self._setting("admin_email", None))
        transport = Transport(url, agent=agent, retry=RetryPolicy.from_settings(settings))
        try:
            OAIClient(transport).identify_partner()
        except HarvestError as exc:
            raise HarvestError(
                f"not registered: {exc} (to register it anyway, unverified: --no-verify)",
                code=exc.code,
            ) from exc
        finally:
            transport.close()
        settings["verified"] = True

    def license_problems(self, *, source: str | None = None, limit: int = 500) -> list[dict]:
        """Harvested records kept with a licence problem (unrecognised or missing), to review.

        Each is ``{"id", "name", "source", "problem", "harvestedAt"}``, latest harvest first.
        """
        from ..store import harvest as sql

        return sql.license_problems(self.store, source=source, limit=limit)

    def sources(self) -> list[dict]:
        """The registered partner sources with their settings, saved position and record count."""
        return [_public(row) for row in sql.list_sources(self.store)]

    def duplicates(self) -> DuplicatesReport:
        """Merged resources (with their providers and why) and probable duplicates left apart."""
        from .duplicates import find_duplicates

        return find_duplicates(self.store)

    def remove_source(self, name: str) -> None:
        """Forget a source; its records stay (with their provenance)."""
        if not sql.delete_source(self.store, name):
            raise SourceNotFound(f"no source named {name!r}; 'oerrepo sources list' shows them")

    # -- harvesting -----------------------------------------------------------------

    def harvest(
        self,
        url_or_source_name: str,
        *,
        metadata_prefix: str | None = None,
        set_specs: Sequence[str] = (),
        source: str | None = None,
        full: bool = False,
        progress: Progress | None = None,
        delay: float | None = None,
        retries: int | None = None,
        timeout: float | None = None,
        backoff: float | None = None,
        on_missing_license: str | None = None,
        allow_mass_deletion: bool = False,
    ) -> HarvestReport:
        """Harvest one partner, a URL or a registered source name (``Repository.harvest`` says how)."""
        row, created = self._source_for(
            url_or_source_name, metadata_prefix=metadata_prefix, set_specs=set_specs, name=source, delay=delay,
            retries=retries, timeout=timeout, backoff=backoff, on_missing_license=on_missing_license,
        )
        report = HarvestReport()
        job = self._job(row, full=full, progress=progress, allow_mass_deletion=allow_mass_deletion)
        report.sources.append(job.report)
        with self._claim_source(row["name"]) as mine:
            if not mine:
                raise HarvestError(
                    f"source {row['name']!r} is being harvested by another process right now; "
                    "run again when that harvest has finished",
                    report=report,
                )
            try:
                job.run()
            except HarvestError as exc:
                exc.report = report  # the whole harvest's report, not only this source's
                if not (created and not job.transport.answered):
                    raise
                # A URL that never answered is most likely mistyped: keep no source for it.
                sql.delete_source(self.store, row["name"])
                job.report.error = f"{exc}; {row['url']} was not registered as a source"
                raise HarvestError(job.report.error, code=exc.code, report=report) from exc
            finally:
                if job.transport.answered and not row["settings"].get("verified", True):
                    self._mark_verified(row)
                _remember(self.store, job.report)
        return report

    def _mark_verified(self, row: dict) -> None:
        sql.put_source(self.store, row["name"], row["url"], metadata_prefix=row["metadata_prefix"],
                       set_specs=row["set_specs"], settings={**row["settings"], "verified": True}, replace=True)

    def harvest_all(
        self,
        *,
        full: bool = False,
        progress: Progress | None = None,
        allow_mass_deletion: bool = False,
        workers: int = 1,
    ) -> HarvestReport:
        """Harvest every registered source; a failing source is reported and the others go on.

        ``workers`` sources are harvested at once (threads: a harvest mostly waits for its
        partner), each by one worker; pages are still written one transaction at a time.
        Other options as for :meth:`harvest`. Reports come in the registry's order.
        """
        import threading
        from concurrent.futures import ThreadPoolExecutor

        rows = sql.list_sources(self.store)
        reports: list[SourceReport | None] = [None] * len(rows)
        stop = threading.Event()
        alone = workers <= 1 or len(rows) <= 1  # one harvest at a time
        if progress is not None and workers > 1:
            lock, report_page = threading.Lock(), progress

            def progress(**counts: Any) -> None:  # the progress bar is not thread-safe
                with lock:
                    report_page(**counts)

        def one(i: int) -> None:
            # Several harvest workers (threads here, or other processes) may run this at once:
            # each source goes to one of them.
            with self._claim_source(rows[i]["name"]) as mine:
                if not mine or stop.is_set():
                    return
                job = self._job(rows[i], full=full, progress=progress,
                                allow_mass_deletion=allow_mass_deletion, stop=stop, may_feed=alone)
                reports[i] = job.report
                try:
                    job.run()
                except HarvestError:
                    pass  # the error is in the source's report
                finally:
                    _remember(self.store, job.report)

        if alone:
            for i in range(len(rows)):
                one(i)
        else:
            with ThreadPoolExecutor(min(workers, len(rows)), thread_name_prefix="harvest") as pool:
                try:
                    waiting.results([pool.submit(one, i) for i in range(len(rows))])
                except BaseException:
                    stop.set()  # Ctrl-C or a store failure: the others stop after their current page
                    raise
        return HarvestReport(sources=[r for r in reports if r is not None])

    def _claim_source(self, name: str):
        """Held while one process harvests a source, so no two harvest it at the same time."""
        return self.store.claim(f"harvest:{name}")

    def _source_for(self, target: str, *, metadata_prefix: str | None, set_specs: Sequence[str], name: str | None,
                    **options: Any) -> tuple[dict, bool]:
        """The source to harvest for a name or URL, and whether it was registered just now."""
        target = (target or "").strip()
        specs = [s for s in set_specs if s]
        chosen = {k: v for k, v in options.items() if v is not None}
        existing = sql.get_source(self.store, target) if _NAME.match(target) else None
        if existing is None and not target.lower().startswith(("http://", "https://")):
            raise SourceNotFound(
                f"{target!r} is neither a registered source nor an http(s) URL; "
                "'oerrepo sources list' shows the sources"
            )
        if existing is None:
            url = _check_url(target)
            rows = sql.list_sources(self.store)
            same = [r for r in rows if r["url"] == url and (name is None or r["name"] == name)]
            same = [r for r in same if (not metadata_prefix or r["metadata_prefix"] == metadata_prefix)
                    and (not specs or r["set_specs"] == specs)]
            if same:
                existing = same[0]
            else:
                taken = {r["name"] for r in rows}
                new_name = name or _name_for(url, taken)
                self.add_source(new_name, url, metadata_prefix=metadata_prefix, set_specs=specs, **chosen)
                return sql.get_source(self.store, new_name), True  # type: ignore[return-value]
        changes = (metadata_prefix and metadata_prefix != existing["metadata_prefix"]) or (
            specs and specs != existing["set_specs"]
        ) or any(existing["settings"].get(k) != v for k, v in chosen.items())
        if changes:
            settings = {**existing["settings"], **chosen}
            self.add_source(
                existing["name"], existing["url"], metadata_prefix=metadata_prefix or existing["metadata_prefix"],
                set_specs=specs or existing["set_specs"], replace=True,
                delay=settings.get("delay"), retries=settings.get("retries"), timeout=settings.get("timeout"),
                backoff=settings.get("backoff"), on_missing_license=settings.get("on_missing_license", "keep"),
            )
            return sql.get_source(self.store, existing["name"]), False  # type: ignore[return-value]
        return existing, False


def _public(row: dict) -> dict:
    state = row.get("state") or {}
    running = state.get("running") or {}
    settings = dict(row["settings"])
    out = {
        "name": row["name"],
        "url": row["url"],
        "metadataPrefix": row["metadata_prefix"],
        "sets": list(row["set_specs"]),
        "settings": settings,
        # sources registered before verification existed carry no flag: they were harvested
        "verified": bool(settings.pop("verified", True)) or bool(state.get("last_complete") or running),
        "added": row["added"],
        "lastFrom": state.get("last_from"),
        "lastComplete": state.get("last_complete"),
        "resumable": bool(running),
        "formatUsed": state.get("metadata_prefix"),
        "lastHarvest": state.get("last_harvest"),
    }
    if "records" in row:
        out["records"] = row["records"]
    return out


def _remember(store: Any, report: SourceReport) -> None:
    """Keep the figures of a source's latest harvest (the partner pages show them)."""
    from ..store import harvest as sql
    from ..store import utc_now

    figures = report.to_dict()
    summary = {key: figures.get(key) for key in ("new", "updated", "deleted", "unchanged", "unlisted", "merged",
                                                 "rejected", "licenseProblems", "records", "complete", "error")}
    sql.save_last_harvest(store, report.source, {"finished": utc_now(), **summary})


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidSource(f"{url!r} is not an http(s) URL; give the partner's OAI-PMH base URL")
    if parts.query:
        raise InvalidSource(f"{url!r} carries a query; give the OAI-PMH base URL without '?verb=...'")
    return url


def _name_for(url: str, taken: set[str]) -> str:
    host = urlsplit(url).hostname or "source"
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", host.removeprefix("www.")).strip("-.")[:90] or "source"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name
