"""The end of faust's table recovery: records fetched while the stream partitions resume are
neither thrown away nor skipped (hub.runtime.faust_patches._on_recovery_completed).

A model of the two faust tasks that race: the recovery task finishing (seek to the committed
offsets, clear the stream buffers, resume) and the fetcher task (delivers records of the active
partitions into the stream buffer while flow is active, and drops records below the partition's
read offset). The model uses faust's own Recovery method (original or replacement) against a
consumer that keeps faust's active/paused sets and read offsets.
"""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from faust.types import TP

from hub.runtime import faust_patches

SOURCE = TP("p.ingress", 1)
CHANGELOG = TP("p-router-recipients-changelog", 1)
COMMITTED, END = 100, 400


class Model:
    """faust's consumer as far as the race goes: the fetcher runs while anything awaits."""

    def __init__(self):
        self.paused = {SOURCE}            # stream partitions are paused during recovery
        self.active = {CHANGELOG}
        self.position = COMMITTED         # aiokafka's fetch position of SOURCE
        self.read_offset = None           # faust Consumer._read_offset[SOURCE]
        self.buffer: list[int] = []       # the stream buffer (cleared by flow_control.resume)
        self.processed: set[int] = set()
        self.dropped: list[int] = []
        self.flow_active = True           # recovery resumed flow to read the changelogs
        self.generation = 1

    # --- the consumer API the recovery method uses ---
    def assignment(self):
        return {SOURCE, CHANGELOG}

    def resume_partitions(self, tps):
        self.active |= set(tps)
        self.paused -= set(tps)

    def resume_flow(self):
        self.flow_active = True

    async def perform_seek(self):
        for _ in range(5):                # the seek is a round trip to the consumer thread
            await asyncio.sleep(0)
        self.position = COMMITTED
        self.read_offset = COMMITTED
        for _ in range(5):
            await asyncio.sleep(0)

    def clear_buffers(self):
        self.buffer.clear()

    # --- the fetcher task (faust Consumer._drain_messages), 10 records per step ---
    async def fetcher(self, stop: asyncio.Event):
        while not stop.is_set():
            if self.flow_active and SOURCE in self.active and self.position < END:
                for off in range(self.position, min(END, self.position + 10)):
                    if self.read_offset is None or off >= self.read_offset:
                        self.buffer.append(off)
                        self.read_offset = off
                    else:
                        self.dropped.append(off)
                self.position = min(END, self.position + 10)
            await asyncio.sleep(0)

    async def agent(self, stop: asyncio.Event):
        while not stop.is_set():
            while self.buffer:
                self.processed.add(self.buffer.pop(0))
            await asyncio.sleep(0)


def run(method) -> Model:
    m = Model()

    async def main():
        async def send():
            await asyncio.sleep(0)

        async def maybe_start():
            await asyncio.sleep(0)

        async def wait(coro, timeout=None):
            await coro

        app = SimpleNamespace(
            consumer=m, consumer_generation_id=1, conf=SimpleNamespace(broker_request_timeout=30),
            on_rebalance_complete=SimpleNamespace(send=send), _fetcher=SimpleNamespace(maybe_start=maybe_start),
            flow_control=SimpleNamespace(resume=m.clear_buffers), assignor=SimpleNamespace(assigned_standbys=set),
            on_rebalance_end=lambda: None)
        rec = SimpleNamespace(
            app=app, tables={}, actives_for_table={}, standbys_for_table={},
            log=SimpleNamespace(info=lambda *a: None, dev=lambda *a: None, warning=lambda *a: None),
            _set_recovery_ended=lambda: None, _is_changelog_tp=lambda tp: tp == CHANGELOG,
            completed=asyncio.Event(), _wait=wait)
        rec.tables = SimpleNamespace(values=lambda: [], on_actives_ready=lambda: None,
                                     on_standbys_ready=lambda: None)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(m.fetcher(stop))]
        await method(rec, 1)           # the agent is busy with an earlier batch meanwhile
        tasks.append(asyncio.create_task(m.agent(stop)))
        for _ in range(200):
            await asyncio.sleep(0)
        stop.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    return m


