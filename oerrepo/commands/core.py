"""Core commands: create a data folder, add, change, import, show, list and check records."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import ImportFailed
from . import creates_data_folder
from .output import echo_json, plural, progress, shorten

if TYPE_CHECKING:  # pragma: no cover - imported by the commands that use them
    from .. import licenses
    from ..repository import Repository

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _filters(fn):
    """The record filters shared by list and export-like commands."""
    for decorator in reversed(
        [
            click.option("--license", help="Only this licence (SPDX id, URL or title; 'CC BY-NC' without a version: any version)."),
            click.option("--language", help="Only resources in this language (BCP 47)."),
            click.option("--sdg", help="Only resources serving this SDG (1-17)."),
            click.option("--type", "type_", help="Only this learning resource type (e.g. lesson_plan)."),
            click.option("--level", help="Only this ISCED-2011 level (e.g. ISCED-2)."),
            click.option("--audience", help="Only this audience (e.g. teacher)."),
            click.option("--set", "set_spec", help="Only this collection (set spec)."),
        ]
    ):
        fn = decorator(fn)
    return fn


# Beyond this many records a report names no ids: a line per record of a 20,000-record
# import drowns the summary and the problems; --json still lists every id.
_LIST_AT_MOST = 20


def _print_report(report, as_json: bool) -> None:
    if as_json:
        echo_json(report.to_dict())
        return
    stored = len(report.added) + len(report.updated) + len(report.unchanged)
    if stored <= _LIST_AT_MOST:
        for rid in report.added:
            click.echo(f"added {rid}")
        for rid in report.updated:
            click.echo(f"updated {rid}")
        for rid in report.unchanged:
            click.echo(f"unchanged {rid}")
    _print_notes(report)
    for where, why in report.skipped[:_LIST_AT_MOST]:
        click.echo(f"skipped {why if why.startswith(where) else where + ': ' + why}", err=True)
    if len(report.skipped) > _LIST_AT_MOST:
        click.echo(f"... and {len(report.skipped) - _LIST_AT_MOST} more skipped (--json lists them all)", err=True)
    hint = " (--json lists every id)" if stored > _LIST_AT_MOST else ""
    click.echo(
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped{hint}",
        err=True,
    )


def _print_notes(report) -> None:
    """How values and columns were read (a licence without a version, the file's encoding)."""
    for where, note in report.notes[:_LIST_AT_MOST]:
        click.echo(f"note {where}: {note}", err=True)
    if len(report.notes) > _LIST_AT_MOST:
        click.echo(f"... and {len(report.notes) - _LIST_AT_MOST} more notes (--json lists them all)", err=True)


def _say_identity(repo: Repository) -> None:
    from ..identity import DEFAULT_BASE_URL, is_minted

    namespace = repo.oai_namespace()  # kept from now on: identifiers must not follow later address changes
    base_url = repo.setting("base_url") or DEFAULT_BASE_URL
    click.echo(f"OAI-PMH feed: {base_url}/oai, identifiers oai:{namespace}:<id>")
    if is_minted(namespace):
        click.echo(
            f"  {base_url} has no domain name, so this hub got a unique made-up identifier ({namespace}). "
            "Before partners harvest it, give it its public address and name: "
            "oerrepo config base_url https://oer.example.org && "
            "oerrepo identity --oai-identifier oer.example.org --yes (nobody has harvested it yet, so "
            "renaming it now costs nothing)"
        )


@creates_data_folder
@click.command()
@click.option("--samples", is_flag=True, help="Load the bundled sample blueprints.")
@click.option("--policy", type=click.Choice(["any", "open-only"]), help="Which licences records may have.")
@click.option("--name", "repository_name", help="The repository's name (shown in the OAI-PMH Identify).")
@click.option("--admin-email", help="The administrator's e-mail address (OAI-PMH Identify).")
@click.option("--base-url", help="The public base URL of the web service, e.g. https://oer.example.org")
@click.pass_obj
def init(repo: Repository, samples: bool, policy, repository_name, admin_email, base_url) -> None:
    """Create a data folder (or upgrade an existing one), optionally with the sample blueprints.

    Example: oerrepo --data oer-data init --samples
    """
    repo.store  # creates or upgrades
    for key, value in (
        ("license_policy", policy),
        ("repository_name", repository_name),
        ("admin_email", admin_email),
        ("base_url", base_url),
    ):
        if value:
            repo.set_setting(key, value)
    click.echo(f"data folder ready: {repo.path}")
    _say_identity(repo)
    if samples:
        report = repo.load_samples()
        click.echo(f"sample blueprints: {len(report.added)} added, {len(report.updated)} updated, "
                   f"{len(report.unchanged)} unchanged")
    click.echo(f"{plural(repo.count(), 'resource')} stored")


@creates_data_folder
@click.command()
@click.argument("files", nargs=-1, required=True, type=_FILE)
@click.option("--skip-invalid", is_flag=True, help="Store the valid records and report the others.")
@click.option("--json", "as_json", is_flag=True, help="Report the stored ids as JSON.")
@click.pass_obj
def add(repo: Repository, files: tuple[Path, ...], skip_invalid: bool, as_json: bool) -> None:
    """Add the records in FILES (JSON, JSON Lines or CSV); ids that exist are refused.

    All or nothing unless --skip-invalid; change stored records with 'oerrepo update'.

    Example: oerrepo add lesson.json kit.json
    """
    from ..records_io import read_records

    items = itertools.chain.from_iterable(read_records(f) for f in files)
    report = repo.import_records(items, origin="cli:add", skip_invalid=skip_invalid)
    _print_report(report, as_json)


@click.command()
@click.argument("resource_id")
@click.argument("file", type=_FILE)
@click.option("--merge", is_flag=True, help="Change only the properties the file gives.")
@click.option("--json", "as_json", is_flag=True, help="Print the updated record as JSON.")
@click.pass_obj
def update(repo: Repository, resource_id: str, file: Path, merge: bool, as_json: bool) -> None:
    """Replace the stored resource RESOURCE_ID with the record in FILE.

    Example: oerrepo update water-quality-kit changed.json
    """
    from ..records_io import _Note, read_records

    items = [item for item in read_records(file) if not isinstance(item.data, _Note)]
    if len(items) != 1:
        raise ImportFailed(f"{file.name}: expected exactly one record, found {len(items)}")
    stored = repo.update(resource_id, items[0].data, merge=merge, origin="cli:update")
    if as_json:
        echo_json(stored.to_dict(meta=True))
        return
    for note in stored.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"updated {stored.id}")


