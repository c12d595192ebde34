"""Linked data of a store (export, content negotiation, JSON-LD input): the linked-data part
of :class:`oerrepo.Repository`."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import ExportError, ResourceNotFound

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Resource
    from ..store import Store

__all__ = ["LinkedData", "ExportStats", "validate_shacl"]

Progress = Callable[[int], None]
Setting = Callable[[str, Any], Any]
_SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")


def _umask() -> int:
    """The process's umask, read without changing it where the system tells (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting (for an instant), then put back
    os.umask(mask)
    return mask


@dataclass
class ExportStats:
    """What an export wrote: format, media type, resources, triples, and where."""

    format: str
    media_type: str
    resources: int
    triples: int
    output: str | None = None
    data: bytes | None = None  # the serialisation, when no output was given

    def to_dict(self) -> dict:
        return {"format": self.format, "mediaType": self.media_type, "resources": self.resources,
                "triples": self.triples, "output": self.output}


class LinkedData:
    """The linked data of one store.

    Each resource is a ``schema:LearningResource`` at ``<base_url>/resources/<id>``, described
    in the AMB profile of schema.org / LRMI plus DCMI terms; the catalogue is a ``dcat:Catalog``
    at ``<base_url>/catalog``. ``base_url`` is the repository setting of that name, read
    through ``setting``; ``with_provenance`` adds a resource's provenance before it is described,
    ``provenance_of_many`` reads it for many resources at once (exports).
    """

    def __init__(
        self,
        store: Store,
        *,
        setting: Setting,
        with_provenance: Callable[[Resource], Resource],
        provenance_of_many: Callable[[list[str]], Mapping[str, Iterable]] | None = None,
    ):
        self.store = store
        self._setting = setting
        self._with_provenance = with_provenance
        self._provenance_of_many = provenance_of_many

    def _with_provenance_many(self, resources: Iterable[Resource]) -> Iterator[Resource]:
        """The resources with their provenance, read for 500 at a time (one query each, not one per resource)."""
        if self._provenance_of_many is None:
            yield from map(self._with_provenance, resources)
            return
        it = iter(resources)
        while chunk := list(itertools.islice(it, 500)):
            found = self._provenance_of_many([res.id for res in chunk])
            for res in chunk:
                res.provenance = tuple(found.get(res.id, ()))
                yield res

    def _get(self, resource_id: str, *, include_deleted: bool = False) -> Resource:
        return self._with_provenance(self.store.get(resource_id, include_deleted=include_deleted))

    # -- one resource ----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The public base URL resource IRIs are built on (setting ``base_url``)."""
        from .terms import DEFAULT_BASE_URL

        return str(self._setting("base_url", DEFAULT_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")

    def resource_iri(self, resource_id: str) -> str:
        """The stable IRI of a resource: ``<base_url>/resources/<percent-encoded id>``."""
        from .terms import resource_iri

        return resource_iri(self.base_url, resource_id)

    def jsonld(self, resource_id: str) -> dict:
        """The resource as a JSON-LD document (AMB profile), as a plain dict."""
        from .document import describe

        return describe(self._get(resource_id), self.base_url)

    def serialize_resource(self, resource_id: str, fmt: str = "jsonld") -> str:
        """The resource in one serialisation: ``jsonld``, ``turtle``, ``nt`` or ``rdfxml``.

        >>> print(repo.serialize_resource("water-quality-kit-river", "turtle"))  # doctest: +SKIP
        """
        from .serialize import format_name

        fmt = format_name(fmt)
        document = self.jsonld(resource_id)
        return _serialize_document(document, fmt)

    def graph(self, resource_id: str):
        """The resource's triples as an ``rdflib.Graph``.

        The one place an rdflib object leaves the Repository, on purpose: callers asking for
        a graph want to query or merge it. Everything else returns ``str``/``bytes``.
        """
        from .graph import Walker, to_graph

        return to_graph(Walker().triples(self.jsonld(resource_id)))

    # -- the whole catalogue ------------------------------------------------------

    def export(
        self,
        format: str = "nt",  # noqa: A002 - the name the command line uses (--format)
        output: str | os.PathLike | IO[bytes] | None = None,
        *,
        set: str | None = None,  # noqa: A002 - the name the command line uses (--set)
        since: str | None = None,
        progress: Progress | None = None,
        fmt: str | None = None,
        set_spec: str | None = None,
    ) -> ExportStats:
        """Write the catalogue (or a set, or what changed since a date) as linked data.

        ``format`` is ``jsonld``, ``turtle``, ``nt`` or ``rdfxml``; ``set`` keeps one
        collection; ``since`` (YYYY-MM-DD) keeps what changed from that day on: the names
        of ``oerrepo export --format --set --since`` (``fmt`` and ``set_spec`` still work).
        Written one resource at a time, so memory stays flat. ``output`` is a file path
        (written whole or not at all, with the permissions the umask gives new files), a
        binary stream, or None to get the bytes in ``stats.data``. Deleted resources are left out.

        >>> repo.export(format="turtle", output="catalogue.ttl", set="museums")  # doctest: +SKIP
        """
        from .document import describe
        from .serialize import FORMATS, format_name, write_documents

        fmt = format_name(fmt or format)
        set_spec = set_spec or set
        since_stamp = _since(since)
        if set_spec and set_spec not in {s["spec"] for s in self.store.sets()}:
            known = ", ".join(sorted(s["spec"] for s in self.store.sets())) or "none yet"
            raise ExportError(f"no set {set_spec!r}; known sets: {known}")
        base = self.base_url

        def documents():
            done = 0
            resources = self.store.iter_resources(set_spec=set_spec, since=since_stamp)
            for res in self._with_provenance_many(resources):
                yield describe(res, base, shared_context=True)
                done += 1
                if progress and done % 100 == 0:
                    progress(100)
            if progress and done % 100:
                progress(done % 100)

        media_type = FORMATS[fmt][0]
        if output is None:
            buffer = io.BytesIO()
            writer = write_documents(documents(), fmt, buffer)
            return ExportStats(fmt, media_type, writer.resources, writer.triples, None, buffer.getvalue())
        if hasattr(output, "write"):
            writer = write_documents(documents(), fmt, output)  # type: ignore[arg-type]
            return ExportStats(fmt, media_type, writer.resources, writer.triples, getattr(output, "name", None))
        path = Path(output)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror}; choose a writable folder") from exc
        try:
            with os.fdopen(fd, "wb", buffering=1 << 20) as out:
                writer = write_documents(documents(), fmt, out)
            # mkstemp makes the file private (0600); the export gets what any new file would.
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise ExportError(f"cannot write {path}: {exc.strerror}") from exc
            raise
        return ExportStats(fmt, media_type, writer.resources, writer.triples, str(path))

    def catalog(self, fmt: str = "turtle") -> str:
        """The DCAT description of the catalogue (dcat:Catalog, dump distributions, OAI-PMH service)."""
        from .serialize import format_name

        return _serialize_graph(self._catalog_graph(), format_name(fmt))

    def _catalog_graph(self):
        from .dcat import DEFAULT_METADATA_LICENSE, CatalogFacts, catalog_graph

        title = str(self._setting("repository_name", "") or "oerrepo catalogue of open educational resources")
        facts = CatalogFacts(
            base_url=self.base_url,
            title=title,
            description=str(self._setting("repository_description", "") or
                            f"{title}: blueprints and teaching resources for Open Schooling (STE(A)M and the UN "
                            "Sustainable Development Goals), with their open licences."),
            publisher=str(self._setting("publisher_name", "") or title),
            metadata_license=str(self._setting("metadata_license", "") or DEFAULT_METADATA_LICENSE),
            modified=_last_change(self),
            languages=(),
            keywords=("open educational resources", "Open Schooling", "STEAM", "Sustainable Development Goals"),
            email=self._setting("admin_email", None) or None,
            resources=self.store.count(),
        )
        return catalog_graph(facts)

    # -- HTTP content negotiation (used by the web service) -------------------------

    def negotiate_resource(self, resource_id: str, accept: str | None, ext: str | None = None) -> tuple[int, str, bytes]:
        """Answer ``/resources/<id>[.ext]``: (HTTP status, Content-Type, body).

        The extension wins over the Accept header; 404 for an unknown id (or extension),
        410 for a deleted resource, 406 when the Accept header allows none of our types.
        """
        from .negotiate import CONTENT_TYPES, EXTENSIONS, choose, from_extension, not_acceptable

        exists = self.store.exists
        if not ext and not exists(resource_id) and "." in resource_id:
            stem, _, maybe = resource_id.rpartition(".")
            if maybe.lower() in EXTENSIONS and exists(stem):
                resource_id, ext = stem, maybe
        if ext:
            fmt = from_extension(ext)
            if fmt is None:
                return 404, "text/plain; charset=utf-8", f"404 Not Found: no .{ext.lstrip('.')} form\n".encode()
        else:
            fmt = choose(accept)
            if fmt is None:
                return 406, "text/plain; charset=utf-8", not_acceptable()
        try:
            res = self._get(resource_id, include_deleted=True)
        except ResourceNotFound:
            return 404, "text/plain; charset=utf-8", f"404 Not Found: no resource {resource_id!r}\n".encode()
        if res.deleted:
            return 410, "text/plain; charset=utf-8", f"410 Gone: resource {resource_id!r} was deleted\n".encode()
        from .document import describe

        document = describe(res, self.base_url)
        if fmt == "html":
            from .landing import landing_page

            site = str(self._setting("repository_name", "") or "oerrepo")
            body = landing_page(res, document, self.resource_iri(res.id), site)
        else:
            body = _serialize_document(document, fmt)
        return 200, CONTENT_TYPES[fmt], body.encode("utf-8")

    def negotiate_catalog(self, accept: str | None, ext: str | None = None) -> tuple[int, str, bytes]:
        """Answer ``/catalog[.ext]`` with the DCAT description: (HTTP status, Content-Type, body)."""
        from .negotiate import CONTENT_TYPES, choose, from_extension, not_acceptable

        fmt = from_extension(ext) if ext else choose(accept)
        if ext and fmt is None:
            return 404, "text/plain; charset=utf-8", f"404 Not Found: no .{ext.lstrip('.')} form\n".encode()
        if fmt is None:
            return 406, "text/plain; charset=utf-8", not_acceptable()
        graph = self._catalog_graph()
        if fmt == "html":
            body = _catalog_page(self, _serialize_graph(graph, "jsonld"))
        else:
            body = _serialize_graph(graph, fmt)
        return 200, CONTENT_TYPES[fmt], body.encode("utf-8")

    # -- JSON-LD input ------------------------------------------------------------------

    def map_jsonld(self, record: Mapping[str, Any]) -> dict:
        """A schema.org / LRMI / AMB JSON-LD record in our input form (see ``jsonld_import``)."""
        from .jsonld_import import map_jsonld

        mapped = map_jsonld(record)
        # Our own export names resources by IRI under our base URL: importing it back keeps the id.
        prefix = self.base_url + "/resources/"
        if isinstance(mapped.get("id"), str) and mapped["id"].startswith(prefix):
            from urllib.parse import unquote

            mapped["id"] = unquote(mapped["id"][len(prefix):])
        return mapped


def validate_shacl(source: str | os.PathLike | bytes, *, fmt: str | None = None,
                   shapes: Sequence[str | os.PathLike] = ()):
    """Check exported linked data (a file or bytes) against our SHACL shapes; returns a ShaclReport."""
    from .serialize import format_name
    from .shacl import check, guess_format, load_graph

    if isinstance(source, bytes):
        data, fmt = source, format_name(fmt or "turtle")
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ExportError(f"cannot read {path}: {exc.strerror}") from exc
        fmt = format_name(fmt) if fmt else guess_format(path)
    return check(load_graph(data, fmt), [str(s) for s in shapes])


def _since(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if not _SINCE.match(value):
        raise ExportError(f"--since {value!r} is not a date; write YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
    return value if "T" in value else value + "T00:00:00Z"


def _last_change(linked: LinkedData) -> str | None:
    try:
        seq = linked.store.last_seq()
        if not seq:
            return None
        for rev in linked.store.changes_since(seq - 1):
            return rev.datestamp
    except Exception:  # a store without changes yet
        return None
    return None


def _serialize_document(document: dict, fmt: str) -> str:
    if fmt == "jsonld":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if fmt == "turtle":
        # one resource: rdflib's Turtle nests blank nodes and reads best for people
        from .graph import Walker, to_graph

        return to_graph(Walker().triples(document)).serialize(format="turtle")
    from .serialize import write_documents

    buffer = io.BytesIO()
    write_documents([document], fmt, buffer)
    return buffer.getvalue().decode("utf-8")


def _serialize_graph(graph, fmt: str) -> str:
    from .shacl import RDFLIB_FORMATS

    if fmt == "jsonld":
        from .terms import PREFIXES

        return graph.serialize(format="json-ld", context={**PREFIXES}, indent=2)
    if fmt == "rdfxml":
        return graph.serialize(format="pretty-xml")
    return graph.serialize(format=RDFLIB_FORMATS[fmt])


def _catalog_page(linked: LinkedData, jsonld: str) -> str:
    from html import escape

    from .dcat import export_url
    from .landing import script_json
    from .serialize import FORMATS

    title = str(linked._setting("repository_name", "") or "oerrepo catalogue")
    base = linked.base_url
    links = "\n".join(f'<li><a href="{escape(export_url(base, f))}">{escape(m)}</a></li>' for f, (m, _) in FORMATS.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} — catalogue</title>
<script type="application/ld+json">
{script_json(json.loads(jsonld))}
</script></head>
<body><h1>{escape(title)}</h1>
<p>{linked.store.count()} open educational resources. Harvest them by OAI-PMH at
<a href="{escape(base)}/oai">{escape(base)}/oai</a>, or download everything:</p>
<ul>
{links}
</ul></body></html>
"""
