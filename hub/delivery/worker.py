"""The outbound worker: consume hub.partner.<id>, encode, deliver, record receipts.

Each assigned partition of a partner topic is a *lane*: its records are delivered in offset
order (events about one subject reach a partner in the order they were routed), by a task on
that partner's own thread pool, one task per lane at a time. The consumer loop never waits for a
delivery: it polls, hands records to lanes, collects finished tasks, produces their receipts and
dead letters, and commits. So a slow or failing partner cannot stall another partner's lanes,
and the loop keeps polling (the worker is never evicted from its group for a slow partner).

Retries without sleeping: when a record fails retriably (timeout, 5xx, 429), its lane stops
there, keeps the record and those after it in memory, pauses its partition (no more fetching)
and schedules the same record again after the partner's backoff (`PartnerChannel.backoff`).
Later records of that lane wait — order is kept — while other lanes and partners go on. After
`max_attempts` the record is dead-lettered and the lane moves on. A partition paused this way is
resumed when its backlog drains; a lane also pauses when its in-memory backlog is long.

No loss: a lane's offset is committed only up to the last record that was delivered or
dead-lettered, after the receipts and dead letters are acknowledged by Kafka. If they cannot be,
the worker exits non-zero without committing (at-least-once; the partner de-duplicates on the
Idempotency-Key / webhook-id). Records held for a retry are never committed; on a rebalance or a
restart the new owner reads them again from the committed offset.

One record never crashes the loop: `RecordDelivery.attempt` dead-letters whatever it raises.
"""
from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from hub.config import Settings
from hub.delivery.record import RECEIPT, PartnerChannel, RecordDelivery, Step, build_channels
from hub.errors import BrokerError, ConfigError, DeliveryError
from hub.serde import Serde

__all__ = ["RECEIPT", "DeliveryWorker", "PartnerChannel", "Step", "build_channels", "build_worker"]

log = logging.getLogger("nqfhub.delivery")

TASK_RECORDS = 100          # records one lane task handles before its results are committed
LANE_HIGH_WATER = 2000      # a lane holding this many records pauses its partition


@dataclass
class _Lane:
    """One assigned partition of one partner topic."""

    topic: str
    partition: int
    pid: str
    queue: deque = field(default_factory=deque)      # consumed, not yet delivered/dead-lettered
    future: Future | None = None
    head_attempts: int = 0          # failed attempts at queue[0]
    due: float = 0.0                # monotonic time before which queue[0] is not tried again
    paused: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass
class _LaneResult:
    outputs: list
    done: int                       # records finished (delivered or dead-lettered), from the head
    last_offset: int | None
    retry: DeliveryError | None = None
    attempts: int = 0


