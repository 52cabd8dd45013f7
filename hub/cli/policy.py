"""`nqf-hub policy`: explain a routing decision offline, lint the rule files, manage pseudonym keys.

    nqf-hub policy explain --event FILE --partner ID [--purpose P] [--consent ID] [--at DATE] [--json]
    nqf-hub policy lint [--rules-dir DIR] [--partners-dir DIR]
    nqf-hub policy keys generate|rotate|delete|list PARTNER…

Nothing here touches Kafka. Exit status: 0 ok; 1 configuration or rule-file problems (lint: any
problem); 2 the event file is not a valid canonical event.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
import textwrap
from pathlib import Path

import click

from hub.cli import run_guarded
from hub.errors import DecodeError

MAX_EVENT_BYTES = 16 * 1024 * 1024


def _settings():
    from hub.config import load_settings
    return load_settings()


def _rules_dir(opt):
    return Path(opt) if opt else _settings().mappings_dir / "privacy"


def _partners_dir(opt):
    return Path(opt) if opt else _settings().partners_path


@click.group("policy")
def cli():
    """Explain and lint privacy routing rules; manage per-partner pseudonym keys."""


# ---- explain -----------------------------------------------------------------------------
def read_event(path: Path, line: int | None) -> dict:
    """One canonical JSON event from FILE (a JSON object, or line N of a JSON Lines file)."""
    from hub.jsonview import event_from_json

    size = path.stat().st_size
    if size > MAX_EVENT_BYTES:
        raise DecodeError(f"file larger than {MAX_EVENT_BYTES} bytes", file=str(path))
    text = path.read_text(encoding="utf-8")
    if line is not None:
        lines = text.splitlines()
        if not 1 <= line <= len(lines):
            raise DecodeError(f"file has {len(lines)} line(s)", file=str(path), line=line)
        text = lines[line - 1]
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        hint = "; for JSON Lines give --line N" if line is None and "Extra data" in e.msg else ""
        raise DecodeError(f"not valid JSON ({e.msg}){hint}", file=str(path), line=line or e.lineno) from None
    if not isinstance(obj, dict):
        raise DecodeError("must be one JSON object (a canonical event)", file=str(path), line=line)
    try:
        return event_from_json(obj)
    except DecodeError as e:
        raise e.located(file=str(path), line=line)


@cli.command("explain")
@click.option("--event", "event_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Canonical JSON event (one object), or JSON Lines with --line.")
@click.option("--line", type=int, help="Line number (1-based) in a JSON Lines file.")
@click.option("--partner", "partner_id", required=True, help="Partner id from the partner registry.")
@click.option("--partners-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Partner registry directory (default: settings partners dir, mappings/partners).")
@click.option("--rules-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Privacy rules directory (default: mappings/privacy).")
@click.option("--purpose", help="Purpose of the transfer (default: the partner's first purpose).")
@click.option("--consent", "consents", multiple=True, help="A recorded consent id that covers this transfer (repeatable).")
@click.option("--consent-by", "consent_by", type=click.Choice(["learner", "parent_guardian", "legal_representative"]),
              help="Capacity in which the --consent ids were given (default: not recorded; such a consent "
                   "does not count for a child where the law says who consents for children).")
@click.option("--instrument", "instruments", multiple=True,
              help="An extra instrument id '<kind>:<ref>' (repeatable); counts only if the instrument register "
                   "(mappings/privacy/instruments/) says it covers this exporter, partner, purpose and date.")
@click.option("--authorisation", "authorisations", multiple=True, help="An authorisation id '<kind>:<ref>' (repeatable).")
@click.option("--at", "at", help="Decide as on this date (YYYY-MM-DD; default today).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {action, rules, legal_basis, removed_categories, event, …}.")
@run_guarded
def explain(event_file, line, partner_id, partners_dir, rules_dir, purpose, consents, consent_by, instruments,
            authorisations, at, as_json):
    """Show what the router would decide for one event and one partner, and why.

    The JSON form's `event` is exactly what the partner would receive (null unless forwarded).
    """
    from hub.errors import ConfigError
    from hub.routing.policy import Evidence, PolicyEngine, PseudonymKeys, load_partners

    try:
        when = dt.date.fromisoformat(at) if at else None
    except ValueError:
        raise click.BadParameter("must be a date YYYY-MM-DD", param_hint="--at") from None
    try:
        event = read_event(event_file, line)
    except DecodeError as e:
        click.echo(json.dumps({"error": e.reason, **e.location.as_dict()}), err=True)
        sys.exit(2)
    partners = load_partners(_partners_dir(partners_dir))
    if partner_id not in partners:
        raise ConfigError(f"unknown partner {partner_id!r}; known: {', '.join(sorted(partners)) or '(none)'}")
    partner = partners[partner_id]
    engine = PolicyEngine.load(_rules_dir(rules_dir), pseudonym_keys=PseudonymKeys.from_settings(_settings()))
    evidence = Evidence(frozenset(consents), frozenset(instruments), frozenset(authorisations),
                        tuple((c, consent_by) for c in sorted(consents)) if consent_by else ())
    d = engine.decide(event, partner, purpose=purpose, at=when, evidence=evidence)
    from hub.routing.trust_gate import gate as trust_gate
    d = trust_gate(d, event, partner)      # as the router applies it (issue 13)
    if as_json:
        click.echo(json.dumps(d.explain_json(), ensure_ascii=False))
        return
    click.echo(render(d, event, partner, engine, when or dt.datetime.now(dt.timezone.utc).date()))


def render(d, event, partner, engine, at) -> str:
    """The human explanation: decision, per-regime outcome, each rule's summary and basis."""
    h = event["header"]
    src = h["source"]
    w = textwrap.TextWrapper(width=96, initial_indent="      ", subsequent_indent="      ")
    out = [f"Decision: {d.action.upper()}"
           + (f" (waiting for {', '.join(d.waiting_for)})" if d.waiting_for else ""),
           f"  {h['event_type']} {h['event_id']} from {src['jurisdiction']} ({src['authority_type']}), "
           f"learner law {h['subject_jurisdiction']}",
           f"  to {partner.id} ({partner.jurisdiction}, {partner.legal_nature}), purpose {d.purpose}, as on {at}",
           f"  categories present: {', '.join(d.categories_present) or '(none: no personal data)'}", ""]
    for regime, o in d.regime_outcomes.items():
        roles = f" [{', '.join(o['roles'])}]" if o.get("roles") else ""
        out.append(f"  {regime}{roles}: {o['action']}"
                   + (f" (waiting for {', '.join(o['waiting_for'])})" if o.get("waiting_for") else ""))
        for rid in o["rules"]:
            rule = engine.rules.get(rid)
            if rule is None:
                out.append(f"    {rid}: no rule of this regime permits the transfer (default deny)")
                continue
            c = rule.confidence
            out.append(f"    {rid}  —  {rule.basis_code}")
            out.append(f"      confidence {c['level']}, {c['verification'].replace('_', ' ')}")
            out.extend(w.wrap(rule.summary))
        out.append("")
    if d.removed_categories:
        out.append(f"  removed before sending: {', '.join(d.removed_categories)}")
    if d.pseudonymised_categories:
        out.append(f"  pseudonymised for this partner: {', '.join(d.pseudonymised_categories)}")
    if d.relied_on:
        out.append(f"  relied on: {', '.join(d.relied_on)}")
    for n in d.notes:
        out.append(f"  note: {n}")
    out.append("  legal basis: " + ("; ".join(d.legal_basis) or "(none)"))
    if d.event is not None:
        out.append("  (use --json to see the exact event the partner would receive)")
    return "\n".join(out).rstrip()


