"""Prometheus metrics of the hub's long-running processes.

`StageMetrics.serve(stage, port)` is called once when a worker starts (`nqf-hub router
--metrics-port N`, `nqf-hub deliver --metrics-port N`): it starts the /metrics HTTP endpoint, a
consumer-lag thread for the stage's group, and records the worker in
`$NQF_HUB_HOME/workers/` so that `nqf-hub status` can say which workers are alive. The stage
then calls the recording methods below from its hot path; each is a few dictionary lookups and
never raises. `record_ingest` is called by the ingest producer once per load.

Label values are ids the hub defines (stage, partner, connector, rule, regime, ISO
jurisdiction, reason class), each checked by `hub.observability.labels`: never personal data,
never an event or credential id.
"""
from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import logging
import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path

from hub.observability import families as F
from hub.observability import labels as L
from hub.runtime.deadletter import REASON_CLASSES

log = logging.getLogger("nqfhub.observability")
WORKERS_DIR = "workers"


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("nqf-hub")
    except Exception:  # noqa: BLE001 - not installed as a distribution (source checkout)
        return "dev"


_CONNECTORS: frozenset[str] | None = None


def known_connectors() -> frozenset[str]:
    global _CONNECTORS
    if _CONNECTORS is None:
        try:
            from hub.sdk import registry
            _CONNECTORS = frozenset(registry.names())
        except Exception:  # noqa: BLE001 - metrics must never take a worker down
            _CONNECTORS = frozenset()
    return _CONNECTORS


def connector_label(name: str | None) -> str:
    return L.token(name, known_connectors() or None)


class StageMetrics:
    """Recording methods for one stage (router | delivery | recognition | ingest | serve)."""

    def __init__(self, stage: str, *, settings=None, partner_formats: Mapping[str, str] | None = None):
        self.stage = L.stage(stage)
        self.settings = settings
        self._formats = dict(partner_formats) if partner_formats is not None else None
        self._policy = F.policy_decision_recorder()
        self._children: dict[tuple, tuple] = {}
        self.lag_monitor = None
        self.http = None
        self.worker_file: Path | None = None
        prefix = getattr(settings, "topic_prefix", "") if settings is not None else ""
        F.WORKER_INFO.labels(self.stage, _version(), prefix).set(1)
        F.WORKER_START.labels(self.stage).set(time.time())
        # every series of this stage exists from the start (0), so rate()/increase() see the first event
        F.PROCESSED.labels(self.stage)
        F.PROCESSING.labels(self.stage)
        F.EVENT_AGE.labels(self.stage)
        F.LAST_PROGRESS.labels(self.stage).set(time.time())
        dl_stage = "ingest" if self.stage == "serve" else self.stage   # serve dead-letters as ingest
        for rc in REASON_CLASSES:
            F.DEAD_LETTERS.labels(dl_stage, rc)

    # ---- process lifecycle ----------------------------------------------------------------
    @classmethod
    def serve(cls, stage: str, port: int, *, addr: str = "0.0.0.0", settings=None,
              lag: bool = True, lag_interval_s: float = 5.0) -> "StageMetrics":
        """Start /metrics on `addr:port`, the lag thread and the worker record; return the recorder."""
        from prometheus_client import start_http_server

        if settings is None:
            from hub.config import load_settings
            settings = load_settings()
        m = cls(stage, settings=settings)
        m.http = start_http_server(port, addr=addr)
        if lag:
            from hub.observability.lag import LagMonitor, stage_groups
            sg = stage_groups(settings).get(m.stage)
            if sg is not None:
                m.lag_monitor = LagMonitor(settings, sg, lag_interval_s)
                m.lag_monitor.start()
        m.worker_file = register_worker(settings, m.stage, port)
        atexit.register(m.close)
        log.info("metrics for %s on %s:%d/metrics", m.stage, addr, port)
        return m

    def close(self) -> None:
        if self.lag_monitor is not None:
            self.lag_monitor.stop()
        if self.worker_file is not None:
            self.worker_file.unlink(missing_ok=True)
            self.worker_file = None
        if self.http is not None and isinstance(self.http, tuple):
            with contextlib.suppress(Exception):
                self.http[0].shutdown()
            self.http = None

    # ---- the contract the workers call ----------------------------------------------------
    def decision(self, partner_id: str, decision, event: dict | None = None) -> None:
        """The router decided `decision` for one event x partner (after writing its outputs)."""
        try:
            src = (event.get("header") or {}).get("source") or {} if event else {}
            key = (partner_id, decision.action, src.get("jurisdiction"), src.get("connector"))
            children = self._children.get(key)
            if children is None:   # label checks and child lookup once per combination (hot path)
                pid, act = L.token(partner_id), L.action(decision.action)
                children = (F.ROUTED.labels(pid, act, L.jurisdiction(key[2])),
                            F.EVENTS_OUT.labels("router", connector_label(key[3]), act))
                if len(self._children) < 10_000:
                    self._children[key] = children
            for c in children:
                c.inc()
            if self._policy is not None:
                self._policy(L.token(partner_id), decision)
        except Exception:  # noqa: BLE001 - never let metrics break routing
            log.debug("decision metric failed", exc_info=True)

    def dead_letter(self, stage: str, reason_class: str) -> None:
        F.DEAD_LETTERS.labels(L.stage(stage), L.reason_class(reason_class)).inc()

    def processed(self, n: int, seconds: float | None = None) -> None:
        """`n` records finished (outputs acknowledged); `seconds` is the batch's processing time."""
        F.PROCESSED.labels(self.stage).inc(n)
        F.LAST_PROGRESS.labels(self.stage).set(time.time())
        if seconds is not None:
            F.PROCESSING.labels(self.stage).observe(seconds)

    @contextlib.contextmanager
    def batch(self, n: int = 0):
        """`with metrics.batch(len(records)):` times the block and counts it as processed."""
        t0 = time.perf_counter()
        yield
        self.processed(n, time.perf_counter() - t0)

    def event_in(self, event: dict, stage: str | None = None) -> None:
        """A stage took in one canonical event: counts it and observes its age since ingest."""
        try:
            h = event.get("header") or {}
            src = h.get("source") or {}
            st = L.stage(stage) if stage else self.stage
            F.EVENTS_IN.labels(st, connector_label(src.get("connector")),
                               L.jurisdiction(src.get("jurisdiction"))).inc()
            rec = h.get("recorded_at")
            if isinstance(rec, dt.datetime):
                F.EVENT_AGE.labels(st).observe(max(0.0, time.time() - rec.timestamp()))
        except Exception:  # noqa: BLE001
            log.debug("event_in metric failed", exc_info=True)

    def delivered(self, partner_id: str, latency_s: float, attempts: int) -> None:
        pid = L.token(partner_id)
        F.DELIVERIES.labels(pid).inc()
        F.DELIVERY_LATENCY.labels(pid).observe(max(0.0, latency_s))
        if attempts:
            F.DELIVERY_ATTEMPTS.labels(pid).observe(attempts)
        F.EVENTS_OUT.labels("delivery", self._format(partner_id), "delivered").inc()

    def delivery_failure(self, partner_id: str, exc: BaseException | None) -> None:
        F.DELIVERY_FAILURES.labels(L.token(partner_id), L.failure_kind(exc)).inc()

    def delivery_dead_lettered(self, partner_id: str) -> None:
        """A partner copy went to the dead-letter topic (call next to `dead_letter`)."""
        F.EVENTS_OUT.labels("delivery", self._format(partner_id), "dead_lettered").inc()

    # ---- helpers ---------------------------------------------------------------------------
    def _format(self, partner_id: str) -> str:
        if self._formats is None:
            self._formats = {}
            try:
                from hub.routing.policy import load_partners
                for pid, p in load_partners(self.settings.partners_path).items():
                    d = p.delivery or {}
                    self._formats[pid] = d.get("format", "canonical-json") if d.get("type", "topic") != "topic" else "topic"
            except Exception:  # noqa: BLE001
                pass
        return connector_label(self._formats.get(partner_id)) if partner_id in self._formats else L.UNKNOWN


