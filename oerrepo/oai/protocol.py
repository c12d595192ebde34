"""OAI-PMH 2.0 request handling: arguments in, XML bytes out (no HTTP here).

Every protocol error becomes an ``<error code=...>`` in a schema-valid response. Lists
are paged by record id and served as of the sequence number they started at, so a
harvest returns each record that existed when it began exactly once, whatever
is added, changed or deleted meanwhile.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import islice
from urllib.parse import quote, unquote

from ..errors import (
    BadArgument,
    BadResumptionToken,
    BadVerb,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
    NoSetHierarchy,
    OAIError,
)
from ..full_record import FULL_NS, FULL_PREFIX, SCHEMA_FILE
from ..identity import DEFAULT_BASE_URL
from ..model import Resource
from ..settings import EMAIL_RE, NAMESPACE_RE
from ..store import Store
from ..store import feed as sql
from .formats import FORMATS, MetadataFormat
from .fullrecord import make_writer
from .provenance import FRIENDS_NS, about_elements, chains_of, harvested_namespace
from .readahead import ReadAhead
from .render import OAI_NS, XSI_NS, Writer, esc, has_illegal
from .sets import (
    PARENTS,
    SET_SPEC_RE,
    SetFilter,
    derived_set_filter,
    derived_set_names,
    record_set_specs,
)
from .tokens import ListState, TokenCodec

__all__ = ["Feed", "FeedSettings", "PAGE_SIZE", "DEFAULT_BASE_URL"]

PAGE_SIZE = 100
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
MAX_ARGUMENT = 2048  # longer values are not identifiers, prefixes or dates: refuse them early

# verb -> (required, optional, exclusive)
_VERBS: dict[str, tuple[frozenset, frozenset, str | None]] = {
    "Identify": (frozenset(), frozenset(), None),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), None),
    "ListSets": (frozenset(), frozenset(), "resumptionToken"),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), None),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}), "resumptionToken"),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}), "resumptionToken"),
}

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_PREFIX = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")
_ANY_URI_BAD = re.compile(r"[\s<>\"{}|\\^`]")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Characters an oai-identifier's local part may hold as they are; the rest is %-escaped.
_LOCAL_SAFE = "-_.!~*'();/?:@&=+$,"
_LOCAL_PLAIN = re.compile(r"^[A-Za-z0-9\-_.!~*'();/?:@=+$,]+$")  # nothing to escape (no '&', no '%')



def _needs_escape(json_text: str) -> bool:
    """True when a value of this stored JSON text may need escaping in XML (or dropping).

    Control characters and surrogates appear as \\u escapes in JSON text; a few substring
    searches (C speed) are much cheaper than a regular expression over the text.
    """
    return ("&" in json_text or "<" in json_text or ">" in json_text or "\\u" in json_text
            or "\ufffe" in json_text or "\uffff" in json_text)


# Rendered records kept per repository, by (format, id, seq): a record is written once per
# change however many harvesters walk the list together. Bounded by the characters kept
# (about 8 MB of ASCII text), so the server's memory stays flat on a list of any length.
RECORD_CACHE_CHARS = 8_000_000


class RecordCache:
    """A bounded, thread-safe map of rendered record texts (the oldest entries go first)."""

    def __init__(self, max_chars: int = RECORD_CACHE_CHARS):
        self.max_chars = max_chars
        self._texts: dict[tuple, str] = {}
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        return self._texts.get(key)

    def __contains__(self, key: tuple) -> bool:
        return key in self._texts

    def put(self, key: tuple, text: str) -> None:
        if len(text) > self.max_chars // 100:
            return  # a huge record is not worth a hundred ordinary ones
        with self._lock:
            texts = self._texts
            old = texts.pop(key, None)
            if old is not None:
                self._chars -= len(old)
            texts[key] = text
            self._chars += len(text)
            if self._chars > self.max_chars:
                # Free a tenth at once: evictions stay rare and cheap (dicts keep insertion order).
                target = self.max_chars * 9 // 10
                for stale in list(islice(texts, max(1, len(texts) // 10))):
                    self._chars -= len(texts.pop(stale))
                    if self._chars <= target:
                        break


_ENVELOPE_START = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{XSI_NS}" '
    f'xsi:schemaLocation="{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FeedSettings:
    """What Identify says and how identifiers are formed, read from the repository's settings."""

    def __init__(self, *, repository_name: str, admin_email: str | None, base_url: str, namespace: str | None,
                 sets_enabled: bool = True, friends_enabled: bool = True):
        self.base_url = base_url.rstrip("/")
        self.namespace = namespace if namespace and NAMESPACE_RE.match(namespace) else _namespace_from(self.base_url)
        self.repository_name = repository_name
        self.admin_email = admin_email if admin_email and EMAIL_RE.match(admin_email) else f"admin@{self.namespace}"
        self.sets_enabled = sets_enabled
        self.friends_enabled = friends_enabled  # Identify lists the partner feeds harvested here

    @property
    def oai_url(self) -> str:
        return self.base_url + "/oai"


