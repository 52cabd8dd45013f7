"""Every use of faust (and aiokafka) internals by the hub, in one place, checked at start-up.

pyproject.toml pins faust-streaming to PATCHED_VERSION, the version these patches were written
and measured against. `apply()` (called by hub.routing.app.faust_settings, so by every faust
worker before its app exists) first runs `check()`: each internal attribute the hub patches or
reads must exist with the expected shape, otherwise the worker refuses to start with a
ConfigError naming the attribute and the installed version — never a silent no-op patch or an
AttributeError in the middle of a batch.

The internals:
- `faust.transport.drivers.aiokafka.AIOKafkaConsumerThread._create_worker_consumer` is wrapped
  to set aiokafka's `AIOKafkaConsumer._fetch_max_wait_ms` (faust hard-codes 1500 ms; a fetch
  for partitions without new data then stalls every partition behind it; 100 ms measured +41 %
  consume-only throughput on the embedded broker);
- `faust.transport.producer.ProducerBuffer.max_messages` is raised (faust warns "producer
  buffer full" at 100 table writes; a batch of 1000 events writes up to that many rows);
- `faust.streams._current_event` is set per event of a `take_events` batch, so table writes go
  to that event's changelog partition (hub.routing.app, hub.recognition.app);
- `app.producer.send(topic, key, value, partition, timestamp, headers)` is called positionally
  by the changelog fence (hub.routing.app.ChangelogFence);
- `AIOKafkaConsumerThread.seek_to_committed` is wrapped so a stream partition WITHOUT a committed
  offset is also rewound (to its beginning, or end under auto_offset_reset=latest). After every
  rebalance faust drops the records it had fetched but not processed and calls "seek to
  committed"; aiokafka seeks only partitions whose committed offset is > 0, so a partition this
  worker kept through the rebalance but had not committed yet went on from its fetch position:
  the dropped records were never processed, and the next commit went past them (measured: a
  second router joining a router busy with a 20,000-event backlog lost 1,724 events of one ingress
  partition; tests/integration/test_router_rebalance.py). Table changelogs are left alone (faust
  positions them itself for recovery and standbys);
- `faust.tables.recovery.Recovery.on_recovery_completed` is replaced by `_on_recovery_completed`
  (same steps, another order), which closes a race that lost records after every (re)start:
  see its docstring. The check compares the original's source with the one the replacement
  was written from;
- `faust.transport.drivers.aiokafka.AIOKafkaConsumerThread._fetch_records` is wrapped so that
  aiokafka's `Fetcher.fetched_records` gets faust's active partitions as `LivePartitions`: an
  empty selection means no partition, not every partition (see LivePartitions).
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from hub.errors import ConfigError

PATCHED_VERSION = "0.15.3"
FETCH_MAX_WAIT_MS = 100
TABLE_WRITE_BUFFER = 10000
# sha256 (first 16 hex digits) of the source of faust's Recovery.on_recovery_completed that
# _on_recovery_completed replaces
RECOVERY_COMPLETED_SOURCE = "6ef567acf072e46d"
log = logging.getLogger("nqfhub.faust")


def _fail(what: str) -> None:
    import faust
    raise ConfigError(
        f"faust internals changed: {what} (installed faust-streaming {faust.__version__}; the hub's "
        f"patches in hub.runtime.faust_patches are written for {PATCHED_VERSION}: install "
        f"faust-streaming=={PATCHED_VERSION} or update the patches)")


def check() -> None:
    """Raise ConfigError naming the first patched or used internal that is missing."""
    import faust
    from aiokafka import AIOKafkaConsumer
    from faust import streams
    from faust.transport import producer as fp
    from faust.transport.drivers import aiokafka as drv

    thread = getattr(drv, "AIOKafkaConsumerThread", None)
    if thread is None or not callable(getattr(thread, "_create_worker_consumer", None)):
        _fail("faust.transport.drivers.aiokafka.AIOKafkaConsumerThread._create_worker_consumer is missing")
    if "self._fetch_max_wait_ms" not in inspect.getsource(AIOKafkaConsumer):
        _fail("aiokafka.AIOKafkaConsumer no longer keeps _fetch_max_wait_ms")
    if not isinstance(getattr(getattr(fp, "ProducerBuffer", None), "max_messages", None), int):
        _fail("faust.transport.producer.ProducerBuffer.max_messages is missing")
    cv = getattr(streams, "_current_event", None)
    if cv is None or not hasattr(cv, "set"):
        _fail("faust.streams._current_event (a ContextVar) is missing")
    from faust.transport.producer import Producer
    params = list(inspect.signature(Producer.send).parameters)[1:7]
    if params != ["topic", "key", "value", "partition", "timestamp", "headers"]:
        _fail(f"faust Producer.send takes {params}, not (topic, key, value, partition, timestamp, headers)")
    seek = getattr(thread, "seek_to_committed", None)
    seek = getattr(seek, "__wrapped__", seek)      # already patched in this process: the original
    if not inspect.iscoroutinefunction(seek) or \
            "_ensure_consumer().seek_to_committed" not in inspect.getsource(seek):
        _fail("faust AIOKafkaConsumerThread.seek_to_committed no longer delegates to aiokafka's")
    if not inspect.iscoroutinefunction(getattr(AIOKafkaConsumer, "seek_to_beginning", None)) or \
            not inspect.iscoroutinefunction(getattr(AIOKafkaConsumer, "seek_to_end", None)):
        _fail("aiokafka.AIOKafkaConsumer.seek_to_beginning / seek_to_end are missing")
    from faust.tables.recovery import Recovery
    orig = getattr(Recovery, "_nqfhub_original_completed", getattr(Recovery, "on_recovery_completed", None))
    if orig is None or _source_digest(orig) != RECOVERY_COMPLETED_SOURCE:
        _fail("faust.tables.recovery.Recovery.on_recovery_completed is not the one "
              "hub.runtime.faust_patches._on_recovery_completed replaces")
    for name in ("_wait", "_set_recovery_ended", "_is_changelog_tp", "completed", "tables"):
        if not hasattr(Recovery, name) and name not in getattr(Recovery, "__annotations__", {}):
            _fail(f"faust.tables.recovery.Recovery.{name} is missing")
    if not callable(getattr(thread, "_fetch_records", None)) or \
            list(inspect.signature(getattr(thread, "_nqfhub_original_fetch", thread._fetch_records)).parameters) != \
            ["self", "consumer", "active_partitions", "timeout", "max_records"]:
        _fail("faust.transport.drivers.aiokafka.AIOKafkaConsumerThread._fetch_records(self, consumer, "
              "active_partitions, timeout, max_records) is missing")
    from aiokafka.consumer.fetcher import Fetcher
    if "if partitions and tp not in partitions" not in inspect.getsource(Fetcher.fetched_records):
        _fail("aiokafka Fetcher.fetched_records no longer selects partitions with "
              "`if partitions and tp not in partitions`")
    if faust.__version__ != PATCHED_VERSION:
        log.warning("faust-streaming %s installed; the hub's patches were written for %s (checks passed)",
                    faust.__version__, PATCHED_VERSION)


def apply() -> None:
    """Check, then apply the process-wide patches (idempotent)."""
    check()
    from faust.transport import producer as fp
    from faust.transport.drivers import aiokafka as drv
    fp.ProducerBuffer.max_messages = TABLE_WRITE_BUFFER
    from faust.tables.recovery import Recovery
    if not hasattr(Recovery, "_nqfhub_original_completed"):
        Recovery._nqfhub_original_completed = Recovery.on_recovery_completed
        Recovery.on_recovery_completed = _on_recovery_completed
    cls = drv.AIOKafkaConsumerThread
    if not hasattr(cls, "_nqfhub_original_fetch"):
        cls._nqfhub_original_fetch = fetch = cls._fetch_records

        async def _fetch_records(self, consumer, active_partitions, timeout=None, max_records=None):
            if active_partitions is not None:
                active_partitions = LivePartitions(active_partitions)
            return await fetch(self, consumer, active_partitions, timeout=timeout, max_records=max_records)
        cls._fetch_records = _fetch_records
    if getattr(cls, "_nqfhub_fetch_wait", False):
        return
    original = cls._create_worker_consumer

    def create(self, transport):
        consumer = original(self, transport)
        if not hasattr(consumer, "_fetch_max_wait_ms"):
            _fail("the consumer faust created has no _fetch_max_wait_ms")
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer

    cls._create_worker_consumer = create
    cls.seek_to_committed = _rewinding_seek(cls.seek_to_committed)
    cls._nqfhub_fetch_wait = True


def _rewinding_seek(original):
    """faust's seek-to-committed, plus a rewind of every stream partition without a committed
    offset (see the module docstring). Returns what faust expects: the committed offsets."""
    async def seek_to_committed(self):
        committed = await original(self)
        changelogs = set(self.app.tables.changelog_topics)
        fresh = sorted((tp for tp, offset in committed.items()
                        if not offset and tp.topic not in changelogs), key=lambda tp: (tp.topic, tp.partition))
        if fresh:
            consumer = self._ensure_consumer()
            latest = str(self.app.conf.consumer_auto_offset_reset).lower() == "latest"
            await self.call_thread(consumer.seek_to_end if latest else consumer.seek_to_beginning, *fresh)
        return committed
    seek_to_committed.__doc__, seek_to_committed.__wrapped__ = original.__doc__, original
    return seek_to_committed


def current_event():
    """faust's per-task 'event being processed' (set it per event of a batch)."""
    from faust.streams import _current_event
    return _current_event