class DeliveryWorker(RecordDelivery):
    def __init__(self, settings: Settings, serde: Serde, partners: dict, *, channels=None,
                 metrics=None, threads_per_partner: int = 4):
        super().__init__(settings, serde, partners, channels=channels, metrics=metrics)
        self.threads_per_partner = threads_per_partner
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lanes: dict[tuple[str, int], _Lane] = {}
        self._stop = threading.Event()
        self._random = random.Random()

    def stop(self) -> None:
        """Ask `run` to finish: in-flight tasks complete, their results are committed."""
        self._stop.set()

    # ---- one lane task (on the partner's pool) -------------------------------------------
    def _run_lane(self, batch: list, head_attempts: int, cancel: threading.Event) -> _LaneResult:
        outputs, done, last = [], 0, None
        for i, m in enumerate(batch):
            if i and (cancel.is_set() or self._stop.is_set()):
                break
            step = self.attempt(m, head_attempts if i == 0 else 0)
            if step.retry is not None:
                return _LaneResult(outputs, done, last, step.retry, step.attempts)
            outputs += step.outputs
            done, last = done + 1, m.offset()
        return _LaneResult(outputs, done, last)

    def _pool(self, pid: str) -> ThreadPoolExecutor:
        pool = self._pools.get(pid)
        if pool is None:
            pool = self._pools[pid] = ThreadPoolExecutor(self.threads_per_partner,
                                                         thread_name_prefix=f"deliver-{pid}"[:15])
        return pool

    # ---- the loop ------------------------------------------------------------------------
    def run(self, *, idle_exit_s: float | None = None, consumer=None, producer=None) -> None:
        """Consume and deliver until SIGTERM/SIGINT, `stop()`, or `idle_exit_s` without work.

        Raises BrokerError (the CLI exits non-zero) when receipts or dead letters are not
        acknowledged; nothing of that round is committed."""
        from confluent_kafka import Consumer, Producer

        from hub.runtime.kafka import consumer_config, producer_config

        consumer = consumer or Consumer(consumer_config(self.settings, f"{self.settings.topic_prefix}-delivery"))
        producer = producer or Producer(producer_config(self.settings))
        consumer.subscribe(sorted(self.by_topic),
                           on_assign=lambda c, parts: self._assigned(c, producer, parts),
                           on_revoke=lambda c, parts: self._revoked(c, producer, parts),
                           on_lost=lambda c, parts: self._revoked(c, producer, parts))
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                signal.signal(sig, lambda *_: self._stop.set())
            except ValueError:  # not in the main thread (tests)
                pass
        last_msg = time.monotonic()
        try:
            while not self._stop.is_set():
                busy = any(ln.future or ln.queue for ln in self._lanes.values())
                msgs = [m for m in consumer.consume(500, timeout=0.05 if busy else 0.5)
                        if not self._consumer_error(m)]
                now = time.monotonic()
                if msgs:
                    last_msg = now
                for m in msgs:
                    self._lane(m.topic(), m.partition()).queue.append(m)
                self._finish(consumer, producer, [ln for ln in self._lanes.values()
                                                  if ln.future is not None and ln.future.done()])
                self._schedule(now)
                self._flow_control(consumer, now)
                if idle_exit_s and not busy and not msgs and now - last_msg > idle_exit_s:
                    break
        finally:
            try:
                for ln in self._lanes.values():
                    ln.cancel.set()
                self._finish(consumer, producer, [ln for ln in self._lanes.values() if ln.future],
                             wait=True)
            finally:
                consumer.close()
                for pool in self._pools.values():
                    pool.shutdown(wait=True)
                for ch in self.channels.values():
                    if ch.delivery:
                        ch.delivery.close()

    def _lane(self, topic: str, partition: int) -> _Lane:
        ln = self._lanes.get((topic, partition))
        if ln is None:
            ln = self._lanes[(topic, partition)] = _Lane(topic, partition, self.by_topic[topic])
        return ln

    def _schedule(self, now: float) -> None:
        for ln in self._lanes.values():
            if ln.future is None and ln.queue and now >= ln.due:
                batch = list(islice(ln.queue, TASK_RECORDS))
                ln.future = self._pool(ln.pid).submit(self._run_lane, batch, ln.head_attempts, ln.cancel)

    def _finish(self, consumer, producer, lanes: list[_Lane], *, wait: bool = False) -> None:
        """Produce the outputs of the lanes' finished tasks, then commit their progress."""
        from confluent_kafka import TopicPartition

        outputs, commits, n = [], [], 0
        for ln in lanes:
            if ln.future is None or not (wait or ln.future.done()):
                continue
            res: _LaneResult = ln.future.result()   # a task raises only on a hub bug: exit
            ln.future = None
            for _ in range(res.done):
                ln.queue.popleft()
            outputs += res.outputs
            n += res.done
            if res.last_offset is not None:
                commits.append(TopicPartition(ln.topic, ln.partition, res.last_offset + 1))
            if res.retry is not None:
                ch = self.channels[ln.pid]
                ln.head_attempts = res.attempts
                delay = ch.backoff(res.attempts, self._random.random())
                ln.due = time.monotonic() + delay
                log.info("delivery to %s (partition %d) failed (%s); attempt %d in %.1f s",
                         ln.pid, ln.partition, res.retry, res.attempts + 1, delay)
            elif res.done:
                ln.head_attempts, ln.due = 0, 0.0
        if not outputs and not commits:
            return
        t0 = time.monotonic()
        self._produce(producer, outputs)
        if commits:
            from confluent_kafka import KafkaException
            try:
                consumer.commit(offsets=commits, asynchronous=False)
            except KafkaException as e:
                # a rebalance took the partitions: the new owner re-delivers (idempotent)
                log.warning("offset commit failed: %s", e.args[0].str() if e.args else e)
        if self.metrics and n:
            self.metrics.processed(n, seconds=time.monotonic() - t0)

    def _produce(self, producer, outputs: list) -> None:
        from hub.runtime.kafka import produce

        errors = []
        for topic, key, value, headers in outputs:
            produce(producer, topic, value, key, headers,
                    on_delivery=lambda err, _m: err and errors.append(err))
        if producer.flush(30) or errors:
            raise BrokerError(f"receipts/dead letters not acknowledged: "
                              f"{errors[0].str() if errors else 'flush timed out'}")

    def _flow_control(self, consumer, now: float) -> None:
        """Pause a lane's partition while it waits for a retry or holds a long backlog."""
        from confluent_kafka import TopicPartition

        pause, resume = [], []
        for ln in self._lanes.values():
            want = now < ln.due or len(ln.queue) >= LANE_HIGH_WATER
            if want != ln.paused:
                (pause if want else resume).append(ln)
        for lanes, call in ((pause, consumer.pause), (resume, consumer.resume)):
            if lanes:
                try:
                    call([TopicPartition(ln.topic, ln.partition) for ln in lanes])
                except Exception as e:  # noqa: BLE001 - e.g. the partition was just revoked
                    log.warning("%s failed: %s", call.__name__, e.__class__.__name__)
                    continue
                for ln in lanes:
                    ln.paused = lanes is pause

    def _assigned(self, consumer, producer, partitions) -> None:
        """Rebalance: take the partitions with fresh lanes, un-paused.

        librdkafka keeps a partition's pause across revoke and re-assign, so a partition paused
        for a retry before a rebalance would otherwise never be fetched again."""
        stale = [tp for tp in partitions if (tp.topic, tp.partition) in self._lanes]
        if stale:
            self._revoked(consumer, producer, stale)
        consumer.assign(partitions)
        if partitions:
            consumer.resume(partitions)

    def _revoked(self, consumer, producer, partitions) -> None:
        """Rebalance: finish (or cut short) the revoked lanes' tasks, commit, forget the lanes.

        Records held in a revoked lane are not committed: the new owner delivers them."""
        from confluent_kafka import TopicPartition

        lanes = [self._lanes[(tp.topic, tp.partition)] for tp in partitions
                 if (tp.topic, tp.partition) in self._lanes]
        for ln in lanes:
            ln.cancel.set()
        self._finish(consumer, producer, lanes, wait=True)
        paused = [TopicPartition(ln.topic, ln.partition) for ln in lanes if ln.paused]
        if paused:
            try:
                consumer.resume(paused)     # the pause would outlive the assignment (see _assigned)
            except Exception as e:  # noqa: BLE001 - already gone (lost partitions)
                log.warning("resume of revoked partitions failed: %s", e.__class__.__name__)
        for ln in lanes:
            self._lanes.pop((ln.topic, ln.partition), None)

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


def build_worker(settings: Settings, *, partners_dir=None, metrics=None) -> DeliveryWorker:
    from hub.routing.policy import load_partners
    from hub.schemas import catalog

    partners = load_partners(partners_dir or settings.partners_path)
    if not partners:
        raise ConfigError("no partners in the partner registry: nothing to deliver to")
    serde = Serde(catalog(settings.schemas_dir), settings.schema_registry_url)
    return DeliveryWorker(settings, serde, partners, metrics=metrics)
