"""The CLI's commands, one module per feature; each lists its commands in ``COMMANDS``.

A command says what it needs of the data folder: most need an existing one (and say
how to make one when it is missing); those marked :func:`creates_data_folder` make it.
Command modules import click and little else at the top, so ``oerrepo --help`` and
each command load only what they use. A command's function is named as the command,
with a trailing underscore where that name is a Python keyword or builtin (``import_``,
``list_``, ``license_``); subcommands are ``<group>_<name>`` (``sources_add``).
"""

from __future__ import annotations

from typing import TypeVar

import click

__all__ = ["creates_data_folder", "may_create_data_folder"]

_Command = TypeVar("_Command", bound=click.Command)
_CREATES = "creates_data_folder"


def creates_data_folder(command: _Command) -> _Command:
    """Mark a command (or group) that may create the data folder it works on.

    >>> @creates_data_folder
    ... @click.command()
    ... def init(): ...
    """
    setattr(command, _CREATES, True)
    return command


def may_create_data_folder(command: click.Command | None) -> bool:
    """Whether this command may create its data folder (see :func:`creates_data_folder`)."""
    return bool(getattr(command, _CREATES, False))