class LivePartitions:
    """faust's set of active partitions as aiokafka's `fetched_records` selection.

    faust passes its own `Consumer._active_partitions` set to the consumer thread, where
    aiokafka filters prefetched records with `if partitions and tp not in partitions`: when
    faust empties the set meanwhile (every partition paused, e.g. between the end of table
    recovery and the stream partitions' resume), aiokafka reads that as "no selection" and
    returns the records of every partition, advancing their positions. faust then drops the
    records of the paused partitions (Consumer.getmany keeps only active ones): read from the
    broker, never processed, never read again unless something seeks. Here an empty selection
    selects nothing, and membership is read live (a partition paused while aiokafka waits for
    data is not consumed).
    """

    __slots__ = ("tps",)

    def __init__(self, tps):
        self.tps = tps

    def __bool__(self) -> bool:
        return True

    def __contains__(self, tp) -> bool:
        return tp in self.tps


def _source_digest(fn) -> str:
    import hashlib
    return hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()[:16]


async def _on_recovery_completed(self, generation_id: int = 0) -> None:
    """faust's Recovery.on_recovery_completed with the seek before the stream partitions resume.

    faust (0.15.3) resumes the stream partitions, then awaits the seek to the committed
    offsets, then resumes flow control, which empties every stream buffer. Meanwhile the
    fetcher runs (flow is already active for the changelog reads) and puts records of the
    resumed partitions into the buffers, setting the consumer's read offset of each partition
    (records below it are dropped as already read) — also after the seek has reset it. The
    buffer clear then throws those records away, and when the fetcher reads them again from
    the committed offset they are below the read offset: dropped. They are never processed and,
    as the later records are acked past a hole, the partition's committed offset never moves
    again (the restarted router's stalled partition: lag constant, group stable).

    Here the seek runs while the stream partitions are still paused (nothing of them is read),
    and the buffers are cleared, the partitions resumed and flow resumed in one step without
    an await in between, so the first record the fetcher delivers is at the committed offset.
    """
    from typing import cast
    consumer = self.app.consumer
    self.log.info("Restore complete!")
    await self.app.on_rebalance_complete.send()
    self._set_recovery_ended()
    callback_coros = [
        asyncio.ensure_future(table.on_recovery_completed(self.actives_for_table[table],
                                                          self.standbys_for_table[table]))
        for table in self.tables.values()
    ]
    if callback_coros:
        await asyncio.wait(callback_coros)
    assignment = consumer.assignment()
    if self.app.consumer_generation_id != generation_id:
        self.log.warning(f"Recovery rebalancing again app id {self.app.consumer_generation_id} "
                         f"param {generation_id}")
        return
    if assignment:
        self.log.info("Seek stream partitions to committed offsets.")
        await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
    # no await from here to resume_flow: the buffers are empty and the read offsets are the
    # committed ones when the fetcher can deliver records of the stream partitions again
    self.app.flow_control.resume()
    consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
    self.completed.set()
    self.log.dev("Resume stream partitions")
    consumer.resume_flow()
    await cast(Any, self.app)._fetcher.maybe_start()
    self.tables.on_actives_ready()
    if not self.app.assignor.assigned_standbys():
        self.tables.on_standbys_ready()
    self.app.on_rebalance_end()
    self.log.info("Worker ready")
