"""Dead letters for operators: list, show, replay.

A dead letter is addressed as `PARTITION:OFFSET` in <prefix>.deadletter. Replay re-produces the
original bytes where they came from, after a fix (a corrected mapping, a partner back online):

- a record dead-lettered by a Kafka stage (router, delivery, recognition) goes back to its
  original topic (`nqfhub.dlq.original.topic`) with its original key;
- a record rejected at ingest (no original topic: it came from a file or an HTTP upload) is
  decoded again with the connector named in its headers; the events it now yields go to
  <prefix>.ingress; if it still fails, it is reported and left where it is.

A replayed record keeps every `nqfhub.dlq.*` header of the dead letter and gets lineage headers:
  nqfhub.replay.count     previous count (from the dead letter's own headers) + 1
  nqfhub.replay.by        the OS user who replayed
  nqfhub.replay.original  original topic/partition/offset (or the ingest source location)
  nqfhub.replay.from      the dead letter's own topic/partition/offset
  nqfhub.replay.at        ISO timestamp
Every replayed record is acknowledged by Kafka before `replay` reports it as replayed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from hub.config import Settings
from hub.errors import DecodeError, HubError
from hub.observability.reading import TopicReader, header_map
from hub.runtime.deadletter import PREFIX, headers_dict

UTC = dt.timezone.utc
REPLAY = "nqfhub.replay."


@dataclass(frozen=True)
class DlqFilter:
    stage: str | None = None
    reason_class: str | None = None
    partner: str | None = None
    connector: str | None = None
    event_id: str | None = None

    def match(self, h: dict[str, str]) -> bool:
        return all(want is None or h.get(k) == want for k, want in (
            ("stage", self.stage), ("reason_class", self.reason_class), ("partner", self.partner),
            ("connector", self.connector), ("event_id", self.event_id)))


def parse_id(text: str) -> tuple[int, int]:
    try:
        p, o = text.split(":", 1)
        return int(p), int(o)
    except ValueError:
        raise HubError(f"dead-letter id must be PARTITION:OFFSET (e.g. 2:17), got {text!r}") from None


def summary(msg) -> dict:
    """The operator's view of one dead letter: where and why, never the bytes."""
    h = headers_dict(msg.headers())
    allh = header_map(msg)
    orig = None
    if "original.topic" in h:
        orig = f"{h['original.topic']}/{h.get('original.partition')}/{h.get('original.offset')}"
    return {
        "id": f"{msg.partition()}:{msg.offset()}", "at": h.get("at"), "stage": h.get("stage"),
        "reason_class": h.get("reason_class"), "error_class": h.get("error.class"),
        "message": h.get("error.message"), "connector": h.get("connector"),
        "partner": h.get("partner"), "event_id": h.get("event_id"), "source": h.get("source"),
        "original": orig, "attempts": h.get("attempts"),
        "replay_count": int(allh.get(REPLAY + "count", "0") or 0), "size": len(msg.value() or b""),
    }


def iter_dead_letters(settings: Settings, flt: DlqFilter = DlqFilter(), *,
                      reader: TopicReader | None = None) -> Iterator:
    """Raw dead-letter messages matching `flt`, oldest first per partition."""
    own = reader is None
    reader = reader or TopicReader(settings)
    try:
        for m in reader.read([settings.topic("deadletter")]):
            if flt.match(headers_dict(m.headers())):
                yield m
    finally:
        if own:
            reader.close()


def fetch(settings: Settings, ids: Iterable[tuple[int, int]], reader: TopicReader | None = None) -> list:
    """The dead letters at the given (partition, offset)s; raises HubError for a missing one."""
    topic = settings.topic("deadletter")
    own = reader is None
    reader = reader or TopicReader(settings)
    try:
        out = []
        for p, o in sorted(set(ids)):
            m = reader.get(topic, p, o)
            if m is None:
                raise HubError(f"no dead letter {p}:{o} in {topic}")
            out.append(m)
        return out
    finally:
        if own:
            reader.close()


