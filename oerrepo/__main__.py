"""``python -m oerrepo``: the same as the ``oerrepo`` command."""

from .cli import cli

cli(prog_name="oerrepo")
