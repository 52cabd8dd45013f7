"""The router's stall watchdog: an assigned input partition whose committed offset lags its
high watermark and that makes no progress for a bound is unstuck (resumed or re-read from its
committed offset), or the worker exits non-zero to be restarted.

Why: after a kill -9 and restart, a router held input partitions (group STABLE, partitions
assigned, nothing paused) whose committed offsets never moved again while the high watermarks
grew, logging nothing; a router started later drained them from the committed offsets. faust
had fetched past records that never reached an agent (so never acked, so never committed),
or left a partition paused after a rebalance during table recovery.

`StallWatchdog.observe` is pure (unit-tested); `install` adds a faust timer that calls it
every bound/6 seconds for the partitions of the router's input topics. The timer skips its
check, and forgets every partition's history, while the app is rebalancing or recovering
tables (partitions are held on purpose then), at every rebalance, and when the high
watermarks cannot be read (broker down: nothing advances, and that is not a stall). Logs
name the topic and partition number only.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

log = logging.getLogger("nqfhub.router")

RESUME, SEEK, EXIT = "resume", "seek", "exit"


@dataclass
class _Seen:
    progress: tuple
    since: float


class StallWatchdog:
    """Decides, per partition, when "records waiting but no progress" is a stall, and what to do.

    `observe(tp, position, committed, end, paused, in_flight, now)`: `position` is the next
    offset faust will read, `committed` the committed offset (either None: unknown), `end`
    the high watermark, `in_flight` the number of records of `tp` handed to agents and not yet
    acknowledged. The partition is behind when end > committed (else end > position); it is
    stalled when it is behind and neither position nor committed changed for `bound` seconds.
    Then: RESUME if paused; EXIT if records are in flight (an agent is stuck on them: only a
    restart helps) or the committed offset is unknown; otherwise SEEK (re-read from the
    committed offset: what faust fetched never reached an agent; at-least-once, partners
    de-duplicate by event_id). After an answer the partition gets a full bound again.
    """

    def __init__(self, bound: float):
        if bound <= 0:
            raise ValueError("the stall bound must be positive")
        self.bound = bound
        self._seen: dict = {}

    def forget(self, tps=None) -> None:
        """Drop the history of `tps` (all when None): at a rebalance, positions start again."""
        if tps is None:
            self._seen.clear()
        else:
            for tp in tps:
                self._seen.pop(tp, None)

    def observe(self, tp, position: int | None, committed: int | None, end: int | None,
                paused: bool, in_flight: int, now: float) -> str | None:
        done = committed if committed is not None else position
        if done is None or end is None or end <= done:
            self._seen.pop(tp, None)          # nothing to do (or not known yet): not stalled
            return None
        seen = self._seen.get(tp)
        progress = (position, committed)
        if seen is None or seen.progress != progress:
            self._seen[tp] = _Seen(progress, now)
            return None
        if now - seen.since < self.bound:
            return None
        seen.since = now
        if paused:
            return RESUME
        return EXIT if in_flight or committed is None else SEEK


def install(app, topics, bound: float, interval: float | None = None, *, on_exit=None) -> StallWatchdog:
    """Add the watchdog timer to the router `app` for the partitions of `topics` (names)."""
    dog = StallWatchdog(bound)
    topics = frozenset(topics)
    on_exit = on_exit or _exit
    tick = interval or max(1.0, bound / 6)
    timeout = max(1.0, tick / 2)

    @app.on_partitions_revoked.connect
    async def _revoked(sender, revoked, **kw):
        dog.forget()

    @app.on_partitions_assigned.connect
    async def _assigned(sender, assigned, **kw):
        dog.forget()

    async def stall_watchdog():
        consumer = app.consumer
        if app.rebalancing or app.in_recovery or not getattr(consumer, "flow_active", True):
            dog.forget()        # partitions are held on purpose now; positions start again after
            return
        tps = [tp for tp in consumer.assignment() if tp.topic in topics]
        if not tps:
            return
        try:
            ends = await asyncio.wait_for(consumer.highwaters(*tps), timeout)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - broker unreachable: nothing advances, not a stall
            log.info("stall watchdog: high watermarks unavailable (%s); check skipped", e.__class__.__name__)
            dog.forget()
            return
        now = time.monotonic()
        if app.rebalancing or app.in_recovery:
            dog.forget()
            return
        in_flight: dict = {}
        for m in list(consumer._unacked_messages):
            in_flight[m.tp] = in_flight.get(m.tp, 0) + 1
        paused_set = consumer._paused_partitions
        for tp in tps:
            position = await _position(consumer, tp)
            committed = consumer._committed_offset.get(tp)
            paused = tp in paused_set or tp not in consumer._get_active_partitions()
            action = dog.observe(tp, position, committed, ends.get(tp), paused, in_flight.get(tp, 0), now)
            if action == RESUME:
                log.warning("stall watchdog: %s partition %d paused with records waiting for %.0f s; "
                            "resuming it", tp.topic, tp.partition, bound)
                consumer._buffered_partitions.discard(tp)
                consumer.resume_partitions([tp])
            elif action == SEEK:
                log.warning("stall watchdog: %s partition %d: committed offset %d has not moved for %.0f s "
                            "with records waiting and none in flight; reading again from it",
                            tp.topic, tp.partition, committed, bound)
                await consumer.seek(tp, committed)
            elif action == EXIT:
                on_exit(f"stall watchdog: {tp.topic} partition {tp.partition}: {in_flight.get(tp, 0)} records "
                        f"in flight and no progress for {bound:.0f} s; exiting so the worker is restarted")

    stall_watchdog.__name__ = stall_watchdog.__qualname__ = "stall_watchdog"
    app.timer(tick)(stall_watchdog)
    return dog


async def _position(consumer, tp) -> int | None:
    """The next offset faust will read on `tp`: past the last one it read, else the fetcher's
    position (the committed offset after a restart; None if it cannot be had in 5 s)."""
    read = consumer._read_offset.get(tp)
    if read is not None:
        return read + 1
    try:
        return await asyncio.wait_for(consumer.position(tp), 5.0)
    except (asyncio.TimeoutError, Exception):   # noqa: BLE001 - unknown now; asked again next tick
        return None


def _exit(why: str) -> None:
    from hub.runtime.crash import exit_loudly
    log.critical("%s", why)                  # topic and partition number only
    exit_loudly("router stall watchdog", RuntimeError(why))