@creates_data_folder
@click.command(name="import")
@click.argument("file", type=_FILE)
@click.option("--skip-invalid", is_flag=True, help="Store the valid records and report the others.")
@click.option("--upsert", is_flag=True, help="Update records whose id exists instead of refusing them.")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "csv"]), help="Override format detection.")
@click.option("--json", "as_json", is_flag=True, help="Report the stored ids as JSON.")
@click.pass_obj
def import_(repo: Repository, file: Path, skip_invalid: bool, upsert: bool, fmt, as_json: bool) -> None:
    """Import records from FILE: a JSON array, JSON Lines, or CSV with a header row.

    All or nothing unless --skip-invalid. CSV may be UTF-8 (with or without BOM) or
    Latin-1 / Windows-1252; several values in one cell are separated by '|'.

    Example: oerrepo import blueprints.csv --skip-invalid
    """
    with progress(f"importing {file.name}", narrate="oerrepo.index") as advance:
        report = repo.import_records(file, fmt=fmt, upsert=upsert, skip_invalid=skip_invalid, progress=advance)
    _print_report(report, as_json)


@click.command()
@click.argument("resource_id")
@click.option("--json", "as_json", is_flag=True, help="Print the record in oerrepo's JSON form.")
@click.option("--lang", default=None, help="Preferred language for titles and labels.")
@click.option("--format", "fmt", type=click.Choice(["jsonld", "turtle", "nt", "rdfxml"]),
              help="Print the resource as linked data in this serialisation.")
