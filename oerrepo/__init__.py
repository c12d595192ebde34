"""oerrepo: an open educational resource repository.

Store blueprint resources with open-licence metadata, harvest partner repositories
over OAI-PMH, search them, serve an OAI-PMH feed and export linked data.
"""

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    HarvestError,
    InvalidResource,
    OAIError,
    OerRepoError,
    ResourceNotFound,
    SearchError,
    StoreError,
)
from .model import Resource, Revision  # noqa: E402
from .repository import ImportReport, Repository  # noqa: E402

__all__ = [
    "Repository",
    "Resource",
    "Revision",
    "ImportReport",
    "OerRepoError",
    "InvalidResource",
    "ResourceNotFound",
    "StoreError",
    "SearchError",
    "HarvestError",
    "OAIError",
]
