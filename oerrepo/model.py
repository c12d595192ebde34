"""The blueprint resource: its stored form, and the normalisation of what people type.

A record arrives in many forms (short vocabulary names, plain-string titles, licence
titles, bare DOIs). :func:`normalize_record` turns it into the one stored form that
``schemas/resource.schema.json`` describes, and :func:`validate_record` checks that form
against the published schema itself, so code and schema cannot drift apart.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from . import licenses, vocabularies
from .errors import InvalidResource, UnknownLicense

if TYPE_CHECKING:  # pragma: no cover
    import jsonschema

# jsonschema, fastjsonschema and langcodes are imported where first used: together they
# cost more to import than a short command takes to run (``oerrepo search``).

__all__ = [
    "Resource",
    "Provenance",
    "Revision",
    "normalize_record",
    "validate_record",
    "resource_schema",
    "PROPERTIES",
    "FACETS",
]

LEARNING_RESOURCE = "LearningResource"
_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_ORCID_RE = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.I)
_ROR_RE = re.compile(r"^(?:https?://ror\.org/)?(0[a-z0-9]{6}\d{2})$", re.I)
_MAX_TEXT = 100_000  # one field; larger values are almost certainly not a description

# The properties search results count values of (facets), named as in the record; every
# search backend and its store tables use this one list.
FACETS: tuple[str, ...] = (
    "license",
    "inLanguage",
    "sdg",
    "learningResourceType",
    "educationalLevel",
    "audience",
    "source",
)


@lru_cache(maxsize=1)
def resource_schema() -> dict:
    """Return the published JSON Schema of the stored record (``schemas/resource.schema.json``)."""
    text = files("oerrepo.schemas").joinpath("resource.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(resource_schema())


@lru_cache(maxsize=4)
def _fast_check(require_id: bool, require_license: bool) -> Callable[[dict], Any]:
    """The published schema compiled to Python code: a yes/no answer in microseconds.

    Built from ``resource_schema()`` itself, with ``id`` or ``license`` dropped from the
    top-level ``required`` where the caller does not require them. It only says whether a
    record is valid; when it is not, the published schema's own validator (jsonschema)
    says exactly what is wrong, so every message comes from there.
    """
    import fastjsonschema

    schema = copy.deepcopy(resource_schema())
    optional = {name for name, needed in (("id", require_id), ("license", require_license)) if not needed}
    schema["required"] = [name for name in schema["required"] if name not in optional]
    # use_default=False: never write schema defaults into the caller's record
    return fastjsonschema.compile(schema, use_default=False)


# ---------------------------------------------------------------------------
# Objects the library hands out


@dataclass(frozen=True)
class Provenance:
    """Where a harvested record came from: one entry per partner source that provides it."""

    source: str
    oai_identifier: str
    datestamp: str | None = None
    set_specs: tuple[str, ...] = ()
    metadata_prefix: str | None = None
    harvested_at: str | None = None

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "oaiIdentifier": self.oai_identifier,
            "datestamp": self.datestamp,
            "setSpecs": list(self.set_specs),
            "metadataPrefix": self.metadata_prefix,
            "harvestedAt": self.harvested_at,
        }


@dataclass(frozen=True)
class Revision:
    """One change of a resource: its sequence number, UTC datestamp, action and origin."""

    seq: int
    resource_id: str
    action: str  # "add", "update" or "delete"
    datestamp: str
    origin: str
    changed: tuple[str, ...] = ()
    data: dict | None = None

    def to_dict(self) -> dict:
        return {
            "seq": self.seq,
            "id": self.resource_id,
            "action": self.action,
            "datestamp": self.datestamp,
            "origin": self.origin,
            "changed": list(self.changed),
        }


@dataclass
class Resource:
    """A stored blueprint resource: the record in its stored form plus what the repository owns.

    ``data`` is the record exactly as ``schemas/resource.schema.json`` describes it;
    ``seq`` and ``datestamp`` belong to its latest change; ``deleted`` marks a tombstone.
    """

    data: dict
    seq: int | None = None
    datestamp: str | None = None
    deleted: bool = False
    created: str | None = None
    provenance: tuple[Provenance, ...] = field(default=())
    #: How the input of the call that returned this resource was read (not stored), e.g.
    #: "license: no version given: read as version 4.0".
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def license(self) -> str | None:
        return self.data.get("license")

    @property
    def name(self) -> str:
        """The title in the record's first language (any language when that one is missing)."""
        return self.text("name")

    def text(self, prop: str, lang: str | None = None) -> str:
        """Return a language-map property in ``lang``, else in the record's own language."""
        values = self.data.get(prop) or {}
        for key in (lang, *(self.data.get("inLanguage") or ()), "en", "und"):
            if key and key in values:
                return values[key]
        return next(iter(values.values()), "")

    def get(self, prop: str, default: Any = None) -> Any:
        return self.data.get(prop, default)

    def __getitem__(self, prop: str) -> Any:
        return self.data[prop]

    def to_dict(self, *, meta: bool = False) -> dict:
        """Return the record as a plain dict (a deep copy); with ``meta``, add ``_meta``."""
        out = copy.deepcopy(self.data)
        if meta:
            out["_meta"] = {
                "seq": self.seq,
                "datestamp": self.datestamp,
                "created": self.created,
                "deleted": self.deleted,
                "provenance": [p.to_dict() for p in self.provenance],
            }
        return out

    def license_info(self) -> licenses.License | None:
        """The recognised licence of this record, or None when it has none."""
        return licenses.try_normalize(self.license) if self.license else None

    def attribution(self, fmt: str = "text") -> str:
        """The attribution line for reusing this resource (``text``, ``html`` or ``markdown``)."""
        lic = self.license_info()
        if lic is None:
            raise InvalidResource(f"resource {self.id!r} has no recognised licence to attribute")
        authors = [a["name"] for a in self.data.get("creator", [])]
        return licenses.attribution(self.name, lic, authors=authors, source_url=self.data.get("url"), fmt=fmt)


