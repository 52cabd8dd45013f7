"""The privacy router as a faust worker.

One agent consumes <prefix>.ingress in batches (`stream.take_events`), runs `RouterCore.route`
on every record and sends the outputs with the app's producer. Guarantee (at-least-once):
the agent awaits the broker's acknowledgement of every output of a batch before the batch's
events are acked; faust commits only acked offsets and flushes its producer before committing.
A failure to produce (including a dead letter) or any unexpected exception crashes the worker
with a non-zero exit status: nothing is skipped silently, the uncommitted batch is re-read on
restart, and partners de-duplicate by event_id.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import weakref

from hub.config import Settings
from hub.runtime.broker import bootstrap_servers

log = logging.getLogger("nqfhub.router")
EXIT_AGENT_CRASHED = 70


def faust_settings(settings: Settings, app_id: str) -> dict:
    """faust App keyword arguments: broker, profile timeouts, throughput settings."""
    prof = settings.consumer_profile
    return dict(
        id=app_id,
        broker=f"kafka://{bootstrap_servers(settings)}",
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        topic_partitions=settings.partitions,
        topic_allow_declare=True,        # the table changelog; hub topics already exist
        topic_disable_leader=True,
        broker_session_timeout=prof.session_timeout_ms / 1000,
        broker_heartbeat_interval=prof.heartbeat_interval_ms / 1000,
        broker_max_poll_interval=prof.max_poll_interval_ms / 1000,
        broker_commit_every=2000,
        broker_commit_interval=1.0,
        broker_max_poll_records=2000,
        consumer_auto_offset_reset="earliest",
        consumer_max_fetch_size=4 * 1024 * 1024,
        stream_buffer_maxsize=8192,
        stream_wait_empty=False,
        producer_acks=-1,
        producer_linger=0.005,
        producer_max_batch_size=512 * 1024,
        producer_max_request_size=4 * 1024 * 1024,
    )


class OutputProducer:
    """Outputs go through librdkafka (C) rather than faust's aiokafka producer.

    Measured on the router's workload (15 outputs per event) the per-message cost of aiokafka's
    pure-Python send path was the largest part of the faust overhead. `flush()` waits for every
    delivery report in a worker thread, so the event loop keeps fetching while the broker
    acknowledges, and raises if any output was refused (the agent then crashes the process
    before the batch is acked: nothing is committed that was not written).
    """

    def __init__(self, settings: Settings):
        from confluent_kafka import Producer

        from hub.runtime.kafka import producer_config
        self._p = Producer(producer_config(settings))
        self._errors: list = []

    def _report(self, err, _msg):
        if err is not None:
            self._errors.append(err)

    def produce_all(self, outputs) -> None:
        p = self._p
        for o in outputs:
            while True:
                try:
                    p.produce(o.topic, value=o.value, key=o.key, headers=o.headers, on_delivery=self._report)
                    break
                except BufferError:
                    p.poll(0.05)
        p.poll(0)

    async def flush(self, timeout: float = 60.0) -> None:
        remaining = await asyncio.get_running_loop().run_in_executor(None, self._p.flush, timeout)
        if remaining or self._errors:
            from hub.errors import BrokerError
            err = self._errors[0].str() if self._errors else f"{remaining} not acknowledged in {timeout}s"
            raise BrokerError(f"router outputs not acknowledged: {err}")


def make_app(settings: Settings, *, partners_dir=None, batch: int = 1000, within: float = 0.05,
             app_id: str | None = None, metrics=None):
    import faust
    # faust keeps "the event being processed" in a context variable that table writes read to
    # pick their changelog partition; take_events() yields a batch, so we set it per event
    from faust.streams import _current_event

    from hub.routing.router import build_core

    core = build_core(settings, partners_dir=partners_dir, metrics=metrics)
    app = faust.App(**faust_settings(settings, app_id or f"{settings.topic_prefix}-router"))
    # canonical events from connectors and decisions from the recognition processor; both are
    # keyed by credential id (murmur2 partitioner everywhere), so they are co-partitioned with
    # the recipients table that drives revocation push
    source = app.topic(settings.topic("ingress"), settings.topic("recognition"), key_type=bytes,
                       value_type=bytes, key_serializer="raw", value_serializer="raw")
    recipients = app.Table("recipients", default=None, partitions=settings.partitions,
                           key_type=str, value_type=list)

    out_producer = OutputProducer(settings)

    @app.agent(source)
    async def route(stream):
        try:
            async for events in stream.take_events(batch, within=within):
                t0 = time.perf_counter()
                for ev in events:
                    msg = ev.message
                    _current_event.set(weakref.ref(ev))   # table writes go to this event's partition
                    out_producer.produce_all(core.route(msg.value, msg.key,
                                                        (msg.topic, msg.partition, msg.offset), recipients))
                # every output acknowledged by the broker before the batch's events are acked
                await out_producer.flush()
                if metrics:
                    metrics.processed(len(events), seconds=time.perf_counter() - t0)
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # noqa: BLE001 - any failure must take the process down
            log.critical("router agent crashed: %s; exiting with status %d so nothing is skipped",
                         e.__class__.__name__, EXIT_AGENT_CRASHED)
            sys.stderr.flush()
            os._exit(EXIT_AGENT_CRASHED)

    app.nqf_core = core
    return app


def run_worker(app, loglevel: str = "warning") -> None:
    import faust
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False,
                          override_logging=True)
    worker.execute_from_commandline()