@click.pass_obj
def show(repo: Repository, resource_id: str, as_json: bool, lang: str | None, fmt: str | None) -> None:
    """Show one resource, its licence and how to attribute it.

    Example: oerrepo show water-quality-kit --json
    """
    if fmt:
        click.echo(repo.serialize_resource(resource_id, fmt), nl=False)
        return
    res = repo.get(resource_id)
    if as_json:
        echo_json(res.to_dict(meta=True))
        return
    from .. import vocabularies

    click.echo(click.style(res.text("name", lang), bold=True))
    click.echo(f"id: {res.id}")
    if res.data.get("description"):
        click.echo(f"description: {res.text('description', lang)}")
    lic = res.license_info()
    if lic:
        state = license_state(lic)
        click.echo(f"licence: {lic.short} ({lic.id}, {state}) {lic.url}")
        click.echo(f"attribution: {res.attribution()}")
    for prop in ("inLanguage", "keywords"):
        if res.data.get(prop):
            click.echo(f"{prop}: {', '.join(res.data[prop])}")
    for prop in ("learningResourceType", "educationalLevel", "audience", "sdg"):
        if res.data.get(prop):
            labels = [vocabularies.label(prop, uri, lang or "en") for uri in res.data[prop]]
            click.echo(f"{prop}: {', '.join(labels)}")
    for prop in ("creator", "contributor", "publisher"):
        if res.data.get(prop):
            click.echo(f"{prop}: {', '.join(a['name'] for a in res.data[prop])}")
    if res.data.get("url"):
        click.echo(f"url: {res.data['url']}")
    click.echo(f"datestamp: {res.datestamp} (change {res.seq})")
    for p in res.provenance:
        click.echo(f"from: {p.source} {p.oai_identifier}")


