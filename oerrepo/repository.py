"""The ``Repository`` facade: the one object scripts, the CLI and the web service use.

``Repository(path)`` opens or creates a data folder lazily: nothing is touched until the
first call that needs the store. The facade hands out our own objects (Resource,
Revision, reports), never database rows or third-party objects.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .collector import bulk_work
from .errors import ImportFailed, InvalidResource, OAIError, OerRepoError, StoreError

# Modules are imported where first needed, so that a command imports only what it uses
# (``oerrepo search`` on a current index needs neither the store nor the record model).
if TYPE_CHECKING:  # pragma: no cover
    from . import licenses
    from .harvesters.api import Harvester
    from .harvesters.duplicates import DuplicatesReport
    from .harvesters.provenance import ProvenanceReader
    from .harvesters.report import HarvestReport
    from .index.api import SearchService
    from .index.backend import SearchResult
    from .linked.api import ExportStats, LinkedData
    from .model import Resource, Revision
    from .oai.api import FeedService
    from .records_io import SourceRecord
    from .store import Store

__all__ = ["Repository", "ImportReport", "DB_FILE"]

DB_FILE = "repo.db"
INDEX_FOLDER = "index"  # the Whoosh index, inside the data folder
_IMPORT_CHUNK = 1000  # records checked, then written together
Progress = Callable[[int], None]


@contextmanager
def _settled(search: Any) -> Iterator[None]:
    """Within a feeding transaction: what the index writes for it (see
    :meth:`~oerrepo.index.api.SearchService.feed`) has not failed when the transaction
    commits, and is waited for when it rolls back."""
    try:
        yield
    except BaseException:
        search.settle(quiet=True)
        raise
    search.settle()


@dataclass
class ImportReport:
    """What an import did: the ids stored, updated and left unchanged, and what was skipped."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    # (where, note): how a value or column was read, e.g. a licence without a version
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def stored(self) -> list[str]:
        return self.added + self.updated

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": [{"where": w, "error": e} for w, e in self.skipped],
            "notes": [{"where": w, "note": n} for w, n in self.notes],
        }


class _Parts:
    """The parts of an opened repository, and what each one is given.

    This is the one place the repository is put together. Each part receives the few
    collaborators it needs, and none of them knows the facade. Each is built (and its
    module imported) on first use, so a search never loads the harvester or the feed.
    """

    def __init__(self, store: Store, index_dir: Path, *, changed: Callable[[], None]):
        self.store = store  # the records, their changes and the settings (SQL)
        self.index_dir = index_dir
        self._changed = changed  # the facade's "a write was committed": derived data follows

    @cached_property
    def provenance(self) -> ProvenanceReader:
        """Where harvested records came from (a search facet; shown with records and in linked data)."""
        from .harvesters.provenance import ProvenanceReader

        return ProvenanceReader(self.store)

    @cached_property
    def search(self) -> SearchService:
        """The full-text index following the store; a second process follows it during long jobs."""
        from .index.api import SearchService
        from .index.background import BackgroundIndexer

        follower = partial(_IndexFollower, self.store.url, str(self.index_dir))
        return SearchService(self.store, self.index_dir, provenance=self.provenance.many,
                             background=partial(BackgroundIndexer, follower))

    @cached_property
    def harvests(self) -> Harvester:
        """Partner sources and their harvests; the index follows what they store."""
        from .harvesters.api import Harvester

        return Harvester(self.store, follow=self._changed, aside=self.search, setting=self.store.get_setting)

    @cached_property
    def feed(self) -> FeedService:
        """The OAI-PMH feed as XML bytes (wsgi.py owns HTTP)."""
        from .oai.api import FeedService

        return FeedService(self.store)

    @cached_property
    def linked(self) -> LinkedData:
        """Linked data: export, content negotiation, JSON-LD input."""
        from .linked.api import LinkedData

        return LinkedData(self.store, setting=self.store.get_setting, with_provenance=self.provenance.attach,
                          provenance_of_many=self.provenance.many)

    def close(self) -> None:
        """Close the parts that were built, then the store."""
        built = vars(self)  # cached_property keeps a built part here
        for name in ("search", "feed"):
            if name in built:
                built[name].close()
        self.store.close()


class _IndexFollower:
    """The search index of a store, opened on its own in the process that indexes during long
    write jobs (index/background.py): a store, the provenance it indexes, and the search service."""

    def __init__(self, url: str, index_dir: str):
        from .harvesters.provenance import ProvenanceReader
        from .index.api import SearchService
        from .store import Store

        self.store = Store(url).open()
        self.search = SearchService(self.store, Path(index_dir), provenance=ProvenanceReader(self.store).many)

    def catch_up(self, *, commit: bool = True) -> None:
        self.search.catch_up(wait=True, commit=commit)

    def close(self) -> None:
        self.search.close()
        self.store.close()


