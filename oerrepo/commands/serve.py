"""The ``serve`` command: the web service with the OAI-PMH endpoint, linked data and the site."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # pragma: no cover
    from ..repository import Repository



@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on (0.0.0.0 for all).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The port to listen on (0 picks a free one).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Requests served at once.")
@click.pass_obj
def serve(repo: Repository, host: str, port: int, threads: int) -> None:
    """Serve the repository on the web: OAI-PMH at /oai, linked data, a home page.

    Runs the production WSGI server waitress until Ctrl-C. Set the public address
    harvesters should see with 'oerrepo config base_url https://oer.example.org'.

    Example: oerrepo --data oer-data serve --port 8000
    """
    repo.serve(host, port, threads=threads, announce=lambda line: click.echo(line, err=False))
    click.echo("Stopped.")


COMMANDS = [serve]