def test_faust_original_loses_records_fetched_while_it_seeks():
    """The defect, reproduced: records delivered after the seek and before the buffer clear are
    thrown away, and the fetcher has moved past them (or drops them below the read offset)."""
    from faust.tables.recovery import Recovery
    original = getattr(Recovery, "_nqfhub_original_completed", Recovery.on_recovery_completed)
    m = run(original)
    missing = set(range(COMMITTED, END)) - m.processed
    assert missing, "the model no longer shows the race faust 0.15.3 has"
    assert min(missing) == COMMITTED      # a hole at the committed offset: commits stop there


def test_replacement_processes_every_record_from_the_committed_offset():
    m = run(faust_patches._on_recovery_completed)
    assert m.processed == set(range(COMMITTED, END))
    assert not m.dropped


def test_apply_installs_the_replacement():
    faust_patches.apply()
    from faust.tables.recovery import Recovery
    assert Recovery.on_recovery_completed is faust_patches._on_recovery_completed
    assert faust_patches._source_digest(Recovery._nqfhub_original_completed) == \
        faust_patches.RECOVERY_COMPLETED_SOURCE


def test_a_changed_recovery_method_refuses_to_start(monkeypatch):
    from faust.tables.recovery import Recovery
    monkeypatch.setattr(faust_patches, "RECOVERY_COMPLETED_SOURCE", "0" * 16)
    with pytest.raises(Exception, match="on_recovery_completed"):
        faust_patches.check()
    assert Recovery  # the class itself is untouched by the check


# ---- aiokafka's selection of prefetched records (hub.runtime.faust_patches.LivePartitions) ----
class _State:
    paused = False

    def __init__(self):
        self.position = 10

    def consumed_to(self, offset):
        self.position = offset


class _Records:
    """aiokafka's PartitionRecords as FetchResult uses it: an iterator with next_fetch_offset."""

    def __init__(self, offsets):
        self._it = iter(offsets)
        self.next_fetch_offset = offsets[0]

    def __iter__(self):
        return self

    def __next__(self):
        off = next(self._it)
        self.next_fetch_offset = off + 1
        return off


def _fetched(selection):
    """Run aiokafka's own Fetcher.fetched_records over one prefetched result of SOURCE."""
    from aiokafka.consumer.fetcher import FetchResult, Fetcher
    state = _State()
    assignment = SimpleNamespace(active=True, state_value=lambda tp: state)
    result = FetchResult(SOURCE, assignment=assignment, partition_records=_Records([10, 11, 12]), backoff=0)
    fetcher = SimpleNamespace(
        _records={SOURCE: result}, _subscriptions=SimpleNamespace(reassignment_in_progress=False,
                                                                   is_assigned=lambda tp: True),
        _wait_consume_future=None, _notify=lambda fut: None)
    got = asyncio.run(Fetcher.fetched_records(fetcher, selection, timeout=0))
    return got, state.position


def test_aiokafka_reads_an_empty_selection_as_every_partition():
    """Why the wrapper exists: faust's emptied active set makes aiokafka consume a paused
    partition (its position moves past records faust then drops)."""
    got, position = _fetched(set())
    assert got == {SOURCE: [10, 11, 12]} and position == 13


def test_live_partitions_select_nothing_when_faust_paused_everything():
    active = set()
    got, position = _fetched(faust_patches.LivePartitions(active))
    assert got == {} and position == 10          # nothing consumed: read after the resume


def test_live_partitions_follow_faust_active_set():
    active = {CHANGELOG}
    live = faust_patches.LivePartitions(active)
    assert SOURCE not in live
    active.add(SOURCE)                            # resumed while the fetch waits
    got, position = _fetched(live)
    assert got == {SOURCE: [10, 11, 12]} and position == 13


def test_the_consumer_thread_hands_aiokafka_live_partitions():
    faust_patches.apply()
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
    seen = []

    class Fetcher:
        _closed = False
        _subscriptions = SimpleNamespace(fetch_context=lambda: __import__("contextlib").nullcontext())

        async def fetched_records(self, partitions, timeout=None, max_records=None):
            seen.append(partitions)
            return {}
    thread = SimpleNamespace(consumer=SimpleNamespace(flow_active=True))
    consumer = SimpleNamespace(_fetcher=Fetcher(), _closed=False)
    active = {SOURCE}
    asyncio.run(AIOKafkaConsumerThread._fetch_records(thread, consumer, active, timeout=0, max_records=5))
    assert isinstance(seen[0], faust_patches.LivePartitions) and seen[0].tps is active
