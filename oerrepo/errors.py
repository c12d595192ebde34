"""The one exception hierarchy of oerrepo.

Every error raised on purpose derives from :class:`OerRepoError`; its message says
what went wrong, the offending value and what to do next.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "OerRepoError",
    "InvalidResource",
    "UnknownLicense",
    "LicenseRejected",
    "DuplicateResource",
    "ResourceNotFound",
    "ImportFailed",
    "StoreError",
    "SearchError",
    "SearchUnavailable",
    "HarvestError",
    "InvalidSource",
    "DuplicateSource",
    "SourceNotFound",
    "OAIError",
    "BadVerb",
    "BadArgument",
    "BadResumptionToken",
    "CannotDisseminateFormat",
    "IdDoesNotExist",
    "NoRecordsMatch",
    "NoMetadataFormats",
    "NoSetHierarchy",
    "ExportError",
    "InvalidSetting",
    "ServeError",
]


class OerRepoError(Exception):
    """Base for every error oerrepo raises on purpose."""


class InvalidResource(OerRepoError):
    """A record does not satisfy the resource schema or a controlled vocabulary."""

    def __init__(self, message: str, *, record: str | None = None, problems: list[str] | None = None):
        self.record = record
        self.problems = problems or [message]
        super().__init__(message)


class UnknownLicense(InvalidResource):
    """A licence string could not be recognised."""


class LicenseRejected(InvalidResource):
    """A recognised licence is not accepted by the repository's licence policy."""


class DuplicateResource(OerRepoError):
    """A resource with this id is already stored."""


class ResourceNotFound(OerRepoError, KeyError):
    """No resource (or only a tombstone) is stored under this id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ImportFailed(OerRepoError):
    """A file could not be imported; nothing was stored."""


class StoreError(OerRepoError):
    """The data folder or its database cannot be used."""


class SearchError(OerRepoError):
    """A search query or the full-text index failed."""


class SearchUnavailable(SearchError):
    """The search index is being rebuilt; searching works again when it is done."""


class HarvestError(OerRepoError):
    """Harvesting a partner repository failed.

    ``code`` carries the OAI-PMH error code when the partner sent one; ``report`` what was
    harvested before the failure (a ``HarvestReport``), when there was a harvest.
    """

    report: Any

    def __init__(self, message: str, *, code: str | None = None, report: Any = None):
        self.code = code
        self.report = report
        super().__init__(message)


class InvalidSource(HarvestError):
    """A partner source's name, URL or settings cannot be used."""


class DuplicateSource(InvalidSource):
    """A source of this name is already registered."""


class SourceNotFound(HarvestError):
    """No source is registered under this name (and it is no URL to harvest either)."""


class OAIError(OerRepoError):
    """An OAI-PMH protocol error, served to harvesters as ``<error code=...>``."""

    code = "badArgument"


class BadVerb(OAIError):
    code = "badVerb"


class BadArgument(OAIError):
    code = "badArgument"


class BadResumptionToken(OAIError):
    code = "badResumptionToken"


class CannotDisseminateFormat(OAIError):
    code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIError):
    code = "idDoesNotExist"


class NoRecordsMatch(OAIError):
    code = "noRecordsMatch"


class NoMetadataFormats(OAIError):
    code = "noMetadataFormats"


class NoSetHierarchy(OAIError):
    code = "noSetHierarchy"


class ExportError(OerRepoError):
    """Linked-data export or validation failed."""


class InvalidSetting(OerRepoError):
    """A repository setting that does not exist, or a value it cannot take."""


class ServeError(OerRepoError):
    """The web service cannot start (the address is in use or cannot be bound)."""
