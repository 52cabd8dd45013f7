"""A whole hub on one machine for chaos runs and latency benchmarks (benchmarks/chaos.py,
benchmarks/e2e_latency.py, tests/integration/test_chaos.py).

`HubRun` builds on `hub.demo.runner.Demo` (partner registry copied with webhooks pointing at a
local receiver, per-run topic prefix, signing key, worker processes) and adds what a chaos run
needs:

* workers by name (`router`, `deliver`, `recognition`) that can be killed with SIGKILL and
  restarted with the same environment (`kill9`, `start_worker`);
* `PartnerSide`, the demo's signature-checking, Idempotency-Key de-duplicating receiver that
  can also go down (its port closed: connection refused) and come back on the same port, and
  records when each delivery first arrived and which event each effect was about;
* a paced ingest thread (`Feeder`) that produces credentials (openbadges3 connector), consents
  for a share of the learners (consent connector), revocations and recognition requests
  (canonical-json connector) through `hub.ingest.producer.produce_all`, the ingest path;
* `Tracker`, a thread that reads audit, receipts, dead letters, decisions and every partner
  topic (direct assignment, no group) and keeps an exact account per event id;
* on a SASL cluster with per-service users (`nqf-hub cluster`), every hub process of the run
  connects as its own service principal under the ACLs production gets for the run's prefix
  (benchmarks/run_principals.py); the caller (admin) only sets up and keeps the account.

Accounting (`HubRun.result`) is per event id and per partner the event is expected at:
  lost            an expected partner has no routing decision, or the decision forwarded /
                  released it and the partner never got it (nor was it dead-lettered); a
                  recognition request without a decision is lost too. `lost_by_stage` says
                  where: no_routing_decision, no_recognition_decision,
                  decided_not_on_partner_topic (the router audited a forward/release but no copy
                  is on the partner topic), not_delivered (on the partner topic, no receipt: the
                  outbound worker), receipt_but_not_at_partner (a `delivered` receipt the partner
                  side never saw); `lost_detail` says where each lost record waits (its ingress
                  or partner-topic partition@offset) and whether the consuming group committed
                  past it (`committed_past`: skipped, a loss rather than a stall)
  partner_duplicate_effects  effects at the partner beyond one per (partner, event) after the
                  receiver's Idempotency-Key de-duplication (the same event under a new key)
  topic duplicates  records on partner topics, audit and receipts beyond one per
                  (event, partner[, action]) — a figure: at-least-once processing repeats them
  held / released / expired / still_held  from the audit: every release and expiry must follow a
                  hold of the same (event, partner), released copies must reach the partner,
                  every hold of a learner who consented (every purpose, any partner) is either
                  released or re-decided by the router (the policy may still hold it, e.g. a
                  child's own consent), and held == released + expired + still_held.
"""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hub.delivery.receiver import MAX_BODY, PartnerReceiver, ReceiverServer  # noqa: E402
from hub.demo.runner import Demo, decision_recipients  # noqa: E402
from hub.errors import HubError  # noqa: E402

if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
from run_principals import WORKER_SERVICE, RunPrincipals  # noqa: E402

FORWARDS = ("forward", "forward_minimised", "release")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---- partner side --------------------------------------------------------------------------
class PartnerSide(PartnerReceiver):
    """PartnerReceiver that can go down and come back, and remembers first-receipt times."""

    def __init__(self):
        super().__init__({})
        self.first_at: dict[tuple[str, str], float] = {}            # (partner, key) -> epoch s
        self.effects: dict[tuple[str, str], set[str]] = defaultdict(set)   # (partner, what) -> keys
        self.refused_while_down = 0
        self.is_up = True
        side = self
        base = self.server.RequestHandlerClass

        class Handler(base):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if 0 < length <= MAX_BODY else b""
                conn_rfile, self.rfile = self.rfile, io.BytesIO(body)
                try:
                    super().do_POST()
                finally:
                    self.rfile = conn_rfile     # the next request on this keep-alive connection
                pid = self.path.strip("/").split("/")[0]
                key = self.headers.get("Idempotency-Key") or ""
                with side.lock:
                    if key in side.received.get(pid, {}) and (pid, key) not in side.first_at:
                        side.first_at[(pid, key)] = time.time()
                        side.effects[(pid, _what(body, self.headers))].add(key)

        self.server.RequestHandlerClass = Handler
        self._addr = self.server.server_address[:2]

    def down(self) -> None:
        """Close the port and the open connections: deliveries now fail with connection
        refused (retriable)."""
        if self.is_up:
            self.server.shutdown()
            self.server.server_close()
            self.close_connections()
            self.is_up = False

    def up(self) -> None:
        if not self.is_up:
            handler = self.server.RequestHandlerClass
            self.server = ReceiverServer(self._addr, handler)
            self.thread = threading.Thread(target=self.server.serve_forever, name="partner-receiver", daemon=True)
            self.thread.start()
            self.is_up = True

    def stop(self) -> None:
        if self.is_up:
            super().stop()
            self.is_up = False

    def duplicate_effects(self) -> int:
        with self.lock:
            return sum(len(keys) - 1 for keys in self.effects.values())


