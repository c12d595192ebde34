"""``python -m oerrepo``: the same as the ``oerrepo`` command."""

from .cli import cli

if __name__ == "__main__":  # not when a child process imports this module
    cli(prog_name="oerrepo")
