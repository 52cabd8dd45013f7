"""Flows of the hub as the status page shows them, kept up to date by one background reader.

`FlowTracker` reads <prefix>.ingress, .audit, .delivery, .deadletter and .held (direct
assignment, from the beginning or from `since_ms`, then following) and keeps:

- totals per connector, per source jurisdiction and per partner (decisions by action,
  deliveries, dead letters),
- per-minute counts of the last hour (ingested, forwarded, held, blocked, delivered, dead letters),
- dead letters grouped by stage, reason class and error class, with the latest message,
- held records still open (reason, rules, waiting for, age), closed by release/expire audits.

Audit records, receipts and dead letters are read from their headers only; ingress events and
held records are decoded for their header fields (connector, jurisdiction, reason). Only ids,
categories, rule ids and counts are kept, never personal data. Memory is bounded: the
event -> (connector, jurisdiction) map keeps the last `max_events` events.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter, OrderedDict, defaultdict

from hub.config import Settings
from hub.errors import HubError
from hub.observability.reading import TopicReader, header_map
from hub.runtime.deadletter import headers_dict

log = logging.getLogger("nqfhub.observability")
UTC = dt.timezone.utc
SERIES = ("ingested", "forwarded", "held", "blocked", "delivered", "dead_letters")
WINDOW_MIN = 60


class FlowTracker(threading.Thread):
    def __init__(self, settings: Settings, serde, *, since_ms: int | None = None,
                 max_events: int = 200_000, update_metrics: bool = True):
        super().__init__(name="flow-tracker", daemon=True)
        self.settings = settings
        self.serde = serde
        self.since_ms = since_ms
        self.max_events = max_events
        self.update_metrics = update_metrics
        self.lock = threading.Lock()
        self._halt = threading.Event()
        self.caught_up = threading.Event()
        self.error: str | None = None
        self._reset()

    def _reset(self) -> None:
        """Empty state: each (re)start of the reader reads the topics from the start again."""
        self.records = 0
        self.meta: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.pending: dict[str, list[tuple]] = defaultdict(list)
        self.by_connector: dict[str, Counter] = defaultdict(Counter)
        self.by_jurisdiction: dict[str, Counter] = defaultdict(Counter)
        self.by_partner: dict[str, Counter] = defaultdict(Counter)
        self.minutes: dict[int, Counter] = defaultdict(Counter)
        self.dead: dict[tuple, dict] = {}
        self.held: dict[tuple[str, str], dict] = {}
        self.closed: set[tuple[str, str]] = set()

    def stop(self) -> None:
        self._halt.set()

    # ---- the reader thread -----------------------------------------------------------------
    def run(self) -> None:
        s = self.settings
        topics = [s.topic(t) for t in ("ingress", "audit", "delivery", "deadletter", "held")]
        while not self._halt.is_set():
            try:
                with self.lock:
                    self._reset()
                with TopicReader(s, group=f"{s.topic_prefix}-status-page") as reader:
                    known = reader.topics()
                    present = [t for t in topics if t in known]
                    if not present:
                        self.caught_up.set()
                        self._halt.wait(2.0)
                        continue
                    # catch up topic by topic (ingress first, so that decisions find their event's
                    # connector), then follow all of them from where the catch-up ended: a record
                    # written meanwhile is read in the follow phase, none is skipped
                    ends0 = reader.end_offsets(reader.partitions(present))
                    pos: dict[tuple[str, int], int] = {}
                    for t in present:
                        for m in reader.read([t], since_ms=self.since_ms, stop=self._halt.is_set):
                            self.add(m)
                            pos[(m.topic(), m.partition())] = m.offset() + 1
                    self.caught_up.set()
                    self._publish_metrics()
                    start = {tp: pos.get(tp, hi) for tp, (lo, hi) in ends0.items()}
                    last_pub = time.monotonic()
                    for m in reader.read(present, start=start, follow=True, stop=self._halt.is_set, idle_s=0.5):
                        self.add(m)
                        if time.monotonic() - last_pub > 5:
                            self._publish_metrics()
                            last_pub = time.monotonic()
                    return
            except HubError as e:
                self.error = str(e)
                log.warning("status page reader: %s; retrying", e)
                self._halt.wait(2.0)
            except Exception as e:  # noqa: BLE001 - keep serving the page with what we have
                self.error = e.__class__.__name__
                log.exception("status page reader failed; retrying")
                self._halt.wait(2.0)

    # ---- one record ----------------------------------------------------------------------------
    def add(self, m) -> None:
        s = self.settings
        t = m.topic()
        ts_ms = m.timestamp()[1]
        minute = int(ts_ms // 60000) if ts_ms and ts_ms > 0 else int(time.time() // 60)
        with self.lock:
            self.records += 1
            if t == s.topic("ingress"):
                self._ingress(m, minute)
            elif t == s.topic("audit"):
                h = header_map(m)
                self._decision(h.get("nqfhub.event_id", ""), h.get("nqfhub.partner", "?"),
                               h.get("nqfhub.action", "?"), minute)
            elif t == s.topic("delivery"):
                h = header_map(m)
                self._receipt(h.get("nqfhub.event_id", ""), h.get("nqfhub.partner", "?"),
                              h.get("nqfhub.status", "?"), minute)
            elif t == s.topic("deadletter"):
                self._dead_letter(m, minute)
            elif t == s.topic("held"):
                self._held(m)
            self._prune(minute)

    def _ingress(self, m, minute: int) -> None:
        try:
            _, ev = self.serde.decode(m.value())
            hd = ev["header"]
        except (HubError, KeyError, TypeError):
            return
        src = hd.get("source") or {}
        conn, juris = src.get("connector") or "?", src.get("jurisdiction") or "?"
        self.meta[hd["event_id"]] = (conn, juris)
        if len(self.meta) > self.max_events:
            self.meta.popitem(last=False)
        self.by_connector[conn]["ingested"] += 1
        self.by_jurisdiction[juris]["ingested"] += 1
        self.minutes[minute]["ingested"] += 1
        for kind, args in self.pending.pop(hd["event_id"], []):
            (self._decision if kind == "d" else self._receipt)(*args)

    def _decision(self, event_id: str, partner: str, action: str, minute: int, deferred: bool = False) -> None:
        if not deferred:
            self.by_partner[partner][action] += 1
            if action in ("release", "expire"):
                self.closed.add((event_id, partner))
                self.held.pop((event_id, partner), None)
            bucket = {"forward": "forwarded", "forward_minimised": "forwarded", "release": "forwarded",
                      "hold": "held", "block": "blocked"}.get(action)
            if bucket:
                self.minutes[minute][bucket] += 1
        where = self.meta.get(event_id)
        if where is None:
            if not deferred and event_id and len(self.pending) < self.max_events:
                self.pending[event_id].append(("d", (event_id, partner, action, minute, True)))
            return
        self.by_jurisdiction[where[1]][action] += 1

    def _receipt(self, event_id: str, partner: str, status: str, minute: int, deferred: bool = False) -> None:
        if not deferred:
            self.by_partner[partner][status] += 1
            if status == "delivered":
                self.minutes[minute]["delivered"] += 1
        where = self.meta.get(event_id)
        if where is None:
            if not deferred and event_id and len(self.pending) < self.max_events:
                self.pending[event_id].append(("r", (event_id, partner, status, minute, True)))
            return
        self.by_jurisdiction[where[1]][status] += 1

    def _dead_letter(self, m, minute: int) -> None:
        h = headers_dict(m.headers())
        stage, rc = h.get("stage", "?"), h.get("reason_class", "?")
        who = h.get("partner") or h.get("connector") or "-"
        key = (stage, rc, h.get("error.class", "?"), who)
        d = self.dead.setdefault(key, {"stage": stage, "reason_class": rc, "error_class": key[2],
                                       "where": who, "count": 0, "last_at": None, "message": None})
        d["count"] += 1
        d["last_at"], d["message"] = h.get("at"), h.get("error.message")
        self.minutes[minute]["dead_letters"] += 1
        if stage == "ingest" and h.get("connector"):
            self.by_connector[h["connector"]]["rejected"] += 1
        if stage == "delivery" and h.get("partner"):
            self.by_partner[h["partner"]]["delivery_dead_lettered"] += 1
        eid = h.get("event_id")
        if eid and eid in self.meta:
            self.by_jurisdiction[self.meta[eid][1]]["dead_lettered"] += 1

    def _held(self, m) -> None:
        try:
            _, r = self.serde.decode(m.value())
        except HubError:
            return
        k = (r["event_id"], r["partner_id"])
        if k in self.closed:
            return
        self.held[k] = {"partner": r["partner_id"], "event_type": r["event_type"], "reason": r["reason"],
                        "waiting_for": list(r.get("waiting_for") or []), "rule_ids": list(r.get("rule_ids") or []),
                        "held_at": r.get("held_at"), "expires_at": r.get("expires_at")}

    def _prune(self, minute: int) -> None:
        if len(self.minutes) > 3 * WINDOW_MIN:
            now_min = max(minute, int(time.time() // 60))
            for k in [k for k in self.minutes if k < now_min - WINDOW_MIN]:
                del self.minutes[k]

    # ---- what the page and /status.json show ---------------------------------------------------
    def snapshot(self) -> dict:
        now = dt.datetime.now(UTC)
        now_min = int(now.timestamp() // 60)
        with self.lock:
            series = {k: [self.minutes.get(m, Counter())[k] for m in range(now_min - WINDOW_MIN + 1, now_min + 1)]
                      for k in SERIES}
            held_by = defaultdict(lambda: {"open": 0, "oldest_age_s": 0.0, "overdue": 0, "reasons": Counter()})
            for h in self.held.values():
                b = held_by[h["partner"]]
                b["open"] += 1
                if h["held_at"]:
                    b["oldest_age_s"] = max(b["oldest_age_s"], (now - h["held_at"]).total_seconds())
                if h["expires_at"] and h["expires_at"] < now:
                    b["overdue"] += 1
                b["reasons"][h["reason"] + (f" [rules: {', '.join(h['rule_ids'])}]" if h["rule_ids"] else "")] += 1
            return {
                "generated_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "prefix": self.settings.topic_prefix, "caught_up": self.caught_up.is_set(),
                "records_read": self.records, "reader_error": self.error,
                "connectors": {k: dict(v) for k, v in sorted(self.by_connector.items())},
                "jurisdictions": {k: dict(v) for k, v in sorted(self.by_jurisdiction.items())},
                "partners": {k: dict(v) for k, v in sorted(self.by_partner.items())},
                "series": {"minute_start": (now_min - WINDOW_MIN + 1) * 60, "per_minute": series},
                "dead_letters": sorted(self.dead.values(), key=lambda d: -d["count"]),
                "held": {p: {**b, "oldest_age_s": round(b["oldest_age_s"], 1),
                             "reasons": [{"reason": r, "count": n} for r, n in b["reasons"].most_common()]}
                         for p, b in sorted(held_by.items())},
            }

    def _publish_metrics(self) -> None:
        if not self.update_metrics:
            return
        from hub.observability import families as F
        from hub.observability import labels as L
        snap = self.snapshot()
        for p, b in snap["held"].items():
            F.HELD_OPEN.labels(L.token(p)).set(b["open"])
            F.HELD_OLDEST.labels(L.token(p)).set(b["oldest_age_s"])
            F.HELD_OVERDUE.labels(L.token(p)).set(b["overdue"])
        for p in snap["partners"]:
            if p not in snap["held"]:
                F.HELD_OPEN.labels(L.token(p)).set(0)
                F.HELD_OLDEST.labels(L.token(p)).set(0)
                F.HELD_OVERDUE.labels(L.token(p)).set(0)
        per = Counter()
        for d in snap["dead_letters"]:
            per[(d["stage"], d["reason_class"])] += d["count"]
        for (st, rc), n in per.items():
            F.DLQ_STORED.labels(L.stage(st), L.reason_class(rc)).set(n)
