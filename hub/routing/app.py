"""The privacy router as a faust worker.

One agent consumes <prefix>.ingress in batches (`stream.take_events`), runs `RouterCore.route`
on every record and sends the outputs with the app's producer. Guarantee (at-least-once):
the agent awaits the broker's acknowledgement of every output of a batch before the batch's
events are acked; faust commits only acked offsets and flushes its producer before committing.
A failure to produce (including a dead letter) or any unexpected exception crashes the worker
with a non-zero exit status: nothing is skipped silently, the uncommitted batch is re-read on
restart, and partners de-duplicate by event_id.

The agent also reads <prefix>.release (release requests, hub.routing.release) and is the only
writer of <prefix>.audit: each audit record goes to the partition of its input record, linked
into that partition's hash chain, and after every batch a signed seal closes each partition it
wrote to (hub.routing.audit_chain). The router refuses to start without a signing key. A
second agent joins held records with consents on <prefix>.consent-join (hub.routing.consent).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from pathlib import Path

from hub.config import Settings
from hub.runtime.broker import bootstrap_servers

log = logging.getLogger("nqfhub.router")
from hub.runtime.crash import exit_loudly


def tune_faust() -> None:
    """faust internals the workers patch: hub.runtime.faust_patches (checked, then applied)."""
    from hub.runtime import faust_patches
    faust_patches.apply()


def faust_settings(settings: Settings, app_id: str) -> dict:
    """faust App keyword arguments: broker, profile timeouts, throughput settings."""
    tune_faust()
    prof = settings.consumer_profile
    conf = dict(
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
        broker_max_poll_interval=prof.stream_max_poll_interval_ms / 1000,
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
    # faust keeps table state (rocksdb/memory) in a data directory: never the current directory
    datadir = Path(settings.home) / "faust" / app_id
    datadir.mkdir(parents=True, exist_ok=True)
    conf["datadir"] = str(datadir)
    from hub.runtime.security import faust_credentials
    creds = faust_credentials(settings)
    if creds is not None:
        conf["broker_credentials"] = creds
    return conf


class ChangelogFence:
    """Makes table changelogs fully restorable on the embedded broker (Tansu 0.6).

    Tansu reports a partition's high watermark as the base offset of its last record batch + 1,
    and faust restores a table only up to the high watermark: rows batched together at the end
    of a changelog partition were lost on restart. Writing every changelog record in a batch of
    its own fixes that but made faust's producer the bottleneck under load (its buffer filled,
    commits overran max.poll.interval and the worker was thrown out of its group). Instead,
    after each processed batch the agent flushes faust's producer and writes one fence record,
    alone, to each changelog partition it wrote: the reported watermark then lies past every row.
    A fence is a deletion of a key no one uses. Off on a real Kafka cluster.
    """

    KEY = "__nqfhub_fence__"

    def __init__(self, app, tables, enabled: bool):
        self.app, self.tables, self.enabled = app, tables, enabled

    async def after_batch(self, partitions) -> None:
        if not self.enabled or not partitions:
            return
        producer = self.app.producer
        await producer.flush()
        key = json.dumps(self.KEY).encode()
        for table in self.tables:
            topic = table.changelog_topic.get_topic_name()
            for p in sorted(partitions):
                fut = await producer.send(topic, key, None, p, None, None)
                await fut          # acknowledged before the next one: each fence is its own batch


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
        from hub.runtime.kafka import produce
        p = self._p
        for o in outputs:   # an explicit partition: the audit chain's (the input record's)
            produce(p, o.topic, o.value, o.key, o.headers, partition=o.partition, on_delivery=self._report)
        p.poll(0)

    async def flush(self, timeout: float = 60.0) -> None:
        remaining = await asyncio.get_running_loop().run_in_executor(None, self._p.flush, timeout)
        if remaining or self._errors:
            from hub.errors import BrokerError
            err = self._errors[0].str() if self._errors else f"{remaining} not acknowledged in {timeout}s"
            raise BrokerError(f"router outputs not acknowledged: {err}")


def make_app(settings: Settings, *, partners_dir=None, batch: int = 1000, within: float = 0.05,
             app_id: str | None = None, metrics=None, hold_ttl=None, sweep_interval: float | None = None,
             retention=None, retention_interval: float | None = None):
    """The router's faust app. `retention` (hub.routing.retention.TableRetention) bounds its
    tables; a timer ticks every `retention_interval` seconds (default: from the TTLs)."""
    import faust
    # faust keeps "the event being processed" in a context variable that table writes read to
    # pick their changelog partition; take_events() yields a batch, so we set it per event
    from hub.runtime.faust_patches import current_event
    _current_event = current_event()

    from hub.routing.router import build_core

    signing_key, learner_secret = audit_keys(settings)
    core = build_core(settings, partners_dir=partners_dir, metrics=metrics, hold_ttl=hold_ttl,
                      learner_secret=learner_secret)
    app = faust.App(**faust_settings(settings, app_id or f"{settings.topic_prefix}-router"))
    # canonical events from connectors and decisions from the recognition processor; both are
    # keyed by credential id (murmur2 partitioner everywhere), so they are co-partitioned with
    # the recipients table that drives revocation push
    # <prefix>.release (the operator's release requests) and <prefix>.release.auto (the consent
    # join's) are keyed by credential id too
    source = app.topic(settings.topic("ingress"), settings.topic("recognition"), settings.topic("release"),
                       settings.topic("release.auto"), key_type=bytes, value_type=bytes,
                       key_serializer="raw", value_serializer="raw")
    # values are JSON (faust's default for non-bytes values); a value_type of list/dict breaks
    # faust's changelog recovery ("type object 'list' has no attribute 'from_data'")
    recipients = app.Table("recipients", default=None, partitions=settings.partitions, key_type=str)

    from hub.routing.retention import RETENTION_HEADER, TableRetention
    retention = retention or TableRetention()
    out_producer = OutputProducer(settings)
    handle, seal_outputs = audited_routing(app, core, settings, signing_key, recipients, out_producer.flush,
                                           retention)
    add_consent_join(app, core, settings, out_producer, batch=batch, within=within,
                     sweep_interval=sweep_interval or _sweep_interval(core.hold_ttl),
                     ttl=retention.consent_joins)
    app.timer(retention_interval or retention.sweep_interval())(
        timer_ticks(out_producer, settings.topic("release.auto"), settings.partitions,
                    (RETENTION_HEADER, b"1"), "table retention timer"))

    from hub.runtime.deadletter import with_lineage
    t_dlq = settings.topic("deadletter")
    fence = ChangelogFence(app, [recipients, app.tables["closed_holds"]],
                           settings.consumer_profile.name == "embedded")

    @app.agent(source)
    async def route(stream):
        try:
            async for events in stream.take_events(batch, within=within):
                t0 = time.perf_counter()
                for ev in events:
                    msg = ev.message
                    _current_event.set(weakref.ref(ev))   # table writes go to this event's partition
                    out_producer.produce_all(with_lineage(await handle(msg), msg.headers, t_dlq))
                out_producer.produce_all(seal_outputs())   # one signed seal per audit partition written
                # every output acknowledged by the broker before the batch's events are acked
                await out_producer.flush()
                handle.staged_apply()       # ... and before the table rows that stand for them
                await fence.after_batch({ev.message.partition for ev in events})
                if metrics:
                    metrics.processed(len(events), seconds=time.perf_counter() - t0)
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # noqa: BLE001 - any failure must take the process down
            exit_loudly("router agent", e)

    app.nqf_core = core
    return app


# ---- audit chain, release requests, consent join (hub.routing.audit_chain / release / consent) ----
def audit_keys(settings: Settings):
    """The Ed25519 key that signs audit seals (refuse to start without one) and the learner-key
    secret of the consent join (created on first start)."""
    from hub.errors import ConfigError
    from hub.recognition.signing import KeyStore
    from hub.routing.consent import learner_secret
    store = KeyStore(settings.home)
    if not store.active_id("audit"):
        raise ConfigError(f"the router signs the audit chain and needs an audit signing key; none in {store.dir}: "
                          "run `nqf-hub keys generate --purpose audit` (same NQF_HUB_HOME) and start the router again")
    return store.signing_key(purpose="audit"), learner_secret(settings, create=True)


def audited_routing(app, core, settings: Settings, signing_key, recipients, flush, retention=None):
    """(handle(msg) -> outputs, seal_outputs() -> outputs) for the routing agent.

    `handle` routes an ingress/recognition record or a release request, linking audit records
    into the chain of the input partition; it writes `closed_holds` and `recipients` through
    StagedTable views (hub.routing.staged), which the agent applies with `handle.staged_apply()`
    once the batch's outputs are acknowledged; before the first record of a partition it recovers
    the chain head from the tail of that audit partition (the topic is the truth: a crash
    between an acknowledged audit record and any local state cannot fork the chain).
    Chain heads are forgotten on every rebalance and recovered again. A retention tick on
    <prefix>.release.auto sweeps the expired rows of its partition (hub.routing.retention).
    """
    import datetime as dt

    from hub.routing.retention import TableRetention, is_tick, sweep_router_tables
    from hub.errors import AuditChainError
    from hub.routing.audit_chain import ChainWriter
    from hub.routing.router import Output

    from hub.routing.staged import StagedTable
    from hub.runtime.faust_patches import current_event

    chain = ChainWriter()
    closed = app.Table("closed_holds", default=None, partitions=settings.partitions, key_type=str)
    staged_closed, staged_recipients = StagedTable(closed, current_event()), StagedTable(recipients, current_event())
    t_release, t_audit = (settings.topic("release"), settings.topic("release.auto")), settings.topic("audit")

    @app.on_partitions_revoked.connect
    async def _revoked(sender, revoked, **kw):
        chain.heads.clear()

    @app.on_partitions_assigned.connect
    async def _assigned(sender, assigned, **kw):
        chain.heads.clear()

    retention = retention or TableRetention()

    async def handle(msg):
        p = msg.partition
        if msg.topic == t_release[1] and is_tick(msg.headers):
            swept = sweep_router_tables(recipients, closed, p, dt.datetime.now(dt.timezone.utc), retention)
            if any(swept.values()):
                log.info("retention: partition %d: deleted %s", p, swept)
            return []
        if p not in chain.heads:
            await flush()   # what this worker already sent is in the tail it reads
            tail, keys = await asyncio.get_running_loop().run_in_executor(
                None, _tail_and_keys, settings, t_audit, p, core.serde)
            try:
                chain.recover(p, tail, public_keys=keys)
            except AuditChainError as e:   # stop: never extend a chain someone else wrote into
                log.critical("%s", e)      # partition and tail position only, no record content
                raise
        origin = (msg.topic, p, msg.offset)
        if msg.topic in t_release:
            return core.release(msg.value, msg.key, origin, staged_closed, staged_recipients, chain=chain)
        return core.route(msg.value, msg.key, origin, staged_recipients, chain=chain)

    def staged_apply():
        staged_closed.apply()
        staged_recipients.apply()

    handle.staged_apply = staged_apply

    def seal_outputs():
        return [Output(t_audit, b"seal", core.serde.encode(s, "nqfhub.internal.AuditSeal"),
                       [("nqfhub.record", b"seal")], p) for p, s in chain.seals(signing_key)]

    app.nqf_chain = chain
    return handle, seal_outputs


def _tail_and_keys(settings: Settings, topic: str, partition: int, serde):
    """The tail of one audit partition and the public keys its last seal may be signed with."""
    from hub.recognition.signing import seal_verification_keys
    from hub.routing.audit_read import read_tail
    return read_tail(settings, topic, partition, serde), seal_verification_keys(settings.home)


def _sweep_interval(hold_ttl) -> float:
    """How often the join looks for expired holds: a quarter of the TTL, between 0.5 s and 60 s."""
    return min(60.0, max(0.5, hold_ttl.total_seconds() / 4))


def add_consent_join(app, core, settings: Settings, out_producer, *, batch: int, within: float,
                     sweep_interval: float, ttl=None) -> None:
    """The consent-join agent and its expiry timer (hub.routing.consent.JoinProcessor)."""
    import datetime as dt

    from hub.errors import RecordError
    from hub.runtime.faust_patches import current_event
    _current_event = current_event()
    from hub.routing.consent import JoinProcessor
    if core.learner_secret is None:
        return
    proc = JoinProcessor(settings, core.serde, {pid: p.country for pid, p in core.partners.items()}, ttl=ttl)
    joins = app.Table("consent_joins", default=None, partitions=settings.partitions,
                      key_type=str)   # json changelog (faust's default for non-bytes values)
    topic = app.topic(settings.topic("consent-join"), key_type=bytes, value_type=bytes,
                      key_serializer="raw", value_serializer="raw")
    t_join = settings.topic("consent-join")
    fence = ChangelogFence(app, [joins], settings.consumer_profile.name == "embedded")
    from hub.routing.staged import StagedTable
    staged_joins = StagedTable(joins, _current_event)   # written once the requests are acknowledged

    @app.agent(topic)
    async def consent_join(stream):
        try:
            async for events in stream.take_events(batch, within=within):
                now = dt.datetime.now(dt.timezone.utc)
                for ev in events:
                    msg = ev.message
                    _current_event.set(weakref.ref(ev))   # table writes go to this event's partition
                    try:
                        outs = proc.step(staged_joins, msg.key, msg.partition, msg.value, msg.headers, now)
                    except RecordError as e:   # not a record the router wrote: dead-letter it
                        outs = [core._dead_letter(msg.value, msg.key, e, "schema",
                                                  (msg.topic, msg.partition, msg.offset))]
                    out_producer.produce_all(outs)
                await out_producer.flush()
                staged_joins.apply()
                await fence.after_batch({ev.message.partition for ev in events})
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # noqa: BLE001 - any failure must take the process down
            exit_loudly("consent-join agent", e)

    app.timer(sweep_interval)(expiry_tick(out_producer, t_join, settings.partitions))


def expiry_tick(out_producer, t_join: str, partitions: int):
    """The consent-join expiry timer's body (timer_ticks with the join's tick header)."""
    from hub.routing.consent import JOIN_KIND_HEADER
    return timer_ticks(out_producer, t_join, partitions, (JOIN_KIND_HEADER, b"tick"), "consent expiry timer")


def timer_ticks(out_producer, topic: str, partitions: int, header: tuple[str, bytes], what: str):
    """A timer's body: one tick record per partition of `topic`, so the owner of each partition
    sweeps inside the stream (where table writes have an event and so a changelog partition).
    A tick that cannot be queued takes the worker down loudly (hub.runtime.crash): faust would
    log a failing timer and keep running, and holds would then never expire."""
    from hub.routing.router import Output

    async def ticks():
        try:
            out_producer.produce_all([Output(topic, None, b"", [header], p) for p in range(partitions)])
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # noqa: BLE001 - a timer that fails must not fail silently
            exit_loudly(what, e)
    ticks.__name__ = ticks.__qualname__ = what.replace(" ", "_")
    return ticks


def run_worker(app, loglevel: str = "warning") -> None:
    import faust
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False,
                          override_logging=True)
    # faust's terminal spinner sets the root logger to DEBUG (faust/worker.py,
    # _setup_spinner_handler) at the default level, so every log.debug on the hot path built a
    # record (measured: ~15 % of the event loop); no spinner, and aiokafka's per-request
    # debug logging off
    worker.spinner = None
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # `kill -USR1 <pid>`: the consuming state (offsets, paused/buffered partitions, recovery,
    # task stacks) to <home>/diagnostics (hub.runtime.faust_state)
    from hub.runtime import faust_state
    faust_state.install(worker, app, Path(app.conf.datadir).parent.parent / "diagnostics")
    worker.execute_from_commandline()
