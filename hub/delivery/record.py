"""One delivery attempt for one partner-topic record, and what it produces.

`RecordDelivery.attempt(msg, prior_attempts)` is called by the worker loop (`hub.delivery.worker`)
from a partner's thread pool, once per attempt, never sleeping. It returns a `Step`:

- `outputs`: the records to produce before the source offset may be committed — a `delivered`
  receipt (hub.delivery), or a dead letter (original bytes + nqfhub.dlq.* headers) and a
  `dead_lettered` receipt;
- `retry`: set (and `outputs` empty) when the partner failed in a retriable way and attempts
  remain; the loop pauses the partition and tries the same record again after a backoff.

Guarantee: `attempt` raises for no record. Whatever one record makes a decoder, an encoder or a
transport raise (a non-ASCII header value, a connector bug) is dead-lettered as
`UnexpectedDeliveryError`, which names the exception class and never copies its message (it may
quote personal data). An event whose header ids are malformed (`hub.sdk.ids`) is dead-lettered
before any connector sees it.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from hub.config import Settings
from hub.errors import (DeliveryError, HubError, PermanentDeliveryError, RecordError,
                        RetriableDeliveryError, UnexpectedDeliveryError)
from hub.runtime.deadletter import REPLAY_PREFIX, dlq_headers
from hub.runtime.topics import partner_topic
from hub.sdk import registry
from hub.sdk.ids import header_id_problems
from hub.sdk.outbound import Envelope
from hub.serde import Serde

log = logging.getLogger("nqfhub.delivery")
UTC = dt.timezone.utc
RECEIPT = "nqfhub.internal.DeliveryReceipt"
ERASURE_HEADER = "nqfhub.erasure_request"      # set by the router on an erasure request


@dataclass
class PartnerChannel:
    """Everything needed to deliver to one partner, built once at start.

    Retries: attempt n (n >= 1) that fails retriably is tried again after
    min(backoff_s * 2**(n-1), backoff_max_s) seconds, jittered to 50-100 %; attempt
    `max_attempts` is the last. The defaults (50 attempts, 0.2 s doubling to 30 s) ride out a
    partner outage of about 10 to 20 minutes.
    """

    partner_id: str
    kind: str                   # webhook | file | topic
    encoder: object | None
    delivery: object | None
    max_attempts: int = 50
    backoff_s: float = 0.2
    backoff_max_s: float = 30.0

    def backoff(self, attempts: int, jitter: float) -> float:
        """Seconds to wait after `attempts` failed attempts; `jitter` in [0, 1)."""
        base = min(self.backoff_s * 2 ** max(attempts - 1, 0), self.backoff_max_s)
        return base * (0.5 + jitter / 2)


def build_channels(settings: Settings, partners: dict) -> dict[str, PartnerChannel]:
    from hub.delivery import secrets

    out = {}
    for pid, p in partners.items():
        d = dict(p.delivery or {})
        kind = d.get("type", "topic")
        if kind == "topic":
            out[pid] = PartnerChannel(pid, kind, None, None)
            continue
        enc = registry.encoder(d.get("format", "canonical-json"), d.get("options"))
        secret = secrets.resolve(settings, d.get("secret_ref"))
        d["partner_id"] = pid
        if d.get("tls"):
            d["tls"] = secrets.tls_material(settings, d["tls"])
        out[pid] = PartnerChannel(pid, kind, enc, registry.delivery(kind, d, secret),
                                  int(d.get("max_attempts", 50)), float(d.get("backoff_s", 0.2)),
                                  float(d.get("backoff_max_s", 30.0)))
    return out


@dataclass
class Step:
    """The result of one attempt (see the module docstring)."""

    outputs: list = field(default_factory=list)     # (topic, key, value, headers)
    retry: DeliveryError | None = None
    attempts: int = 0


class RecordDelivery:
    """Per-record logic of the outbound worker; holds no Kafka client."""

    def __init__(self, settings: Settings, serde: Serde, partners: dict, *, channels=None, metrics=None):
        self.settings = settings
        self.serde = serde
        self.channels = channels if channels is not None else build_channels(settings, partners)
        self.by_topic = {partner_topic(settings, pid): pid for pid in self.channels}
        self.metrics = metrics
        self.t_receipts = settings.topic("delivery")
        self.t_dlq = settings.topic("deadletter")

    def attempt(self, msg, prior_attempts: int = 0) -> Step:
        """Try to deliver `msg` once more (`prior_attempts` failed before). Never raises."""
        origin = (msg.topic(), msg.partition(), msg.offset())
        pid = self.by_topic.get(msg.topic(), "unknown")
        try:
            step = self._attempt(msg, pid, origin, prior_attempts)
        except Exception as e:  # noqa: BLE001 - one record must never stop the worker
            log.error("delivery of %s/%d@%d raised %s: dead-lettered", *origin, e.__class__.__name__)
            step = Step([self._dlq(msg.value(), msg.key(), UnexpectedDeliveryError(e, "delivering"),
                                   "internal", origin, pid, None)])
        lineage = [(k, v) for k, v in msg.headers() or [] if k.startswith(REPLAY_PREFIX)]
        if lineage:   # a replayed record that fails again keeps its replay count and origin
            step.outputs = [(t, k, v, h + lineage if t == self.t_dlq else h) for t, k, v, h in step.outputs]
        return step

    def _attempt(self, msg, pid: str, origin, prior: int) -> Step:
        value, key = msg.value(), msg.key()
        ch = self.channels[pid]
        try:
            _, event = self.serde.decode(value)
        except RecordError as e:
            return Step([self._dlq(value, key, e, "schema", origin, pid, None)])
        h = event["header"]
        bad = header_id_problems(h)
        if bad:
            return Step([self._dlq(value, key, RecordError("; ".join(f"{f}: {r}" for f, r in bad)),
                                   "schema", origin, pid, None)])
        if prior == 0 and self.metrics:
            self.metrics.event_in(event)
        if ch.kind == "topic":
            return Step([self._receipt(event, pid, "delivered", 0, None, key)])
        dead = lambda err, n: Step([self._dlq(value, key, err, "delivery", origin, pid, h["event_id"],  # noqa: E731
                                              attempts=n or None),
                                    self._receipt(event, pid, "dead_lettered", n, None, key)])
        try:
            body = ch.encoder.encode(event)
            env = Envelope(event_id=h["event_id"], event_type=h["event_type"], partner_id=pid,
                           trace_id=h["trace_id"], content_type=ch.encoder.media_type,
                           subject_id=key.decode() if key else None,
                           erasure_request=_erasure_flag(msg.headers()))
        except HubError as e:
            return dead(e, 0)
        except Exception as e:  # noqa: BLE001 - a connector bug or bad bytes: this record only
            return dead(UnexpectedDeliveryError(e, "encoding"), 0)
        attempts = prior + 1
        t0 = time.monotonic()
        try:
            res = ch.delivery.deliver(body, env)
        except RetriableDeliveryError as e:
            self._failed(pid, e)
            if attempts >= ch.max_attempts:
                log.warning("delivery to %s failed for good after %d attempt(s): %s", pid, attempts, e)
                return dead(e, attempts)
            return Step([], retry=e, attempts=attempts)
        except DeliveryError as e:
            self._failed(pid, e)
            log.warning("delivery to %s failed permanently: %s", pid, e)
            return dead(e, attempts)
        except Exception as e:  # noqa: BLE001
            err = UnexpectedDeliveryError(e, "delivering")
            self._failed(pid, err)
            log.warning("delivery to %s: %s", pid, err)
            return dead(err, attempts)
        if self.metrics:
            self.metrics.delivered(pid, time.monotonic() - t0, attempts)
        return Step([self._receipt(event, pid, "delivered", attempts, res.http_status, key)],
                    attempts=attempts)

    def _failed(self, pid, err) -> None:
        if self.metrics:
            self.metrics.delivery_failure(pid, err)

    def _receipt(self, event, pid, status, attempts, http_status, key):
        h = event["header"]
        rec = {"event_id": h["event_id"], "event_type": h["event_type"], "partner_id": pid,
               "trace_id": h["trace_id"], "status": status, "attempts": attempts,
               "http_status": http_status, "subject_id": key.decode() if key else None,
               "delivered_at": dt.datetime.now(UTC)}
        # keyed by subject (credential id), co-partitioned with hub.ingress for stateful joins
        return (self.t_receipts, key or h["event_id"].encode(), self.serde.encode(rec, RECEIPT),
                [("nqfhub.event_id", h["event_id"].encode()), ("nqfhub.partner", pid.encode()),
                 ("nqfhub.status", status.encode())])

    def _dlq(self, value, key, err, reason_class, origin, pid, event_id, attempts=None):
        if self.metrics:
            self.metrics.dead_letter("delivery", reason_class)
            self.metrics.delivery_dead_lettered(pid)
        return (self.t_dlq, key, value, dlq_headers(
            stage="delivery", error=err, reason_class=reason_class, original=origin, partner=pid,
            event_id=event_id, source=f"{origin[0]}/{origin[1]}@{origin[2]}",
            extra={"attempts": attempts} if attempts else None))


def _erasure_flag(headers) -> bool:
    """The router's erasure-request header: absent or b"true"; anything else is refused."""
    values = [v for k, v in headers or [] if k == ERASURE_HEADER]
    if not values:
        return False
    if values == [b"true"]:
        return True
    raise PermanentDeliveryError(f"header {ERASURE_HEADER} is not 'true'")
