"""The outbound worker: consume hub.partner.<id>, encode, deliver, record receipts.

Per consumed batch, partitions are delivered in parallel (threads) and each partition in offset
order, so events about one subject reach a partner in the order they were routed. Each event is
tried up to `max_attempts` times with exponential backoff; a permanent failure or exhausted
retries dead-letters the record (original bytes + headers) and writes a `dead_lettered` receipt.
Receipts (hub.delivery) and dead letters are acknowledged by Kafka before the batch's offsets are
committed. If they cannot be, the worker exits non-zero without committing (at-least-once; the
partner de-duplicates on the Idempotency-Key).
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import signal
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hub.config import Settings
from hub.errors import (BrokerError, ConfigError, DeliveryError, HubError, PermanentDeliveryError,
                        RecordError)
from hub.runtime.deadletter import REPLAY_PREFIX, dlq_headers
from hub.runtime.topics import partner_topic
from hub.sdk import registry
from hub.sdk.outbound import Envelope
from hub.serde import Serde

log = logging.getLogger("nqfhub.delivery")
UTC = dt.timezone.utc
RECEIPT = "nqfhub.internal.DeliveryReceipt"


@dataclass
class PartnerChannel:
    """Everything needed to deliver to one partner, built once at start."""

    partner_id: str
    kind: str                   # webhook | file | topic
    encoder: object | None
    delivery: object | None
    max_attempts: int = 5
    backoff_s: float = 0.2
    backoff_max_s: float = 5.0


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
        out[pid] = PartnerChannel(pid, kind, enc, registry.delivery(kind, d, secret),
                                  int(d.get("max_attempts", 5)), float(d.get("backoff_s", 0.2)),
                                  float(d.get("backoff_max_s", 5.0)))
    return out


class DeliveryWorker:
    def __init__(self, settings: Settings, serde: Serde, partners: dict, *, channels=None,
                 metrics=None, threads: int = 8):
        self.settings = settings
        self.serde = serde
        self.channels = channels if channels is not None else build_channels(settings, partners)
        self.by_topic = {partner_topic(settings, pid): pid for pid in self.channels}
        self.metrics = metrics
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="deliver")
        self.t_receipts = settings.topic("delivery")
        self.t_dlq = settings.topic("deadletter")
        self._stop = threading.Event()

    # ---- one record ----------------------------------------------------------------------
    def handle(self, msg) -> list[tuple[str, bytes | None, bytes, list]]:
        """Deliver one partner-topic record; return the records to produce (receipt, DLQ)."""
        outputs = self._handle(msg)
        lineage = [(k, v) for k, v in msg.headers() or [] if k.startswith(REPLAY_PREFIX)]
        if lineage:   # a replayed record that fails again keeps its replay count and origin
            outputs = [(t, k, v, h + lineage if t == self.t_dlq else h) for t, k, v, h in outputs]
        return outputs

    def _handle(self, msg):
        topic, value, key = msg.topic(), msg.value(), msg.key()
        pid = self.by_topic[topic]
        ch = self.channels[pid]
        origin = (topic, msg.partition(), msg.offset())
        try:
            _, event = self.serde.decode(value)
        except RecordError as e:
            return [self._dlq(value, key, e, "schema", origin, pid, None)]
        h = event["header"]
        if self.metrics:
            self.metrics.event_in(event)
        attempts, http_status = 0, None
        t0 = time.monotonic()
        if ch.kind != "topic":
            try:
                body = ch.encoder.encode(event)
                env = Envelope(event_id=h["event_id"], event_type=h["event_type"], partner_id=pid,
                               trace_id=h["trace_id"], content_type=ch.encoder.media_type,
                               subject_id=key.decode() if key else None,
                               extra_headers=_forwarded_headers(msg.headers()))
            except HubError as e:
                return [self._dlq(value, key, e, "delivery", origin, pid, h["event_id"]),
                        self._receipt(event, pid, "dead_lettered", 0, None, key)]
            delay = ch.backoff_s
            while True:
                attempts += 1
                try:
                    res = ch.delivery.deliver(body, env)
                    http_status = res.http_status
                    break
                except DeliveryError as e:
                    if self.metrics:
                        self.metrics.delivery_failure(pid, e)
                    if isinstance(e, PermanentDeliveryError) or attempts >= ch.max_attempts:
                        log.warning("delivery to %s failed for good after %d attempt(s): %s",
                                    pid, attempts, e)
                        return [self._dlq(value, key, e, "delivery", origin, pid, h["event_id"],
                                          attempts=attempts),
                                self._receipt(event, pid, "dead_lettered", attempts, None, key)]
                    time.sleep(min(delay, ch.backoff_max_s) * (0.5 + random.random() / 2))
                    delay *= 2
        if self.metrics:
            self.metrics.delivered(pid, time.monotonic() - t0, attempts)
        return [self._receipt(event, pid, "delivered", attempts, http_status, key)]

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

    # ---- the loop ------------------------------------------------------------------------
    def run(self, *, idle_exit_s: float | None = None) -> None:
        from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

        from hub.runtime.kafka import consumer_config, produce, producer_config

        consumer = Consumer(consumer_config(self.settings, f"{self.settings.topic_prefix}-delivery"))
        producer = Producer(producer_config(self.settings))
        consumer.subscribe(sorted(self.by_topic))
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                signal.signal(sig, lambda *_: self._stop.set())
            except ValueError:  # not in the main thread (tests)
                pass
        last_msg = time.monotonic()
        try:
            while not self._stop.is_set():
                msgs = consumer.consume(500, timeout=0.5)
                msgs = [m for m in msgs if not self._consumer_error(m)]
                if not msgs:
                    if idle_exit_s and time.monotonic() - last_msg > idle_exit_s:
                        break
                    continue
                last_msg = time.monotonic()
                by_tp = defaultdict(list)
                for m in msgs:
                    by_tp[(m.topic(), m.partition())].append(m)
                futures = [self.pool.submit(lambda ms=ms: [o for m in ms for o in self.handle(m)])
                           for ms in by_tp.values()]
                outputs = [o for f in futures for o in f.result()]
                errors = []
                for topic, key, value, headers in outputs:
                    produce(producer, topic, value, key, headers,
                            on_delivery=lambda err, _m: err and errors.append(err))
                if producer.flush(30) or errors:
                    raise BrokerError(f"receipts/dead letters not acknowledged: "
                                      f"{errors[0].str() if errors else 'flush timed out'}")
                offsets = [TopicPartition(t, p, max(m.offset() for m in ms) + 1)
                           for (t, p), ms in by_tp.items()]
                try:
                    consumer.commit(offsets=offsets, asynchronous=False)
                except KafkaException as e:
                    # a rebalance took the partitions: the new owner re-delivers (idempotent)
                    log.warning("offset commit failed: %s", e.args[0].str() if e.args else e)
                if self.metrics:
                    self.metrics.processed(len(msgs), seconds=time.monotonic() - last_msg)
        finally:
            consumer.close()
            self.pool.shutdown(wait=True)
            for ch in self.channels.values():
                if ch.delivery:
                    ch.delivery.close()

    @staticmethod
    def _consumer_error(m) -> bool:
        err = m.error()
        if err is None:
            return False
        if err.retriable() or err.code() in (-191,):  # _PARTITION_EOF
            return True
        if err.fatal():
            raise BrokerError(f"consumer error: {err.str()}")
        log.warning("consumer error: %s", err.str())
        return True


# Kafka headers set by the router that a partner must see on delivery, and their HTTP names
FORWARDED_HEADERS = {"nqfhub.erasure_request": "X-NQFHub-Erasure-Request"}


def _forwarded_headers(headers) -> dict:
    out = {}
    for k, v in headers or []:
        name = FORWARDED_HEADERS.get(k)
        if name:
            out[name] = v.decode() if isinstance(v, bytes) else str(v)
    return out


def build_worker(settings: Settings, *, partners_dir=None, metrics=None) -> DeliveryWorker:
    from hub.routing.policy import load_partners
    from hub.schemas import catalog

    partners = load_partners(partners_dir or settings.partners_path)
    if not partners:
        raise ConfigError("no partners in the partner registry: nothing to deliver to")
    serde = Serde(catalog(settings.schemas_dir), settings.schema_registry_url)
    return DeliveryWorker(settings, serde, partners, metrics=metrics)
