"""`nqf-hub status`: one snapshot of the hub for an operator.

- topics with end offsets (and records held per partition),
- consumer groups of the stages with state and lag,
- dead letters by stage and reason class, held records open per partner (from headers only),
- workers alive: group state from the broker, plus the workers recorded on this machine.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict

from hub.config import Settings
from hub.observability.lag import group_lag, stage_groups
from hub.observability.reading import TopicReader, header_map
from hub.runtime.deadletter import headers_dict

ACTIVE_STATES = ("STABLE", "PREPARING_REBALANCE", "COMPLETING_REBALANCE", "ASSIGNING", "RECONCILING")


def group_states(settings: Settings, groups: list[str], timeout: float = 10.0) -> dict[str, dict]:
    """{group: {state, members}}; members is None when the broker does not report them."""
    from confluent_kafka.admin import AdminClient

    from hub.runtime.kafka import admin_config
    admin = AdminClient(admin_config(settings))
    out = {}
    try:
        futures = admin.describe_consumer_groups(groups, request_timeout=timeout)
    except Exception as e:  # noqa: BLE001 - older brokers: report unknown rather than fail status
        return {g: {"state": "UNKNOWN", "members": None, "error": e.__class__.__name__} for g in groups}
    for g, f in futures.items():
        try:
            d = f.result(timeout)
            state = d.state.name if hasattr(d.state, "name") else str(d.state)
            members = len(d.members) if d.members else (None if state == "STABLE" else 0)
            out[g] = {"state": state, "members": members}
        except Exception as e:  # noqa: BLE001
            out[g] = {"state": "UNKNOWN", "members": None, "error": e.__class__.__name__}
    return out


def snapshot(settings: Settings, *, scan: bool = True) -> dict:
    """The status object (`nqf-hub status --json` prints its parts, one object per line)."""
    from hub.observability.metrics import local_workers
    t0 = time.monotonic()
    with TopicReader(settings, cache_s=60.0) as reader:
        known = {t: ps for t, ps in reader.topics().items() if t.startswith(settings.topic_prefix + ".")}
        ends = reader.end_offsets([(t, p) for t, ps in known.items() for p in ps])
        topics = []
        for t in sorted(known):
            parts = [{"partition": p, "low": ends[(t, p)][0], "end": ends[(t, p)][1]} for p in known[t]]
            topics.append({"topic": t, "partitions": len(parts), "end_offset": sum(x["end"] for x in parts),
                           "records": sum(x["end"] - x["low"] for x in parts), "by_partition": parts})
        groups = stage_group_rows(settings, reader, known)
        dlq = dead_letter_counts(reader, settings) if scan else None
        held = held_counts(reader, settings) if scan else None
    workers = local_workers(settings)
    return {"prefix": settings.topic_prefix, "topics": topics, "groups": groups,
            "dead_letters": dlq, "held": held, "workers": workers,
            "elapsed_s": round(time.monotonic() - t0, 3)}


def stage_group_rows(settings: Settings, reader: TopicReader, known: dict) -> list[dict]:
    """Lag and state of each stage's consumer group; groups that never ran are left out."""
    rows = []
    sgs = stage_groups(settings)
    states = group_states(settings, [sg.group for sg in sgs.values()])
    for sg in sgs.values():
        lag = group_lag(reader, sg, known)
        st = states.get(sg.group, {})
        if not lag["partitions"] or (st.get("state") not in ACTIVE_STATES
                                     and all(x["committed"] is None for x in lag["partitions"])):
            continue   # no such worker has ever run under this prefix
        rows.append({**lag, "state": st.get("state"), "members": st.get("members"),
                     "alive": st.get("state") in ACTIVE_STATES})
    return rows


def dead_letter_counts(reader: TopicReader, settings: Settings) -> dict:
    by = Counter()
    for m in reader.read([settings.topic("deadletter")]):
        h = headers_dict(m.headers())
        by[(h.get("stage", "?"), h.get("reason_class", "?"))] += 1
    return {"total": sum(by.values()),
            "by": [{"stage": s, "reason_class": r, "count": n} for (s, r), n in sorted(by.items())]}


def held_counts(reader: TopicReader, settings: Settings) -> dict:
    """Open held records per partner and the age of the oldest (Kafka timestamps, no decoding)."""
    from hub.observability.held import closed_holds
    held: dict[tuple[str, str], int] = {}
    for m in reader.read([settings.topic("held")]):
        h = header_map(m)
        held[(h.get("nqfhub.event_id", ""), h.get("nqfhub.partner", ""))] = m.timestamp()[1]
    closed = closed_holds(reader, settings)
    now_ms = time.time() * 1000
    per: dict[str, list[int]] = defaultdict(list)
    for k, ts in held.items():
        if k not in closed:
            per[k[1]].append(ts)
    return {"open": sum(len(v) for v in per.values()), "closed": len(closed),
            "by_partner": [{"partner": p, "open": len(v), "oldest_age_s": round((now_ms - min(v)) / 1000, 1)}
                           for p, v in sorted(per.items())]}


def human(s: dict) -> str:
    lines = [f"hub prefix {s['prefix']}  ({s['elapsed_s']}s)", "", "topics:"]
    for t in s["topics"]:
        lines.append(f"  {t['topic']:<44} {t['partitions']:>3} partitions  end {t['end_offset']:>9,}")
    lines.append("consumer groups:")
    for g in s["groups"] or []:
        lines.append(f"  {g['group']:<44} {g['state'] or '?':<12} lag {g['lag']:>9,}"
                     + (f"  members {g['members']}" if g.get("members") is not None else ""))
    if not s["groups"]:
        lines.append("  (none)")
    if s["dead_letters"] is not None:
        d = s["dead_letters"]
        lines.append(f"dead letters: {d['total']:,}")
        for b in d["by"]:
            lines.append(f"  {b['stage']:<12} {b['reason_class']:<10} {b['count']:>9,}")
    if s["held"] is not None:
        h = s["held"]
        lines.append(f"held records open: {h['open']:,} (released/expired {h['closed']:,})")
        for b in h["by_partner"]:
            lines.append(f"  {b['partner']:<32} {b['open']:>7,}  oldest {b['oldest_age_s']:,.0f}s")
    lines.append("workers on this machine:")
    for w in s["workers"]:
        lines.append(f"  {w['stage']:<12} pid {w['pid']:<8} metrics :{w.get('metrics_port')}  "
                     + ("alive" if w["alive"] else "DEAD"))
    if not s["workers"]:
        lines.append("  (none recorded)")
    return "\n".join(lines)
