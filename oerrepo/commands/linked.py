"""Linked-data commands of the oerrepo CLI: export the catalogue as JSON-LD, Turtle, N-Triples or RDF/XML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .output import echo_json, plural, progress

if TYPE_CHECKING:  # pragma: no cover
    from ..repository import Repository


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonld", "turtle", "nt", "rdfxml"]), default="turtle",
              show_default=True, help="The serialisation.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (written whole or not at all); default: standard output.")
@click.option("--set", "set_spec", help="Only this collection (set spec).")
@click.option("--since", help="Only resources changed on or after this date (YYYY-MM-DD).")
@click.option("--catalog", is_flag=True, help="Write the DCAT description of the catalogue instead.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written (counts) as JSON on stderr.")
@click.pass_obj
def export(repo: Repository, fmt: str, output: Path | None, set_spec, since, catalog: bool, as_json: bool) -> None:
    """Export the catalogue (or part of it) as schema.org / LRMI linked data.

    Resources are written one at a time, so big catalogues need little memory.

    Example: oerrepo export --format nt --output catalogue.nt --since 2024-01-01
    """
    if catalog:
        text = repo.catalog(fmt)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
        return
    target = output if output else sys.stdout.buffer
    with progress(f"exporting {fmt}", length=repo.count(set_spec=set_spec) if output else None) as advance:
        stats = repo.export(fmt, target, set_spec=set_spec, since=since, progress=advance)
    if as_json:
        click.echo(__import__("json").dumps(stats.to_dict()), err=True)
    elif output:
        click.echo(f"{plural(stats.resources, 'resource')}, {plural(stats.triples, 'triple')} written to {output}", err=True)


COMMANDS = [export]

__all__ = ["COMMANDS", "echo_json"]