# ---------------------------------------------------------------------------
# Normalisation of input forms


class _Problems:
    """Collects every problem of one record so the user sees them all at once."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.kinds: set[type[InvalidResource]] = set()

    def add(self, message: str, kind: type[InvalidResource] = InvalidResource) -> None:
        self.items.append(message)
        self.kinds.add(kind)

    def error(self, label: str, where: str | None) -> InvalidResource:
        # Keep the specific class (UnknownLicense, LicenseRejected) when it is the only kind.
        kind = next(iter(self.kinds)) if len(self.kinds) == 1 else InvalidResource
        return kind(f"{label}: " + "; ".join(self.items), record=where, problems=self.items)

    def guard(self, prop: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except InvalidResource as exc:
            self.add(f"{prop}: {exc}", type(exc))
        except (TypeError, ValueError) as exc:
            self.add(f"{prop}: {exc}")
        return None


def _as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v is not None and v != ""]
    return [value]


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        # the published schema wants text here; 42 stored as "42" would hide a column mix-up
        shown = {bool: "true/false", int: "a number", float: "a number"}.get(type(value), type(value).__name__)
        raise InvalidResource(f"expected text for {what}, got {shown} {value!r:.60}; write it in quotes as text")
    bad = _UNSTORABLE.search(value)
    if bad:
        # a lone surrogate (half an emoji cut by some tool) cannot be written as UTF-8, and
        # PostgreSQL refuses NUL: say where it is rather than fail at the database
        raise InvalidResource(
            f"{what} holds the character U+{ord(bad.group()):04X} at position {bad.start() + 1}, which cannot be "
            f"stored ({value[max(0, bad.start() - 20):bad.start()]!r} comes before it); remove it or fix the text"
        )
    value = value.strip()
    if len(value) > _MAX_TEXT:
        raise InvalidResource(f"{what} is {len(value)} characters long; at most {_MAX_TEXT} are accepted")
    return value


def normalize_language(value: Any) -> str:
    """Return the BCP 47 tag of a language code or English name ('por', 'pt_BR', 'German')."""
    return _language_tag(_text(value, "a language"))


@lru_cache(maxsize=4096)
def _language_tag(text: str) -> str:
    # A harvest meets the same few language codes thousands of times: look each up once.
    import langcodes

    try:
        tag = langcodes.standardize_tag(text.replace("_", "-"))
    except (ValueError, LookupError):
        try:
            tag = langcodes.find(text).to_tag()
        except (ValueError, LookupError, ImportError):
            raise InvalidResource(
                f"unknown language {text!r}: use a BCP 47 tag such as 'en', 'pt-BR' or 'el'"
            ) from None
    if not langcodes.tag_is_valid(tag):
        raise InvalidResource(f"unknown language {text!r}: use a BCP 47 tag such as 'en', 'pt-BR' or 'el'")
    return tag


def _lang_map(value: Any, default_lang: str, what: str) -> dict[str, str]:
    if isinstance(value, Mapping):
        if "@value" in value:  # a JSON-LD value object
            return {normalize_language(value.get("@language") or default_lang): _text(value["@value"], what)}
        out = {}
        for lang, text in value.items():
            tag = "und" if lang in ("und", "@none", "") else normalize_language(lang)
            text = _text(text, what)
            if text:
                out[tag] = text
        return out
    if isinstance(value, list):
        out: dict[str, str] = {}
        for item in value:
            out.update(_lang_map(item, default_lang, what))
        return out
    text = _text(value, what)
    return {default_lang: text} if text else {}


def _uri_or_id(value: Any, what: str) -> str:
    if isinstance(value, Mapping):
        value = value.get("id") or value.get("@id") or value.get("url")
    text = _text(value, what)
    if not _URI_RE.match(text):
        raise InvalidResource(f"{what} {text!r} is not a URI; write it as https://...")
    return text


def _controlled(vocab: str) -> Callable[[Any, _Ctx], list[str]]:
    def convert(value: Any, ctx: _Ctx) -> list[str]:
        out: list[str] = []
        for item in _as_list(value):
            if isinstance(item, Mapping):
                item = item.get("id") or item.get("@id") or item.get("prefLabel", {}).get("en")
            uri = _resolve(vocab, item) if isinstance(item, (str, int)) else vocabularies.resolve(vocab, item)
            if uri not in out:
                out.append(uri)
        return out

    return convert


# Vocabularies are fixed for the life of the process; typed, so that True is not 1.
_resolve = lru_cache(maxsize=4096, typed=True)(vocabularies.resolve)


def _normalize_identifier(value: Any) -> str:
    text = _text(value, "an identifier")
    import idutils  # half a second to import: only load it when an identifier needs it

    schemes = idutils.detect_identifier_schemes(text)
    for scheme in ("doi", "handle", "ark", "urn", "purl"):
        if scheme in schemes:
            if scheme in ("urn",) and not text.lower().startswith("urn:"):
                continue
            norm = idutils.normalize_pid(text, scheme)
            url = idutils.to_url(norm, scheme, "https")
            if url:
                return url
    if _URI_RE.match(text):
        return text
    raise InvalidResource(
        f"identifier {text!r} is neither a DOI, a handle nor a URI; write a DOI as 10.xxxx/... or https://doi.org/..."
    )


def _orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2, the check ORCID uses for its last character."""
    digits = orcid.replace("-", "")
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1].upper() == ("X" if check == 10 else str(check))


