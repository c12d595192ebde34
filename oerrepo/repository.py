"""The ``Repository`` facade: the one object scripts, the CLI and the web service use.

``Repository(path)`` opens or creates a data folder lazily: nothing is touched until the
first call that needs the store. The facade hands out our own objects (Resource,
Revision, reports), never database rows or third-party objects.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import licenses
from .errors import ImportFailed, InvalidResource, OerRepoError, StoreError
from .harvesters.api import HarvestMixin
from .index.api import SearchMixin
from .linked.api import LinkedDataMixin
from .model import Resource, Revision, merge_records, normalize_record
from .oai.api import FeedMixin
from .records_io import SourceRecord, _BadRow, read_records
from .store import Store

__all__ = ["Repository", "ImportReport", "DB_FILE"]

DB_FILE = "repo.db"
Progress = Callable[[int], None]


@dataclass
class ImportReport:
    """What an import did: the ids stored, updated and left unchanged, and what was skipped."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why)

    @property
    def stored(self) -> list[str]:
        return self.added + self.updated

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": [{"where": w, "error": e} for w, e in self.skipped],
        }


class Repository(SearchMixin, HarvestMixin, FeedMixin, LinkedDataMixin):
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
        self._store: Store | None = None

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
        if self._store is None:
            self._store = Store(self._db_url or self._prepare_folder()).open()
            self._opened()
        return self._store

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

    # Features (index, harvesting, feed, linked data) are mixins; each may define
    # _feature_open, _feature_changed and _feature_close, run at these moments.
    def _run_feature_hooks(self, name: str) -> None:
        for cls in type(self).__mro__:
            hook = cls.__dict__.get(name)
            if hook:
                hook(self)

    def _opened(self) -> None:
        """Run once the store is open (an index catches up with changes it missed here)."""
        self._run_feature_hooks("_feature_open")

    def _changed(self) -> None:
        """Run after every committed write, so derived data (the index) follows the store."""
        self._run_feature_hooks("_feature_changed")

    def close(self) -> None:
        """Release the database connections (and the index)."""
        self._run_feature_hooks("_feature_close")
        if self._store is not None:
            self._store.close()
            self._store = None

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
            from .oai.identity import check_change

            check_change(self.store, value)  # renaming a published catalogue is a deliberate step
        self.store.set_setting(key, value)
        self._run_feature_hooks("_feature_settings_changed")

    def settings(self) -> dict[str, Any]:
        """Every setting of this repository."""
        return self.store.settings()

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
        return licenses.LicensePolicy(self.setting("license_policy", "any"))

    # -- records ----------------------------------------------------------------

    def normalize(self, record: Mapping[str, Any] | Resource, *, where: str | None = None) -> dict:
        """Check a record and return its stored form without storing it (raises InvalidResource)."""
        if isinstance(record, Resource):
            record = record.data
        return normalize_record(self._from_linked_data(record), policy=self.license_policy, where=where)

    def _from_linked_data(self, record: Any) -> Any:
        """JSON-LD records (schema.org / LRMI / AMB) are mapped to our form first."""
        mapper = getattr(self, "_map_jsonld", None)
        if mapper and isinstance(record, Mapping) and "@context" in record:
            return mapper(record)
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
        """
        data = self._assign_id(self.normalize(record))
        with self.store.transaction() as conn:
            stored = self.store.insert(conn, data, origin)
        self._changed()
        return stored

    def update(
        self, resource_id: str, record: Mapping[str, Any] | Resource, *, merge: bool = False, origin: str = "api"
    ) -> Resource:
        """Replace a stored resource (or, with ``merge``, change only the given properties)."""
        if isinstance(record, Resource):
            record = record.data
        record = dict(self._from_linked_data(record))
        if record.get("id") not in (None, resource_id):
            raise InvalidResource(
                f"the record's id {record['id']!r} differs from {resource_id!r}; ids cannot be changed"
            )
        changes = {k: v for k, v in record.items() if k != "id"}
        record["id"] = resource_id
        if not merge:
            data = self.normalize(record)
        with self.store.transaction() as conn:
            if merge:
                # Read under the write lock: a merge running at the same time is applied
                # before or after this one, never lost.
                current = self.store.get(resource_id, conn=conn).data
                data = self.normalize({**merge_records(current, changes), "id": resource_id})
            stored = self.store.replace(conn, data, origin)
        if stored is None:
            return self.get(resource_id)
        self._changed()
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

    def _with_provenance(self, resource: Resource) -> Resource:
        loader = getattr(self, "_provenance_of", None)
        if loader:
            resource.provenance = tuple(loader(resource.id))
        return resource

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
        from . import vocabularies

        license_url = licenses.normalize(license).url if license else None
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

        loader = getattr(self, "_provenance_for", None)
        if loader is None:
            yield from matching()
            return
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
            url = licenses.normalize(simple["license"]).url if "license" in simple else None
            return self.store.count(set_spec=simple.get("set_spec"), license_url=url)
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
        if isinstance(source, (str, os.PathLike)):
            items: Iterable[SourceRecord] = read_records(source, fmt)
            origin = origin or f"import:{Path(source).name}"
        else:
            items = (
                r if isinstance(r, SourceRecord) else SourceRecord(f"record {i}", r) for i, r in enumerate(source, 1)
            )
            origin = origin or "import"
        report = ImportReport()
        prepared: list[tuple[str, dict]] = []
        seen: dict[str, str] = {}
        problems: list[str] = []
        policy = self.license_policy

        def reject(where: str, why: str) -> None:
            if skip_invalid:
                report.skipped.append((where, why))
            else:
                problems.append(why if why.startswith(where) else f"{where}: {why}")

        for item in items:
            if progress:
                progress(1)
            if isinstance(item.data, _BadRow):
                reject(item.where, item.data.problem)
                continue
            try:
                data = normalize_record(self._from_linked_data(item.data), policy=policy, where=item.where)
            except InvalidResource as exc:
                reject(item.where, str(exc))
                continue
            except OerRepoError as exc:
                reject(item.where, str(exc))
                continue
            data = self._assign_id(data)
            if data["id"] in seen:
                reject(item.where, f"id {data['id']!r} appears again (first at {seen[data['id']]})")
                continue
            seen[data["id"]] = item.where
            prepared.append((item.where, data))
        if problems:
            shown = problems[:20]
            more = f"\n... and {len(problems) - 20} more problems" if len(problems) > 20 else ""
            raise ImportFailed(
                "nothing was imported; fix these records or use --skip-invalid:\n" + "\n".join(shown) + more
            )
        with self.store.transaction() as conn:
            for where, data in prepared:
                if self.store.exists(data["id"], conn=conn):
                    if not upsert:
                        msg = (f"{where}: a resource with id {data['id']!r} already exists; change it with "
                               f"'oerrepo update {data['id']} FILE' or 'oerrepo import FILE --upsert'")
                        if skip_invalid:
                            report.skipped.append((where, msg))
                            continue
                        raise ImportFailed("nothing was imported; " + msg)
                    stored = self.store.replace(conn, data, origin)
                    (report.updated if stored else report.unchanged).append(data["id"])
                else:
                    self.store.insert(conn, data, origin)
                    report.added.append(data["id"])
        if report.stored:
            self._changed()
        return report

    def validate_file(self, source: str | os.PathLike, *, fmt: str | None = None) -> ImportReport:
        """Check every record of a file without storing anything; problems are in ``skipped``."""
        report = ImportReport()
        policy = self.license_policy if self._store is not None or (self.path / DB_FILE).exists() else licenses.LicensePolicy("any")
        for item in read_records(source, fmt):
            if isinstance(item.data, _BadRow):
                report.skipped.append((item.where, item.data.problem))
                continue
            try:
                data = normalize_record(self._from_linked_data(item.data), policy=policy, where=item.where)
                report.added.append(data.get("id") or item.where)
            except OerRepoError as exc:
                report.skipped.append((item.where, str(exc)))
        return report

    def load_samples(self) -> ImportReport:
        """Import the bundled sample blueprints (the embedded default data set)."""
        from importlib.resources import as_file, files

        with as_file(files("oerrepo.samples").joinpath("blueprints.json")) as path:
            return self.import_records(path, origin="samples", upsert=True)

    # -- licences -----------------------------------------------------------------

    @staticmethod
    def license(text: str) -> licenses.License:
        """Normalise a licence string to its SPDX id and canonical URL (UnknownLicense if unknown)."""
        return licenses.normalize(text)

    @staticmethod
    def combine_licenses(*values: str | licenses.License) -> licenses.Compatibility:
        """May works under these licences be combined, and under which licences may the result be shared?"""
        return licenses.combine(*values)

    def attribution(self, resource_id: str, fmt: str = "text") -> str:
        """The attribution line for reusing a stored resource (``text``, ``html`` or ``markdown``)."""
        return self.get(resource_id).attribution(fmt)

    # -- overview -------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts by licence, openness, language, SDG and resource type, plus store facts."""
        from collections import Counter

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