# ---- lint --------------------------------------------------------------------------------
@cli.command("lint")
@click.option("--rules-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: mappings/privacy.")
@click.option("--partners-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also check partner files (default: the settings partners dir).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object {problems, notes}.")
@run_guarded
def lint(rules_dir, partners_dir, as_json):
    """Validate every rule and partner file and run every worked example; report ALL problems.

    Exit 1 if there is any problem. Notes (unverified list entries, unverified rules, overdue
    reviews, watch items) are printed but do not fail.
    """
    from hub.routing.policy import lint_directory

    problems, notes = lint_directory(_rules_dir(rules_dir), _partners_dir(partners_dir))
    if as_json:
        click.echo(json.dumps({"problems": problems, "notes": notes}, ensure_ascii=False))
    else:
        for n in notes:
            click.echo(f"note: {n}")
        for p in problems:
            click.echo(f"problem: {p}")
        click.echo(f"{len(problems)} problem(s), {len(notes)} note(s)")
    if problems:
        sys.exit(1)


# ---- keys --------------------------------------------------------------------------------
@cli.group("keys")
def keys():
    """Per-partner pseudonym keys under $NQF_HUB_HOME/keys/pseudonym (never printed).

    \b
    Rotation: `rotate` replaces a partner's key; pseudonyms issued before cannot be linked to new
    ones (tell the partner to re-key its records). `delete` makes the partner's pseudonyms
    permanently unlinkable, for the hub too. See mappings/privacy/README.md.
    """


def _keys():
    from hub.routing.policy import PseudonymKeys
    return PseudonymKeys.from_settings(_settings())


def _ids(partner_ids, all_partners, partners_dir):
    if all_partners:
        from hub.routing.policy import load_partners
        return sorted(load_partners(_partners_dir(partners_dir)))
    if not partner_ids:
        raise click.UsageError("name one or more partner ids, or --all")
    return list(partner_ids)


@keys.command("generate")
@click.argument("partner_ids", nargs=-1)
@click.option("--all", "all_partners", is_flag=True, help="Every partner in the registry.")
@click.option("--partners-dir", type=click.Path(file_okay=False, path_type=Path))
@run_guarded
def keys_generate(partner_ids, all_partners, partners_dir):
    """Create a key for each partner that has none (existing keys are kept)."""
    k = _keys()
    for pid in _ids(partner_ids, all_partners, partners_dir):
        existed = k.exists(pid)
        path = k.create(pid)
        click.echo(f"{pid}: {'kept existing key' if existed else 'created'} ({path})")


@keys.command("rotate")
@click.argument("partner_ids", nargs=-1, required=True)
@click.option("--keep-old", is_flag=True, help="Keep the old key as <partner>.key.retired-<time> for a migration.")
@run_guarded
def keys_rotate(partner_ids, keep_old):
    """Replace the partner's key with a new random one."""
    k = _keys()
    for pid in partner_ids:
        path = k.rotate(pid, keep_old=keep_old)
        click.echo(f"{pid}: rotated ({path}){' — old key kept' if keep_old else ''}")


@keys.command("delete")
@click.argument("partner_ids", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@run_guarded
def keys_delete(partner_ids, yes):
    """Delete the partner's key (and retired copies): its pseudonyms become unlinkable."""
    k = _keys()
    for pid in partner_ids:
        if not yes and not click.confirm(f"delete the pseudonym key of {pid}? This cannot be undone"):
            continue
        click.echo(f"{pid}: {'deleted' if k.delete(pid) else 'no key file'}")


@keys.command("list")
@run_guarded
def keys_list():
    """Partners that have a key file (key material is never shown)."""
    for pid in _keys().list():
        click.echo(pid)


__all__ = ["cli", "read_event", "render"]