def _namespace_from(base_url: str) -> str:
    from urllib.parse import urlsplit

    host = urlsplit(base_url).hostname or ""
    # oai-identifier needs a domain-like name (letters first, at least one dot); an IP
    # address or 'localhost' cannot be one.
    return host if NAMESPACE_RE.match(host) else "oerrepo.local"


class Feed:
    """Answers OAI-PMH requests for one store. Thread-safe: it keeps no per-request state."""

    def __init__(self, store: Store, settings: FeedSettings, codec: TokenCodec, *, page_size: int = PAGE_SIZE,
                 cache: dict | None = None, read_ahead: bool = False):
        self.store = store
        self.settings = settings
        self.codec = codec
        self.page_size = page_size
        # Shared between the Feed objects of one repository (one is made per request).
        self._cache = cache if cache is not None else {}
        # Rendered records and pages depend on the identifier namespace, on whether sets are
        # served and on the page size: a change of any starts afresh.
        records_key = ("records", settings.namespace, settings.base_url, settings.sets_enabled, page_size)
        records = self._cache.get(records_key)
        if records is None:
            # Feeds of other threads look up and replace entries meanwhile: the shared map is
            # walked and changed only under its lock (the lock itself is set once, atomically).
            with self._cache.setdefault("lock", threading.Lock()):
                records = self._cache.get(records_key)
                if records is None:
                    for key in [k for k in self._cache if isinstance(k, tuple) and k[0] == "records"]:
                        self._cache.pop(key)[1].close()
                    records = self._cache[records_key] = (RecordCache(), ReadAhead())
        self._records: RecordCache = records[0]
        self._ahead: ReadAhead | None = records[1] if read_ahead else None
        # The full record names its schema at this feed's own address (the web service serves it).
        schema_url = f"{settings.base_url}/schemas/{SCHEMA_FILE}"
        self.formats: dict[str, MetadataFormat] = {
            **FORMATS, FULL_PREFIX: MetadataFormat(FULL_PREFIX, schema_url, FULL_NS, make_writer(schema_url)),
        }

    # -- identifiers --------------------------------------------------------------

    def oai_identifier(self, resource_id: str) -> str:
        """``oai:<namespace>:<id>``; characters the oai-identifier syntax lacks are %-escaped."""
        local = resource_id if _LOCAL_PLAIN.match(resource_id) else quote(resource_id, safe=_LOCAL_SAFE)
        return f"oai:{self.settings.namespace}:{local}"

    def resource_id(self, oai_identifier: str) -> str:
        prefix = f"oai:{self.settings.namespace}:"
        if not oai_identifier.startswith(prefix) or len(oai_identifier) == len(prefix):
            raise IdDoesNotExist(
                f"{oai_identifier!r} is not an identifier of this repository; its identifiers look like "
                f"{prefix}<id> (ListIdentifiers lists them)"
            )
        try:
            return unquote(oai_identifier[len(prefix):], errors="strict")
        except UnicodeDecodeError as exc:
            raise IdDoesNotExist(f"{oai_identifier!r} is not an identifier of this repository") from exc

    # -- entry point --------------------------------------------------------------

    def respond(self, pairs: Sequence[tuple[str, str]], *, bad_request: str | OAIError | None = None) -> bytes:
        """The complete XML response to one request, given its arguments in order (repeats kept)."""
        w = Writer()
        w.raw(_ENVELOPE_START)
        w.leaf("responseDate", _now())
        args: dict[str, str] = {}
        try:
            if isinstance(bad_request, OAIError):
                raise bad_request
            if bad_request:
                raise BadArgument(bad_request)
            args = _arguments(pairs)
            body = Writer()
            getattr(self, "_" + args["verb"])(args, body)
        except (BadVerb, BadArgument) as exc:
            # The protocol: after badVerb or badArgument, echo the base URL only.
            w.leaf("request", self.settings.oai_url)
            _error(w, exc)
        except OAIError as exc:
            _request(w, self.settings.oai_url, args)
            _error(w, exc)
        else:
            _request(w, self.settings.oai_url, args)
            w.parts.extend(body.parts)
        w.raw("</OAI-PMH>\n")
        return w.text().encode("utf-8")

    # -- verbs ----------------------------------------------------------------------

    def _Identify(self, args: dict, w: Writer) -> None:
        s = self.settings
        earliest = self.store.earliest_datestamp() or self.store.created() or _now()
        w.open("Identify")
        w.leaf("repositoryName", s.repository_name)
        w.leaf("baseURL", s.oai_url)
        w.leaf("protocolVersion", "2.0")
        w.leaf("adminEmail", s.admin_email)
        w.leaf("earliestDatestamp", earliest)
        w.leaf("deletedRecord", "persistent")
        w.leaf("granularity", GRANULARITY)
        w.leaf("compression", "gzip")
        sample = f"oai:{s.namespace}:sample-resource"
        w.raw("<description>")
        w.raw(
            '<oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier" '
            'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier '
            'http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">'
        )
        w.leaf("scheme", "oai")
        w.leaf("repositoryIdentifier", s.namespace)
        w.leaf("delimiter", ":")
        w.leaf("sampleIdentifier", sample)
        w.raw("</oai-identifier></description>")
        friends = self.friends() if s.friends_enabled else []
        if friends:
            # Aggregators discover the network from here (the friends description of the protocol).
            w.raw(f'<description><friends xmlns="{FRIENDS_NS}" xsi:schemaLocation="{FRIENDS_NS} '
                  'http://www.openarchives.org/OAI/2.0/friends.xsd">')
            for url in friends:
                w.leaf("baseURL", url)
            w.raw("</friends></description>")
        w.close("Identify")

    def friends(self) -> list[str]:
        """The base URLs of the partner feeds this repository harvests (valid URIs only)."""
        from ..store.harvest import list_sources

        return sorted({s["url"] for s in list_sources(self.store) if not _ANY_URI_BAD.search(s["url"])})

    def _ListMetadataFormats(self, args: dict, w: Writer) -> None:
        if "identifier" in args:
            self._existing(args["identifier"])
        w.open("ListMetadataFormats")
        for fmt in self.formats.values():
            w.open("metadataFormat")
            w.leaf("metadataPrefix", fmt.prefix)
            w.leaf("schema", fmt.schema)
            w.leaf("metadataNamespace", fmt.namespace)
            w.close("metadataFormat")
        w.close("ListMetadataFormats")

    def _ListSets(self, args: dict, w: Writer) -> None:
        if "resumptionToken" in args:
            raise BadResumptionToken("this repository lists all its sets in one response and issues no ListSets token")
        if not self.settings.sets_enabled:
            raise NoSetHierarchy("this repository does not offer sets")
        w.open("ListSets")
        for spec, name, description in self.sets():
            w.open("set")
            w.leaf("setSpec", spec)
            w.leaf("setName", name)
            if description:
                w.raw("<setDescription>")
                w.raw(
                    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
                    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ '
                    'http://www.openarchives.org/OAI/2.0/oai_dc.xsd">'
                )
                w.leaf("dc:description", description)
                w.raw("</oai_dc:dc></setDescription>")
            w.close("set")
        w.close("ListSets")

    def _GetRecord(self, args: dict, w: Writer) -> None:
        fmt = _format(args["metadataPrefix"], self.formats)
        resource = self._existing(args["identifier"])
        w.open("GetRecord")
        self._record(w, resource, fmt.write, self._abouts([resource.id], fmt.namespace).get(resource.id, ""))
        w.close("GetRecord")

    def _ListIdentifiers(self, args: dict, w: Writer) -> None:
        self._list(args, w, "ListIdentifiers")

    def _ListRecords(self, args: dict, w: Writer) -> None:
        self._list(args, w, "ListRecords")

    # -- lists ----------------------------------------------------------------------

    def _list(self, args: dict, w: Writer, verb: str) -> None:
        if "resumptionToken" in args:
            state = self.codec.decode(args["resumptionToken"], verb)
            set_filter = self._set_filter(state.set_spec) if state.set_spec else SetFilter()
            if set_filter is None:
                raise BadResumptionToken(f"the set {state.set_spec!r} of this list no longer exists; start again")
            selection = _with_dates(set_filter, state.since, state.until)
        else:
            _format(args["metadataPrefix"], self.formats)
            since, until = _date_range(args.get("from"), args.get("until"))
            set_spec = args.get("set")
            if set_spec is not None:
                if not self.settings.sets_enabled:
                    raise NoSetHierarchy("this repository does not offer sets; leave out the set argument")
                if not SET_SPEC_RE.match(set_spec):
                    raise BadArgument(f"set {set_spec!r} is not a setSpec (letters, digits, -_.!~*'() and ':')")
                set_filter = self._set_filter(set_spec)
                if set_filter is None:
                    raise NoRecordsMatch(f"there is no set {set_spec!r}; ListSets shows the sets")
            else:
                set_filter = SetFilter()
            selection = _with_dates(set_filter, since, until)
            as_of = sql.snapshot_seq(self.store)
            size = self._count(selection, as_of)
            if size == 0:
                raise NoRecordsMatch("no records match these arguments")
            state = ListState(verb, args["metadataPrefix"], since, until, set_spec, as_of, None, 0, size)
        presented = args.get("resumptionToken")
        ahead = self._ahead
        page = ahead.take(presented) if ahead is not None and presented else None
        if page is None:
            page = self._page(verb, state, selection)
        text, token, following = page
        w.parts.append(text)
        if ahead is not None and token is not None:
            # The harvester reads this page before it asks for the next: render that meanwhile,
            # if it asks this process (it started the list here or came back with our token).
            if presented is None or ahead.issued_here(presented):
                ahead.schedule(token, lambda: self._page(verb, following, selection))
            ahead.issued(token)

    def _page(self, verb: str, state: ListState, selection: SetFilter) -> tuple[str, str | None, ListState | None]:
        """One page of a list: its XML text, the token of the next page and that page's state."""
        rows = list(islice(self._matching(selection, state.as_of, state.after_id), self.page_size + 1))
        if not rows:
            if state.cursor == 0:
                raise NoRecordsMatch("no records match these arguments")
            raise BadResumptionToken("this list has no more records; start it again without a token")
        page = rows[: self.page_size]
        prefix = state.metadata_prefix if verb == "ListRecords" else None
        fmt = self.formats[prefix] if prefix else None
        write = fmt.write if fmt else None
        if write is not None:
            # Records harvested from partners carry their provenance: read for the page at once.
            missing = [r.id for r in page if not r.deleted and (prefix, r.id, r.seq) not in self._records]
            abouts = self._abouts(missing, fmt.namespace)
        else:
            abouts = {}
        w = Writer()
        records, out = self._records, w.parts.append
        w.open(verb)
        for resource in page:
            seq = resource.seq
            key = (prefix, resource.id, seq)
            text = records.get(key) if seq is not None else None
            if text is None:
                part = Writer()
                if write is None:
                    self._header(part, resource)
                else:
                    self._record(part, resource, write, abouts.get(resource.id, ""))
                text = part.text()
                if seq is not None:  # a past state (seq None) is served once per list at most
                    records.put(key, text)
            out(text)
        size_attr = state.size if state.size >= state.cursor + len(page) else None
        token = nxt = None
        if len(rows) > self.page_size:
            nxt = ListState(
                verb, state.metadata_prefix, state.since, state.until, state.set_spec,
                state.as_of, page[-1].id, state.cursor + len(page), max(state.size, state.cursor + len(rows)),
            )
            token, expires = self.codec.encode(nxt)
            w.leaf("resumptionToken", token, (("expirationDate", expires), ("completeListSize", size_attr or None),
                                              ("cursor", state.cursor)))
        elif state.cursor > 0:
            # The last part of an incomplete list carries an empty token.
            w.empty("resumptionToken", (("completeListSize", size_attr or None), ("cursor", state.cursor)))
        w.close(verb)
        return w.text(), token, nxt

    def _matching(self, set_filter: SetFilter, as_of: int, after_id: str | None) -> Iterable[sql.FeedRecord]:
        rows = sql.iter_records_as_of(self.store, set_filter.selection, as_of=as_of, after_id=after_id,
                                      batch=self.page_size + 1)
        check = set_filter.check
        if check is None:
            return rows
        return (r for r in rows if check(r.data))

    def _count(self, set_filter: SetFilter, as_of: int) -> int:
        if set_filter.check is None:
            return sql.count_as_of(self.store, set_filter.selection, as_of=as_of)
        return sum(1 for _ in self._matching(set_filter, as_of, None))

    def _set_filter(self, spec: str) -> SetFilter | None:
        if sql.collection_exists(self.store, spec):
            return SetFilter(sql.Selection(collection=spec))
        return derived_set_filter(spec)

    # -- records --------------------------------------------------------------------

    def _existing(self, identifier: str) -> Resource:
        resource = sql.get_any(self.store, self.resource_id(identifier))
        if resource is None:
            raise IdDoesNotExist(f"no record has the identifier {identifier!r}; ListIdentifiers lists them")
        return resource

    def _header(self, w: Writer, resource: Resource, oai_id: str | None = None) -> None:
        oai_id = oai_id or self.oai_identifier(resource.id)
        specs = "".join(
            f"<setSpec>{spec}</setSpec>" for spec in record_set_specs(resource.data)  # specs need no escaping
        ) if self.settings.sets_enabled else ""
        start = '<header status="deleted">' if resource.deleted else "<header>"
        w.parts.append(
            f"{start}<identifier>{esc(oai_id)}</identifier><datestamp>{resource.datestamp}</datestamp>{specs}</header>"
        )

    def _abouts(self, resource_ids: list[str], namespace: str) -> dict[str, str]:
        """The ``<about>`` provenance of the records harvested from partners, by id.

        A record stored here first (no live primary row: partners' copies were merged into
        it) is this repository's own and gets none.
        """
        if not resource_ids:
            return {}
        from ..store.harvest import provenance_for, source_urls

        rows_by_id = provenance_for(self.store, resource_ids)
        if not rows_by_id:
            return {}
        urls = source_urls(self.store)
        out = {}
        for rid, rows in rows_by_id.items():
            live = [r for r in rows if not r["deleted"]]
            if not any(r["role"] == "primary" for r in live):
                continue
            chains = []
            for row in live:
                same_format = harvested_namespace(row) == namespace
                altered = not (same_format and row["role"] == "primary")
                chains.extend(chains_of(row, urls.get(row["source"], row["source"]), altered=altered))
            out[rid] = about_elements(chains)
        return out

    def _record(self, w: Writer, resource: Resource | sql.FeedRecord, write, about: str = "") -> None:
        oai_id = self.oai_identifier(resource.id)
        w.parts.append("<record>")
        self._header(w, resource, oai_id)
        if not resource.deleted:
            # One search of the stored JSON text tells whether any value needs escaping (JSON
            # writes control characters as \u escapes, so those are caught too).
            text = resource.text if isinstance(resource, sql.FeedRecord) else None
            plain = text is not None and not _needs_escape(text)
            w.parts.append("<metadata>")
            write(w, resource.data, oai_id, plain=plain)
            w.parts.append("</metadata>")
            if about:
                w.parts.append(about)
        w.parts.append("</record>")

    def metadata(self, resource: Resource, metadata_prefix: str) -> bytes:
        """The metadata of one record in a format, as a standalone XML document."""
        fmt = _format(metadata_prefix, self.formats)
        w = Writer()
        w.raw('<?xml version="1.0" encoding="UTF-8"?>\n')
        write_start = len(w.parts)
        fmt.write(w, resource.data, self.oai_identifier(resource.id))
        # The writers leave xsi to the envelope; a standalone document declares it itself.
        first = w.parts[write_start]
        cut = first.index(" ")
        w.parts[write_start] = f'{first[:cut]} xmlns:xsi="{XSI_NS}"{first[cut:]}'
        return (w.text() + "\n").encode("utf-8")

    # -- sets -------------------------------------------------------------------------

    def sets(self) -> list[tuple[str, str, str | None]]:
        """(spec, name, description) of every set: collections, their parents, derived sets.

        Cached until the store changes (the language sets need one pass over the records).
        """
        seq = self.store.last_seq()
        cached = self._cache.get("sets")
        if cached and cached[0] == seq:
            return cached[1]
        out: list[tuple[str, str, str | None]] = []
        collections = {s["spec"]: s for s in self.store.sets()}
        specs = set(collections)
        for spec in list(collections):
            parts = spec.split(":")
            for i in range(1, len(parts)):
                specs.add(":".join(parts[:i]))
        for spec in sorted(specs):
            c = collections.get(spec)
            out.append((spec, c["name"] if c else spec, c["description"] if c else None))
        langs: set[str] = set()
        for tags in sql.language_lists(self.store):
            langs.update(tags)
        for spec, name in derived_set_names(sql.distinct_licenses(self.store), langs):
            if spec not in specs and not (spec in PARENTS and any(s.startswith(spec + ":") for s in specs)):
                out.append((spec, name, None))
        self._cache["sets"] = (seq, out)
        return out


