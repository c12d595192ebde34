"""The ``oerrepo`` command: a thin shell over :class:`oerrepo.Repository`.

Errors are translated in one place: every :class:`OerRepoError` becomes one
``Error: ...`` line and exit code 1, never a traceback.
"""

from __future__ import annotations

import click

from . import __version__
from .commands import may_create_data_folder
from .errors import OerRepoError
from .repository import Repository


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OerRepoError as exc:
            raise click.ClickException(str(exc)) from exc
        except PermissionError as exc:
            raise click.ClickException(f"permission denied: {exc.filename or exc}") from exc
        except BrokenPipeError:  # `oerrepo list | head`
            ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data",
    default="oer-data",
    envvar="OERREPO_DATA",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The data folder (SQLite store and search index). Env: OERREPO_DATA.",
)
@click.option("--db", "db_url", envvar="OERREPO_DB", help="A database URL to use instead of the data folder's SQLite file.")
@click.version_option(__version__, prog_name="oerrepo")
@click.pass_context
def cli(ctx: click.Context, data: str, db_url: str | None) -> None:
    """Store, search, harvest and share open educational resources.

    Example: oerrepo init --samples && oerrepo list
    """
    # Lazy: --help and argument errors touch no file.
    command = cli.get_command(ctx, ctx.invoked_subcommand) if ctx.invoked_subcommand else None
    ctx.obj = Repository(data, create=may_create_data_folder(command), db_url=db_url)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from .commands import core, harvest, linked, migrate, network, search, serve

    for module in (core, search, harvest, serve, linked, migrate, network):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:  # pragma: no cover - console entry point
    cli()
