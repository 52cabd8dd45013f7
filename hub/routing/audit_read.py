"""Reading audit partitions back: for `nqf-hub audit verify` and for the router's chain recovery.

Both read with a direct-assignment consumer that never joins a group or commits
(hub.observability.reading.TopicReader), so they cannot disturb the workers.
"""
from __future__ import annotations

from hub.config import Settings
from hub.routing.audit_chain import Item, classify


def read_partitions(settings: Settings, topic: str, serde) -> dict[int, list[Item]]:
    """Every record of every partition of `topic`, from the beginning, in offset order."""
    from hub.observability.reading import TopicReader
    out: dict[int, list[Item]] = {}
    with TopicReader(settings) as reader:
        for p in reader.topics().get(topic, []):
            out[p] = []
        for m in reader.read([topic]):
            kind, rec = classify(m.value(), serde)
            ts = m.timestamp()
            out.setdefault(m.partition(), []).append(Item(m.offset(), kind, rec, ts[1] if ts and ts[0] else None))
    for items in out.values():
        items.sort(key=lambda i: i.offset)
    return out


def read_tail(settings: Settings, topic: str, partition: int, serde, *, window: int = 2000,
              stuck_s: float = 60.0) -> list[dict]:
    """The last records of one audit partition (decoded, oldest first), reaching back to the
    last seal or to the start of the partition: what ChainWriter.recover needs.

    Raises BrokerError when the partition yields nothing for `stuck_s` seconds: the router
    awaits this read before routing the partition's first record, so it must end (the router
    then exits non-zero and is restarted) rather than wait for ever."""
    from hub.observability.reading import TopicReader
    with TopicReader(settings) as reader:
        parts = reader.topics().get(topic, [])
        if partition not in parts:
            return []
        ends = reader.end_offsets([(topic, q) for q in parts])
        lo, hi = ends[(topic, partition)]
        while True:
            start = max(lo, hi - window)
            recs = []
            begin = {tp: high for tp, (_, high) in ends.items()}   # other partitions: nothing
            begin[(topic, partition)] = start
            for m in reader.read([topic], start=begin, stuck_s=stuck_s):
                if m.partition() != partition or m.offset() >= hi:
                    continue
                kind, rec = classify(m.value(), serde)
                if rec is not None:
                    recs.append((m.offset(), kind, rec))
            recs.sort(key=lambda x: x[0])
            if start == lo or any(k == "seal" for _, k, _ in recs):
                return [r for _, _, r in recs]
            window *= 4


__all__ = ["read_partitions", "read_tail"]
