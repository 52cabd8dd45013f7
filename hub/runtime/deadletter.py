"""Dead letters: original bytes + headers that say where and why, never personal data.

Headers (all UTF-8 strings), after Kafka Connect's DeadLetterQueueReporter:
  nqfhub.dlq.stage            ingest | router | delivery | recognition
  nqfhub.dlq.connector        connector id (ingest, delivery)
  nqfhub.dlq.error.class      exception class name
  nqfhub.dlq.error.message    the hub's own message (located, never a value)
  nqfhub.dlq.source           file + line/record, or topic/partition/offset
  nqfhub.dlq.original.topic / .partition / .offset   when the record came from Kafka
  nqfhub.dlq.partner          partner id (delivery)
  nqfhub.dlq.event_id         when known
  nqfhub.dlq.reason_class     a small closed set for metrics: decode | schema | policy | delivery | internal
  nqfhub.dlq.at               ISO timestamp
A dead letter is produced and acknowledged BEFORE the source position is committed.
"""
from __future__ import annotations

import datetime as dt

PREFIX = "nqfhub.dlq."
REASON_CLASSES = ("decode", "schema", "policy", "delivery", "internal")


def dlq_headers(*, stage: str, error: BaseException | str, reason_class: str,
                connector: str | None = None, source: str | None = None,
                original: tuple[str, int, int] | None = None, partner: str | None = None,
                event_id: str | None = None, extra: dict | None = None) -> list[tuple[str, bytes]]:
    assert reason_class in REASON_CLASSES, reason_class
    if isinstance(error, BaseException):
        cls, msg = error.__class__.__name__, str(error)
    else:
        cls, msg = "Error", error
    h = {
        "stage": stage, "error.class": cls, "error.message": msg[:1000], "reason_class": reason_class,
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
    }
    if connector:
        h["connector"] = connector
    if source:
        h["source"] = source
    if original:
        h["original.topic"], h["original.partition"], h["original.offset"] = map(str, original)
    if partner:
        h["partner"] = partner
    if event_id:
        h["event_id"] = event_id
    for k, v in (extra or {}).items():
        h[k] = str(v)
    return [(PREFIX + k, str(v).encode()) for k, v in h.items()]


def headers_dict(headers) -> dict[str, str]:
    """Kafka message headers -> {name without prefix: value} for the nqfhub.dlq.* ones."""
    out = {}
    for k, v in headers or []:
        if k.startswith(PREFIX):
            out[k[len(PREFIX):]] = v.decode() if isinstance(v, bytes) else str(v)
    return out


REPLAY_PREFIX = "nqfhub.replay."


def with_lineage(outputs, input_headers, dlq_topic: str):
    """Carry `nqfhub.replay.*` headers of a replayed input onto the dead letters it causes, so a
    record that fails again keeps its replay count and origin (Output objects, in place)."""
    items = input_headers.items() if hasattr(input_headers, "items") else (input_headers or [])
    lineage = [(k, v) for k, v in items if k.startswith(REPLAY_PREFIX)]
    if lineage:
        for o in outputs:
            if o.topic == dlq_topic:
                o.headers = list(o.headers) + lineage
    return outputs
