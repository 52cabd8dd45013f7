"""Consumer lag per partition: committed offsets of a stage's group against the end offsets.

`group_lag` computes it once (used by `nqf-hub status` and the status page); `LagMonitor` is the
background thread each consuming worker runs next to its metrics endpoint, refreshing the
`nqfhub_consumer_lag` gauges every `interval_s`. It uses its own direct-assignment consumer and
never joins the worker's group, so it cannot trigger a rebalance.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from hub.config import Settings

log = logging.getLogger("nqfhub.observability")


@dataclass(frozen=True)
class StageGroup:
    """Which consumer group a stage uses and which topics it reads."""

    stage: str
    group: str
    topics: tuple[str, ...] = ()        # exact names
    topic_prefix: str | None = None     # or every topic starting with this


def stage_groups(settings: Settings) -> dict[str, StageGroup]:
    """The hub's consuming stages (group ids as the workers set them)."""
    p = settings.topic_prefix
    return {
        "router": StageGroup("router", f"{p}-router", (settings.topic("ingress"),)),
        "recognition": StageGroup("recognition", f"{p}-recognition", (settings.topic("ingress"),)),
        "delivery": StageGroup("delivery", f"{p}-delivery", topic_prefix=settings.topic("partner.")),
    }


def topics_of(sg: StageGroup, known: dict[str, list[int]]) -> list[str]:
    if sg.topic_prefix:
        return sorted(t for t in known if t.startswith(sg.topic_prefix))
    return [t for t in sg.topics if t in known]


def group_lag(reader, sg: StageGroup, known: dict[str, list[int]] | None = None) -> dict:
    """{'group', 'lag', 'partitions': [{topic, partition, committed, end, lag}]}.

    A partition the group has never committed counts its whole content (from the low offset)
    as lag, because that is what the group still has to read.
    """
    known = known if known is not None else reader.topics()
    tps = [(t, p) for t in topics_of(sg, known) for p in known[t]]
    ends = reader.end_offsets(tps)
    committed = reader.committed(sg.group, tps) if tps else {}
    parts = []
    for tp in tps:
        lo, hi = ends[tp]
        c = committed.get(tp)
        lag = max(0, hi - (c if c is not None else lo))
        parts.append({"topic": tp[0], "partition": tp[1], "committed": c, "end": hi, "lag": lag})
    return {"group": sg.group, "stage": sg.stage, "lag": sum(x["lag"] for x in parts),
            "partitions": parts}


class LagMonitor(threading.Thread):
    """Refreshes lag gauges for one stage until `stop()`; errors are counted, never fatal."""

    def __init__(self, settings: Settings, sg: StageGroup, interval_s: float = 5.0):
        super().__init__(name=f"lag-{sg.stage}", daemon=True)
        self.settings = settings
        self.sg = sg
        self.interval_s = interval_s
        self._halt = threading.Event()
        self.rounds = 0

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        from hub.observability import families as F
        from hub.observability.reading import TopicReader
        reader = None
        while not self._halt.is_set():
            try:
                reader = reader or TopicReader(self.settings, group=f"{self.sg.group}-lagprobe")
                res = group_lag(reader, self.sg)
                for part in res["partitions"]:
                    labels = (self.sg.group, part["topic"], str(part["partition"]))
                    F.LAG.labels(*labels).set(part["lag"])
                    F.END_OFFSET.labels(part["topic"], str(part["partition"])).set(part["end"])
                    if part["committed"] is not None:
                        F.COMMITTED.labels(*labels).set(part["committed"])
                self.rounds += 1
            except Exception as e:  # noqa: BLE001 - a failed probe must not stop the worker
                F.LAG_ERRORS.labels(self.sg.group).inc()
                log.warning("lag probe for %s failed: %s", self.sg.group, e.__class__.__name__)
                if reader is not None:
                    reader.close()
                    reader = None
            self._halt.wait(self.interval_s)
        if reader is not None:
            reader.close()
