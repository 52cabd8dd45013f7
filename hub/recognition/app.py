"""The recognition processor as a faust worker.

One agent consumes <prefix>.ingress in batches and runs `RecognitionCore.handle` on every record;
a timer (every `sweep_s`, default 1 s) runs `RecognitionCore.sweep` over the pending requests of
the partitions this worker owns. Outputs (signed RecognitionDecided on <prefix>.recognition,
dead letters) are sent with the app's producer; every output of a batch or a sweep is
acknowledged by the broker before the batch is acked and before a decided request leaves the
pending table. Any failure to produce and any unexpected exception crash the worker with exit
status 70: nothing is skipped silently; the uncommitted batch is re-read on restart and a
re-decided request carries the same decision id.

Tables (faust, in memory, rebuilt from their changelog topics on start):

  qualifications, institutions, accreditation   GlobalTable: every worker holds all reference
                                                data (small); 1-partition changelog written with
                                                the producer's partitioner (faust's advice for
                                                global tables with several workers)
  credentials, revocations                      Table, partitioned like hub.ingress (keyed by
                                                credential id, murmur2 everywhere)
  pending                                       Table keyed by the credential id bytes with the
                                                producer's partitioner, so the timer can write
                                                it outside stream iteration and its changelog
                                                partition is still the credential's partition

The embedded broker (Tansu 0.6) reports a partition's high watermark as the base offset of its
last record batch + 1. faust's changelog recovery stops at the reported high watermark, so a
restarted worker would lose the tail of the last batch of every changelog partition, and a
rebalance would fail faust's consistency check. In the embedded profile the app therefore sends
one record per batch (`producer_max_batch_size=1`), which makes the watermark exact; on Kafka
normal batching is kept.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref

from hub.config import Settings

log = logging.getLogger("nqfhub.recognition")
UTC = dt.timezone.utc
from hub.runtime.crash import exit_loudly


def app_settings(settings: Settings, app_id: str) -> dict:
    """faust App keyword arguments: the router's (hub.routing.app.faust_settings, which set the
    per-app data directory) plus the embedded-broker batching workaround described above."""
    from hub.routing.app import faust_settings

    conf = faust_settings(settings, app_id)
    if settings.consumer_profile.name == "embedded":
        conf["producer_max_batch_size"] = 1                  # exact high watermarks on Tansu
    return conf


def make_app(settings: Settings, *, wait_s: float | None = None, batch: int = 500,
             within: float = 0.05, sweep_s: float = 1.0, app_id: str | None = None, metrics=None):
    """Build the faust app. Raises ConfigError when no signing key exists (before any I/O)."""
    import faust
    from aiokafka.partitioner import murmur2
    # table writes pick their changelog partition from "the event being processed" (a context
    # variable); take_events() yields a batch, so it is set per event, as in the router
    from hub.runtime.faust_patches import current_event
    _current_event = current_event()

    from hub.recognition.processor import RecognitionTables, build_core
    from hub.routing.app import OutputProducer

    core = build_core(settings, wait_s=wait_s, metrics=metrics)
    app = faust.App(**app_settings(settings, app_id or f"{settings.topic_prefix}-recognition"))
    ingress = settings.topic("ingress")
    source = app.topic(ingress, key_type=bytes, value_type=bytes, key_serializer="raw",
                       value_serializer="raw")
    n = settings.partitions

    def global_table(name):
        return app.GlobalTable(name, default=None, key_type=str, partitions=1, use_partitioner=True,
                               recovery_buffer_size=1)

    tables = RecognitionTables(
        qualifications=global_table("qualifications"),
        institutions=global_table("institutions"),
        accreditation=global_table("accreditation"),
        credentials=app.Table("credentials", default=None, key_type=str, partitions=n),
        revocations=app.Table("revocations", default=None, key_type=str, partitions=n),
        pending=app.Table("pending", default=None, key_type=bytes, partitions=n, use_partitioner=True),
    )

    def crash(what: str, e: BaseException):
        exit_loudly(f"recognition {what}", e)

    out_producer = OutputProducer(settings)   # librdkafka, as the router: every report checked

    async def send_all(outs) -> None:
        out_producer.produce_all(outs)
        await out_producer.flush()               # every output acknowledged

    @app.agent(source)
    async def recognise(stream):
        try:
            async for events in stream.take_events(batch, within=within):
                outs, deferred = [], []
                for ev in events:
                    msg = ev.message
                    _current_event.set(weakref.ref(ev))   # table writes go to this event's partition
                    outs += core.handle(msg.value, msg.key, (msg.topic, msg.partition, msg.offset),
                                        tables, dt.datetime.now(UTC), deferred)
                await send_all(outs)                 # before the batch is acked ...
                core.settle(tables, deferred)        # ... and before decided requests leave pending
                if metrics:
                    metrics.processed(len(events))
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # noqa: BLE001 - any failure must take the process down
            crash("agent", e)

    @app.timer(sweep_s)
    async def sweep():
        try:
            if getattr(app, "rebalancing", False) or getattr(app, "in_recovery", False):
                return                               # tables may be incomplete
            mine = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == ingress}
            if not mine:
                return

            def owns(key: bytes) -> bool:
                return ((murmur2(key) & 0x7FFFFFFF) % n) in mine

            deferred = []
            outs = core.sweep(tables, dt.datetime.now(UTC), owns=owns, deferred=deferred)
            if outs:
                await send_all(outs)
                core.settle(tables, deferred)
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # noqa: BLE001
            crash("sweep", e)

    app.nqf_core = core
    app.nqf_tables = tables
    return app


def run_worker(app, loglevel: str = "warning") -> None:
    from hub.routing.app import run_worker as run
    run(app, loglevel=loglevel)