@click.command(name="list")
@_filters
@click.option("--limit", type=click.IntRange(min=0), help="At most this many records.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many records first.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of records.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="Print one JSON record per line (for big catalogues).")
@click.pass_obj
def list_(repo: Repository, license, language, sdg, type_, level, audience, set_spec, limit, offset, as_json, as_jsonl):
    """List stored resources, optionally filtered.

    Example: oerrepo list --sdg 13 --language pt --json
    """
    records = repo.iter(
        license=license, language=language, sdg=sdg, type=type_, level=level, audience=audience, set_spec=set_spec
    )
    records = itertools.islice(records, offset, None if limit is None else offset + limit)
    if as_jsonl:
        for res in records:
            click.echo(json.dumps(res.to_dict(meta=True), ensure_ascii=False))
        return
    if as_json:
        # Streamed so a big catalogue never sits in memory as one list.
        click.echo("[", nl=False)
        for i, res in enumerate(records):
            click.echo(("," if i else "") + "\n" + json.dumps(res.to_dict(meta=True), ensure_ascii=False), nl=False)
        click.echo("\n]")
        return
    count = 0
    for res in records:
        count += 1
        lic = res.license_info()
        langs = ",".join(res.data.get("inLanguage", [])) or "-"
        click.echo(f"{res.id:40} {(lic.short if lic else '?'):16} {langs:8} {shorten(res.name, 60)}")
    click.echo(f"{plural(count, 'resource')}", err=True)


@click.command()
@click.argument("resource_id")
@click.option("--json", "as_json", is_flag=True, help="Print the tombstone as JSON.")
@click.pass_obj
def delete(repo: Repository, resource_id: str, as_json: bool) -> None:
    """Delete a resource (a tombstone stays for OAI-PMH harvesters).

    Example: oerrepo delete water-quality-kit
    """
    gone = repo.delete(resource_id, origin="cli:delete")
    if as_json:
        echo_json({"id": gone.id, "deleted": True, "datestamp": gone.datestamp, "seq": gone.seq})
    else:
        click.echo(f"deleted {gone.id}")


@click.command()
@click.argument("file", type=_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--shacl", is_flag=True, help="FILE is a linked-data export: check it against our SHACL shapes.")
@click.option("--shapes", multiple=True, type=_FILE, help="With --shacl: use these shape files instead (repeatable).")
@click.pass_context
def validate(ctx: click.Context, file: Path, as_json: bool, shacl: bool, shapes: tuple[Path, ...]) -> None:
    """Check the records in FILE without storing them (or, with --shacl, an export's graph).

    Example: oerrepo validate new-blueprints.csv
    """
    repo: Repository = ctx.obj
    if shacl:
        result = repo.validate_shacl(file, shapes=shapes)
        if as_json:
            echo_json(result.to_dict())
        else:
            for line in result.violations:
                click.echo(f"violation {line}")
            click.echo(f"{file.name}: {result.triples} triples, "
                       + ("conforms" if result.conforms else f"{len(result.violations)} violations"))
        if not result.conforms:
            ctx.exit(1)
        return
    report = repo.validate_file(file)
    if as_json:
        echo_json({"valid": report.added, "invalid": [{"where": w, "error": e} for w, e in report.skipped],
                   "notes": [{"where": w, "note": n} for w, n in report.notes]})
    else:
        _print_notes(report)
        for where, why in report.skipped:
            click.echo(f"invalid {why if why.startswith(where) else where + ': ' + why}")
        click.echo(f"{file.name}: {len(report.added)} valid, {len(report.skipped)} invalid")
    if report.skipped:
        ctx.exit(1)


def license_state(lic: licenses.License) -> str:
    """The licence's openness in words: "open", or "restricted (non-commercial, no adaptations)"."""
    return "open" if lic.is_open else "restricted (" + ", ".join(lic.restrictions()) + ")"


def _license_dict(lic: licenses.License) -> dict:
    return {
        "id": lic.id,
        "url": lic.url,
        "title": lic.title,
        "short": lic.short,
        "open": lic.is_open,
        "status": lic.status,
        "allowsAdaptations": lic.allows_adaptations,
        "allowsCommercialUse": lic.allows_commercial,
        "shareAlike": lic.share_alike,
        "notes": list(lic.notes),
    }


@click.command(name="license")
@click.argument("texts", nargs=-1, required=True)
@click.option("--title", help="Write the attribution line for a work with this title.")
@click.option("--author", "authors", multiple=True, help="An author for the attribution (repeatable).")
@click.option("--source", "source_url", help="The work's URL for the attribution.")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "markdown"]), default="text")
@click.option("--combine", is_flag=True, help="With --json: print only the combination verdict.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the licence as an object; for several, their objects and the verdict the text gives.")
def license_(texts, title, authors, source_url, fmt, combine, as_json) -> None:
    """Normalise and explain licences; with several, say whether their works can be remixed.

    Example: oerrepo license "CC BY-SA 4.0" https://creativecommons.org/licenses/by/4.0/
    """
    from .. import licenses

    found = [licenses.normalize(t) for t in texts]
    verdict = licenses.combine(*found) if len(found) > 1 else None
    if as_json:
        combined = verdict and {
            "allowed": verdict.allowed,
            "adaptationLicenses": [_license_dict(x) for x in verdict.adaptation_licenses],
            "reason": verdict.reason,
        }
        if combine and combined:
            echo_json(combined)
            return
        objs = [_license_dict(x) for x in found]
        if title:
            for obj, lic in zip(objs, found):
                obj["attribution"] = licenses.attribution(title, lic, authors=authors, source_url=source_url, fmt=fmt)
        # several licences: what the text shows, each licence and the verdict on combining them
        echo_json(objs[0] if len(objs) == 1 else {"licenses": objs, "combined": combined})
        return
    for text, lic in zip(texts, found):
        state = license_state(lic)
        click.echo(f"{text!r} -> {lic.id}  {lic.url}")
        click.echo(f"  {lic.title}: {state}")
        for note in lic.notes:
            click.echo(f"  note: {note}")
        if title:
            click.echo("  attribution: " + licenses.attribution(title, lic, authors=authors, source_url=source_url, fmt=fmt))
    if verdict:
        if verdict.allowed:
            names = ", ".join(x.short for x in verdict.adaptation_licenses)
            click.echo(f"combined: allowed; share the adaptation under {names}")
        else:
            click.echo("combined: not allowed")
        click.echo(f"  {verdict.reason}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def stats(repo: Repository, as_json: bool) -> None:
    """Counts by licence, openness, language, SDG and resource type.

    Example: oerrepo stats --json
    """
    figures = repo.stats()
    if as_json:
        echo_json(figures)
        return
    click.echo(f"resources: {figures['resources']} ({figures['deleted']} deleted)")
    for key in ("openness", "licenses", "languages", "sdgs", "learningResourceTypes"):
        parts = ", ".join(f"{k.rsplit('/', 1)[-1]}={v}" for k, v in figures[key].items())
        click.echo(f"{key}: {parts or '-'}")


@click.command()
@click.argument("resource_id")
@click.option("--json", "as_json", is_flag=True, help="Print the revisions as JSON.")
@click.pass_obj
def history(repo: Repository, resource_id: str, as_json: bool) -> None:
    """Show every change of a resource: when, what, from where, and each property's old and new value.

    Example: oerrepo history water-quality-kit
    """
    revisions = repo.history(resource_id)
    values = _value_changes(revisions)
    if as_json:
        echo_json([r.to_dict() | {"values": v} for r, v in zip(revisions, values)])
        return
    for r, changes in zip(revisions, values):
        click.echo(f"{r.seq:>8} {r.datestamp} {r.action:7} {r.origin:24} {', '.join(r.changed)}")
        if r.action == "update":
            for prop, change in changes.items():
                click.echo(f"{'':9}{prop}: {_shown(change['old'])} -> {_shown(change['new'])}")


def _value_changes(revisions) -> list[dict[str, dict]]:
    """Per revision, {property: {"old": ..., "new": ...}} for what it changed (each revision holds the record after it)."""
    out, before = [], {}
    for r in revisions:
        after = r.data or {}
        out.append({prop: {"old": before.get(prop), "new": after.get(prop)} for prop in r.changed}
                   if r.action != "delete" else {})
        before = after if r.action != "delete" else {}
    return out


def _shown(value) -> str:
    return "(none)" if value is None else shorten(json.dumps(value, ensure_ascii=False), 70)


@creates_data_folder
@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the collections as a JSON array.")
@click.pass_context
def sets(ctx: click.Context, as_json: bool) -> None:
    """List the collections (OAI-PMH sets), or add one with 'sets add'.

    Example: oerrepo sets add museums "Resources from museums"
    """
    if ctx.invoked_subcommand is None:
        found = ctx.obj.sets()
        if as_json:
            echo_json(found)
            return
        if not found:
            click.echo("no collections; add one with 'oerrepo sets add SPEC NAME'")
        for s in found:
            click.echo(f"{s['spec']:30} {s['count']:>6}  {s['name']}")


@sets.command(name="add")
@click.argument("spec")
@click.argument("name")
@click.option("--description")
@click.pass_obj
def sets_add(repo: Repository, spec: str, name: str, description: str | None) -> None:
    """Create or rename the collection SPEC.

    Example: oerrepo sets add museums "Resources from museums"
    """
    repo.add_set(spec, name, description)
    click.echo(f"set {spec}: {name}")


@creates_data_folder
@click.command()
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the settings (value, default, whether set) as JSON.")
@click.pass_obj
def config(repo: Repository, key: str | None, value: str | None, as_json: bool) -> None:
    """Show the repository's settings and their defaults, or set KEY to VALUE.

    Keys: repository_name, repository_description, publisher_name, admin_email, base_url,
    license_policy (any | open-only), metadata_license; for the OAI-PMH feed
    oai_identifier, oai_page_size, oai_token_lifetime, oai_sets, oai_friends and oai_read_ahead
    (true | false), oai_secret. A value is checked before it is stored. A setting not set
    shows the default that applies.

    Example: oerrepo config license_policy open-only
    """
    from ..settings import SETTINGS, check_setting

    if key and value is not None:
        repo.set_setting(key, value)
    elif key and key not in SETTINGS:
        check_setting(key, "")  # refused with the names there are (and the nearest one)
    stored = repo.settings()
    keys = [key] if key else list(SETTINGS) + sorted(set(stored) - set(SETTINGS))
    shown = {}
    for k in keys:
        setting = SETTINGS.get(k)
        value_shown = stored.get(k)
        if value_shown is not None and k.endswith("secret"):
            value_shown = "(hidden)"
        shown[k] = {"value": value_shown, "set": k in stored and stored[k] is not None,
                    "default": setting.default if setting else None}
    if as_json:
        echo_json(shown[key] | {"key": key} if key else shown)
        return
    for k, item in shown.items():
        if item["set"]:
            click.echo(f"{k} = {item['value']}")
        else:
            click.echo(f"{k} is not set (default: {item['default'] or 'none'})")


COMMANDS = [init, add, update, import_, show, list_, delete, validate, license_, stats, history, sets, config]