def _what(body: bytes, headers) -> str:
    """What an accepted delivery was about, independent of its Idempotency-Key: the event id in
    a canonical-json body, else event type + the document's own id (OB3 and the like)."""
    etype = headers.get("X-NQFHub-Event-Type", "")
    if str(headers.get("Idempotency-Key") or "").endswith(":erasure"):
        etype += ":erasure"      # an erasure request is its own effect, not a copy of the event
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return f"{etype}|{headers.get('Idempotency-Key')}"
    if isinstance(doc, dict):
        h = doc.get("header")
        if isinstance(h, dict) and h.get("event_id"):
            return str(h["event_id"]) + (":erasure" if etype.endswith(":erasure") else "")
        if doc.get("id"):
            return f"{etype}|{doc['id']}"
    return f"{etype}|{headers.get('Idempotency-Key')}"


# ---- accounting ----------------------------------------------------------------------------
@dataclass
class Track:
    kind: str                                   # credential | decision
    expected: set[str]
    actions: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    receipts: dict[str, str] = field(default_factory=dict)
    dead_partners: set[str] = field(default_factory=set)
    copies: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    ingress_at: tuple[int, int] | None = None   # (partition, offset) of the event (request) on ingress
    dead: bool = False
    decided: bool = True                        # decisions: False until on hub.recognition
    request_event_id: str = ""