def _agent(value: Any, default_type: str, ctx: _Ctx) -> dict:
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping):
        raise InvalidResource(f"expected a name or an object with 'name', got {value!r:.60}")
    unknown = set(value) - {"type", "@type", "name", "id", "@id", "url", "affiliation", "orcid", "ror"}
    if unknown:
        raise InvalidResource(f"unknown field(s) {sorted(unknown)} in a person or organisation")
    kind = value.get("type") or value.get("@type") or default_type
    if isinstance(kind, list):
        kind = next((k for k in kind if k in ("Person", "Organization")), kind[0] if kind else default_type)
    if kind not in ("Person", "Organization"):
        raise InvalidResource(f"type {kind!r} of a creator must be 'Person' or 'Organization'")
    name = value.get("name")
    if isinstance(name, Mapping):  # some JSON-LD writes names as language maps
        name = next(iter(name.values()), "")
    out: dict[str, Any] = {"type": kind, "name": _text(name or "", "a name")}
    if not out["name"]:
        raise InvalidResource("a person or organisation needs a 'name'")
    ident = value.get("id") or value.get("@id") or value.get("orcid") or value.get("ror")
    if ident:
        ident = _text(ident, "an id")
        if m := _ORCID_RE.match(ident):
            if not _orcid_checksum_ok(m.group(1)):
                raise InvalidResource(f"ORCID {ident!r} has a wrong check digit; copy it from the person's ORCID page")
            ident = f"https://orcid.org/{m.group(1).upper()}"
        elif m := _ROR_RE.match(ident):
            ident = f"https://ror.org/{m.group(1).lower()}"
        elif not _URI_RE.match(ident):
            raise InvalidResource(f"id {ident!r} of {out['name']!r} is not an ORCID, a ROR id or a URI")
        out["id"] = ident
    if value.get("url"):
        out["url"] = _uri_or_id(value["url"], "url")
    if value.get("affiliation"):
        aff = value["affiliation"]
        if isinstance(aff, list):
            aff = aff[0] if aff else None
        if aff:
            out["affiliation"] = _agent(aff, "Organization", ctx)
            out["affiliation"]["type"] = "Organization"
            out["affiliation"].pop("affiliation", None)
    return out