# ---- replay ---------------------------------------------------------------------------------------
def lineage_headers(msg, by: str, original: str) -> list[tuple[str, bytes]]:
    """The dead letter's nqfhub.dlq.* headers plus fresh nqfhub.replay.* lineage headers."""
    allh = header_map(msg)
    count = int(allh.get(REPLAY + "count", "0") or 0) + 1
    kept = [(k, v) for k, v in (msg.headers() or []) if k.startswith(PREFIX)]
    now = dt.datetime.now(UTC).isoformat(timespec="milliseconds")
    return kept + [
        (REPLAY + "count", str(count).encode()), (REPLAY + "by", by.encode()),
        (REPLAY + "original", original.encode()),
        (REPLAY + "from", f"{msg.topic()}/{msg.partition()}/{msg.offset()}".encode()),
        (REPLAY + "at", now.encode()),
    ]


def replay(settings: Settings, messages: Iterable, *, by: str, producer=None, dry_run: bool = False,
           on_item: Callable[[dict], None] | None = None) -> dict:
    """Replay dead letters; returns {'replayed', 'still_failing', 'skipped', 'items': [...]}."""
    from hub.observability.producing import OperatorProducer
    out = OperatorProducer(settings, producer) if not dry_run else None
    totals = {"replayed": 0, "still_failing": 0, "skipped": 0, "events": 0}
    items = []
    for m in messages:
        h = headers_dict(m.headers())
        item = {"id": f"{m.partition()}:{m.offset()}", "stage": h.get("stage")}
        if h.get("original.topic"):
            original = f"{h['original.topic']}/{h.get('original.partition')}/{h.get('original.offset')}"
            item.update(status="replayed", to=h["original.topic"], events=1)
            if out:
                out.send(h["original.topic"], m.key(), m.value() or b"", lineage_headers(m, by, original))
        elif h.get("stage") == "ingest" and h.get("connector"):
            item.update(_redecode(settings, m, h, by, out))
        else:
            item.update(status="skipped", why="no original topic and no connector in the headers")
        totals[item["status"]] += 1
        totals["events"] += item.get("events", 0)
        items.append(item)
        if on_item:
            on_item(item)
    if out:
        out.flush()
    from hub.observability import families as F
    if totals["replayed"] and not dry_run:
        F.OPERATOR_ACTIONS.labels("replay").inc(totals["replayed"])
    return {**totals, "dry_run": dry_run, "items": items}


def _authority_entry(settings: Settings, authority: str, connector: str):
    """(entry, None) of the authorities file ($NQF_HUB_HOME/tokens.yaml), or (None, why)."""
    from pathlib import Path

    from hub.serve.tokens import TokenBook
    path = Path(settings.home) / "tokens.yaml"
    try:
        entry = TokenBook.load(path).get(authority)
    except HubError as e:
        return None, f"authority {authority}: {str(e).splitlines()[0]}"
    if entry is None:
        return None, f"authority {authority} is not in {path.name}: it cannot be replayed for it"
    if not entry.may_use(connector):
        return None, f"authority {authority} may no longer use connector {connector}"
    return entry, None


def _redecode(settings: Settings, m, h: dict, by: str, out) -> dict:
    """Decode an ingest dead letter again with its connector; produce what now decodes."""
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.keys import subject_key
    from hub.sdk import registry
    from hub.sdk.inbound import Source

    try:
        conn = registry.inbound(h["connector"])
    except HubError as e:
        return {"status": "skipped", "why": str(e)}
    source = h.get("source") or "dead letter"
    authority = h.get("authority")
    if authority:   # rejected at an authenticated ingest: decode for that authority again
        entry, why = _authority_entry(settings, authority, h["connector"])
        if entry is None:
            return {"status": "skipped", "why": why}
        ctx = make_context(conn, authenticated=entry.source)
    else:           # from an unauthenticated producer (demo, tests, before authorities existed)
        ctx = make_context(conn)
    events, errors = [], []
    for item, data in decode_sources(conn, [Source(name=source, data=m.value() or b"")], ctx):
        if isinstance(item, DecodeError):
            errors.append(item.as_dict())
        else:
            events.append((item.event, data))
    if errors or not events:
        return {"status": "still_failing", "errors": errors[:10]}
    if out:
        lineage = lineage_headers(m, by, source)
        for ev, data in events:
            hdr = ev["header"]
            out.send(settings.topic("ingress"), subject_key(ev).encode(), data,
                     [("nqfhub.event_type", hdr["event_type"].encode()),
                      ("nqfhub.trace_id", hdr["trace_id"].encode())] + lineage)
    return {"status": "replayed", "to": settings.topic("ingress"), "events": len(events)}
