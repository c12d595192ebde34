"""oerrepo: an open educational resource repository.

Store blueprint resources with open-licence metadata, harvest partner repositories
over OAI-PMH, search them, serve an OAI-PMH feed and export linked data.

The errors are imported at once (they are small); ``Repository`` and the record classes
on first use, so ``import oerrepo`` stays cheap for commands that need neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from . import errors as _errors  # noqa: E402
from .errors import *  # noqa: E402, F403 - every public error (errors.__all__)

if TYPE_CHECKING:  # pragma: no cover
    from .model import Resource as Resource
    from .model import Revision as Revision
    from .repository import ImportReport as ImportReport
    from .repository import Repository as Repository

# Public names imported on first use: name -> the module holding it.
_LAZY = {
    "Repository": "repository",
    "ImportReport": "repository",
    "Resource": "model",
    "Revision": "model",
}

__all__ = [*_LAZY, *_errors.__all__]


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
