"""`nqf-hub levels list|show|compare|validate`: framework level tables and comparisons, offline.

Reads mappings/levels/ (or --dir), validated against the level-file JSON Schema on load; an
invalid file stops the command with every problem listed (exit 1).
"""
from __future__ import annotations

import json

import click

from hub.cli import run_guarded


def _catalog(ctx: click.Context):
    from hub.levels import load_levels
    return load_levels(ctx.obj.get("dir"))


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


@click.group("levels")
@click.option("--dir", "directory", type=click.Path(file_okay=False),
              help="Directory of level files (default: <mappings_dir>/levels).")
@click.pass_context
def cli(ctx, directory):
    """Qualification framework levels: list, show and compare across frameworks.

    \b
    Examples:
      nqf-hub levels list
      nqf-hub levels show IE-NFQ
      nqf-hub levels compare --from IE-NFQ:8 --to UK-SCO-SCQF
      nqf-hub levels compare --from ZA-NQF:7 --to SADCQF --json
    """
    ctx.ensure_object(dict)
    ctx.obj["dir"] = directory


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of frameworks.")
@click.pass_context
@run_guarded
def list_cmd(ctx, as_json):
    """List the frameworks with their kind, levels and links."""
    cat = _catalog(ctx)
    fws = sorted(cat.frameworks.values(), key=lambda f: (f.kind != "reference", f.code))
    if as_json:
        _echo_json([f.summary() for f in fws])
        return
    rows = [("CODE", "KIND", "STATUS", "LEVELS", "LINKS", "NAME")]
    for f in fws:
        links = ", ".join(f"{ln.to}({ln.type[:3]}{'' if ln.rows else ',no rows'})" for ln in f.links) or "-"
        rows.append((f.code, f.kind, f.status, str(len(f.levels)), links, f.name))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        click.echo("  ".join(r[i].ljust(widths[i]) for i in range(5)) + "  " + r[5])
    national = sum(1 for f in fws if f.kind == "national")
    click.echo(f"\n{len(fws)} frameworks ({national} national, {len(fws) - national} reference)")


@cli.command("show")
@click.argument("framework")
@click.option("--json", "as_json", is_flag=True, help="Print the framework as JSON.")
@click.pass_context
@run_guarded
def show_cmd(ctx, framework, as_json):
    """Show one FRAMEWORK: levels, qualification types, links and their rows with sources."""
    cat = _catalog(ctx)
    f = cat.get(framework)
    if f is None:
        raise click.BadParameter(f"unknown framework; known: {', '.join(sorted(cat.frameworks))}",
                                 param_hint="FRAMEWORK")
    if as_json:
        _echo_json(f.as_dict())
        return
    click.echo(f"{f.code}  {f.name}")
    click.echo(f"  kind: {f.kind}   status: {f.status}"
               + (f"   jurisdictions: {', '.join(f.jurisdictions)}" if f.jurisdictions else "")
               + (f"   region: {f.region}" if f.region else "")
               + (f"   aliases: {', '.join(f.aliases)}" if f.aliases else ""))
    v = f.version or {}
    if v:
        bits = [f"{k}: {v[k]}" for k in ("label", "valid_from", "valid_until", "superseded_by") if v.get(k)]
        if v.get("supersedes"):
            bits.append("supersedes: " + ", ".join(v["supersedes"]))
        click.echo("  version: " + "; ".join(bits))
    click.echo("\nLevels (lowest first):" if f.levels else "\nLevels: not verified")
    for lv in f.levels:
        extra = f"  [{', '.join(lv.qualification_types)}]" if lv.qualification_types else ""
        alias = f" (also {', '.join(lv.aliases)})" if lv.aliases else ""
        click.echo(f"  {lv.code:>8}{alias}  {lv.label or ''}{extra}")
        if lv.note:
            click.echo(f"            note: {lv.note}")
    for ln in f.links:
        click.echo(f"\nLink to {ln.to}: {ln.type}, {ln.status}, year {ln.year or 'n/a'}, "
                   f"confidence {ln.confidence}" + (" (INFERRED)" if ln.inferred else ""))
        if ln.confidence_note:
            click.echo(f"  ({ln.confidence_note})")
        for s in ln.sources:
            click.echo(f"  source: {s['title']}" + (f" <{s['url']}>" if s.get("url") else ""))
        if not ln.rows:
            click.echo("  no level rows (level table not seen)")
        for r in ln.rows:
            to = "none" if r.is_none else " | ".join(r.targets)
            flag = "" if r.confidence == ln.confidence else f"   [{r.confidence}{', INFERRED' if r.inferred else ''}]"
            click.echo(f"  {r.level:>8} -> {ln.to} {to}{flag}" + (f"   ({r.note})" if r.note else ""))
        for lvl, note in ln.reverse_none:
            click.echo(f"  {ln.to} {lvl} has no comparable level here ({note})")
        if ln.note:
            click.echo(f"  note: {ln.note}")
    for n in f.notes:
        click.echo(f"\nnote: {n}")


