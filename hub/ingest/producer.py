"""Produce decoded events to hub.ingress and rejected records to hub.deadletter.

Guarantee: every record read is either acknowledged on hub.ingress or acknowledged on
hub.deadletter before `run()` returns normally; if Kafka refuses either, `run()` raises
BrokerError after flushing, and the summary says how many were not acknowledged.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from hub.config import Settings
from hub.errors import BrokerError, DecodeError, SignatureInvalid
from hub.ingest.keys import subject_key
from hub.runtime.deadletter import dlq_headers
from hub.runtime.kafka import produce
from hub.sdk.inbound import Decoded


@dataclass
class IngestSummary:
    ingested: int = 0
    rejected: int = 0
    failed: int = 0               # not acknowledged by Kafka
    elapsed_s: float = 0.0
    errors: list[dict] = field(default_factory=list)   # first located errors (no values)

    def as_dict(self) -> dict:
        return {"ingested": self.ingested, "rejected": self.rejected, "elapsed_s": round(self.elapsed_s, 3)}


class Progress:
    """Progress on stderr: a live line on a terminal, a JSON line every few seconds otherwise."""

    def __init__(self, enabled: bool = True, every_s: float = 2.0):
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.every = 0.2 if self.tty else every_s
        self.t0 = self.last = time.monotonic()

    def update(self, done: int, rejected: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        rate = done / max(now - self.t0, 1e-9)
        if self.tty:
            sys.stderr.write(f"\r{done:,} records, {rejected:,} rejected, {rate:,.0f}/s   ")
            if force:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(json.dumps({"progress": {"records": done, "rejected": rejected,
                                                      "records_per_s": round(rate)}}) + "\n")
        sys.stderr.flush()


def produce_all(settings: Settings, items: Iterable[tuple[Decoded | DecodeError, bytes | None]],
                *, connector: str, progress: Progress | None = None, producer=None,
                keep_errors: int = 100, on_error=None, authority: str | None = None) -> IngestSummary:
    """Produce `items` (from `decode_sources`); `authority` (the authenticated authority's id)
    goes into the dead-letter headers, so that `dlq replay` decodes for that authority again."""
    from confluent_kafka import Producer

    from hub.runtime.kafka import producer_config

    producer = producer or Producer(producer_config(settings))
    ingress, dlq = settings.topic("ingress"), settings.topic("deadletter")
    summary = IngestSummary()
    failures: list[str] = []
    t0 = time.monotonic()

    def acked(err, msg):
        if err is not None:
            failures.append(err.str())

    n = 0
    accepted_by_jurisdiction: dict[str, int] = {}   # metrics (hub.observability): events in per connector
    verifications: dict[str, int] = {}              # metrics: hub.verify outcomes (issue 13)
    for item, data in items:
        n += 1
        if isinstance(item, DecodeError):
            summary.rejected += 1
            if isinstance(item, SignatureInvalid):
                verifications["signature_invalid"] = verifications.get("signature_invalid", 0) + 1
            if len(summary.errors) < keep_errors:
                summary.errors.append(item.as_dict())
            if on_error:
                on_error(item)
            src = str(item.location)
            size = getattr(item, "raw_size", None)     # the document was longer than kept
            produce(producer, dlq, item.raw or b"", None,
                    dlq_headers(stage="ingest", error=item, reason_class="decode",
                                connector=connector, source=src,
                                extra={**({"raw.truncated_from": size} if size else {}),
                                       **({"authority": authority} if authority else {})} or None),
                    on_delivery=acked)
        else:
            ev = item.event
            produce(producer, ingress, data, subject_key(ev).encode(),
                    [("nqfhub.event_type", ev["header"]["event_type"].encode()),
                     ("nqfhub.trace_id", ev["header"]["trace_id"].encode())], on_delivery=acked)
            summary.ingested += 1
            j = ev["header"]["source"].get("jurisdiction") or ""        # metrics: per jurisdiction
            v = ev["header"].get("verification")
            if v:
                verifications[v["status"]] = verifications.get(v["status"], 0) + 1
            accepted_by_jurisdiction[j] = accepted_by_jurisdiction.get(j, 0) + 1
        if n % 1000 == 0:
            producer.poll(0)
            if progress:
                progress.update(n, summary.rejected)
    remaining = producer.flush(60)
    if progress:
        progress.update(n, summary.rejected, force=True)
    summary.elapsed_s = time.monotonic() - t0
    summary.failed = len(failures) + remaining
    # ---- metrics (hub.observability): events in/out per connector and jurisdiction ----------
    if not summary.failed:
        from hub.observability.metrics import record_ingest
        record_ingest(connector, accepted_by_jurisdiction, summary.rejected, verifications)
    # ---- end metrics --------------------------------------------------------------------------
    if summary.failed:
        raise BrokerError(f"{summary.failed} record(s) were not acknowledged by Kafka "
                          f"(first error: {failures[0] if failures else 'flush timed out'})")
    return summary

