"""Search commands of the oerrepo CLI: ``search`` and ``reindex``."""

from __future__ import annotations

import html
import re

import click

from .output import echo_json, plural, progress

_VOCAB_OF = {
    "sdg": "sdg",
    "learningResourceType": "learningResourceType",
    "educationalLevel": "educationalLevel",
    "audience": "audience",
}
_FACET_TITLES = {
    "license": "Licence",
    "inLanguage": "Language",
    "sdg": "SDG",
    "learningResourceType": "Type",
    "educationalLevel": "Level",
    "audience": "Audience",
    "source": "Source",
}


def _display(prop: str, value: str) -> str:
    """A stored facet value as people write it: SPDX id, 'SDG 13', 'lesson_plan', 'ISCED-2'."""
    from .. import licenses, vocabularies

    if prop == "license":
        lic = licenses.try_normalize(value)
        return lic.id if lic else value
    if prop in _VOCAB_OF:
        try:
            short = vocabularies.short_form(_VOCAB_OF[prop], value)
        except Exception:  # a value from an older vocabulary: show it as stored
            return value
        return f"SDG {short}" if prop == "sdg" else short
    return value


def _snippet(text: str) -> str:
    marked = re.sub(r"<mark>(.*?)</mark>", lambda m: click.style(m.group(1), bold=True), text)
    return html.unescape(re.sub(r"<[^>]+>", "", marked))


@click.command("search")
@click.argument("query", nargs=-1)
@click.option("--license", "license_", multiple=True, help="Only this licence (SPDX id, URL or title; 'CC BY-NC' without a version: any version); repeatable.")
@click.option("--language", multiple=True, help="Only resources in this language (pt, el, de-AT, ...); repeatable.")
@click.option("--sdg", multiple=True, help="Only resources serving this SDG (1-17); repeatable.")
@click.option("--type", "type_", multiple=True, help="Resource type short form (lesson_plan, experiment, ...).")
@click.option("--level", multiple=True, help="Educational level (ISCED-2, ...).")
@click.option("--audience", multiple=True, help="Audience (teacher, student, parent, ...).")
@click.option("--source", multiple=True, help="Harvest source name ('local' for records added here).")
@click.option("--open-only", is_flag=True, help="Only openly licensed resources (no NC or ND).")
@click.option(
    "--sort", type=click.Choice(["relevance", "date", "name"]), default="relevance", show_default=True
)
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: total, hits, facets, suggestion.")
@click.pass_obj
def search(
    repo, query, license_, language, sdg, type_, level, audience, source, open_only, sort, page, page_size, as_json
):
    """Search the resources, with facet counts.

    QUERY takes words (all must match), "phrases", AND / OR / NOT, brackets,
    field:value (title:, keywords:, author:, license:, language:, sdg:, type:,
    level:, audience:, source:) and prefix* searches. Accents and case do not matter;
    words match across languages and word forms.

    Example: oerrepo search "energia solar" --language pt --sdg 7 --open-only
    """
    result = repo.search(
        " ".join(query),
        license=license_,
        language=language,
        sdg=sdg,
        type=type_,
        level=level,
        audience=audience,
        source=source,
        open_only=open_only,
        sort=sort,
        page=page,
        page_size=page_size,
    )
    if as_json:
        echo_json(result.to_dict())
        return
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    first = (page - 1) * page_size + 1
    if not result.total:
        click.echo("No resources found.")
    elif not result.hits:
        click.echo(f"{plural(result.total, 'resource')} found; page {page} is past the last page ({result.pages}).")
    else:
        last = first + len(result.hits) - 1
        click.echo(f"{plural(result.total, 'resource')} found (showing {first}-{last}, page {page} of {result.pages}).")
    for i, hit in enumerate(result.hits, first):
        lic = _display("license", hit.license) if hit.license else "no licence"
        # A record without a language says so, as one without a licence does, rather than "[CC-BY-4.0; ]".
        langs = ", ".join(hit.languages) or "language not given"
        click.echo(f"\n{i}. " + click.style(hit.name, bold=True) + f"  [{lic}; {langs}]")
        click.echo(f"   {hit.id}")
        if hit.snippet:
            click.echo(f"   {_snippet(hit.snippet)}")
    shown = {prop: counts for prop, counts in result.facets.items() if counts}
    if shown and result.total:
        click.echo("")
        for prop, counts in shown.items():
            top = list(counts.items())[:8]
            items = ", ".join(f"{_display(prop, v)} ({n})" for v, n in top)
            more = f", … {len(counts) - 8} more" if len(counts) > 8 else ""
            click.echo(f"{_FACET_TITLES.get(prop, prop)}: {items}{more}")


@click.command("reindex")
@click.option("--json", "as_json", is_flag=True, help="Print the number of indexed resources as JSON.")
@click.pass_obj
def reindex(repo, as_json):
    """Rebuild the search index from the store, from scratch.

    Searches keep using the old index until the new one is complete.

    Example: oerrepo reindex
    """
    total = repo.count()
    with progress("Indexing", length=total) as advance:
        count = repo.reindex(progress=advance)
    if as_json:
        echo_json({"indexed": count})
    else:
        click.echo(f"Indexed {plural(count, 'resource')}.")


COMMANDS: list = [search, reindex]
