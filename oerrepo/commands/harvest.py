"""harvest commands of the oerrepo CLI: ``harvest`` and ``sources``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..errors import HarvestError
from . import creates_data_folder
from .output import echo_json, narrated, plural

if TYPE_CHECKING:  # pragma: no cover
    from ..repository import Repository


class _Bar:
    """A progress bar on stderr showing pages and records as they arrive (only on a terminal).

    A line said while it counts (a retry, "writing the search index") leaves the bar on
    screen with its count so far, above the line; pages that come after start a bar below it
    (another source of ``--all``, or the same one after a retry), counting on.
    """

    def __init__(self) -> None:
        self.bar = None
        self.records = 0  # of every source
        self.pages: dict[str, int] = {}  # by source (--all harvests several at once)
        self.tty = sys.stderr.isatty()

    def __call__(self, *, source: str, pages: int, records: int) -> None:
        self.pages[source] = self.pages.get(source, 0) + pages
        # tqdm puts ": " after the label itself (set_description would add a second one).
        label = f"{source}: page {self.pages[source]}"
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(desc=label, unit=" records", file=sys.stderr, dynamic_ncols=True, leave=False,
                                initial=self.records)
            self.bar.set_description_str(label)
            self.bar.update(records)
        self.records += records

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def write(self, line: str) -> None:
        """A line on stderr, below the bar's count so far."""
        if self.bar is not None:
            self.bar.leave = True  # kept on screen with its count, not drawn again below the line
            self.close()
        click.echo(line, err=True)


def _narrated(bar: _Bar | None = None):
    """Show, as it happens, what the harvester tries and retries (its ``oerrepo.harvest`` log)."""
    return narrated("oerrepo.harvest", bar.write if bar is not None else lambda text: click.echo(text, err=True))


@creates_data_folder
@click.command()
@click.argument("target", required=False, metavar="[URL|SOURCE]")
@click.option("--all", "all_sources", is_flag=True, help="Harvest every registered source, each incrementally.")
@click.option("--prefix", "metadata_prefix", help="Metadata format (default: the richest the partner offers).")
@click.option("--set", "set_specs", multiple=True, metavar="SPEC", help="Harvest only this set (repeatable).")
@click.option("--name", "source_name", help="Register a new URL under this source name.")
@click.option("--full", is_flag=True, help="Ignore the saved position and harvest everything again "
              "(records the partner no longer lists are then deleted).")
@click.option("--allow-mass-deletion", is_flag=True,
              help="Delete the records the partner no longer lists even when that is more than half of them.")
@click.option("--workers", type=click.IntRange(1, 32), default=1, show_default=True,
              help="With --all: how many sources are harvested at once.")
@click.option("--delay", type=float, help="Seconds to wait between requests to the partner.")
@click.option("--retries", type=int, help="How often a failing page is asked again.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def harvest(repo: Repository, target, all_sources, metadata_prefix, set_specs, source_name, full,
            allow_mass_deletion, workers, delay, retries, as_json) -> None:
    """Harvest new, changed and deleted records from an OAI-PMH endpoint or a registered source.

    A URL seen for the first time is registered as a source, so the next run is
    incremental; an interrupted harvest continues where it stopped.

    Example: oerrepo harvest https://zenodo.org/oai2d --set user-oer --prefix oai_datacite
    """
    if bool(target) == bool(all_sources):
        raise click.UsageError("give one URL or source name, or --all")
    if workers > 1 and not all_sources:
        raise click.UsageError("--workers harvests several sources at once: use it with --all")
    if not repo.setting("admin_email") and not any(row["lastComplete"] for row in repo.sources()):
        click.echo("note: partners see no contact address in our User-Agent; set one with "
                   "'oerrepo config admin_email you@example.org'", err=True)
    bar = _Bar()
    try:
        with _narrated(bar):
            if all_sources:
                report = repo.harvest_all(full=full, progress=bar, allow_mass_deletion=allow_mass_deletion,
                                          workers=workers)
            else:
                report = repo.harvest(
                    target, metadata_prefix=metadata_prefix, set_specs=set_specs, source=source_name, full=full,
                    progress=bar, delay=delay, retries=retries, allow_mass_deletion=allow_mass_deletion,
                )
    except HarvestError as exc:
        bar.close()
        partial = getattr(exc, "report", None)
        # With nothing harvested the error says it all (the retries were shown as they happened).
        if partial is not None and (as_json or partial.totals()["pages"]):
            _print(partial, as_json)
        raise
    bar.close()
    _print(report, as_json)
    if not report.ok:
        failed = ", ".join(s.source for s in report.sources if s.error)
        raise HarvestError(f"harvesting {failed} failed; the records harvested before the failure are kept",
                           report=report)


