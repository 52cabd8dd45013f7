"""Operator commands: status, tail, dlq, held, trace. Each has `--json` (one JSON object per line).

They read topics by direct assignment (never joining a worker's consumer group) and show ids,
rules, reasons and counts; personal data is masked unless `--reveal` is given explicitly.
"""
from __future__ import annotations

import datetime as dt
import json
import sys

import click

from hub.cli import run_guarded
from hub.cli.common import settings

UTC = dt.timezone.utc


def _line(obj) -> None:
    click.echo(json.dumps(obj, default=str, ensure_ascii=False))


def _serde(s):
    from hub.schemas import catalog
    from hub.serde import Serde
    return Serde(catalog(s.schemas_dir), s.schema_registry_url)


def _since_ms(since: str | None) -> int | None:
    """'2026-11-23T10:00' / '2026-11-23' / '90m' / '2h' / '3d' -> epoch milliseconds."""
    if not since:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if since[-1] in units and since[:-1].isdigit():
        return int((dt.datetime.now(UTC).timestamp() - int(since[:-1]) * units[since[-1]]) * 1000)
    try:
        t = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("use an ISO time (2026-11-23T10:00Z) or a duration (90m, 2h, 3d)",
                                 param_hint="--since") from None
    return int((t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp() * 1000)


# ---- status ------------------------------------------------------------------------------------
@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (one line).")
@click.option("--no-scan", is_flag=True, help="Skip counting dead letters and held records (fast).")
@run_guarded
def status(as_json, no_scan):
    """Topics with end offsets, consumer groups with lag, dead-letter and held counts, workers.

    \b
    Example:
      nqf-hub status
      nqf-hub status --json | jq '.groups[] | {group, lag}'
    """
    from hub.observability.status import human, snapshot
    snap = snapshot(settings(), scan=not no_scan)
    _line(snap) if as_json else click.echo(human(snap))


# ---- tail --------------------------------------------------------------------------------------
@click.command("tail")
@click.argument("topic")
@click.option("--decode", is_flag=True, help="Decode Avro values (personal data masked).")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest record instead of the last N.")
@click.option("--limit", "-n", type=int, default=None,
              help="Records to show (default 10 from the end; all with --from-beginning).")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new records (Ctrl-C to stop).")
@click.option("--reveal", is_flag=True, help="Show personal data in clear. Use only when you must.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
@run_guarded
def tail(topic, decode, from_beginning, limit, follow, reveal, as_json):
    """Print records of TOPIC ('ingress', 'partner.<id>', 'deadletter' … or a full name).

    Values are shown only with --decode; every field whose schema carries an nqfhub.category
    is masked as "***<category>" unless --reveal is given. Dead letters (original source bytes)
    show only their size and SHA-256 unless --reveal.

    \b
    Examples:
      nqf-hub tail ingress --decode -n 5
      nqf-hub tail held --decode --from-beginning --json
      nqf-hub tail deadletter -f
    """
    from hub.observability.display import describe, human_line
    from hub.observability.reading import TopicReader, short_topic
    s = settings()
    name = short_topic(s, topic)
    serde = _serde(s) if decode else None
    if reveal:
        click.echo("warning: --reveal shows personal data in clear", err=True)
    n = 0
    with TopicReader(s) as reader:
        if name not in reader.topics():
            raise click.BadParameter(f"no topic {name}", param_hint="TOPIC")
        if from_beginning:
            msgs = reader.read([name], follow=follow)
        else:
            msgs = _last(reader, name, limit or 10, follow)
        try:
            for m in msgs:
                d = describe(m, serde=serde, decode=decode, reveal=reveal,
                             is_dlq=name == s.topic("deadletter"))
                if as_json:
                    _line(d)
                else:
                    click.echo(human_line(d))
                    if decode:
                        click.echo("  " + json.dumps(d.get("value"), default=str, ensure_ascii=False))
                n += 1
                if limit and n >= limit and not follow:
                    break
        except KeyboardInterrupt:
            pass


def _last(reader, name, n, follow):
    """The last n records of the topic in time order, then (with follow) new ones."""
    buf = list(reader.read([name], start="end", last=n))
    buf.sort(key=lambda m: (m.timestamp()[1], m.partition(), m.offset()))
    yield from buf[-n:]
    if follow:
        ends = {}
        for m in buf:
            ends[(m.topic(), m.partition())] = max(ends.get((m.topic(), m.partition()), -1), m.offset() + 1)
        parts = reader.partitions([name])
        cur = reader.end_offsets(parts)
        start = {tp: max(ends.get(tp, 0), cur[tp][1]) for tp in parts}
        yield from reader.read([name], start=start, follow=True)


# ---- dlq -----------------------------------------------------------------------------------------
@click.group("dlq")
def dlq():
    """List, show and replay dead letters (addressed as PARTITION:OFFSET).

    \b
    Examples:
      nqf-hub dlq list --stage delivery
      nqf-hub dlq show 2:17
      nqf-hub dlq replay 2:17 3:4          after fixing the cause
      nqf-hub dlq replay --all --partner de-uni-admissions --dry-run
    """


def _filters(f):
    for opt in (click.option("--event-id", help="Only this event."),
                click.option("--connector", help="Only this connector (ingest)."),
                click.option("--partner", help="Only this partner (delivery)."),
                click.option("--reason", help="Only this reason class (decode, schema, policy, delivery, internal)."),
                click.option("--stage", help="Only this stage (ingest, router, delivery, recognition).")):
        f = opt(f)
    return f


def _flt(stage, reason, partner, connector, event_id):
    from hub.observability.deadletters import DlqFilter
    return DlqFilter(stage=stage, reason_class=reason, partner=partner, connector=connector, event_id=event_id)


@dlq.command("list")
@_filters
@click.option("--limit", "-n", type=int, default=None, help="At most N (oldest first).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per dead letter.")
@run_guarded
def dlq_list(stage, reason, partner, connector, event_id, limit, as_json):
    """Dead letters: id, when, stage, reason, error class and message, where from. Never the bytes."""
    from hub.observability.deadletters import iter_dead_letters, summary
    n = 0
    for m in iter_dead_letters(settings(), _flt(stage, reason, partner, connector, event_id)):
        d = summary(m)
        if as_json:
            _line(d)
        else:
            where = d["original"] or d["source"] or "-"
            click.echo(f"{d['id']:<10} {d['at'] or '-':<30} {d['stage'] or '?':<9} {d['reason_class'] or '?':<9} "
                       f"{d['error_class'] or '?'}: {d['message'] or ''}  [{where}]"
                       + (f" partner={d['partner']}" if d["partner"] else "")
                       + (f" replayed={d['replay_count']}" if d["replay_count"] else ""))
        n += 1
        if limit and n >= limit:
            break
    if not as_json and n == 0:
        click.echo("no dead letters", err=True)


@dlq.command("show")
@click.argument("ids", nargs=-1, required=True)
@click.option("--reveal", is_flag=True, help="Include the original bytes (may hold personal data).")
@click.option("--json", "as_json", is_flag=True)
@run_guarded
def dlq_show(ids, reveal, as_json):
    """One or more dead letters in full: headers, and the value decoded and masked when possible."""
    from hub.observability.deadletters import fetch, parse_id, summary
    from hub.observability.display import describe
    s = settings()
    serde = _serde(s)
    if reveal:
        click.echo("warning: --reveal shows the original bytes, which may hold personal data", err=True)
    for m in fetch(s, [parse_id(i) for i in ids]):
        d = {**summary(m), "record": describe(m, serde=serde, decode=True, reveal=reveal,
                                              is_dlq=not _is_event(serde, m))}
        _line(d) if as_json else click.echo(json.dumps(d, indent=2, default=str, ensure_ascii=False))


def _is_event(serde, m) -> bool:
    try:
        serde.decode(m.value() or b"")
        return True
    except Exception:  # noqa: BLE001
        return False


@dlq.command("replay")
@click.argument("ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every dead letter matching the filters.")
@_filters
@click.option("--dry-run", is_flag=True, help="Say what would be replayed; produce nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item, then the totals.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@run_guarded
def dlq_replay(ids, all_, stage, reason, partner, connector, event_id, dry_run, as_json, quiet):
    """Replay dead letters to where they came from, after the cause is fixed.

    The original bytes go back to their original topic (router, delivery) or are decoded again
    with their connector (ingest). The replayed record keeps the dead-letter headers and gets
    nqfhub.replay.count / .by (your OS user) / .original / .from / .at. Exit status 2 when some
    still fail to decode.
    """
    from hub.ingest.producer import Progress
    from hub.observability.deadletters import fetch, iter_dead_letters, parse_id, replay
    from hub.observability.producing import operator_name
    s = settings()
    if bool(ids) == bool(all_):
        raise click.UsageError("give dead-letter ids (PARTITION:OFFSET …) or --all with filters")
    msgs = fetch(s, [parse_id(i) for i in ids]) if ids else \
        iter_dead_letters(s, _flt(stage, reason, partner, connector, event_id))
    prog = Progress(enabled=not quiet)
    done = {"n": 0, "failing": 0}

    def on_item(item):
        done["n"] += 1
        done["failing"] += item["status"] == "still_failing"
        prog.update(done["n"], done["failing"])
        if as_json:
            _line(item)

    res = replay(s, msgs, by=operator_name(), dry_run=dry_run, on_item=on_item)
    prog.update(done["n"], done["failing"], force=True)
    totals = {k: v for k, v in res.items() if k != "items"}
    if as_json:
        _line(totals)
    else:
        click.echo(("would replay" if dry_run else "replayed") + f" {res['replayed']} dead letter(s) "
                   f"({res['events']} record(s)); still failing {res['still_failing']}; skipped {res['skipped']}")
        for it in res["items"]:
            if it["status"] != "replayed":
                click.echo(f"  {it['id']}: {it['status']} {it.get('why') or json.dumps(it.get('errors', []))}")
    sys.exit(2 if res["still_failing"] else 0)


# ---- held ----------------------------------------------------------------------------------------
@click.group("held")
def held():
    """List, release and expire held records (events waiting for consent or authorisation).

    \b
    Examples:
      nqf-hub held list
      nqf-hub held release 3f2a9c0d --evidence consent:c-2026-0042
      nqf-hub held release 3f2a9c0d --evidence authorisation:popia-s72:2026-17 --dry-run
      nqf-hub held expire --due
    """


@held.command("list")
@click.option("--partner", help="Only this partner.")
@click.option("--all", "include_closed", is_flag=True, help="Include released and expired ones.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per held record.")
@run_guarded
def held_list(partner, include_closed, as_json):
    """Held records not yet released or expired: partner, reason, rules, age, expiry."""
    from hub.observability.held import list_open
    s = settings()
    rows = list_open(s, _serde(s), partner=partner, include_closed=include_closed)
    for r in rows:
        if as_json:
            _line(r)
        else:
            click.echo(f"{r['held_id'][:12]}  {r['partner']:<26} {r['event_type']:<18} age {r['age_s'] or 0:>9,.0f}s  "
                       f"{'OVERDUE ' if r['overdue'] else ''}{r['state']:<7} {r['reason']} "
                       f"(rules: {', '.join(r['rule_ids']) or '-'})")
    if not rows and not as_json:
        click.echo("no open held records", err=True)


@held.command("release")
@click.argument("held_id")
@click.option("--evidence", "-e", multiple=True, required=True,
              help="KIND:ID with KIND consent | instrument | authorisation (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show the new decision; produce nothing.")
@click.option("--json", "as_json", is_flag=True)
@run_guarded
def held_release(held_id, evidence, dry_run, as_json):
    """Re-decide HELD_ID (or a unique prefix of it, 8+ characters) with the given evidence.

    If the policy now forwards, the partner copy goes to hub.partner.<id> and an audit record
    with action "release" is written. Exit status 3 when the policy still holds or blocks.
    """
    from hub.observability.held import release
    from hub.observability.producing import operator_name
    res = release(settings(), held_id, list(evidence), by=operator_name(), dry_run=dry_run)
    if as_json:
        _line(res)
    elif res["released"]:
        click.echo(f"released {res['held_id']} to {res['to']} ({res['decision']}; rules {', '.join(res['rules'])})")
    else:
        click.echo(f"{'would release' if dry_run and res['decision'].startswith('forward') else 'not released'}: "
                   f"the policy says {res['decision']} (rules {', '.join(res['rules']) or '-'}"
                   + (f"; still waiting for {', '.join(res['waiting_for'])}" if res["waiting_for"] else "") + ")")
    sys.exit(0 if res["released"] or (dry_run and res["decision"].startswith("forward")) else 3)


@held.command("expire")
@click.argument("held_ids", nargs=-1)
@click.option("--due", is_flag=True, help="Every open held record past its expiry time.")
@click.option("--dry-run", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@run_guarded
def held_expire(held_ids, due, dry_run, as_json):
    """Expire held records: an audit record with action "expire"; the event is never sent."""
    from hub.observability.held import expire
    from hub.observability.producing import operator_name
    if not held_ids and not due:
        raise click.UsageError("give held ids or --due")
    s = settings()
    res = expire(s, _serde(s), list(held_ids), due=due, by=operator_name(), dry_run=dry_run)
    if as_json:
        _line(res)
    else:
        click.echo(f"{'would expire' if dry_run else 'expired'} {len(res['items'])} held record(s)")


# ---- trace ---------------------------------------------------------------------------------------
@click.command("trace")
@click.argument("event_id")
@click.option("--since", help="Only records since (ISO time or 90m / 2h / 3d): faster on big topics.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per step.")
@run_guarded
def trace(event_id, since, as_json):
    """Every stage EVENT_ID passed: ingress, decisions, held, partner topics, deliveries, dead letters.

    \b
    Example:
      nqf-hub trace 0b7e3c1e-5d2a-5f7c-9f0e-2d3b4c5d6e7f
    """
    from hub.observability.trace import trace as run
    s = settings()
    steps = run(s, event_id, _serde(s), since_ms=_since_ms(since))
    if not steps:
        click.echo(f"event {event_id} not found under prefix {s.topic_prefix}", err=True)
        sys.exit(1)
    for st in steps:
        if as_json:
            _line(st)
        else:
            rest = {k: v for k, v in st.items() if k not in ("stage", "at", "topic", "partition", "offset")}
            click.echo(f"{st['at'] or '-':<26} {st['stage']:<14} {st['topic']}[{st['partition']}]@{st['offset']}  "
                       + " ".join(f"{k}={v}" for k, v in rest.items()))


COMMANDS = {"status": status, "tail": tail, "dlq": dlq, "held": held, "trace": trace}
