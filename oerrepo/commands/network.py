"""network commands of the oerrepo CLI: the hub's identity on the network, and duplicates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .output import echo_json

if TYPE_CHECKING:  # pragma: no cover
    from ..repository import Repository


@click.command()
@click.option("--oai-identifier", "new_identifier", metavar="DOMAIN",
              help="Change the namespace of OAI identifiers (oai:<DOMAIN>:<id>).")
@click.option("--yes", is_flag=True, help="Confirm changing the identifier of a catalogue that has records.")
@click.option("--json", "as_json", is_flag=True, help="Print the identity as JSON.")
@click.pass_obj
def identity(repo: Repository, new_identifier: str | None, yes: bool, as_json: bool) -> None:
    """Show how this hub is named on the network (OAI identifiers, base URL), or rename it.

    Identifiers and the feed's address come from the settings, never from a request. A
    catalogue that partners already harvest keeps its identifier unless you change it
    here with --yes: every record is then renamed for every harvester.

    Example: oerrepo identity --oai-identifier oer.example.org --yes
    """
    from ..identity import CHANGE_CONSEQUENCES, DEFAULT_BASE_URL, is_minted

    if new_identifier:
        old = repo.oai_namespace()
        repo.change_oai_identifier(new_identifier, confirm=yes)
        new = repo.oai_namespace()
        if old != new:
            click.echo(f"OAI identifier changed from {old} to {new}", err=True)
            if yes and repo.count(include_deleted=True):
                click.echo("Tell your partners: " + CHANGE_CONSEQUENCES.format(old=old, new=new), err=True)
    namespace = repo.oai_namespace()
    base_url = repo.setting("base_url")
    info = {
        "oaiIdentifier": namespace,
        "sampleIdentifier": f"oai:{namespace}:<id>",
        "madeUp": is_minted(namespace),
        "baseURL": (base_url or DEFAULT_BASE_URL) + "/oai",
        "baseURLConfigured": bool(base_url),
        "partners": [s["url"] for s in repo.sources()],
    }
    if as_json:
        echo_json(info)
        return
    click.echo(f"OAI identifiers: {info['sampleIdentifier']}" + (" (made up: no domain name given)" if info["madeUp"] else ""))
    click.echo(f"OAI-PMH base URL: {info['baseURL']}" + ("" if base_url else
                                                          " (default; set one with 'oerrepo config base_url URL')"))
    click.echo(f"partners harvested: {len(info['partners'])}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the clusters and pairs as JSON.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="Items shown per list.")
@click.pass_obj
def duplicates(repo: Repository, as_json: bool, limit: int) -> None:
    """Show merged resources (with their providers and why) and probable duplicates left apart.

    Probable duplicates are pairs the harvests did not merge automatically: nearly the
    same title with different creators, or the same resource in two languages. Decide,
    then edit or delete one of them.

    Example: oerrepo duplicates --json
    """
    report = repo.duplicates()
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(report.summary(details=limit))


COMMANDS = [identity, duplicates]
