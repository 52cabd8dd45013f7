"""The router's stall watchdog (hub.routing.stall_watchdog): a partition whose committed offset
lags its high watermark without progress is resumed if paused, re-read from its committed
offset if nothing is in flight, else the worker exits."""
from __future__ import annotations

import asyncio
from collections import namedtuple

import pytest

from hub.routing.stall_watchdog import EXIT, RESUME, SEEK, StallWatchdog, install

TP = namedtuple("TP", "topic partition")
T1 = TP("hub.ingress", 1)


def test_no_action_before_the_bound_or_without_lag():
    dog = StallWatchdog(60)
    assert dog.observe(T1, 10, 10, 20, True, 0, 0.0) is None
    assert dog.observe(T1, 10, 10, 20, True, 0, 59.0) is None
    assert dog.observe(T1, 20, 20, 20, True, 0, 200.0) is None   # caught up: not a stall
    assert dog.observe(T1, 20, 20, 30, True, 0, 201.0) is None   # clock starts again
    assert dog.observe(T1, None, None, 30, True, 0, 500.0) is None


def test_paused_partition_that_does_not_advance_is_resumed_once_per_bound():
    dog = StallWatchdog(60)
    dog.observe(T1, 10, 10, 20, True, 0, 0.0)
    assert dog.observe(T1, 10, 10, 25, True, 0, 60.0) == RESUME
    assert dog.observe(T1, 10, 10, 25, True, 0, 90.0) is None
    assert dog.observe(T1, 10, 10, 25, True, 0, 120.0) == RESUME


def test_read_past_but_never_committed_is_read_again():
    """The chaos-run stall: faust read to the end, nothing in flight, commit never moved."""
    dog = StallWatchdog(60)
    assert dog.observe(T1, 100, 30, 100, False, 0, 0.0) is None
    assert dog.observe(T1, 100, 30, 100, False, 0, 60.0) == SEEK


def test_progress_resets_the_clock_and_stuck_in_flight_records_exit():
    dog = StallWatchdog(60)
    for i in range(10):                     # committed advancing: never a stall
        assert dog.observe(T1, 100, 10 + i, 100, False, 5, i * 30.0) is None
    assert dog.observe(T1, 100, 19, 100, False, 5, 330.0) == EXIT
    dog2 = StallWatchdog(60)                # committed offset unknown: cannot re-read, exit
    dog2.observe(T1, 10, None, 20, False, 0, 0.0)
    assert dog2.observe(T1, 10, None, 20, False, 0, 60.0) == EXIT


def test_forget_restarts_the_clock():
    dog = StallWatchdog(60)
    dog.observe(T1, 10, 10, 20, True, 0, 0.0)
    dog.forget()
    assert dog.observe(T1, 10, 10, 20, True, 0, 61.0) is None
    with pytest.raises(ValueError):
        StallWatchdog(0)


class _Signal:
    def __init__(self):
        self.receivers = []

    def connect(self, fn):
        self.receivers.append(fn)
        return fn


Msg = namedtuple("Msg", "tp")


class _Consumer:
    """faust Consumer surface the timer uses; partition 1 left paused after a rebalance."""

    def __init__(self):
        self.tps = {T1, TP("hub.ingress", 0), TP("hub.other", 1)}
        self._paused_partitions = {T1}
        self._active = {TP("hub.ingress", 0), TP("hub.other", 1)}
        self._buffered_partitions = set()
        self._read_offset = {TP("hub.ingress", 0): 99}
        self._committed_offset = {T1: 40, TP("hub.ingress", 0): 100}
        self._unacked_messages = set()
        self.flow_active = True
        self.resumed, self.seeks = [], []
        self.broker_down = False

    def assignment(self):
        return set(self.tps)

    def _get_active_partitions(self):
        return self._active

    async def position(self, tp):
        return self._committed_offset.get(tp)

    async def highwaters(self, *tps):
        if self.broker_down:
            raise ConnectionError("broker down")
        return {tp: 100 for tp in tps}

    def resume_partitions(self, tps):
        self.resumed.extend(tps)
        self._paused_partitions.difference_update(tps)
        self._active.update(tps)

    async def seek(self, tp, offset):
        self.seeks.append((tp, offset))


class _App:
    def __init__(self):
        self.consumer = _Consumer()
        self.rebalancing = self.in_recovery = False
        self.on_partitions_revoked, self.on_partitions_assigned = _Signal(), _Signal()
        self.timers = []

    def timer(self, interval):
        return lambda fn: self.timers.append((interval, fn)) or fn


def _installed(monkeypatch):
    app, clock, exits = _App(), [0.0], []
    monkeypatch.setattr("hub.routing.stall_watchdog.time.monotonic", lambda: clock[0])
    install(app, ["hub.ingress"], bound=60, on_exit=exits.append)
    (interval, tick), = app.timers
    assert interval == 10
    return app, clock, exits, tick


def test_timer_resumes_only_the_stuck_paused_input_partition(monkeypatch):
    app, clock, exits, tick = _installed(monkeypatch)
    asyncio.run(tick())
    clock[0] = 61.0
    asyncio.run(tick())
    assert app.consumer.resumed == [T1] and exits == [] and app.consumer.seeks == []
    assert T1 in app.consumer._active and T1 not in app.consumer._paused_partitions


def test_timer_reads_again_from_the_committed_offset_when_nothing_is_in_flight(monkeypatch):
    app, clock, exits, tick = _installed(monkeypatch)
    app.consumer._paused_partitions.clear()
    app.consumer._active.add(T1)
    app.consumer._read_offset[T1] = 99      # fetched to the end; committed stuck at 40
    asyncio.run(tick())
    clock[0] = 61.0
    asyncio.run(tick())
    assert app.consumer.seeks == [(T1, 40)] and exits == [] and app.consumer.resumed == []


def test_timer_does_nothing_while_recovering_and_exits_when_records_are_stuck_in_flight(monkeypatch):
    app, clock, exits, tick = _installed(monkeypatch)
    app.consumer._paused_partitions.clear()
    app.consumer._active.add(T1)
    app.consumer._unacked_messages = {Msg(T1)}
    app.in_recovery = True
    for t in (0.0, 100.0, 200.0):
        clock[0] = t
        asyncio.run(tick())
    assert exits == [] and app.consumer.resumed == []
    app.in_recovery = False
    asyncio.run(tick())
    clock[0] = 300.0
    asyncio.run(tick())
    assert len(exits) == 1 and "partition 1:" in exits[0] and app.consumer.seeks == []


def test_broker_outage_is_not_a_stall(monkeypatch):
    app, clock, exits, tick = _installed(monkeypatch)
    asyncio.run(tick())                     # partition 1 seen at 40 of 100
    app.consumer.broker_down = True
    for t in (30.0, 90.0, 150.0):
        clock[0] = t
        asyncio.run(tick())
    app.consumer.broker_down = False
    clock[0] = 160.0
    asyncio.run(tick())                     # back: the clock starts again, no action yet
    assert app.consumer.resumed == [] and exits == []
    clock[0] = 221.0
    asyncio.run(tick())
    assert app.consumer.resumed == [T1]