def _agents(default_type: str) -> Callable[[Any, _Ctx], list[dict]]:
    return lambda value, ctx: [_agent(v, default_type, ctx) for v in _as_list(value)]


def _relation(value: Any) -> dict:
    if isinstance(value, str):
        value = {"id": value}
    if not isinstance(value, Mapping):
        raise InvalidResource(f"a relation must be an id or {{'id': ..., 'name': ...}}, got {value!r:.60}")
    ident = _text(value.get("id") or value.get("@id") or "", "a relation id")
    if not (_URI_RE.match(ident) or _SLUG_RE.match(ident)):
        raise InvalidResource(f"relation target {ident!r} is neither a URI nor a resource id")
    out = {"id": ident}
    if value.get("name"):
        name = value["name"]
        out["name"] = _text(next(iter(name.values())) if isinstance(name, Mapping) else name, "a name")
    return out


def _encoding(value: Any) -> dict:
    if isinstance(value, str):
        value = {"contentUrl": value}
    if not isinstance(value, Mapping):
        raise InvalidResource(f"an encoding must be a URL or an object with contentUrl, got {value!r:.60}")
    unknown = set(value) - {"contentUrl", "encodingFormat", "contentSize", "name", "type", "@type"}
    if unknown:
        raise InvalidResource(f"unknown field(s) {sorted(unknown)} in an encoding")
    out = {"contentUrl": _uri_or_id(value.get("contentUrl"), "contentUrl")}
    if value.get("encodingFormat"):
        out["encodingFormat"] = _text(value["encodingFormat"], "encodingFormat").lower()
    if value.get("contentSize") not in (None, ""):
        size = value["contentSize"]
        if isinstance(size, bool) or not re.fullmatch(r"\d+", str(size).strip()):
            raise InvalidResource(f"contentSize {size!r} must be a whole number of bytes")
        out["contentSize"] = str(size).strip()
    if value.get("name"):
        out["name"] = _text(value["name"], "name")
    return out