class Tracker(threading.Thread):
    """Reads the run's output topics from the beginning and keeps the account per event id."""

    def __init__(self, settings, tracks: dict[str, Track], partners):
        super().__init__(name="tracker", daemon=True)
        from hub.runtime.topics import partner_topic
        self.s = settings
        self.tracks = tracks
        self.by_request = {t.request_event_id: eid for eid, t in tracks.items() if t.request_event_id}
        self.partner_topics = {partner_topic(settings, pid): pid for pid in partners}
        self.lock = threading.Lock()
        self.stop_evt = threading.Event()
        self.audit_seen: Counter = Counter()      # audit id
        self.receipt_seen: Counter = Counter()    # (event, partner, status)
        self.copy_seen: Counter = Counter()       # (event, partner) on partner topics
        self.copy_at: dict[tuple[str, str], float] = {}   # (event, partner) -> first CreateTime, s
        self.records = 0
        self.last_record_at = time.monotonic()
        self.error: BaseException | None = None

    def run(self):
        try:
            self._run()
        except BaseException as e:       # surfaced by HubRun.check()
            self.error = e

    def _run(self):
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        from hub.runtime.deadletter import headers_dict
        from hub.runtime.kafka import consumer_config
        from hub.serde import default_serde

        serde = default_serde()
        s = self.s
        t_audit, t_rec, t_dlq, t_dec = (s.topic("audit"), s.topic("delivery"), s.topic("deadletter"),
                                        s.topic("recognition"))
        self.t_ingress = s.topic("ingress")
        c = Consumer(consumer_config(s, f"{s.topic_prefix}-chaos-watch"))
        topics = [t_audit, t_rec, t_dlq, t_dec, self.t_ingress, *self.partner_topics]
        md = c.list_topics(timeout=30)
        c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in md.topics[t].partitions])
        try:
            while not self.stop_evt.is_set():
                msgs = c.consume(2000, timeout=0.5)
                with self.lock:
                    for m in msgs:
                        if m.error():
                            continue
                        self.records += 1
                        self.last_record_at = time.monotonic()
                        self._one(m, serde, headers_dict, t_audit, t_rec, t_dlq, t_dec)
        finally:
            c.close()

    def _one(self, m, serde, headers_dict, t_audit, t_rec, t_dlq, t_dec):
        topic = m.topic()
        if topic == t_dlq:
            h = headers_dict(m.headers())
            eid = h.get("event_id")
            eid = self.by_request.get(eid, eid)
            t = self.tracks.get(eid)
            if t is not None:
                if h.get("stage") == "delivery" and h.get("partner"):
                    t.dead_partners.add(h["partner"])
                else:
                    t.dead = True
            return
        name, rec = serde.decode(m.value())
        if topic == self.t_ingress:     # where each event waits for the router / recognition
            h = rec.get("header")
            eid = h.get("event_id") if isinstance(h, dict) else None
            t = self.tracks.get(self.by_request.get(eid, eid))
            if t is not None and t.ingress_at is None:
                t.ingress_at = (m.partition(), m.offset())
            return
        if topic in self.partner_topics:
            eid = rec.get("header", {}).get("event_id") if isinstance(rec.get("header"), dict) else None
            if eid in self.tracks:
                pid = self.partner_topics[topic]
                self.copy_seen[(eid, pid)] += 1
                self.copy_at.setdefault((eid, pid), m.timestamp()[1] / 1000)
                self.tracks[eid].copies[pid].append((m.partition(), m.offset()))
            return
        if topic == t_dec:
            t = self.tracks.get(rec["header"]["event_id"])
            if t is not None:
                t.decided = True
            return
        t = self.tracks.get(rec.get("event_id"))   # audit seals carry no event id
        if t is None:
            return
        if topic == t_audit:
            # audit ids are deterministic per decision (event|partner, …|release, …|request id),
            # so a repeat of the same id is an at-least-once duplicate
            self.audit_seen[rec["audit_id"]] += 1
            if self.audit_seen[rec["audit_id"]] == 1:
                redecided = any(k == "nqfhub.release.decision" for k, _ in m.headers() or [])
                act = rec["action"]
                if redecided and act not in ("release", "expire"):
                    act = "redecided_" + act      # a release request the policy answered: still held
                t.actions[rec["partner_id"]].append(act)
        else:
            self.receipt_seen[(rec["event_id"], rec["partner_id"], rec["status"])] += 1
            t.receipts[rec["partner_id"]] = rec["status"]