# --------------------------------------------------------------------------- arguments


def _arguments(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    verbs = [v for k, v in pairs if k == "verb"]
    if not verbs:
        raise BadVerb("the verb argument is missing; use one of " + ", ".join(_VERBS))
    if len(verbs) > 1:
        raise BadVerb("the verb argument is repeated; give it once")
    verb = verbs[0]
    if verb not in _VERBS:
        shown = verb[:60] + ("..." if len(verb) > 60 else "")
        raise BadVerb(f"{shown!r} is not an OAI-PMH verb; use one of " + ", ".join(_VERBS))
    required, optional, exclusive = _VERBS[verb]
    args: dict[str, str] = {"verb": verb}
    for key, value in pairs:
        if key == "verb":
            continue
        if key not in required and key not in optional and key != exclusive:
            raise BadArgument(f"{verb} takes no argument {key[:60]!r}")
        if key in args:
            raise BadArgument(f"the argument {key!r} is repeated; give it once")
        if len(value) > MAX_ARGUMENT * (2 if key == "resumptionToken" else 1):
            raise BadArgument(f"the value of {key!r} is {len(value)} characters long; that is not a legal value")
        if value == "":
            raise BadArgument(f"the argument {key!r} is empty")
        if has_illegal(value):
            raise BadArgument(f"the argument {key!r} holds control characters")
        args[key] = value
    if exclusive and exclusive in args:
        others = sorted(k for k in args if k not in ("verb", exclusive))
        if others:
            raise BadArgument(f"{exclusive} is an exclusive argument; leave out {', '.join(others)}")
        return args
    missing = sorted(required - set(args))
    if missing:
        raise BadArgument(f"{verb} needs the argument(s) {', '.join(missing)}")
    return args


def _format(prefix: str, formats: dict[str, MetadataFormat]) -> MetadataFormat:
    if not _PREFIX.match(prefix):
        raise BadArgument(f"metadataPrefix {prefix[:60]!r} is not a legal prefix")
    fmt = formats.get(prefix)
    if fmt is None:
        raise CannotDisseminateFormat(
            f"metadataPrefix {prefix!r} is not served here; use one of {', '.join(formats)}"
        )
    return fmt


def _parse_date(name: str, value: str, *, end: bool) -> tuple[str, str]:
    """(granularity, datestamp) of a from/until value; a day covers its whole 24 hours."""
    if _DAY.match(value):
        fmt, gran = "%Y-%m-%d", "day"
    elif _SECONDS.match(value):
        fmt, gran = "%Y-%m-%dT%H:%M:%SZ", "seconds"
    else:
        raise BadArgument(f"{name} {value[:60]!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
    try:
        datetime.strptime(value, fmt)
    except ValueError as exc:
        raise BadArgument(f"{name} {value!r} is not a real date or time") from exc
    if gran == "day":
        value = value + ("T23:59:59Z" if end else "T00:00:00Z")
    return gran, value


def _date_range(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    g1 = g2 = None
    if since is not None:
        g1, since = _parse_date("from", since, end=False)
    if until is not None:
        g2, until = _parse_date("until", until, end=True)
    if g1 and g2:
        if g1 != g2:
            raise BadArgument("from and until have different granularities; give both as days or both to the second")
        if since > until:
            raise BadArgument(f"from ({since}) is later than until ({until})")
    return since, until


def _with_dates(set_filter: SetFilter, since: str | None, until: str | None) -> SetFilter:
    from dataclasses import replace

    return SetFilter(replace(set_filter.selection, since=since, until=until), set_filter.check)


# --------------------------------------------------------------------------- envelope parts


def _echo_ok(key: str, value: str) -> bool:
    """Only values the schema accepts in <request> are echoed (others would make the reply invalid)."""
    if key == "metadataPrefix":
        return bool(_PREFIX.match(value))
    if key == "set":
        return bool(SET_SPEC_RE.match(value))
    if key in ("from", "until"):
        return bool(_DAY.match(value) or _SECONDS.match(value))
    if key == "identifier":
        return not _ANY_URI_BAD.search(value) and not _BAD_PERCENT.search(value)
    return key == "resumptionToken"


def _request(w: Writer, base_url: str, args: dict[str, str]) -> None:
    attrs = [("verb", args["verb"])] if "verb" in args else []
    for key in ("identifier", "metadataPrefix", "from", "until", "set", "resumptionToken"):
        if key in args and _echo_ok(key, args[key]):
            attrs.append((key, args[key]))
    w.leaf("request", base_url, attrs)


def _error(w: Writer, exc: OAIError) -> None:
    w.leaf("error", str(exc), (("code", exc.code),))