def _funding(value: Any, ctx: _Ctx) -> dict:
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping):
        raise InvalidResource(f"funding must be a project name or an object, got {value!r:.60}")
    out: dict[str, Any] = {"type": "Grant", "name": _text(value.get("name") or "", "a project name")}
    if not out["name"]:
        raise InvalidResource("funding needs the project's 'name'")
    if value.get("identifier"):
        out["identifier"] = _text(value["identifier"], "identifier")
    if value.get("url"):
        out["url"] = _uri_or_id(value["url"], "url")
    if value.get("funder"):
        out["funder"] = _agent(value["funder"], "Organization", ctx)
        out["funder"]["type"] = "Organization"
        out["funder"].pop("affiliation", None)
    return out


def _about(value: Any, ctx: _Ctx) -> list[dict]:
    out = []
    for item in _as_list(value):
        if isinstance(item, str):
            text = _text(item, "a subject")
            out.append({"id": text} if _URI_RE.match(text) and "/" in text else {"prefLabel": {ctx.lang: text}})
        elif isinstance(item, Mapping):
            subject: dict[str, Any] = {}
            if item.get("id") or item.get("@id"):
                subject["id"] = _uri_or_id(item, "a subject id")
            if item.get("prefLabel") or item.get("name"):
                subject["prefLabel"] = _lang_map(item.get("prefLabel") or item.get("name"), ctx.lang, "a subject")
            if not subject:
                raise InvalidResource("a subject needs an 'id' or a 'prefLabel'")
            out.append(subject)
        else:
            raise InvalidResource(f"a subject must be text or an object, got {item!r:.60}")
    return out


def _keywords(value: Any, ctx: _Ctx) -> list[str]:
    out: list[str] = []
    for item in _as_list(value):
        if isinstance(item, str) and len(_as_list(value)) == 1 and ("," in item or ";" in item):
            parts = re.split(r"[;,]", item)
        else:
            parts = [item]
        for part in parts:
            text = _text(part, "a keyword")
            if text and text not in out:
                out.append(text)
    return out


def _date(value: Any, ctx: _Ctx) -> str:
    text = _text(value, "a date")
    m = re.fullmatch(r"(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?", text)
    if not m:
        raise InvalidResource(f"date {text!r} is not an ISO 8601 date; write YYYY-MM-DD")
    date, time, zone = m.groups()
    if time is None:
        return date
    zone = zone or ""
    if zone and zone != "Z" and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    return f"{date}T{time}{zone}"


def _bool(value: Any, ctx: _Ctx) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "y"):
        return True
    if text in ("false", "no", "0", "n"):
        return False
    raise InvalidResource(f"expected true or false, got {value!r:.60}")


def _age_range(value: Any, ctx: _Ctx) -> str:
    text = _text(value, "typicalAgeRange").replace(" ", "").replace("–", "-")
    if not re.fullmatch(r"\d{1,2}(-\d{0,2})?", text):
        raise InvalidResource(f"typicalAgeRange {text!r} must look like '10-14' or '16-'")
    return text


@dataclass
class _Ctx:
    lang: str
    policy: licenses.LicensePolicy
    notes: list[str] = field(default_factory=list)  # how values were read, for the caller's report