def record_ingest(connector: str, accepted_by_jurisdiction: Mapping[str, int], rejected: int,
                  verifications: Mapping[str, int] | None = None) -> None:
    """Called by the ingest producer after a load (CLI, HTTP endpoint): events in/out, dead letters,
    and signature-check outcomes (a closed set: verified, unverified, invalid, signature_invalid)."""
    c = connector_label(connector)
    for outcome, n in (verifications or {}).items():
        if outcome in ("verified", "unverified", "invalid", "signature_invalid") and n:
            F.VERIFICATIONS.labels(c, outcome).inc(n)
    total = 0
    for j, n in accepted_by_jurisdiction.items():
        F.EVENTS_IN.labels("ingest", c, L.jurisdiction(j)).inc(n)
        total += n
    if total:
        F.EVENTS_OUT.labels("ingest", c, "accepted").inc(total)
    if rejected:
        F.EVENTS_OUT.labels("ingest", c, "rejected").inc(rejected)
        F.DEAD_LETTERS.labels("ingest", "decode").inc(rejected)


# ---- which workers are alive (local machine) ------------------------------------------------------
def register_worker(settings, stage: str, port: int | None) -> Path | None:
    """Write $NQF_HUB_HOME/workers/<stage>-<pid>.json; removed when the process exits."""
    try:
        d = Path(settings.home) / WORKERS_DIR
        d.mkdir(parents=True, exist_ok=True)
        p = d / f"{stage}-{os.getpid()}.json"
        p.write_text(json.dumps({"stage": stage, "pid": os.getpid(), "metrics_port": port,
                                 "topic_prefix": settings.topic_prefix, "host": socket.gethostname(),
                                 "started_at": time.time()}))
        return p
    except OSError:
        return None


def local_workers(settings) -> list[dict]:
    """Workers recorded under $NQF_HUB_HOME/workers for this topic prefix, with `alive`."""
    d = Path(settings.home) / WORKERS_DIR
    out = []
    for p in sorted(d.glob("*.json")) if d.is_dir() else []:
        try:
            w = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if w.get("topic_prefix") != settings.topic_prefix:
            continue
        w["alive"] = w.get("host") == socket.gethostname() and _pid_alive(int(w.get("pid", 0)))
        out.append(w)
    return out


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split()[2] != "Z" if stat.exists() else True
    except (OSError, IndexError):
        return True
