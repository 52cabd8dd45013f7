"""`nqf-hub demo`: the whole hub on one machine, end to end, then a summary.

Steps: start (or reuse) the broker; pick a fresh topic prefix so the run counts only its own
records; copy the partner registry with webhook URLs pointing at a local receiver that checks
HMAC signatures; create topics; make a signing key in <home>/keys if there is none; start the
router (faust), the recognition processor (faust) and the outbound worker as processes; ingest
reference data (institutions, qualifications, accreditation; hub.demo.reference_data) and two
early recognition requests through the `canonical-json` connector, then N Open Badges 3.0
credentials from several jurisdictions through the `openbadges3` connector, then a revocation
and recognition requests across frameworks from partners in the registry; watch hub.audit,
hub.delivery, hub.deadletter and hub.recognition until every credential is accounted for and
every request has a decision (verified against the hub's public key) that the router has
routed; print the summary; stop everything it started.

Counting is per ingested event, not per partner copy. An event is
  dead_lettered  if any of its copies (or the event itself) was dead-lettered, else
  delivered      if at least one partner received it, else
  held           if it is held for at least one partner, else
  blocked        (every subscribed partner was refused it, or no partner subscribes to it),
so delivered + held + blocked + dead_lettered == ingested. Only credentials count there;
reference data, requests and decisions are summarised separately.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hub.config import Settings
from hub.errors import HubError


@dataclass
class EventTrack:
    jurisdiction: str
    expected: set[str]
    actions: dict[str, str] = field(default_factory=dict)     # partner -> router action
    receipts: dict[str, str] = field(default_factory=dict)    # partner -> delivered|dead_lettered
    dead: bool = False

    def done(self) -> bool:
        if self.dead:
            return True
        for p in self.expected:
            a = self.actions.get(p)
            if a is None:
                return False
            if a in ("forward", "forward_minimised") and p not in self.receipts:
                return False
        return True

    def outcome(self) -> str:
        if self.dead or "dead_lettered" in self.receipts.values():
            return "dead_lettered"
        if "delivered" in self.receipts.values():
            return "delivered"
        if "hold" in self.actions.values():
            return "held"
        return "blocked"


@dataclass
class DecisionTrack(EventTrack):
    """One recognition request: its decision (from hub.recognition) and how the router sent it
    to the requesting partner (the EventTrack part, keyed by the decision's event id)."""

    request_id: str = ""
    request_event_id: str = ""
    route: str = ""
    case: str = ""
    decision: dict | None = None
    verified: bool = False

    def done(self) -> bool:
        return self.dead or (self.decision is not None and super().done())



def decision_recipients(request: dict, partners: dict) -> set[str]:
    """The partners the decision on `request` should reach: its requesting partner, if that
    partner is registered and subscribed to RecognitionDecided from the request's source."""
    from hub.routing.policy import subscribed

    pid = request["requesting_partner"]
    probe = {"header": {"event_type": "RecognitionDecided", "source": request["header"]["source"]},
             "requesting_partner": pid}
    return {pid} if pid in partners and subscribed(partners[pid], probe) else set()


class Demo:
    def __init__(self, settings: Settings, *, events: int = 100, timeout_s: float = 180.0,
                 keep_broker: bool = False, say=print, seed: int = 7, wait_s: float = 5.0):
        self.base = settings
        self.n = events
        self.wait_s = wait_s             # the recognition worker's wait for a missing credential
        self.timeout_s = timeout_s
        self.keep_broker = keep_broker
        self.say = say
        self.seed = seed
        self.procs: list[subprocess.Popen] = []
        self.metrics_ports: dict[str, int] = {}
        self.started_broker = False
        self.tmp = Path(tempfile.mkdtemp(prefix="nqfhub-demo-"))
        self.prefix = f"demo{int(time.time() * 1000) % 10**10}"
        self.settings = settings.with_(topic_prefix=self.prefix, partners_dir=self.tmp / "partners")

    # ---- setup ---------------------------------------------------------------------------
    def _broker(self):
        from hub.runtime import broker
        if self.base.bootstrap:
            self.say(f"using Kafka at {self.base.bootstrap}")
            return
        st, started = broker.start(self.base)
        self.started_broker = started
        self.say(f"embedded broker {'started' if started else 'reused'} at {st.bootstrap}")

    def _partners(self, receiver_url: str) -> dict[str, bytes]:
        """Copy the partner registry, pointing webhooks at the local receiver; make secrets."""
        from connectors.webhook import new_secret
        src = self.base.partners_path
        dst = self.settings.partners_path
        dst.mkdir(parents=True)
        secrets: dict[str, bytes] = {}
        for p in sorted(src.glob("*.yaml")):
            data = yaml.safe_load(p.read_text())
            if not isinstance(data, dict) or "id" not in data:
                shutil.copy(p, dst / p.name)
                continue
            d = data.setdefault("delivery", {})
            if d.get("type", "webhook") == "webhook":
                d["url"] = f"{receiver_url}/{data['id']}"
                d["secret_ref"] = f"demo-{data['id']}"
                d["max_attempts"] = 4
                d["backoff_s"] = 0.1
                secrets[data["id"]] = new_secret().encode()
            elif d.get("type") == "file":
                d["path"] = str(self.tmp / "drop" / data["id"])
            (dst / p.name).write_text(yaml.safe_dump(data, sort_keys=False))
        return secrets

    def _env(self, secrets: dict[str, bytes]) -> dict:
        from hub.delivery.secrets import env_name
        env = dict(os.environ)
        env["NQF_HUB_TOPIC_PREFIX"] = self.prefix
        env["NQF_HUB_PARTNERS_DIR"] = str(self.settings.partners_path)
        env["NQF_HUB_HOME"] = str(self.base.home)
        for pid, s in secrets.items():
            env[env_name(f"demo-{pid}")] = s.decode()
        return env

    def _spawn(self, args: list[str], env: dict, name: str):
        log = open(self.tmp / f"{name}.log", "wb")
        p = subprocess.Popen([sys.executable, "-m", "hub", *args], env=env, stdout=log,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        p.nqf_name = name  # type: ignore[attr-defined]
        self.procs.append(p)
        return p

    # ---- run -----------------------------------------------------------------------------
    def run(self) -> dict:
        from hub.delivery.receiver import PartnerReceiver
        from hub.demo.reference_data import build_plan
        from hub.ingest.decoding import decode_sources, make_context
        from hub.ingest.producer import produce_all
        from hub.routing.policy import load_partners, subscribed
        from hub.runtime.topics import ensure_topics
        from hub.sdk import registry
        from hub.sdk.inbound import Source

        t0 = time.monotonic()
        self._broker()
        receiver = PartnerReceiver({}).start()
        try:
            secrets = self._partners(receiver.url)
            receiver.secrets.update(secrets)
            partners = load_partners(self.settings.partners_path)
            ensure_topics(self.settings, partners)
            self.say(f"topics ready (prefix {self.prefix}), {len(partners)} partners: "
                     + ", ".join(f"{p.id} ({p.jurisdiction})" for p in partners.values()))
            env = self._env(secrets)
            jwks = self._signing_key()
            from hub.runtime.broker import free_port
            self.metrics_ports = {"router": free_port(), "deliver": free_port(), "recognition": free_port()}
            for name, port in self.metrics_ports.items():
                extra = ["--wait-s", str(self.wait_s)] if name == "recognition" else []
                self._spawn([name, "--metrics-port", str(port), *extra], env, name)
            self.say("router, recognition processor and outbound worker started (metrics on "
                     + ", ".join(f"{n} :{p}" for n, p in self.metrics_ports.items()) + ")")

            # the input: N credentials from several jurisdictions, as an OB3 JSON Lines file
            from connectors.openbadges3.samples import sample_credentials
            src = self.tmp / "credentials.jsonl"
            with open(src, "w") as f:
                for cred in sample_credentials(self.n, seed=self.seed):
                    f.write(json.dumps(cred) + "\n")
            conn = registry.inbound("openbadges3")
            ctx = make_context(conn)
            decoded = list(decode_sources(conn, [Source.from_path(src)], ctx))   # decoded once
            plan = build_plan([item.event for item, data in decoded if data is not None], partners)
            dtracks = self._decision_tracks(plan, partners)
            n_ref = self._ingest_canonical("reference", plan.reference + [r.request for r in plan.early])
            self.say(f"ingested {n_ref} reference event(s) and early request(s) "
                     f"({len(plan.reference)} institutions, qualifications and accreditation decisions)")
            tracks: dict[str, EventTrack] = {}

            def remember(items):
                for item, data in items:
                    if data is not None:
                        ev = item.event
                        tracks[ev["header"]["event_id"]] = EventTrack(
                            ev["header"]["source"]["jurisdiction"],
                            {pid for pid, p in partners.items() if subscribed(p, ev)})
                    yield item, data

            summary = produce_all(self.settings, remember(iter(decoded)), connector="openbadges3", progress=None)
            self.say(f"ingested {summary.ingested} credential(s) "
                     f"({', '.join(f'{j}: {c}' for j, c in sorted(Counter(t.jurisdiction for t in tracks.values()).items()))}); "
                     f"{summary.rejected} rejected at the door")
            n_late = self._ingest_canonical("requests", plan.revocations + [r.request for r in plan.late])
            self.say(f"ingested {len(plan.revocations)} revocation(s) and {n_late - len(plan.revocations)} "
                     f"recognition request(s) across frameworks")
            self._watch(tracks, dtracks, jwks)
            counts = Counter(t.outcome() for t in tracks.values())
            result = {"ingested": summary.ingested, "delivered": counts["delivered"],
                      "held": counts["held"], "blocked": counts["blocked"],
                      "dead_lettered": counts["dead_lettered"],
                      "elapsed_s": round(time.monotonic() - t0, 2)}
            self._report(tracks, receiver.stats(), partners)
            self._report_recognition(dtracks, jwks)
            return result
        finally:
            receiver.stop()
            self.shutdown()

    # ---- recognition -----------------------------------------------------------------------
    def _signing_key(self) -> dict:
        """The hub's public keys (JWKS); makes the missing signing keys (one per purpose) in <home>/keys."""
        from hub.recognition.signing import PURPOSES, KeyStore
        store = KeyStore(self.base.home)
        for purpose in PURPOSES:          # one key per purpose: audit seals, recognition decisions
            if not store.active_id(purpose):
                kid = store.generate(purpose)
                self.say(f"generated {purpose} signing key {kid} in {store.dir}")
        return store.jwks()

    def client_settings(self, service: str) -> Settings:
        """The settings this process uses when it acts as hub service `service` (e.g. `ingest`):
        the run's own (one principal for everything); the chaos harness runs each service as its
        own Kafka principal."""
        return self.settings

    def _ingest_canonical(self, name: str, events: list[dict]) -> int:
        """Write canonical JSON lines and ingest them with the `canonical-json` connector."""
        from hub.ingest.decoding import decode_sources, make_context
        from hub.ingest.producer import produce_all
        from hub.jsonview import dumps
        from hub.sdk import registry
        from hub.sdk.inbound import Source

        path = self.tmp / f"{name}.jsonl"
        path.write_text("".join(dumps(e) + "\n" for e in events))
        conn = registry.inbound("canonical-json")
        s = produce_all(self.client_settings("ingest"),
                        decode_sources(conn, [Source.from_path(path)], make_context(conn)),
                        connector="canonical-json", progress=None)
        if s.rejected:
            raise HubError(f"{s.rejected} generated {name} event(s) were rejected; see {path}")
        return s.ingested

    @staticmethod
    def _decision_tracks(plan, partners) -> dict[str, DecisionTrack]:
        """One track per request, keyed by its (deterministic) decision event id."""
        from hub.recognition import decision_event_id

        out = {}
        for pr in plan.requests:
            r = pr.request
            h = r["header"]
            out[decision_event_id(h["event_id"])] = DecisionTrack(
                h["subject_jurisdiction"], decision_recipients(r, partners), request_id=r["request_id"],
                request_event_id=h["event_id"], route=pr.route, case=pr.case)
        return out

    def _report_recognition(self, dtracks: dict[str, DecisionTrack], jwks: dict) -> None:
        cols = ("RECOGNISED", "PARTIALLY_RECOGNISED", "NOT_RECOGNISED", "CANNOT_DETERMINE")
        per_route: dict[str, Counter] = defaultdict(Counter)
        routed: Counter = Counter()
        for t in dtracks.values():
            d = t.decision
            if d is None:
                continue
            route = t.route
            if "->" in route and d.get("target_framework") and not route.endswith(d["target_framework"]):
                route = f"{route.split(' -> ')[0]} -> {d['target_framework']}"
            per_route[route][d["outcome"]] += 1
            for a in t.actions.values():
                routed[a] += 1
            routed["delivered"] += sum(1 for v in t.receipts.values() if v == "delivered")
        decided = [t for t in dtracks.values() if t.decision is not None]
        kids = ", ".join(k["kid"] for k in jwks.get("keys", [])[-1:])
        self.say("")
        self.say(f"recognition: {len(dtracks)} request(s), {len(decided)} signed decision(s), "
                 f"{sum(t.verified for t in decided)} signature(s) verified with the hub's public key ({kids})")
        self.say(f"  {'route (source -> target framework)':<36}" + "".join(f"{c:>22}" for c in cols))
        for route in sorted(per_route):
            self.say(f"  {route:<36}" + "".join(f"{per_route[route][c]:>22}" for c in cols))
        for t in sorted((t for t in decided if t.case), key=lambda t: t.request_id):
            d = t.decision
            codes = ", ".join(r["code"] for r in d["reasons"][:2])
            self.say(f"  {t.case}: {d['outcome']} ({codes})")
        self.say("  decisions sent to the requesting partner by the router: "
                 + (", ".join(f"{k} {v}" for k, v in sorted(routed.items())) or "none"))

    def _watch(self, tracks: dict[str, EventTrack], dtracks: dict[str, DecisionTrack] | None = None,
               jwks: dict | None = None) -> None:
        """Read audit, receipts, dead letters and decisions (no consumer group: direct assignment)."""
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        from hub.runtime.deadletter import headers_dict
        from hub.runtime.kafka import consumer_config
        from hub.serde import default_serde

        from hub.recognition.signing import verify

        serde = default_serde()
        s = self.settings
        dtracks = dtracks or {}
        by_request = {t.request_event_id: t for t in dtracks.values()}
        all_tracks: dict[str, EventTrack] = {**tracks, **dtracks}
        cfg = consumer_config(s, f"{self.prefix}-demo-watch")
        c = Consumer(cfg)
        topics = [s.topic("audit"), s.topic("delivery"), s.topic("deadletter"), s.topic("recognition")]
        md = c.list_topics(timeout=10)
        c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in md.topics[t].partitions])
        pending = {eid for eid, t in all_tracks.items() if not t.done()}
        deadline = time.monotonic() + self.timeout_s
        last_say = time.monotonic()
        try:
            while pending and time.monotonic() < deadline:
                self._check_workers()
                for m in c.consume(1000, timeout=0.5):
                    if m.error():
                        continue
                    if m.topic() == s.topic("deadletter"):
                        h = headers_dict(m.headers())
                        eid = h.get("event_id")
                        if eid in all_tracks:
                            if h.get("stage") == "delivery" and h.get("partner"):
                                all_tracks[eid].receipts[h["partner"]] = "dead_lettered"
                            else:
                                all_tracks[eid].dead = True
                        elif eid in by_request:          # the recognition stage gave up on a request
                            by_request[eid].dead = True
                        continue
                    _, rec = serde.decode(m.value())
                    if m.topic() == s.topic("recognition"):
                        t = dtracks.get(rec["header"]["event_id"])
                        if t is not None and t.decision is None:
                            t.decision = rec
                            t.verified = verify(rec, jwks or {}).valid
                        continue
                    t = all_tracks.get(rec.get("event_id"))   # audit seals carry no event id
                    if t is None:
                        continue
                    if m.topic() == s.topic("audit"):
                        t.actions[rec["partner_id"]] = rec["action"]
                    else:
                        t.receipts[rec["partner_id"]] = rec["status"]
                pending = {eid for eid in pending if not all_tracks[eid].done()}
                if time.monotonic() - last_say > 5:
                    last_say = time.monotonic()
                    open_d = sum(1 for eid in pending if eid in dtracks)
                    self.say(f"... {len(tracks) - (len(pending) - open_d)}/{len(tracks)} events accounted for, "
                             f"{len(dtracks) - open_d}/{len(dtracks)} recognition requests decided and routed")
        finally:
            c.close()
        if pending:
            open_d = sum(1 for eid in pending if eid in dtracks)
            raise HubError(f"{len(pending) - open_d} of {len(tracks)} events and {open_d} of {len(dtracks)} "
                           f"recognition requests were not accounted for within {self.timeout_s:.0f}s; "
                           f"worker logs are in {self.tmp}")

    def _check_workers(self):
        for p in self.procs:
            if p.poll() is not None:
                tail = (self.tmp / f"{p.nqf_name}.log").read_text(errors="replace")[-2000:]
                raise HubError(f"the {p.nqf_name} worker exited with status {p.returncode}; "
                               f"last log lines:\n{tail}")

    def _report(self, tracks, rstats, partners) -> None:
        per_partner: dict[str, Counter] = defaultdict(Counter)
        per_juris: dict[str, Counter] = defaultdict(Counter)
        for t in tracks.values():
            per_juris[t.jurisdiction][t.outcome()] += 1
            for p, a in t.actions.items():
                per_partner[p][a] += 1
                if t.receipts.get(p) == "delivered":
                    per_partner[p]["delivered"] += 1
        self.say("")
        self.say("decisions per partner (one per event x subscribed partner):")
        cols = ("forward", "forward_minimised", "hold", "block", "delivered")
        self.say(f"  {'partner':<28}" + "".join(f"{c:>19}" for c in cols))
        for pid in sorted(per_partner):
            self.say(f"  {pid + ' (' + partners[pid].jurisdiction + ')':<28}"
                     + "".join(f"{per_partner[pid][c]:>19}" for c in cols))
        self.say("outcome per source jurisdiction (one per event):")
        for j in sorted(per_juris):
            self.say(f"  {j:<4} " + ", ".join(f"{k} {v}" for k, v in sorted(per_juris[j].items())))
        self.say(f"partner receiver: {sum(rstats['received'].values())} signed deliveries accepted, "
                 f"{sum(rstats['duplicates'].values())} duplicates ignored, "
                 f"{sum(rstats['bad_signatures'].values())} bad signatures")

    def shutdown(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.started_broker and not self.keep_broker:
            from hub.runtime import broker
            broker.stop(self.base)
        shutil.rmtree(self.tmp, ignore_errors=True)
        # the recognition worker's faust data directory (hub.recognition.app) is per prefix
        shutil.rmtree(Path(self.base.home) / "faust" / f"{self.prefix}-recognition", ignore_errors=True)
