"""oerrepo: an open educational resource repository.

Store blueprint resources with open-licence metadata, harvest partner repositories
over OAI-PMH, search them, serve an OAI-PMH feed and export linked data.

The errors are imported at once (they are small); ``Repository`` and the record classes
on first use, so ``import oerrepo`` stays cheap for commands that need neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    BadArgument,
    BadResumptionToken,
    BadVerb,
    CannotDisseminateFormat,
    DuplicateResource,
    DuplicateSource,
    ExportError,
    HarvestError,
    IdDoesNotExist,
    ImportFailed,
    InvalidResource,
    InvalidSetting,
    InvalidSource,
    LicenseRejected,
    NoMetadataFormats,
    NoRecordsMatch,
    NoSetHierarchy,
    OAIError,
    OerRepoError,
    ResourceNotFound,
    SearchError,
    SearchUnavailable,
    ServeError,
    SourceNotFound,
    StoreError,
    UnknownLicense,
)

if TYPE_CHECKING:  # pragma: no cover
    from .model import Resource, Revision
    from .repository import ImportReport, Repository

# Public names imported on first use: name -> the module holding it.
_LAZY = {
    "Repository": "repository",
    "ImportReport": "repository",
    "Resource": "model",
    "Revision": "model",
}

__all__ = [
    "Repository",
    "Resource",
    "Revision",
    "ImportReport",
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'oerrepo' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