class Repository:
    """An OER repository kept in one data folder (or, by URL, in a SQL database).

    >>> repo = Repository("oer-data")                      # doctest: +SKIP
    >>> res = repo.add({"name": "Bee hotels", "license": "CC-BY-4.0"})  # doctest: +SKIP
    >>> repo.get(res.id).license                          # doctest: +SKIP
    'https://creativecommons.org/licenses/by/4.0/'
    """

    def __init__(self, path: str | os.PathLike = "oer-data", *, create: bool = True, db_url: str | None = None):
        self.path = Path(path).expanduser().resolve()
        self._create = create
        self._db_url = db_url
        self._composed: _Parts | None = None  # composed on first use: Repository(path) touches no file
        self._current_index = None  # searches before the store is opened (see search)

    def __repr__(self) -> str:
        return f"Repository({str(self.path)!r})"

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the data folder ------------------------------------------------------

    @property
    def store(self) -> Store:
        """The opened store (created or upgraded on first use)."""
        return self._parts.store

    @property
    def _parts(self) -> _Parts:
        if self._composed is None:
            from .store import Store

            self._composed = self._compose(Store(self._db_url or self._prepare_folder()).open())
            self._close_current_index()  # the composed parts search from now on
            # A process that died after its store commit left changes unindexed: apply them now.
            # Without waiting: if another writer holds the lock, it is applying them itself.
            self._composed.search.catch_up(wait=False)
        return self._composed

    def _compose(self, store: Store) -> _Parts:
        """The parts of this repository over an opened store (see :class:`_Parts`)."""
        return _Parts(store, self.path / INDEX_FOLDER, changed=self._changed)

    def _prepare_folder(self) -> str:
        path = self.path
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path} is a file, not a data folder; choose a folder with --data")
        from .store.postgres import folder_db_url

        if url := folder_db_url(path):  # the folder names a database server (oerrepo.toml)
            return url
        db = path / DB_FILE
        if not db.exists():
            if path.exists() and any(p.name not in ("index",) for p in path.iterdir()):
                raise StoreError(
                    f"{path} is not an oerrepo data folder (it has files but no {DB_FILE}); "
                    "choose an empty or new folder, or the folder 'oerrepo init' created"
                )
            if not self._create:
                raise StoreError(f"no data folder at {path}; create one with 'oerrepo init' (or give --data)")
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the data folder {path}: {exc.strerror}") from exc
        if not os.access(path, os.W_OK):
            raise StoreError(
                f"the data folder {path} is read-only; oerrepo needs to write its database there "
                "(make it writable or copy it elsewhere)"
            )
        return f"sqlite:///{db}"

    def _changed(self) -> None:
        """Run after every committed write, so derived data (the index) follows the store."""
        self._parts.search.follow()

    def close(self) -> None:
        """Release the database connections (and the index)."""
        parts, self._composed = self._composed, None
        if parts is not None:
            parts.close()
        self._close_current_index()

    def _close_current_index(self) -> None:
        current, self._current_index = self._current_index, None
        if current is not None:
            current.close()

    # -- settings -------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        """One setting of this repository (``license_policy``, ``repository_name``, ...)."""
        return self.store.get_setting(key, default)

    def set_setting(self, key: str, value: Any) -> None:
        """Change one setting (:data:`oerrepo.settings.SETTINGS` lists them); a name that does not
        exist or a value the setting cannot take raises InvalidSetting, naming what is accepted."""
        from .settings import check_setting

        value = check_setting(key, value)
        if key == "oai_identifier":
            from .identity import check_change

            check_change(self.store, value)  # renaming a published catalogue is a deliberate step
        self.store.set_setting(key, value)
        self._settings_changed()

    def _settings_changed(self) -> None:
        self._parts.feed.settings_changed()

    def settings(self) -> dict[str, Any]:
        """Every setting of this repository."""
        return self.store.settings()

    @bulk_work()
    def migrate_store(self, to: str | os.PathLike, *, progress: Progress | None = None):
        """Copy the whole catalogue into another, empty store and verify it (a TransferReport).

        ``to`` is a database URL (``postgresql+psycopg://...``, ``sqlite:///...``) or a new
        data folder. Every table is copied row for row and checked by counts and checksums.
        """
        from .store.transfer import copy_store

        target = os.fspath(to)
        if "://" not in target:
            folder = Path(target).expanduser().resolve()
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the data folder {folder}: {exc.strerror}") from exc
            target = f"sqlite:///{folder / DB_FILE}"
        return copy_store(self.store, target, progress=progress)

    @property
    def license_policy(self) -> licenses.LicensePolicy:
        """The licence policy records must pass (default ``any``)."""
        from . import licenses

        return licenses.LicensePolicy(self.setting("license_policy", "any"))

    # -- records ----------------------------------------------------------------

    def normalize(self, record: Mapping[str, Any] | Resource, *, where: str | None = None,
                  notes: list[str] | None = None) -> dict:
        """Check a record and return its stored form without storing it (raises InvalidResource).

        How doubtful values were read ("CC BY" without a version) is appended to ``notes``.
        """
        from .model import Resource, normalize_record

        if isinstance(record, Resource):
            record = record.data
        return normalize_record(self._from_linked_data(record), policy=self.license_policy, where=where, notes=notes)

    def _from_linked_data(self, record: Any) -> Any:
        """JSON-LD records (schema.org / LRMI / AMB) are mapped to our form first."""
        if isinstance(record, Mapping) and "@context" in record:
            return self._parts.linked.map_jsonld(record)
        return record

    def _assign_id(self, data: dict) -> dict:
        if "id" not in data:
            data = {"id": self.new_id(data), **data}
        return data

    def new_id(self, data: Mapping[str, Any]) -> str:
        """A stable new id for a record without one: a slug of its title plus a short hash."""
        import hashlib
        import re
        import unicodedata

        title = next(iter((data.get("name") or {"und": "resource"}).values()))
        ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-") or "resource"
        digest = hashlib.sha1(repr(sorted(data.items())).encode()).hexdigest()[:8]
        return f"{slug}-{digest}"

    def add(self, record: Mapping[str, Any] | Resource, *, origin: str = "api") -> Resource:
        """Store a new resource and return it with its id (assigned when the record has none).

        An id that is already stored raises DuplicateResource; use :meth:`update`.
        ``notes`` of the returned resource say how doubtful values were read.
        """
        notes: list[str] = []
        data = self._assign_id(self.normalize(record, notes=notes))
        with self.store.transaction() as conn:
            stored = self.store.insert(conn, data, origin)
        self._changed()
        stored.notes = tuple(notes)
        return stored

    def update(
        self, resource_id: str, record: Mapping[str, Any] | Resource, *, merge: bool = False, origin: str = "api"
    ) -> Resource:
        """Replace a stored resource (or, with ``merge``, change only the given properties)."""
        from .model import Resource, merge_records

        if isinstance(record, Resource):
            record = record.data
        record = dict(self._from_linked_data(record))
        if record.get("id") not in (None, resource_id):
            raise InvalidResource(
                f"the record's id {record['id']!r} differs from {resource_id!r}; ids cannot be changed"
            )
        changes = {k: v for k, v in record.items() if k != "id"}
        record["id"] = resource_id
        notes: list[str] = []
        if not merge:
            data = self.normalize(record, notes=notes)
        with self.store.transaction() as conn:
            if merge:
                # Read under the write lock: a merge running at the same time is applied
                # before or after this one, never lost.
                current = self.store.get(resource_id, conn=conn).data
                data = self.normalize({**merge_records(current, changes), "id": resource_id}, notes=notes)
            stored = self.store.replace(conn, data, origin)
        if stored is None:
            stored = self.get(resource_id)
        else:
            self._changed()
        stored.notes = tuple(notes)
        return stored

    def delete(self, resource_id: str, *, origin: str = "api") -> Resource:
        """Delete a resource; a tombstone stays so harvesters learn of the deletion."""
        with self.store.transaction() as conn:
            gone = self.store.remove(conn, resource_id, origin)
        self._changed()
        return gone

    def get(self, resource_id: str, *, include_deleted: bool = False) -> Resource:
        """The stored resource with this id (ResourceNotFound when there is none)."""
        resource = self.store.get(resource_id, include_deleted=include_deleted)
        return self._with_provenance(resource)

    def get_many(self, resource_ids: Iterable[str]) -> list[Resource]:
        """The stored resources with these ids, in the order given; ids not stored (or deleted) are left out.

        One query for the records and one for their provenance, where ``get`` per id takes two each
        (a results page shows ten).
        """
        ids = list(resource_ids)
        found = self.store.get_many(ids)
        provenance = self._parts.provenance.many(list(found)) if found else {}
        out = []
        for rid in dict.fromkeys(ids):
            if rid in found:
                found[rid].provenance = tuple(provenance.get(rid, ()))
                out.append(found[rid])
        return out

    def _with_provenance(self, resource: Resource) -> Resource:
        return self._parts.provenance.attach(resource)

    def __contains__(self, resource_id: object) -> bool:
        return isinstance(resource_id, str) and self.store.exists(resource_id)

    def __iter__(self) -> Iterator[Resource]:
        return self.iter()

    def __len__(self) -> int:
        return self.count()

    def iter(
        self,
        *,
        license: str | None = None,
        language: str | None = None,
        sdg: str | int | None = None,
        type: str | None = None,
        level: str | None = None,
        audience: str | None = None,
        set_spec: str | None = None,
        since: str | None = None,
        include_deleted: bool = False,
    ) -> Iterator[Resource]:
        """Stream stored resources by id, filtered (filters take short forms: ``sdg=13``)."""
        from . import licenses, vocabularies

        license_url = licenses.filter_urls(license) if license else None
        wanted: list[tuple[str, str]] = []
        for prop, vocab, value in (
            ("sdg", "sdg", sdg),
            ("learningResourceType", "learningResourceType", type),
            ("educationalLevel", "educationalLevel", level),
            ("audience", "audience", audience),
        ):
            if value not in (None, ""):
                wanted.append((prop, vocabularies.resolve(vocab, value)))
        lang = None
        if language:
            from .model import normalize_language

            lang = normalize_language(language)
        def matching() -> Iterator[Resource]:
            for res in self.store.iter_resources(
                include_deleted=include_deleted, set_spec=set_spec, license_url=license_url, since=since
            ):
                if lang and not any(t == lang or t.startswith(lang + "-") for t in res.data.get("inLanguage", [])):
                    continue
                if any(uri not in res.data.get(prop, []) for prop, uri in wanted):
                    continue
                yield res

        loader = self._parts.provenance.many
        # Provenance is read for a batch of resources at once, not one query per resource.
        batch: list[Resource] = []
        for res in itertools.chain(matching(), [None]):
            if res is not None:
                batch.append(res)
                if len(batch) < 200:
                    continue
            found = loader(r.id for r in batch) if batch else {}
            for item in batch:
                item.provenance = tuple(found.get(item.id, ()))
                yield item
            batch = []

    def list(self, *, limit: int | None = None, offset: int = 0, **filters: Any) -> list[Resource]:
        """A list of stored resources (see :meth:`iter` for the filters)."""
        out = []
        for i, res in enumerate(self.iter(**filters)):
            if i < offset:
                continue
            if limit is not None and len(out) >= limit:
                break
            out.append(res)
        return out

    def count(self, **filters: Any) -> int:
        """How many live resources match the filters (all of them without filters)."""
        simple = {k: v for k, v in filters.items() if v not in (None, "")}
        if not simple:
            return self.store.count()
        if set(simple) <= {"set_spec", "license"}:
            from . import licenses

            urls = licenses.filter_urls(simple["license"]) if "license" in simple else None
            return self.store.count(set_spec=simple.get("set_spec"), license_url=urls)
        return sum(1 for _ in self.iter(**simple))

    def history(self, resource_id: str) -> list[Revision]:
        """Every change of a resource, oldest first (also for deleted ones)."""
        return self.store.history(resource_id)

    # -- sets ---------------------------------------------------------------------

    def add_set(self, spec: str, name: str, description: str | None = None) -> None:
        """Create or rename a collection (an OAI-PMH set)."""
        import re

        from .model import resource_schema

        pattern = resource_schema()["properties"]["sets"]["items"]["pattern"]
        if not re.match(pattern, spec):
            raise InvalidResource(f"set spec {spec!r} may hold only letters, digits and -_.!~*'() separated by ':'")
        self.store.put_set(spec, name, description)

    def sets(self) -> list[dict]:
        """Every collection with its spec, name, description and number of resources."""
        return self.store.sets()

    # -- import -------------------------------------------------------------------

    @bulk_work()
    def import_records(
        self,
        source: str | os.PathLike | Iterable[Mapping[str, Any] | SourceRecord],
        *,
        fmt: str | None = None,
        upsert: bool = False,
        skip_invalid: bool = False,
        origin: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import records from a JSON, JSON Lines or CSV file (or an iterable of dicts).

        All or nothing: one invalid record stops the import and nothing is stored, unless
        ``skip_invalid``, which stores the valid ones and reports each skipped record.
        ``upsert`` updates records whose id exists instead of refusing them.
        """
        from .records_io import FirstPlaces, SourceRecord, read_records

        if isinstance(source, (str, os.PathLike)):
            items: Iterable[SourceRecord] = read_records(source, fmt)
            origin = origin or f"import:{Path(source).name}"
        else:
            items = (
                r if isinstance(r, SourceRecord) else SourceRecord(f"record {i}", r) for i, r in enumerate(source, 1)
            )
            origin = origin or "import"
        report = ImportReport()
        seen = FirstPlaces()
        problems: list[str] = []
        refused: list[str] = []  # an id already stored, without upsert: reported once validation is done
        policy = self.license_policy

        def reject(where: str, why: str) -> None:
            if skip_invalid:
                report.skipped.append((where, why))
            else:
                problems.append(why if why.startswith(where) else f"{where}: {why}")

        # Records are checked and stored in chunks inside one transaction, so memory stays
        # flat; a problem stops the storing, the rest is still checked, and the rollback
        # leaves nothing behind (all or nothing).
        from .store.bulk import ResourceBatch

        chunk: list[tuple[str, dict]] = []
        # A big import hands its new records to the index chunk by chunk, so that the index's
        # processes analyse and write them while the next chunks are checked and stored; the
        # index commits them only after this transaction has (see SearchService.feed).
        search = self._parts.search
        search.catch_up(wait=False)  # an index to feed: current (a new one for a new folder), if free
        feeding = False
        try:
            with self.store.transaction() as conn, _settled(search):
                batch = ResourceBatch(self.store, conn)

                def store_chunk() -> None:
                    nonlocal feeding
                    if feeding:
                        search.settle()  # what stopped the rows of the chunks before, if anything did
                    first_new = len(report.added)
                    batch.load(data["id"] for _, data in chunk)
                    for where, data in chunk:
                        if refused:
                            break
                        if not batch.exists(data["id"]):
                            batch.insert(data, origin)
                            report.added.append(data["id"])
                        elif upsert:
                            changed = batch.replace(data, origin)
                            (report.updated if changed else report.unchanged).append(data["id"])
                        else:
                            msg = (f"{where}: a resource with id {data['id']!r} already exists; change it with "
                                   f"'oerrepo update {data['id']} FILE' or 'oerrepo import FILE --upsert'")
                            if skip_invalid:
                                report.skipped.append((where, msg))
                            else:
                                refused.append(msg)
                    batch.flush()
                    if not refused and (feeding or len(chunk) >= _IMPORT_CHUNK):
                        fresh = [batch.resource(rid) for rid in report.added[first_new:]]
                        feeding = search.feed(fresh, conn, aside=True) or feeding
                    batch.forget()
                    chunk.clear()

                for where, data, notes in self._normalized(items, policy, report, reject, progress):
                    data = self._assign_id(data)
                    first = seen.get(data["id"])
                    if first is not None:
                        reject(where, f"id {data['id']!r} appears again (first at {first})")
                        continue
                    seen.add(data["id"], where)
                    report.notes.extend((where, note) for note in notes)
                    if problems or refused:
                        continue  # nothing will be stored: only checking the rest
                    chunk.append((where, data))
                    if len(chunk) >= _IMPORT_CHUNK:
                        store_chunk()
                if problems:
                    shown = problems[:20]
                    more = f"\n... and {len(problems) - 20} more problems" if len(problems) > 20 else ""
                    raise ImportFailed(
                        "nothing was imported; fix these records or use --skip-invalid:\n" + "\n".join(shown) + more
                    )
                store_chunk()
                if refused:
                    raise ImportFailed("nothing was imported; " + refused[0])
                if feeding:
                    search.finish_feed()
        except BaseException:
            if feeding:
                search.discard()  # the transaction rolled back: so does what the index was given
            raise
        if report.stored:
            self._changed()
        return report

    def validate_file(self, source: str | os.PathLike, *, fmt: str | None = None) -> ImportReport:
        """Check every record of a file without storing anything; problems are in ``skipped``."""
        from . import licenses
        from .records_io import read_records

        report = ImportReport()
        policy = self.license_policy if self._composed is not None or (self.path / DB_FILE).exists() else licenses.LicensePolicy("any")
        skip = lambda where, why: report.skipped.append((where, why))  # noqa: E731
        for where, data, notes in self._normalized(read_records(source, fmt), policy, report, skip):
            report.added.append(data.get("id") or where)
            report.notes.extend((where, note) for note in notes)
        return report

    def _normalized(
        self,
        items: Iterable[SourceRecord],
        policy: Any,
        report: ImportReport,
        reject: Callable[[str, str], None],
        progress: Progress | None = None,
    ) -> Iterator[tuple[str, dict, list[str]]]:
        """Each readable record of ``items`` in its stored form, with the notes on how it was read.

        Rows the reader could not read and records the model refuses go to ``reject``; notes
        about the file itself (its encoding, how each column was read) go to the report.
        """
        from .model import normalize_record
        from .records_io import _BadRow, _Note

        for item in items:
            if progress:
                progress(1)
            if isinstance(item.data, _BadRow):
                reject(item.where, item.data.problem)
                continue
            if isinstance(item.data, _Note):
                report.notes.append((item.where, item.data.note))
                continue
            notes: list[str] = []
            try:
                data = normalize_record(self._from_linked_data(item.data), policy=policy, where=item.where,
                                        notes=notes)
            except OerRepoError as exc:
                reject(item.where, str(exc))
                continue
            yield item.where, data, notes

    def load_samples(self) -> ImportReport:
        """Import the bundled sample blueprints (the embedded default data set)."""
        from importlib.resources import as_file, files

        with as_file(files("oerrepo.samples").joinpath("blueprints.json")) as path:
            return self.import_records(path, origin="samples", upsert=True)

    # -- licences -----------------------------------------------------------------

    @staticmethod
    def license(text: str) -> licenses.License:
        """Normalise a licence string to its SPDX id and canonical URL (UnknownLicense if unknown)."""
        from . import licenses

        return licenses.normalize(text)

    @staticmethod
    def combine_licenses(*values: str | licenses.License) -> licenses.Compatibility:
        """May works under these licences be combined, and under which licences may the result be shared?"""
        from . import licenses

        return licenses.combine(*values)

    def attribution(self, resource_id: str, fmt: str = "text") -> str:
        """The attribution line for reusing a stored resource (``text``, ``html`` or ``markdown``)."""
        return self.get(resource_id).attribution(fmt)

    # -- overview -------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts by licence, openness, language, SDG and resource type, plus store facts."""
        from collections import Counter

        from . import licenses

        by_lang: Counter = Counter()
        by_sdg: Counter = Counter()
        by_type: Counter = Counter()
        total = 0
        for res in self.iter():
            total += 1
            by_lang.update(res.data.get("inLanguage", []))
            by_sdg.update(res.data.get("sdg", []))
            by_type.update(res.data.get("learningResourceType", []))
        by_license: dict[str, int] = {}
        openness = Counter()
        for url, n in self.store.license_counts().items():
            lic = licenses.try_normalize(url) if url else None
            key = lic.id if lic else (url or "(none)")
            by_license[key] = by_license.get(key, 0) + n
            openness[lic.status if lic else "unknown"] += n
        return {
            "resources": total,
            "deleted": self.store.count(include_deleted=True) - self.store.count(),
            "lastChange": self.store.last_seq(),
            "schemaVersion": self.store.schema_version,
            "licenses": dict(sorted(by_license.items(), key=lambda kv: -kv[1])),
            "openness": dict(openness),
            "languages": dict(by_lang.most_common()),
            "sdgs": dict(sorted(by_sdg.items(), key=lambda kv: int(kv[0].rsplit("/", 1)[1]))),
            "learningResourceTypes": dict(by_type.most_common()),
            "sets": len(self.sets()),
        }

    # -- search (index/api.py) ------------------------------------------------------

    def search(self, query: str = "", **options: Any) -> SearchResult:
        """Search the resources: words, "phrases", AND/OR/NOT, field:value and prefix*.

        Filters take short forms or stored values and may be lists (any value of one
        filter, all filters together): ``license`` ('CC-BY-4.0'), ``language`` ('pt'),
        ``sdg`` (13), ``type`` ('lesson_plan'), ``level`` ('ISCED-2'), ``audience``
        ('teacher'), ``source`` (a harvest source name, or 'local'). ``open_only`` keeps
        openly licensed resources (no NC/ND). ``sort`` is ``relevance``, ``date`` or ``name``;
        ``page``, ``page_size`` and ``facets`` (False: no counts) shape the result. Records in
        ``prefer_language`` (the reader's language, e.g. 'pt') rank first, then the same topics
        in other languages; without it, the query's language is guessed.

        >>> result = repo.search("energia solar", sdg=7, language="pt")   # doctest: +SKIP
        >>> result.total, [h.id for h in result.hits], result.facets["license"]   # doctest: +SKIP
        """
        if self._composed is None and self._db_url is None:
            # A search in a current index needs no store: answer without opening one.
            from .index.api import CurrentIndexSearch
            from .store_probe import sqlite_last_change

            last = sqlite_last_change(self.path / DB_FILE)
            if last is not None:
                if self._current_index is None:
                    self._current_index = CurrentIndexSearch(self.path / INDEX_FOLDER)
                found = self._current_index.search(last, query, **options)
                if found is not None:
                    return found
        return self._parts.search.search(query, **options)

    @bulk_work()
    def reindex(self, *, progress: Progress | None = None) -> int:
        """Rebuild the search index from the store, from scratch; returns the number of resources.

        Searches keep working on the old index until the new one is committed.
        """
        return self._parts.search.reindex(progress=progress)

    @staticmethod
    def search_facets() -> tuple[str, ...]:
        """The properties search results count values of (``license``, ``inLanguage``, ...)."""
        from .index.backend import FACETS

        return FACETS

    # -- harvesting (harvesters/api.py) ------------------------------------------------

    def add_source(self, name: str, url: str, **options: Any) -> dict:
        """Register a partner's OAI-PMH endpoint under a name, for ``harvest(name)`` and ``harvest_all()``.

        ``metadata_prefix`` pins a format (default: the richest one the partner offers that
        we read); ``set_specs`` limits the harvest to sets; ``delay`` (seconds between
        requests), ``retries``, ``backoff`` (seconds before the first retry, doubled
        each time) and ``timeout`` set politeness and patience;
        ``on_missing_license`` is ``keep`` (store and flag records without a usable
        licence) or ``skip``. ``replace`` changes an existing source.

        >>> repo.add_source("zenodo-oer", "https://zenodo.org/oai2d", set_specs=["user-oer"])  # doctest: +SKIP
        """
        return self._parts.harvests.add_source(name, url, **options)

    def sources(self) -> list[dict]:
        """The registered partner sources with their settings, saved position and record count."""
        return self._parts.harvests.sources()

    def remove_source(self, name: str) -> None:
        """Forget a source; its records stay (with their provenance)."""
        self._parts.harvests.remove_source(name)

    def license_problems(self, *, source: str | None = None, limit: int = 500) -> list[dict]:
        """Harvested records kept with a licence problem (unrecognised or missing), to review.

        Each is ``{"id", "name", "source", "problem", "harvestedAt"}``, latest harvest first.
        """
        return self._parts.harvests.license_problems(source=source, limit=limit)

    @bulk_work()
    def harvest(self, url_or_source_name: str, **options: Any) -> HarvestReport:
        """Harvest new, changed and deleted records from one partner (a URL or a registered source name).

        A URL seen for the first time is registered as a source (named ``source`` or after
        its host), so the next call is incremental. The harvest resumes where an
        interrupted one stopped; ``full`` starts again from the beginning. ``progress`` is
        called after each page as ``progress(source=..., pages=1, records=n)``. Other
        options: ``metadata_prefix``, ``set_specs`` and the source settings of :meth:`add_source`.

        A complete harvest from the beginning (the first, or ``full``) also deletes the
        records the partner no longer lists, as partners that keep no deletions never
        announce them; when that would be more than half of the source's records they are
        kept and the report says so, unless ``allow_mass_deletion``.
        Raises HarvestError (with ``.report``, what was harvested before) when the partner fails.

        >>> report = repo.harvest("https://partner.example/oai", set_specs=["oer"])  # doctest: +SKIP
        >>> print(report.summary())                                                   # doctest: +SKIP
        """
        return self._parts.harvests.harvest(url_or_source_name, **options)

    @bulk_work()
    def harvest_all(self, **options: Any) -> HarvestReport:
        """Harvest every registered source; a failing source is reported and the others go on.

        ``workers`` sources are harvested at once (threads: a harvest mostly waits for its
        partner), each by one worker; pages are still written one transaction at a time.
        Other options (``full``, ``progress``, ``allow_mass_deletion``) as for :meth:`harvest`.
        Reports come in the registry's order.
        """
        return self._parts.harvests.harvest_all(**options)

    def duplicates(self) -> DuplicatesReport:
        """Merged resources (with their providers and why) and probable duplicates left apart for a person.

        >>> print(repo.duplicates().summary())    # doctest: +SKIP
        """
        return self._parts.harvests.duplicates()

    # -- the OAI-PMH feed (oai/api.py) and the web service (wsgi.py) ----------------------

    def oai_response(
        self, arguments: Any, *, base_url: str | None = None, bad_request: str | OAIError | None = None
    ) -> bytes:
        """The OAI-PMH response (XML bytes) to a request given as its arguments.

        Protocol errors are answered inside the XML, never raised. Arguments may be a
        mapping (a list value means a repeated argument) or (name, value) pairs.
        ``bad_request`` names a fault found before the arguments could be read (an
        undecodable query, a wrong POST body); it is answered as badArgument, or as the
        given OAIError (an oversized token is a badResumptionToken).

        >>> xml = repo.oai_response({"verb": "GetRecord", "identifier": repo.oai_identifier("bee-hotels"),
        ...                          "metadataPrefix": "oai_dc"})   # doctest: +SKIP
        """
        return self._parts.feed.response(arguments, base_url=base_url, bad_request=bad_request)

    def oai_identifier(self, resource_id: str) -> str:
        """The OAI identifier of a resource: ``oai:<namespace>:<id>``."""
        return self._parts.feed.oai_identifier(resource_id)

    def oai_metadata(self, resource_id: str, metadata_prefix: str = "oai_dc") -> bytes:
        """One stored resource in a feed format (``oai_dc`` or ``lom``) as a standalone XML document."""
        return self._parts.feed.metadata(self.get(resource_id), metadata_prefix)

    @staticmethod
    def oai_record_schema() -> bytes:
        """The XML Schema of the full-record metadata format (prefix ``oerrepo``)."""
        from .full_record import schema_bytes

        return schema_bytes()

    def oai_namespace(self) -> str:
        """This repository's OAI identifier namespace (made and kept the first time it is asked for)."""
        return self._parts.feed.namespace()

    def change_oai_identifier(self, new: str, *, confirm: bool = False) -> str:
        """Change the OAI identifier namespace; returns the old one.

        On a catalogue with records this renames every record for every harvester, so it is
        refused (InvalidSetting explaining what follows) unless ``confirm`` is True.
        """
        return self._parts.feed.change_namespace(new, confirm=confirm)

    def oai_sets(self) -> list[dict[str, Any]]:
        """Every set the feed offers: collections and derived sets (``sdg:13``, ``license:cc-by-4.0``, ...)."""
        return self._parts.feed.sets()

    def wsgi_app(self, *, base_url: str | None = None) -> Callable:
        """The web service as a WSGI application: ``/oai`` (OAI-PMH), ``/``, ``/health``, linked data.

        The ``base_url`` setting, else ``base_url``, else ``http://127.0.0.1:<the port served>``
        is what Identify names as the public address (never the Host a client sends).
        """
        from .wsgi import WebApp

        parts = self._parts  # open (and upgrade) the store before serving threads share it
        parts.feed.secret()
        parts.search.serving = True  # searches in requests never rebuild the index themselves
        return WebApp(self, base_url=base_url)

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        threads: int = 8,
        announce: Callable[[str], None] | None = print,
    ) -> None:
        """Run the web service with waitress until interrupted (Ctrl-C stops it cleanly).

        ``announce`` receives the lines naming the addresses served (``print`` by default).
        """
        from .wsgi import serve

        serving = str(self.path) if self._db_url is None else self._db_url
        serve(self.wsgi_app(), host, port, threads=threads, announce=announce, serving=serving)

    # -- linked data (linked/api.py) --------------------------------------------------

    @property
    def base_url(self) -> str:
        """The public base URL resource IRIs are built on (setting ``base_url``)."""
        return self._parts.linked.base_url

    def resource_iri(self, resource_id: str) -> str:
        """The stable IRI of a resource: ``<base_url>/resources/<percent-encoded id>``."""
        return self._parts.linked.resource_iri(resource_id)

    def jsonld(self, resource_id: str) -> dict:
        """The resource as a JSON-LD document (AMB profile), as a plain dict."""
        return self._parts.linked.jsonld(resource_id)

    def serialize_resource(self, resource_id: str, fmt: str = "jsonld") -> str:
        """The resource in one serialisation: ``jsonld``, ``turtle``, ``nt`` or ``rdfxml``.

        >>> print(repo.serialize_resource("water-quality-kit-river", "turtle"))  # doctest: +SKIP
        """
        return self._parts.linked.serialize_resource(resource_id, fmt)

    def graph(self, resource_id: str):
        """The resource's triples as an ``rdflib.Graph``.

        The one place an rdflib object leaves the Repository, on purpose: callers asking for
        a graph want to query or merge it. Everything else returns ``str``/``bytes``.
        """
        return self._parts.linked.graph(resource_id)

    def export(self, format: str = "nt", output: Any = None, **options: Any) -> ExportStats:  # noqa: A002
        """Write the catalogue (or a set, or what changed since a date) as linked data.

        ``format`` is ``jsonld``, ``turtle``, ``nt`` or ``rdfxml``; ``set`` keeps one
        collection; ``since`` (YYYY-MM-DD) keeps what changed from that day on: the names
        of ``oerrepo export --format --set --since`` (``fmt`` and ``set_spec`` still work).
        Written one resource at a time, so memory stays flat. ``output`` is a file path
        (written whole or not at all, with the permissions the umask gives new files), a
        binary stream, or None to get the bytes in ``stats.data``. Deleted resources are left
        out; ``progress`` is called with the number of resources written.

        >>> repo.export(format="turtle", output="catalogue.ttl", set="museums")  # doctest: +SKIP
        """
        return self._parts.linked.export(format, output, **options)

    def catalog(self, fmt: str = "turtle") -> str:
        """The DCAT description of the catalogue (dcat:Catalog, dump distributions, OAI-PMH service)."""
        return self._parts.linked.catalog(fmt)

    def negotiate_resource(self, resource_id: str, accept: str | None, ext: str | None = None) -> tuple[int, str, bytes]:
        """Answer ``/resources/<id>[.ext]``: (HTTP status, Content-Type, body).

        The extension wins over the Accept header; 404 for an unknown id (or extension),
        410 for a deleted resource, 406 when the Accept header allows none of our types.
        """
        return self._parts.linked.negotiate_resource(resource_id, accept, ext)

    def negotiate_catalog(self, accept: str | None, ext: str | None = None) -> tuple[int, str, bytes]:
        """Answer ``/catalog[.ext]`` with the DCAT description: (HTTP status, Content-Type, body)."""
        return self._parts.linked.negotiate_catalog(accept, ext)

    @staticmethod
    def validate_shacl(source: str | os.PathLike | bytes, *, fmt: str | None = None, shapes: Iterable[Any] = ()):
        """Check exported linked data (a file or bytes) against our SHACL shapes; returns a ShaclReport."""
        from .linked.api import validate_shacl

        return validate_shacl(source, fmt=fmt, shapes=tuple(shapes))