def _license_text(value: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get("id") or value.get("@id") or value.get("url") or value.get("name")
    return value


def _license(value: Any, ctx: _Ctx) -> str:
    values = [_license_text(v) for v in value] if isinstance(value, list) else [_license_text(value)]
    values = [v for v in values if v not in (None, "")]
    if len(values) > 1:
        # several statements (JSON-LD, merged sources): the specific, most restrictive reading
        if not all(isinstance(v, str) for v in values):
            raise InvalidResource(f"a licence must be text or a URL, got {values!r:.80}")
        rights = licenses.read_rights(values)
        if rights.license is None:
            raise UnknownLicense(rights.problem or f"none of the licences {values!r:.120} is recognised; "
                                          "give one SPDX id such as 'CC-BY-4.0' or a licence URL")
        if rights.problem:
            ctx.notes.append(f"license: licence problem: {rights.problem}")
        lic = ctx.policy.check(rights.license)
    else:
        lic = ctx.policy.check(values[0] if values else None)
    ctx.notes.extend(f"license: {note}" for note in lic.notes)
    return lic.url


def _types(value: Any, ctx: _Ctx) -> list[str]:
    out = [_text(v, "a type") for v in _as_list(value)]
    if LEARNING_RESOURCE not in out:
        out.insert(0, LEARNING_RESOURCE)
    return list(dict.fromkeys(out))


def _sets(value: Any, ctx: _Ctx) -> list[str]:
    out = []
    for item in _as_list(value):
        if isinstance(item, str) and "|" in item:
            out.extend(s.strip() for s in item.split("|") if s.strip())
        else:
            out.append(_text(item, "a set spec"))
    return list(dict.fromkeys(out))


# Every property of the stored record and how its input forms become the stored form.
# Kept equal to the schema's properties by tests/test_model.py.
_CONVERTERS: dict[str, Callable[[Any, _Ctx], Any]] = {
    "type": _types,
    "name": lambda v, ctx: _lang_map(v, ctx.lang, "name"),
    "description": lambda v, ctx: _lang_map(v, ctx.lang, "description"),
    "keywords": _keywords,
    "about": _about,
    "sdg": _controlled("sdg"),
    "learningResourceType": _controlled("learningResourceType"),
    "educationalLevel": _controlled("educationalLevel"),
    "audience": _controlled("audience"),
    "typicalAgeRange": _age_range,
    "license": _license,
    "conditionsOfAccess": lambda v, ctx: _controlled("conditionsOfAccess")(v, ctx)[0],
    "isAccessibleForFree": _bool,
    "creator": _agents("Person"),
    "contributor": _agents("Person"),
    "publisher": _agents("Organization"),
    "funder": _agents("Organization"),
    "funding": lambda v, ctx: [_funding(x, ctx) for x in _as_list(v)],
    "dateCreated": _date,
    "datePublished": _date,
    "dateModified": _date,
    "url": lambda v, ctx: _uri_or_id(v, "url"),
    "identifier": lambda v, ctx: list(dict.fromkeys(_normalize_identifier(x) for x in _as_list(v))),
    "isBasedOn": lambda v, ctx: [_relation(x) for x in _as_list(v)],
    "isPartOf": lambda v, ctx: [_relation(x) for x in _as_list(v)],
    "hasPart": lambda v, ctx: [_relation(x) for x in _as_list(v)],
    "sameAs": lambda v, ctx: list(dict.fromkeys(_uri_or_id(x, "sameAs") for x in _as_list(v))),
    "encoding": lambda v, ctx: [_encoding(x) for x in _as_list(v)],
    "image": lambda v, ctx: _uri_or_id(v.get("contentUrl") if isinstance(v, Mapping) and "contentUrl" in v else v, "image"),
    "sets": _sets,
}

PROPERTIES: tuple[str, ...] = ("id", "inLanguage", *_CONVERTERS)
"""Every property of the stored record, in the order records are written."""

# Input keys that are not ours but harmless: JSON-LD keywords and our own metadata block.
_IGNORED = {"@context", "_meta", "@id", "@type"}


def normalize_record(
    raw: Mapping[str, Any],
    *,
    policy: licenses.LicensePolicy | None = None,
    where: str | None = None,
    require_license: bool = True,
    notes: list[str] | None = None,
) -> dict:
    """Turn a record in any accepted input form into its stored form, or raise InvalidResource.

    Short vocabulary forms become concept URIs, plain-string titles become language maps in
    the record's first language, licences become their canonical URL. Every problem of the
    record is reported at once. How a value was read where the input left room for doubt
    ("CC BY" without a version read as 4.0) is appended to ``notes``, when given.

    >>> normalize_record({"name": "Bee hotels", "license": "CC BY 4.0", "inLanguage": "en"})["license"]
    'https://creativecommons.org/licenses/by/4.0/'
    """
    policy = policy or licenses.LicensePolicy("any")
    if not isinstance(raw, Mapping):
        raise InvalidResource(
            f"{where + ': ' if where else ''}a record must be a JSON object, got {type(raw).__name__}",
            record=where,
        )
    problems = _Problems()
    label = where or "record"
    out: dict[str, Any] = {}

    rid = raw.get("id", raw.get("@id"))
    if rid not in (None, ""):
        rid = problems.guard("id", lambda: _text(rid, "id"))
        if rid and not (_URI_RE.match(rid) or _SLUG_RE.match(rid)):
            problems.add(f"id: {rid!r} is neither a URI nor a slug (letters, digits, '.', '_', '-', ':')")
        elif rid:
            out["id"] = rid
            label = f"{where + ' ' if where else ''}(id {rid!r})" if where else f"record {rid!r}"

    langs = problems.guard(
        "inLanguage", lambda: list(dict.fromkeys(normalize_language(v) for v in _split(raw.get("inLanguage"))))
    )
    if langs:
        out["inLanguage"] = langs
    ctx = _Ctx(lang=(langs or ["und"])[0], policy=policy, notes=notes if notes is not None else [])

    unknown = sorted(k for k in raw if k not in _CONVERTERS and k not in ("id", "inLanguage") and k not in _IGNORED)
    if unknown:
        problems.add(
            f"unknown propert{'y' if len(unknown) == 1 else 'ies'} {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(PROPERTIES)}"
        )
    for prop, convert in _CONVERTERS.items():
        if prop not in raw and not (prop == "type" and "@type" in raw):
            continue
        value = raw.get(prop, raw.get("@type")) if prop == "type" else raw[prop]
        if value is None or value == "" or value == []:
            continue
        converted = problems.guard(prop, lambda convert=convert, value=value: convert(value, ctx))
        if converted not in (None, [], {}):
            out[prop] = converted
    out.setdefault("type", [LEARNING_RESOURCE])
    if not out.get("name") and not any(p.startswith("name") for p in problems.items):
        problems.add("name: missing; every resource needs a title")
    if "license" not in out and not any(p.startswith("license") for p in problems.items):
        if require_license:
            problems.add(
                "license: missing; give an SPDX id such as 'CC-BY-4.0' or a licence URL "
                "such as https://creativecommons.org/licenses/by/4.0/"
            )
    if problems.items:
        raise problems.error(label, where)
    ordered = {k: out[k] for k in PROPERTIES if k in out}
    validate_record(ordered, where=where, require_id=False, require_license=require_license)
    return ordered


def _split(value: Any) -> list:
    items = _as_list(value)
    out = []
    for item in items:
        if isinstance(item, str) and ("|" in item or "," in item):
            out.extend(p.strip() for p in re.split(r"[|,]", item) if p.strip())
        else:
            out.append(item)
    return out


def validate_record(
    data: Mapping[str, Any], *, where: str | None = None, require_id: bool = True, require_license: bool = True
) -> None:
    """Check a stored-form record against the published JSON Schema; raise InvalidResource."""
    from fastjsonschema import JsonSchemaException

    record = data if isinstance(data, dict) else dict(data)
    try:
        _fast_check(require_id, require_license)(record)
        return
    except JsonSchemaException:
        pass  # invalid: the full validator below names every problem
    errors = []
    for err in sorted(_validator().iter_errors(record), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in err.absolute_path) or "(record)"
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else err.message
            if (missing == "id" and not require_id) or (missing == "license" and not require_license):
                continue
        errors.append(f"{path}: {_short(err.message)}")
    if errors:
        label = where or (f"record {data.get('id')!r}" if data.get("id") else "record")
        raise InvalidResource(f"{label}: " + "; ".join(errors), record=where, problems=errors)


def _short(message: str) -> str:
    return message if len(message) < 300 else message[:297] + "..."


def merge_records(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict:
    """Return ``base`` with the properties in ``changes`` replaced (None removes one)."""
    out = dict(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def changed_properties(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Names of the properties that differ between two stored records."""
    if not old:  # a new record (the common case of an import or a harvest): what it has
        return tuple(k for k in PROPERTIES if new and new.get(k) is not None)
    new = new or {}
    return tuple(k for k in PROPERTIES if old.get(k) != new.get(k))