# ---- the run -------------------------------------------------------------------------------
class HubRun(Demo):
    """One hub (fresh topic prefix) with killable workers, a partner side that can go down, a
    paced feed and an exact account. Use as a context manager; `close()` stops what it started."""

    WORKERS = ("router", "deliver", "recognition")

    def __init__(self, settings, *, events: int, seed: int = 7, consent_every: int = 10,
                 per_route: int = 20, retry_window_s: float = 180.0, base_env: dict | None = None, say=log):
        """`base_env`: the environment whose NQF_HUB_* client settings (bootstrap, security,
        profile) the worker processes get (default: this process's environment)."""
        super().__init__(settings, events=events, seed=seed, say=say, wait_s=5.0)
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.consent_every = consent_every
        self.per_route = per_route
        self.retry_window_s = retry_window_s
        self.partner_side = PartnerSide()
        self.workers: dict[str, subprocess.Popen] = {}
        self.env: dict = {}
        self.tracks: dict[str, Track] = {}
        self.sent_at: dict[str, float] = {}
        self.consented: set[str] = set()           # credential event ids whose learner consented
        self.events_fed = 0
        self.kills: list[dict] = []
        self.tracker: Tracker | None = None
        self.stalled = False
        self.principals: RunPrincipals | None = None     # None: every process as the caller

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- setup -------------------------------------------------------------------------------
    def _partners(self, receiver_url: str) -> dict[str, bytes]:
        """The demo's partner copy, with retries long enough to ride out a partner outage of
        `retry_window_s` (backoff capped at 2 s) instead of dead-lettering."""
        import yaml
        secrets = super()._partners(receiver_url)
        for p in sorted(self.settings.partners_path.glob("*.yaml")):
            data = yaml.safe_load(p.read_text())
            d = data.get("delivery") if isinstance(data, dict) else None
            if isinstance(d, dict) and d.get("type", "webhook") == "webhook":
                d.update(backoff_s=0.2, backoff_max_s=2.0, max_attempts=int(self.retry_window_s / 2) + 10)
                p.write_text(yaml.safe_dump(data, sort_keys=False))
        return secrets

    def _env(self, secrets: dict[str, bytes]) -> dict:
        env = super()._env(secrets)
        own = ("NQF_HUB_TOPIC_PREFIX", "NQF_HUB_PARTNERS_DIR", "NQF_HUB_HOME")
        env.update({k: v for k, v in self.base_env.items() if k.startswith("NQF_HUB_") and k not in own})
        return env

    def start(self) -> "HubRun":
        from hub.routing.policy import load_partners
        from hub.runtime.topics import ensure_topics

        self._broker()
        self.partner_side.start()
        secrets = self._partners(self.partner_side.url)
        self.partner_side.secrets.update(secrets)
        self.partners = load_partners(self.settings.partners_path)
        ensure_topics(self.settings, self.partners)
        self.principals = RunPrincipals.detect(self.settings)
        if self.principals is not None:
            self.principals.grant()
            self.say("principals: " + ", ".join(f"{k} as {v}" for k, v in self.principals.describe().items()))
        self.env = self._env(secrets)
        self.jwks = self._signing_key()
        for name in self.WORKERS:
            self.start_worker(name)
        return self

    def start_worker(self, name: str) -> subprocess.Popen:
        extra = ["--wait-s", str(self.wait_s)] if name == "recognition" else []
        log_f = open(self.tmp / f"{name}.log", "ab")
        p = subprocess.Popen([sys.executable, "-m", "hub", name, *extra], env=self.service_env(WORKER_SERVICE[name]),
                             stdout=log_f,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        p.nqf_name = name  # type: ignore[attr-defined]
        self.workers[name] = p
        self.procs.append(p)
        return p

    def client_settings(self, service: str):
        """Settings of this process acting as `service` (the feed as `ingest`, ...)."""
        return self.principals.settings(service) if self.principals else self.settings

    def service_env(self, service: str) -> dict:
        """The environment of a hub subprocess acting as `service`."""
        return self.principals.env(self.env, service) if self.principals else self.env

    def latencies(self, event_ids) -> list[float]:
        """Seconds from ingest (just before the produce) to first receipt at the partner, one
        value per (event, partner) delivery of the given events."""
        out = []
        with self.partner_side.lock:
            for (pid, key), at in self.partner_side.first_at.items():
                if key in event_ids and key in self.sent_at:
                    out.append(at - self.sent_at[key])
        return out

    def stage_latencies(self, event_ids) -> dict[str, list[float]]:
        """The latencies of `latencies` split where the record was produced to its partner topic
        (its CreateTime, stamped by the router's producer): `routed` = ingest -> partner topic
        (ingest, router, recognition for decisions), `delivered` = partner topic -> first
        receipt (delivery worker queue, webhook POST, receiver). Wall clock of this machine."""
        routed, delivered = [], []
        with self.partner_side.lock, self.tracker.lock:
            for (pid, key), at in self.partner_side.first_at.items():
                copied = self.tracker.copy_at.get((key, pid))
                if key in event_ids and key in self.sent_at and copied is not None:
                    routed.append(copied - self.sent_at[key])
                    delivered.append(at - copied)
        return {"routed": routed, "delivered": delivered}

    def kill9(self, name: str, *, restart_after_s: float = 1.0) -> None:
        p = self.workers[name]
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.kills.append({"worker": name, "at_s": round(time.monotonic() - self.t0, 1),
                           "decided": self.progress()})
        self.say(f"kill -9 {name} (pid {p.pid}) at {self.progress():.0%} of events decided")
        time.sleep(restart_after_s)
        self.start_worker(name)

    def dump_state(self, wait_s: float = 3.0) -> list[Path]:
        """SIGUSR1 to the faust workers: each writes its consuming state (offsets, paused and
        buffered partitions, task stacks; hub.runtime.faust_state) to <home>/diagnostics."""
        diag = Path(self.base.home) / "diagnostics"
        before = set(diag.glob(f"{self.prefix}-*.json")) if diag.is_dir() else set()
        for name in ("router", "recognition"):
            p = self.workers.get(name)
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGUSR1)
        time.sleep(wait_s)
        new = sorted(set(diag.glob(f"{self.prefix}-*.json")) - before) if diag.is_dir() else []
        for f in new:
            self.say(f"worker state dump: {f}")
        return new

    def check(self) -> None:
        """Raise when a worker died on its own (not killed by us) or the tracker failed."""
        for name, p in self.workers.items():
            if p.poll() is not None:
                tail = (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]
                raise HubError(f"the {name} worker exited with status {p.returncode}; last log lines:\n{tail}")
        if self.tracker is not None and self.tracker.error is not None:
            raise HubError(f"the tracker failed: {self.tracker.error!r}")

    # ---- input -------------------------------------------------------------------------------
    def prepare(self) -> list[list]:
        """Decode the inputs once; ingest reference data now; return the paced stream as a list
        of (item, data) pairs (credentials, with consents, revocations and requests among them)."""
        from connectors.openbadges3.samples import sample_credentials
        from hub.demo.reference_data import build_plan
        from hub.ingest.decoding import decode_sources, make_context
        from hub.jsonview import dumps
        from hub.recognition import decision_event_id
        from hub.routing.policy import subscribed
        from hub.sdk import registry
        from hub.sdk.inbound import Source

        self.t0 = time.monotonic()
        src = self.tmp / "credentials.jsonl"
        with open(src, "w") as f:
            for cred in sample_credentials(self.n, seed=self.seed):
                f.write(json.dumps(cred) + "\n")
        conn = registry.inbound("openbadges3")
        creds = [(i, d) for i, d in decode_sources(conn, [Source.from_path(src)], make_context(conn)) if d is not None]
        plan = build_plan([i.event for i, _ in creds], self.partners, per_route=self.per_route)
        self._ingest_canonical("reference", plan.reference + [r.request for r in plan.early])
        now = time.time()
        self.sent_at.update({r.request["header"]["event_id"]: now for r in plan.early})

        def canonical(name, events):
            path = self.tmp / f"{name}.jsonl"
            path.write_text("".join(dumps(e) + "\n" for e in events))
            cj = registry.inbound("canonical-json")
            return [(i, d) for i, d in decode_sources(cj, [Source.from_path(path)], make_context(cj)) if d is not None]

        # consents for every `consent_every`-th learner, any partner, every purpose partners have
        purposes = sorted({pp for p in self.partners.values() for pp in p.purposes})
        rows = ["consent_id,action,timestamp,id_scheme,id_value,purposes,partners,jurisdiction"]
        consent_of: dict[int, str] = {}
        for n, (item, _) in enumerate(creds):
            if self.consent_every and n % self.consent_every == 0:
                ev = item.event
                nid = next((x for x in ev["learner"]["national_ids"] if x["scheme"].startswith("ob3-identity")), None)
                if nid is None:
                    continue
                rows.append(f"chaos-{n},recorded,2026-03-01T09:00:00Z,{nid['scheme']},{nid['value']},"
                            f"\"{';'.join(purposes)}\",,{ev['header']['source']['jurisdiction']}")
                consent_of[len(rows) - 2] = ev["header"]["event_id"]
        cconn = registry.inbound("consent")
        consents = [(i, d) for i, d in decode_sources(cconn, [Source("consents.csv", data="\n".join(rows).encode())],
                                                      make_context(cconn)) if d is not None]
        if len(consents) != len(consent_of):
            raise HubError(f"only {len(consents)} of {len(consent_of)} generated consents decoded")
        self.consented = set(consent_of.values())
        extras = canonical("requests", plan.revocations + [r.request for r in plan.late])

        # tracks: credentials by event id, recognition decisions by their decision event id
        for item, _ in creds:
            ev = item.event
            self.tracks[ev["header"]["event_id"]] = Track(
                "credential", {pid for pid, p in self.partners.items() if subscribed(p, ev)})
        for pr in plan.requests:
            r = pr.request
            h = r["header"]
            exp = decision_recipients(r, self.partners)
            self.tracks[decision_event_id(h["event_id"])] = Track("decision", exp, decided=False,
                                                                   request_event_id=h["event_id"])
        # the stream: each consent right after its learner's credential; extras spread evenly
        stream: list = []
        consent_iter = iter(consents)
        step = max(1, len(creds) // max(1, len(extras)))
        ex = iter(extras)
        for n, pair in enumerate(creds):
            stream.append(pair)
            if self.consent_every and n % self.consent_every == 0:
                nxt = next(consent_iter, None)
                if nxt is not None:
                    stream.append(nxt)
            if n % step == step - 1:
                nxt = next(ex, None)
                if nxt is not None:
                    stream.append(nxt)
        stream.extend(ex)
        self.stream_len = len(stream)
        self.credentials = len(creds)
        self.say(f"{len(creds)} credentials, {len(consents)} consents, {len(plan.revocations)} revocation(s), "
                 f"{len(plan.requests)} recognition requests ({len(plan.early)} early); "
                 f"{len(self.partners)} partners; prefix {self.prefix}")
        return stream

    def feed(self, stream: list, rate: float, *, chunk_s: float = 0.05) -> "Feeder":
        """Start the paced ingest thread (`rate` records per second; 0 = as fast as possible)."""
        if self.tracker is None:
            self.tracker = Tracker(self.settings, self.tracks, self.partners)
            self.tracker.start()
        f = Feeder(self, stream, rate, chunk_s)
        f.start()
        return f

    # ---- progress and settling ---------------------------------------------------------------
    def progress(self) -> float:
        """Share of credential events with a routing decision for every expected partner."""
        if not self.tracks:
            return 0.0
        with self.tracker.lock:
            creds = [t for t in self.tracks.values() if t.kind == "credential"]
            done = sum(1 for t in creds if all(p in t.actions for p in t.expected))
        return done / max(1, len(creds))

    def pending(self) -> list[str]:
        """Event ids fed so far and not yet accounted for (decision missing, a forward not yet at
        the partner, a consented hold not yet released)."""
        out = []
        received = self.partner_side.received
        fed = self.sent_at
        with self.tracker.lock:
            for eid, t in self.tracks.items():
                if t.dead or (t.request_event_id or eid) not in fed:
                    continue
                if not t.decided:
                    out.append(eid)
                    continue
                for p in t.expected:
                    acts = t.actions.get(p)
                    if not acts:
                        out.append(eid)
                        break
                    if acts[-1] in FORWARDS and eid not in received.get(p, {}) and p not in t.dead_partners:
                        out.append(eid)
                        break
                    if acts[-1] == "hold" and eid in self.consented:     # its release request is due
                        out.append(eid)
                        break
        return out

    def settle(self, feeder: "Feeder", timeout_s: float, quiet_s: float = 10.0,
               on_tick=None, stall_s: float = 300.0) -> bool:
        """Wait until everything fed is accounted for and the output topics were quiet for
        `quiet_s` (late releases, repeats); True if settled within `timeout_s`. False as soon
        as events are pending and nothing new appeared on the output topics for `stall_s`
        after the feed (the hub is stuck; the result then names what is missing)."""
        deadline = time.monotonic() + timeout_s
        last = 0.0
        while time.monotonic() < deadline:
            self.check()
            if on_tick:
                on_tick()
            if feeder.error:
                raise HubError(f"ingest failed: {feeder.error!r}")
            if feeder.done.is_set():
                pend = self.pending()
                quiet = time.monotonic() - self.tracker.last_record_at > quiet_s
                if not pend and quiet:
                    return True
                idle = time.monotonic() - max(self.tracker.last_record_at, feeder.finished_at)
                if pend and idle > stall_s:
                    self.say(f"stalled: {len(pend)} events pending and no new output for {idle:.0f}s")
                    self.stalled = True
                    self.dump_state()
                    return False
            if time.monotonic() - last > 10:
                last = time.monotonic()
                self.say(f"... t={time.monotonic() - self.t0:.0f}s fed {self.events_fed}/{self.stream_len}, "
                         f"{self.progress():.0%} decided, {len(self.pending())} pending")
            time.sleep(0.5)
        return False

    # ---- result ------------------------------------------------------------------------------
    def audit_verify(self) -> dict:
        """`nqf-hub audit verify --json` on this run's audit topic, as a subprocess."""
        r = subprocess.run([sys.executable, "-m", "hub", "audit", "verify", "--json"], env=self.service_env("operator"),
                           capture_output=True, text=True, timeout=600)
        summary = {}
        for line in r.stdout.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "partition" not in obj:
                summary = obj
        return {"ok": r.returncode == 0, "exit_code": r.returncode, "summary": summary,
                **({"stderr": r.stderr[-1500:]} if r.returncode else {})}

    def result(self) -> dict:
        tr = self.tracker
        with tr.lock:
            acc = account(self.tracks, self.partner_side.received, self.consented)
            topic_dups = {
                "partner_topics": sum(n - 1 for n in tr.copy_seen.values()),
                "audit": sum(n - 1 for n in tr.audit_seen.values()),   # same audit id twice
                "receipts": sum(n - 1 for n in tr.receipt_seen.values()),
            }
        lost, lost_ids, holds, dead_lettered = acc["lost"], acc["lost_examples"], acc["holds"], acc["dead_lettered"]
        stats = self.partner_side.stats()
        topic_dups["webhook_redeliveries_absorbed_by_idempotency_key"] = sum(stats["duplicates"].values())
        audit = self.audit_verify()
        out = {
            "credentials": self.credentials, "records_fed": self.events_fed,
            "recognition_requests": sum(1 for t in self.tracks.values() if t.kind == "decision"),
            "lost": sum(lost.values()), "lost_by_stage": dict(lost), "lost_examples": lost_ids,
            "lost_detail": self._with_commits(acc["lost_detail"]),
            "dead_lettered": dead_lettered,
            "partner_effects": sum(stats["received"].values()),
            "partner_duplicate_effects": self.partner_side.duplicate_effects(),
            "bad_signatures": sum(stats["bad_signatures"].values()),
            "topic_duplicates": topic_dups, "audit_verify": audit, "holds": holds,
            "kills": self.kills, "stalled": self.stalled, "elapsed_s": round(time.monotonic() - self.t0, 1),
            "principals": self.principals.describe() if self.principals else None,
        }
        out["invariants"] = {
            "lost_0": out["lost"] == 0,
            "dead_lettered_0": dead_lettered == 0,
            "partner_duplicate_effects_0": out["partner_duplicate_effects"] == 0,
            "bad_signatures_0": out["bad_signatures"] == 0,
            "audit_chain_verifies": audit["ok"],
            "holds_consistent": holds["consistent"],
        }
        out["ok"] = all(out["invariants"].values())
        return out

    def _with_commits(self, detail: list[dict]) -> list[dict]:
        """Adds to each lost record where it waits and the consumer group's committed offset of
        that partition now: for a missing routing (recognition) decision the router's
        (recognition worker's) group on ingress, for an undelivered copy the outbound worker's
        group on the partner topic. `committed_past` true means the group committed an offset
        past a record whose effect never appeared (a loss, not a stall)."""
        from confluent_kafka import Consumer, TopicPartition

        from hub.runtime.kafka import consumer_config
        from hub.runtime.topics import partner_topic
        prefix, ingress = self.settings.topic_prefix, self.settings.topic("ingress")

        def where(d):    # (group, topic, [(partition, offset)])
            if d["stage"] == "no_routing_decision":
                return f"{prefix}-router", ingress, [d["ingress"]] if d.get("ingress") else []
            if d["stage"] == "no_recognition_decision":
                return f"{prefix}-recognition", ingress, [d["ingress"]] if d.get("ingress") else []
            return f"{prefix}-delivery", partner_topic(self.settings, d["partner"]), d.get("copies") or []

        out = []
        for d in detail:
            group, topic, at = where(d)
            if not at:
                out.append(d)
                continue
            c = Consumer(consumer_config(self.settings, group))
            try:
                got = {tp.partition: tp.offset
                       for tp in c.committed([TopicPartition(topic, part) for part, _ in at], timeout=30)}
            except Exception as e:  # noqa: BLE001 - a diagnostic only
                out.append(dict(d, committed=f"unknown ({e.__class__.__name__})"))
                continue
            finally:
                c.close()
            out.append(dict(d, group=group, committed={f"{part}@{off}": got.get(part) for part, off in at},
                            committed_past=any((got.get(part) or -1) > off for part, off in at)))
        return out

    def close(self) -> None:
        if self.tracker is not None:
            self.tracker.stop_evt.set()
            self.tracker.join(10)
        self.partner_side.stop()
        try:
            self.shutdown()
        finally:
            if self.principals is not None:
                self.principals.revoke()


def account(tracks: dict[str, Track], received: dict[str, dict], consented: set[str]) -> dict:
    """The per-event account of a run (see the module docstring): lost events by stage, holds,
    dead letters. `received` is the partner side's {partner: {Idempotency-Key: type}}."""
    lost: Counter = Counter()
    lost_ids: list[str] = []
    detail: list[dict] = []
    held = released = expired = still_held = release_without_hold = released_not_delivered = 0
    consented_held = consented_released = consented_kept = dead_lettered = 0
    for eid, t in tracks.items():
        if t.dead or t.dead_partners:
            dead_lettered += 1
        why = None
        if t.kind == "decision" and not t.decided and not t.dead:
            why = "no_recognition_decision"
            if len(detail) < 20:
                detail.append({"event_id": eid, "stage": why, "ingress": t.ingress_at})
        for p in sorted(t.expected):
            acts = t.actions.get(p) or []
            got = eid in received.get(p, {})
            if why is None and not t.dead:
                if not acts and t.decided:
                    why = "no_routing_decision"
                    if len(detail) < 20:
                        detail.append({"event_id": eid, "partner": p, "stage": why, "ingress": t.ingress_at})
                elif acts and acts[-1] in FORWARDS and not got and p not in t.dead_partners:
                    why = undelivered_stage(t, p)
                    if len(detail) < 20:
                        detail.append({"event_id": eid, "partner": p, "stage": why, "actions": list(acts),
                                       "copies": list(t.copies.get(p, ())), "receipt": t.receipts.get(p)})
            if "hold" in acts:
                held += 1
                rel, exp = "release" in acts, "expire" in acts
                released += rel
                expired += exp and not rel
                still_held += not rel and not exp
                if eid in consented:
                    consented_held += 1
                    consented_released += rel
                    consented_kept += not rel and any(a.startswith("redecided_") for a in acts)
                if rel and not got:
                    released_not_delivered += 1
            elif "release" in acts or "expire" in acts:
                release_without_hold += 1
        if why:
            lost[why] += 1
            if len(lost_ids) < 20:
                lost_ids.append(eid)
    holds = {"held": held, "released": released, "expired": expired, "still_held": still_held,
             "release_or_expire_without_hold": release_without_hold,
             "released_not_delivered": released_not_delivered,
             "consented_holds": consented_held, "consented_holds_released": consented_released,
             "consented_holds_kept_by_policy": consented_kept}
    holds["consistent"] = (release_without_hold == 0 and released_not_delivered == 0
                           and consented_released + consented_kept == consented_held
                           and held == released + expired + still_held)
    return {"lost": lost, "lost_examples": lost_ids, "lost_detail": detail, "holds": holds,
            "dead_lettered": dead_lettered}


def undelivered_stage(t: Track, partner: str) -> str:
    """Where a copy the router decided to send (forward / release) stopped short of `partner`:
    never on the partner topic (the router), on the topic without a receipt (the outbound
    worker), or with a `delivered` receipt the partner side never saw (transport / receiver)."""
    if not t.copies.get(partner):
        return "decided_not_on_partner_topic"
    if t.receipts.get(partner) == "delivered":
        return "receipt_but_not_at_partner"
    return "not_delivered"


class Feeder(threading.Thread):
    """Produces the stream at `rate` records/s in small chunks through produce_all (the ingest
    path); records the send time of each event id (for end-to-end latency)."""

    def __init__(self, run: HubRun, stream: list, rate: float, chunk_s: float):
        super().__init__(name="feeder", daemon=True)
        self.run_, self.stream, self.rate, self.chunk_s = run, stream, rate, chunk_s
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.started_at = 0.0
        self.finished_at = 0.0

    def run(self):
        from confluent_kafka import Producer

        from hub.ingest.producer import produce_all
        from hub.runtime.kafka import producer_config
        try:
            r = self.run_
            ingest = r.client_settings("ingest")
            producer = Producer(producer_config(ingest))
            per = max(1, int(self.rate * self.chunk_s)) if self.rate else 500
            self.started_at = t0 = time.monotonic()
            for i in range(0, len(self.stream), per):
                chunk = self.stream[i:i + per]
                if self.rate:
                    wait = t0 + i / self.rate - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                now = time.time()
                for item, _ in chunk:
                    r.sent_at[item.event["header"]["event_id"]] = now
                produce_all(ingest, iter(chunk), connector="mixed", producer=producer)
                r.events_fed += len(chunk)
            self.finished_at = time.monotonic()
        except BaseException as e:
            self.error = e
        finally:
            self.done.set()
