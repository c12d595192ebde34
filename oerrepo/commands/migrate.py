"""migrate commands of the oerrepo CLI: move a catalogue between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .output import echo_json, plural, progress

if TYPE_CHECKING:  # pragma: no cover
    from ..repository import Repository


@click.command("migrate-store")
@click.option(
    "--to",
    "target",
    required=True,
    help="The database to copy into: a URL (postgresql+psycopg://user@host/db, sqlite:///path/repo.db) "
    "or a new data folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verification as JSON.")
@click.pass_obj
def migrate_store(repo: Repository, target: str, as_json: bool) -> None:
    """Copy the whole catalogue into another, empty database, and verify the copy.

    Copies every resource and tombstone, every revision with its sequence number and
    datestamp, sets, settings, partner sources and provenance; then prints each table's
    row count and checksum on both sides. The source is left as it is; point --db (or
    the data folder's oerrepo.toml) at the target to use it. Works both ways: from the
    data folder's SQLite file to PostgreSQL and from PostgreSQL to a new data folder.

    Example: oerrepo --data oer-data migrate-store --to postgresql+psycopg://oer@db.example/oer
    """
    total = repo.store.count(include_deleted=True)
    with progress("Copying", None) as advance:
        report = repo.migrate_store(target, progress=advance)
    if as_json:
        echo_json(report.to_dict())
        return
    click.echo(f"Copied {report.source} -> {report.target} ({plural(total, 'resource')}, {plural(report.rows, 'row')})")
    click.echo(f"{'table':<15} {'rows':>9} {'rows copied':>11}  {'checksum':<32}  verified")
    for check in report.tables:
        click.echo(
            f"{check.table:<15} {check.source_rows:>9} {check.target_rows:>11}  {check.target_checksum}  "
            f"{'ok' if check.ok else 'DIFFERENT'}"
        )
    click.echo("Every table matches: the copy is complete." if report.ok else "The copy differs from the source.")


COMMANDS = [migrate_store]