def _print(report, as_json: bool) -> None:
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(report.summary())


@creates_data_folder
@click.group()
def sources() -> None:
    """Keep the registry of partner OAI-PMH sources that 'harvest --all' harvests.

    Example: oerrepo sources add zenodo-oer https://zenodo.org/oai2d --set user-oer
    """


@sources.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--prefix", "metadata_prefix", help="Metadata format (default: the richest the partner offers).")
@click.option("--set", "set_specs", multiple=True, metavar="SPEC", help="Harvest only this set (repeatable).")
@click.option("--delay", type=float, help="Seconds to wait between requests (politeness).")
@click.option("--retries", type=int, help="How often a failing page is asked again (default 5).")
@click.option("--timeout", type=float, help="Seconds to wait for one answer (default 60).")
@click.option("--on-missing-license", type=click.Choice(["keep", "skip"]), default="keep", show_default=True,
              help="Records without a usable licence: keep them flagged, or skip them (both are reported).")
@click.option("--replace", is_flag=True, help="Change an existing source of this name.")
@click.option("--no-verify", is_flag=True, help="Register it without asking the partner first (marked not verified).")
@click.option("--json", "as_json", is_flag=True, help="Print the source as JSON.")
@click.pass_obj
def sources_add(repo: Repository, name, url, metadata_prefix, set_specs, delay, retries, timeout, on_missing_license,
                replace, no_verify, as_json) -> None:
    """Register a partner's OAI-PMH endpoint under NAME, after checking that it answers.

    Example: oerrepo sources add duepublico https://duepublico2.uni-due.de/oer/oai --prefix mods
    """
    with _narrated():
        row = repo.add_source(
            name, url, metadata_prefix=metadata_prefix, set_specs=set_specs, delay=delay, retries=retries,
            timeout=timeout, on_missing_license=on_missing_license, replace=replace, verify=not no_verify,
        )
    if as_json:
        echo_json(row)
    else:
        click.echo(f"{'changed' if replace else 'added'} source {row['name']}: {row['url']}")


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the sources as a JSON array.")
@click.pass_obj
def sources_list(repo: Repository, as_json) -> None:
    """List the registered sources, their records and where the next harvest starts.

    Example: oerrepo sources list --json
    """
    rows = repo.sources()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no sources; add one with 'oerrepo sources add NAME URL'")
    for row in rows:
        extra = []
        if row["metadataPrefix"] or row["formatUsed"]:
            extra.append(row["metadataPrefix"] or row["formatUsed"])
        if row["sets"]:
            extra.append("sets " + ", ".join(row["sets"]))
        extra.append(plural(row.get("records", 0), "record"))
        extra.append(f"next from {row['lastFrom']}" if row["lastFrom"] else "never completed")
        if row["resumable"]:
            extra.append("interrupted: resumes")
        if not row.get("verified", True):
            extra.append("not yet verified")
        click.echo(f"{row['name']}\t{row['url']}\t{'; '.join(extra)}")


@sources.command("remove")
@click.argument("name")
@click.pass_obj
def sources_remove(repo: Repository, name) -> None:
    """Forget a source (its harvested records stay, with their provenance).

    Example: oerrepo sources remove zenodo-oer
    """
    repo.remove_source(name)
    click.echo(f"removed source {name}")


COMMANDS = [harvest, sources]
