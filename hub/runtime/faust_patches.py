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
  positions them itself for recovery and standbys).
"""
from __future__ import annotations

import inspect
import logging

from hub.errors import ConfigError

PATCHED_VERSION = "0.15.3"
FETCH_MAX_WAIT_MS = 100
TABLE_WRITE_BUFFER = 10000
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
    if faust.__version__ != PATCHED_VERSION:
        log.warning("faust-streaming %s installed; the hub's patches were written for %s (checks passed)",
                    faust.__version__, PATCHED_VERSION)


def apply() -> None:
    """Check, then apply the process-wide patches (idempotent)."""
    check()
    from faust.transport import producer as fp
    from faust.transport.drivers import aiokafka as drv
    fp.ProducerBuffer.max_messages = TABLE_WRITE_BUFFER
    cls = drv.AIOKafkaConsumerThread
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
