"""`nqf-hub audit verify` and `nqf-hub audit trace EVENT_ID`.

verify  reads every partition of <prefix>.audit (or --topic) from the beginning, recomputes
        every hash, checks every link and every seal signature (public keys from
        <home>/keys, or --jwks) and names each changed, removed or reordered record with its
        partition and offset, each partition without seals and each unsealed tail older than
        --max-unsealed-age (default 15 min). Exit 0 when the chain is intact, 1 otherwise.
trace   every routing decision, hold, release request, release / expiry, delivery receipt and
        dead letter of one event, in time order (ids, actions, rules, categories; never values).
"""
from __future__ import annotations

import json
import sys

import click

from hub.cli import run_guarded


@click.group("audit")
def cli():
    """The audit chain of routing decisions: verify it, trace one event through it.

    \b
    Examples:
      nqf-hub audit verify
      nqf-hub audit verify --json
      nqf-hub audit trace 6a1f5c2e-1d2b-4c3a-9e8f-0a1b2c3d4e01
    """


def _serde(s):
    from hub.schemas import catalog
    from hub.serde import Serde
    return Serde(catalog(s.schemas_dir), s.schema_registry_url)


DEFAULT_MAX_UNSEALED_AGE_S = 15 * 60


def _age(text: str) -> int:
    """'15m', '900s', '1h', '2d' or plain seconds -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    try:
        return int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)
    except (ValueError, KeyError):
        raise click.BadParameter("a duration like 15m, 900s, 1h or 2d") from None


def verify_topic(settings, topic: str, jwks: dict, max_unsealed_age_s: float | None = None) -> list:
    """PartitionReports of every partition of `topic` (read from the beginning)."""
    from hub.routing import audit_read
    from hub.routing.audit_chain import public_keys_of, verify_partition
    keys = public_keys_of(jwks)
    return [verify_partition(p, items, keys, max_unsealed_age_s=max_unsealed_age_s)
            for p, items in sorted(audit_read.read_partitions(settings, topic, _serde(settings)).items())]


@cli.command("verify")
@click.option("--topic", help="Verify this topic instead of <prefix>.audit (e.g. a copy or an export).")
@click.option("--jwks", "jwks_path", type=click.Path(exists=True, dir_okay=False),
              help="JWK Set with the hub's public keys (default: the keys under <home>/keys).")
@click.option("--max-unsealed-age", "max_age", default="15m", show_default=True,
              help="Fail when records after a partition's last seal are older than this (15m, 1h, 900s).")
@click.option("--allow-empty", is_flag=True, help="Exit 0 on an audit topic with no records (a new hub).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per partition, then a summary.")
@run_guarded
def verify(topic, jwks_path, max_age, allow_empty, as_json):
    """Check the hash chain and the signed seals of every audit partition.

    \b
    Detects a changed record (content no longer matches its hash), a removed record (a link to
    a hash that is not there, or a seal counting more records than precede it), a reordered
    record (a link to a record that is not right before it) and a forged or unknown-key seal.
    A chain must be signed: a partition with records but no seal, and records after the last
    seal older than --max-unsealed-age (the router seals after every batch), are problems
    (UNSEALED); an audit topic with no records at all fails too unless --allow-empty.
    The last seals cut off together with everything after them cannot be seen from inside the
    topic: keep the printed head hashes elsewhere to cover that.
    Exit status: 0 intact; 1 a problem was found, nothing is sealed, or the topic does not exist.
    """
    from hub.cli.common import settings
    from hub.observability.reading import TopicReader
    from hub.recognition.signing import KeyStore
    s = settings()
    topic = topic or s.topic("audit")
    if jwks_path:
        with open(jwks_path, encoding="utf-8") as f:
            jwks = json.load(f)
    else:
        jwks = KeyStore(s.home).jwks()
    with TopicReader(s) as r:
        if topic not in r.topics():
            click.echo(f"error: topic {topic} does not exist", err=True)
            sys.exit(1)
    max_age_s = _age(max_age)
    reports = verify_topic(s, topic, jwks, max_unsealed_age_s=max_age_s)
    problems = [p for r in reports for p in r.problems]
    records = sum(r.records for r in reports)
    empty = records == 0 and not allow_empty
    for r in reports:
        if as_json:
            click.echo(json.dumps({"topic": topic, **r.as_dict()}))
            continue
        click.echo(f"{topic}[{r.partition}]: {r.records} record(s) ({r.audits} audit, {r.seals} seal(s), "
                   f"{r.verified_seals} signature(s) valid), unsealed tail {r.unsealed_tail}, "
                   f"head {(r.head_hash or '-')[:16]}  {'ok' if r.ok else 'BROKEN'}")
        for p in r.problems:
            click.echo(f"  {p.kind.upper():<10} partition {p.partition} offset {p.offset}: {p.detail}")
    ok = not problems and not empty
    summary = {"topic": topic, "partitions": len(reports), "records": records, "problems": len(problems),
               "ok": ok, "max_unsealed_age_s": max_age_s, "heads": {r.partition: r.head_hash for r in reports}}
    if empty:
        summary["error"] = "no records and no seal: nothing is signed (use --allow-empty for a new hub)"
    if as_json:
        click.echo(json.dumps({"summary": summary}))
    else:
        if empty:
            click.echo(f"{topic}: {summary['error']}", err=True)
        click.echo(f"{'intact' if ok else 'NOT intact'}: {len(reports)} partition(s), "
                   f"{records} record(s), {len(problems)} problem(s)")
    sys.exit(0 if ok else 1)


def trace_steps(settings, event_id: str, serde) -> list[dict]:
    """Decisions, holds, release requests, releases/expiries, deliveries and dead letters of one
    event (and erasure requests when EVENT_ID is a ConsentWithdrawn), oldest first."""
    from hub.errors import HubError
    from hub.observability.display import ts_iso
    from hub.observability.reading import TopicReader, header_map
    from hub.observability.trace import _matches, step, trace_id_of
    stages = {settings.topic("audit"): "decision", settings.topic("held"): "held",
              settings.topic("release"): "release_request", settings.topic("release.auto"): "release_request",
              settings.topic("delivery"): "delivery",
              settings.topic("deadletter"): "dead_letter"}
    tid = trace_id_of(event_id)
    out = []
    with TopicReader(settings) as reader:
        known = reader.topics()
        topics = [t for t in stages if t in known]
        if not topics:
            raise HubError(f"no hub topics with prefix {settings.topic_prefix!r}: wrong NQF_HUB_TOPIC_PREFIX?")
        for m in reader.read(topics):
            if not _matches(m, event_id, tid):
                continue
            stage = stages[m.topic()]
            if stage == "release_request":
                s = {"stage": stage, "at": ts_iso(m), "topic": m.topic(), "partition": m.partition(),
                     "offset": m.offset()}
                try:
                    _, req = serde.decode(m.value())
                    s.update(kind=req["kind"], partner=req["partner_id"], held_id=req.get("held_id"),
                             reason=req["reason"], by=req["requested_by"],
                             evidence=sorted({e.partition(":")[0] for e in req["evidence_ids"]}))
                except HubError as e:
                    s["decode_error"] = e.__class__.__name__
                out.append(s)
                continue
            s = step(stage, m, serde)
            if stage == "decision":
                h = header_map(m)
                if s.get("action") in ("release", "expire", "erasure_request"):
                    s["stage"] = s["action"]
                s.update({k: v for k, v in (("reason", h.get("nqfhub.release.reason")),
                                            ("audit_partition", m.partition())) if v is not None})
            out.append(s)
    out.sort(key=lambda s: (s["at"] or "", s["topic"], s["offset"]))
    return out


@cli.command("trace")
@click.argument("event_id")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per step.")
@run_guarded
def trace(event_id, as_json):
    """Every decision and delivery for EVENT_ID: decisions per partner (rules, legal basis,
    removed categories), holds, release requests, releases / expiries / erasure requests,
    delivery receipts and dead letters, with timestamps. Exit 1 when nothing is found."""
    from hub.cli.common import settings
    s = settings()
    steps = trace_steps(s, event_id, _serde(s))
    if not steps:
        click.echo(f"no audit, held, release, delivery or dead-letter record for {event_id} "
                   f"under prefix {s.topic_prefix}", err=True)
        sys.exit(1)
    for st in steps:
        if as_json:
            click.echo(json.dumps(st, default=str))
            continue
        rest = {k: v for k, v in st.items() if k not in ("stage", "at", "topic", "partition", "offset")}
        click.echo(f"{st['at'] or '-':<26} {st['stage']:<16} "
                   + " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in rest.items()))
