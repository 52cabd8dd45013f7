"""Reading topics for operators: end offsets, committed offsets and bounded scans.

Operator commands never join a consumer group: they assign partitions directly, read up to the
end offsets they saw when they started, and never commit. So `nqf-hub tail`, `status`, `trace`
and the status page cannot disturb the workers' groups.

The embedded broker (Tansu 0.6) answers a ListOffsets(latest) request with the base offset of
the last record batch plus one, not the offset after the last record; the high watermark in a
Fetch response is right. `TopicReader.end_offsets` therefore, on the embedded broker only,
fetches the last batch of each non-empty partition and takes the high watermark from that
response. Against a Kafka cluster ListOffsets is used as is.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator

from hub.config import Settings
from hub.errors import BrokerError

TP = tuple[str, int]


def _consumer(settings: Settings, group: str | None = None, **extra):
    from confluent_kafka import Consumer

    from hub.runtime.kafka import consumer_config
    cfg = consumer_config(settings, group or f"{settings.topic_prefix}-ops-{uuid.uuid4().hex[:8]}",
                          **{"enable.partition.eof": True, "fetch.max.bytes": 8 * 1024 * 1024,
                             "fetch.wait.max.ms": 100, "queued.max.messages.kbytes": 16 * 1024, **extra})
    return Consumer(cfg)


class TopicReader:
    """One direct-assignment consumer for an operator command or the status page.

    Used from one thread. `close()` (or the context manager) releases the connection.
    `cache_s` > 0 reuses topic metadata and end offsets for that long (one-shot commands such as
    `status`); long-lived readers keep the default 0.
    """

    def __init__(self, settings: Settings, *, group: str | None = None, exact: bool | None = None,
                 cache_s: float = 0.0):
        self.settings = settings
        self.exact = (settings.bootstrap is None) if exact is None else exact
        self.c = _consumer(settings, group)
        self.cache_s = cache_s
        self._topics: tuple[float, dict] | None = None
        self._ends: dict[TP, tuple[float, tuple[int, int]]] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        try:
            self.c.close()
        except RuntimeError:  # already closed
            pass

    # ---- metadata ------------------------------------------------------------------------
    def topics(self, timeout: float = 10.0) -> dict[str, list[int]]:
        from confluent_kafka import KafkaException
        if self._topics and time.monotonic() - self._topics[0] < self.cache_s:
            return self._topics[1]
        try:
            md = self.c.list_topics(timeout=timeout)
        except KafkaException as e:
            raise BrokerError(f"cannot read topic metadata: {_kmsg(e)}") from None
        out = {t: sorted(m.partitions) for t, m in md.topics.items() if not t.startswith("__")}
        self._topics = (time.monotonic(), out)
        return out

    def partitions(self, topics: Iterable[str]) -> list[TP]:
        known = self.topics()
        return [(t, p) for t in topics for p in known.get(t, [])]

    def end_offsets(self, tps: Iterable[TP], timeout: float = 5.0) -> dict[TP, tuple[int, int]]:
        """{(topic, partition): (low, high)}; high is the offset the next record will get."""
        from confluent_kafka import KafkaException, TopicPartition
        out: dict[TP, tuple[int, int]] = {}
        now = time.monotonic()
        cached = {}
        for t, p in tps:
            hit = self._ends.get((t, p))
            if hit and now - hit[0] < self.cache_s:
                cached[(t, p)] = hit[1]
                continue
            try:
                out[(t, p)] = tuple(self.c.get_watermark_offsets(TopicPartition(t, p), timeout=timeout))
            except KafkaException as e:
                raise BrokerError(f"cannot read offsets of {t}/{p}: {_kmsg(e)}") from None
        if self.exact:
            self._fix_high(out, timeout)
        if self.cache_s > 0:
            self._ends.update({tp: (now, v) for tp, v in out.items()})
        return {**out, **cached}

    def _fix_high(self, wm: dict[TP, tuple[int, int]], timeout: float) -> None:
        from confluent_kafka import TopicPartition
        probe = {tp: hi for tp, (lo, hi) in wm.items() if hi > lo}
        if not probe:
            return
        self.c.assign([TopicPartition(t, p, hi - 1) for (t, p), hi in probe.items()])
        pending = set(probe)
        deadline = time.monotonic() + timeout
        try:
            while pending and time.monotonic() < deadline:
                self.c.consume(1000, timeout=0.05)
                for tp in list(pending):
                    lo, hi = self.c.get_watermark_offsets(TopicPartition(*tp), cached=True)
                    if hi >= probe[tp]:
                        wm[tp] = (wm[tp][0], max(hi, probe[tp]))
                        pending.discard(tp)
        finally:
            self.c.unassign()

    def committed(self, group: str, tps: Iterable[TP], timeout: float = 10.0) -> dict[TP, int | None]:
        """Committed offsets of `group` (None where the group has committed nothing)."""
        from confluent_kafka import Consumer, KafkaException, TopicPartition

        from hub.runtime.kafka import consumer_config
        tps = list(tps)
        if not tps:
            return {}
        c = Consumer(consumer_config(self.settings, group))   # never subscribes: only OffsetFetch
        try:
            res = c.committed([TopicPartition(t, p) for t, p in tps], timeout=timeout)
        except KafkaException as e:
            raise BrokerError(f"cannot read committed offsets of group {group}: {_kmsg(e)}") from None
        finally:
            c.close()
        return {(r.topic, r.partition): (r.offset if r.offset >= 0 else None) for r in res}

    # ---- reading -------------------------------------------------------------------------
    def get(self, topic: str, partition: int, offset: int, timeout: float = 10.0):
        """The record at one position, or None when the partition does not hold that offset."""
        from confluent_kafka import TopicPartition
        ends = self.end_offsets([(topic, partition)]) if (topic, partition) in self.partitions([topic]) else {}
        lo, hi = ends.get((topic, partition), (0, 0))
        if not lo <= offset < hi:
            return None
        self.c.assign([TopicPartition(topic, partition, offset)])
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                for m in self.c.consume(1, timeout=0.5):
                    if m.error() is None and m.offset() == offset:
                        return m
                    if m.error() is None and m.offset() > offset:
                        return None
            raise BrokerError(f"timed out reading {topic}/{partition}@{offset}")
        finally:
            self.c.unassign()

    def read(self, topics: Iterable[str], *, start: str | dict[TP, int] = "beginning",
             last: int | None = None, since_ms: int | None = None, follow: bool = False,
             idle_s: float = 0.5, stop=None, stuck_s: float | None = None) -> Iterator:
        """Yield confluent-kafka messages of `topics`, partition by partition order interleaved.

        start       'beginning', 'end', or {tp: offset}
        last        with start='end': begin `last` records before the end of each partition
        since_ms    begin at the first record at or after this timestamp (milliseconds)
        follow      keep waiting for new records after the end (until `stop()` is true)
        stuck_s     without `follow`: raise BrokerError when no record and no end of partition
                    arrived for this long (a partition that cannot be read, e.g. no leader)
        Without `follow`, stops at the end offsets seen when reading began.
        """
        from confluent_kafka import KafkaError, TopicPartition
        tps = self.partitions(topics)
        if not tps:
            return
        ends = self.end_offsets(tps)
        if isinstance(start, dict):
            begin = {tp: max(start.get(tp, ends[tp][0]), ends[tp][0]) for tp in tps}
        elif start == "end":
            begin = {tp: max(ends[tp][0], ends[tp][1] - (last or 0)) for tp in tps}
        else:
            begin = {tp: ends[tp][0] for tp in tps}
        if since_ms is not None:
            found = self.c.offsets_for_times([TopicPartition(t, p, since_ms) for t, p in tps], timeout=10)
            for r in found:
                if r.offset >= 0:
                    begin[(r.topic, r.partition)] = max(begin[(r.topic, r.partition)], r.offset)
                else:  # no record at or after the time
                    begin[(r.topic, r.partition)] = ends[(r.topic, r.partition)][1]
        todo = {tp for tp in tps if begin[tp] < ends[tp][1]}
        if not todo and not follow:
            return
        self.c.assign([TopicPartition(t, p, begin[(t, p)]) for t, p in tps if follow or (t, p) in todo])
        progress = time.monotonic()
        try:
            while todo or follow:
                if stop is not None and stop():
                    return
                msgs = self.c.consume(1000, timeout=idle_s if follow and not todo else 0.05)
                if msgs:
                    progress = time.monotonic()
                elif stuck_s is not None and not follow and time.monotonic() - progress > stuck_s:
                    raise BrokerError(f"no progress reading {', '.join(f'{t}/{p}' for t, p in sorted(todo))} "
                                      f"for {stuck_s:.0f}s (partition without a leader?)")
                for m in msgs:
                    err = m.error()
                    if err is not None:
                        if err.code() == KafkaError._PARTITION_EOF:
                            todo.discard((m.topic(), m.partition()))
                        continue
                    tp = (m.topic(), m.partition())
                    if not follow and m.offset() >= ends[tp][1]:
                        todo.discard(tp)
                        continue
                    yield m
                    if m.offset() >= ends[tp][1] - 1:
                        todo.discard(tp)
        finally:
            try:
                self.c.unassign()
            except RuntimeError:  # the reader was closed while a caller still held this generator
                pass


def _kmsg(e) -> str:
    err = e.args[0] if e.args else None
    return err.str() if hasattr(err, "str") else str(e)


def header_map(msg) -> dict[str, str]:
    """All headers of a message as {name: text} (the hub's headers are UTF-8 strings)."""
    out = {}
    for k, v in msg.headers() or []:
        out[k] = v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else ("" if v is None else str(v))
    return out


def short_topic(settings: Settings, name: str) -> str:
    """'ingress' -> '<prefix>.ingress'; a name that already has the prefix is kept."""
    if name.startswith(settings.topic_prefix + "."):
        return name
    if "." in name and not name.startswith("partner."):
        return name
    return settings.topic(name)