def _parse_ref(value: str) -> tuple[str, str]:
    fw, sep, lv = value.partition(":")
    if not sep or not fw.strip() or not lv.strip():
        raise click.BadParameter("expected FRAMEWORK:LEVEL, e.g. IE-NFQ:8 or UK-ENI-RQF:Entry 3",
                                 param_hint="--from")
    return fw.strip(), lv.strip()


@cli.command("compare")
@click.option("--from", "from_", required=True, metavar="FRAMEWORK:LEVEL", help="Level to compare.")
@click.option("--to", "to", required=True, metavar="FRAMEWORK", help="Target framework.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"status", "levels", "path", "confidence", …} as JSON.')
@click.pass_context
@run_guarded
def compare_cmd(ctx, from_, to, as_json):
    """Levels of the target framework comparable with FRAMEWORK:LEVEL.

    Status 'comparable' (a set of levels: many-to-one read backwards gives several), 'none' (a
    source says there is no comparable level) or 'unknown' (no data). The path shows the route,
    through a shared reference framework when there is no direct link; confidence is the weakest
    row on it.
    """
    cat = _catalog(ctx)
    fw, lv = _parse_ref(from_)
    known = ", ".join(sorted(cat.frameworks))
    src = cat.get(fw)
    if src is None:
        raise click.BadParameter(f"unknown framework '{fw}'; known: {known}", param_hint="--from")
    if src.level(lv) is None:
        raise click.BadParameter(f"'{lv}' is not a level of {src.code}; levels: "
                                 + ", ".join(x.code for x in src.levels), param_hint="--from")
    if cat.get(to) is None:
        raise click.BadParameter(f"unknown framework '{to}'; known: {known}", param_hint="--to")
    res = cat.compare(fw, lv, to)
    if as_json:
        _echo_json(res.as_dict())
        return
    levels = ", ".join(res.levels)
    click.echo(f"{res.source} -> {res.target}: {res.status}" + (f": {levels}" if levels else ""))
    if res.path:
        click.echo("  path: " + " -> ".join(res.path))
    if res.confidence:
        extra = [x for x, on in (("INFERRED", res.inferred), ("derived", res.derived),
                                 ("partial", res.partial)) if on]
        click.echo(f"  confidence: {res.confidence}" + (f" ({', '.join(extra)})" if extra else ""))
    if res.link_types:
        click.echo("  links: " + ", ".join(f"{t}/{s}" for t, s in zip(res.link_types, res.link_statuses)))
    for n in res.notes:
        click.echo(f"  note: {n}")


@cli.command("validate")
@click.pass_context
@run_guarded
def validate_cmd(ctx):
    """Validate every level file (JSON Schema + cross-file checks); list all problems."""
    cat = _catalog(ctx)
    rows = sum(len(ln.rows) for f in cat.frameworks.values() for ln in f.links)
    inferred = sum(1 for f in cat.frameworks.values() for ln in f.links for r in ln.rows if r.inferred)
    click.echo(f"ok: {len(cat.frameworks)} frameworks, {rows} level rows ({inferred} inferred)")
