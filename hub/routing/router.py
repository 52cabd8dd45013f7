"""The privacy router's per-record logic, independent of the stream framework.

`RouterCore.route(value, key)` turns one record of hub.ingress into the records it causes:
for each subscribed partner, the policy decision, and from it a copy on hub.partner.<id>
(forward / forward_minimised), a HeldRecord on hub.held (hold) or nothing (block); always one
AuditRecord on hub.audit per decision. A record that cannot be decoded or decided becomes one
dead letter with its original bytes. The faust agent (hub.routing.app) and the benchmark's
hand-written loop both call this, so they do exactly the same work.

With a `chain` (hub.routing.audit_chain.ChainWriter, the faust app passes one) audit records
are hash-linked and sent to the audit partition equal to the input partition (single writer
per partition). With a learner secret (the faust app loads one) held records and consent
events are also re-keyed by learner key onto <prefix>.consent-join (hub.routing.consent), and
`release` handles the requests the join and operators put on <prefix>.release
(hub.routing.release).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass

from hub.config import Settings
from hub.errors import HubError, RecordError
from hub.routing.retention import recipients_of, recipients_row
from hub.runtime.deadletter import dlq_headers
from hub.routing.trust_gate import gate as trust_gate
from hub.runtime.topics import partner_topic
from hub.serde import Serde

log = logging.getLogger("nqfhub.router")
UTC = dt.timezone.utc
AUDIT = "nqfhub.internal.AuditRecord"
HELD = "nqfhub.internal.HeldRecord"


@dataclass(slots=True)
class Output:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    partition: int | None = None        # explicit partition (audit chain); None: by key


class RouterCore:
    """Built once per worker process; `route` is called for every record (the hot path)."""

    def __init__(self, settings: Settings, serde: Serde, engine, partners: dict, *,
                 hold_ttl: dt.timedelta = dt.timedelta(days=30), evidence_for=None, metrics=None,
                 learner_secret: bytes | None = None):
        from hub.routing.policy import subscribed

        self.settings = settings
        self.serde = serde
        self.engine = engine
        self.partners = partners
        self.hold_ttl = hold_ttl
        self.evidence_for = evidence_for or _partner_evidence
        self.metrics = metrics
        self.t_audit = settings.topic("audit")
        self.t_held = settings.topic("held")
        self.t_dlq = settings.topic("deadletter")
        self.t_partner = {pid: partner_topic(settings, pid) for pid in partners}
        self.t_join = settings.topic("consent-join")
        self.learner_secret = learner_secret
        self._subscribed = subscribed

    def route(self, value: bytes, key: bytes | None = None,
              origin: tuple[str, int, int] | None = None, recipients=None, *, chain=None) -> list[Output]:
        """Outputs for one record. `recipients` (credential id -> partner ids that were sent the
        credential or a decision about it) is read for CredentialRevoked and updated on forwards;
        the faust app passes a changelogged table, co-partitioned with hub.ingress. `chain`
        links the audit records (partition = origin's partition)."""
        try:
            _, event = self.serde.decode(value)
        except RecordError as e:
            return [self._dead_letter(value, key, e, "schema", origin)]
        h = event.get("header") or {}
        event_id, trace_id, etype = h.get("event_id", ""), h.get("trace_id", ""), h.get("event_type", "")
        if self.metrics:
            self.metrics.event_in(event)
        now = dt.datetime.now(UTC)
        outs: list[Output] = []
        base_headers = [("nqfhub.event_id", event_id.encode()), ("nqfhub.trace_id", trace_id.encode()),
                        ("nqfhub.event_type", etype.encode())]
        if recipients is None:
            recipients = {}
        cred = event.get("credential_id")
        if etype == "CredentialRevoked":
            # revocation push: only the partners that were sent this credential get the notice
            targets = [p for p in recipients_of(recipients.get(cred)) if p in self.partners]
        else:
            targets = [pid for pid, partner in self.partners.items() if self._subscribed(partner, event)]
        forwarded = []
        decided = []   # (partner, decision, headers, effects): linked into the audit chain only
        try:           # once every partner's outputs exist, so a failure cannot fork the chain
            for pid in targets:
                partner = self.partners[pid]
                decision = self.engine.decide(event, partner, evidence=self.evidence_for(partner, event))
                decision = trust_gate(decision, event, partner)    # hub.routing.trust_gate (issue 13)
                headers = base_headers + [("nqfhub.partner", pid.encode()),
                                          ("nqfhub.action", decision.action.encode())]
                effects: list[Output] = []
                if decision.action == "forward":
                    # forward means unchanged: the original bytes are what the partner receives
                    effects.append(Output(self.t_partner[pid], key, value, headers))
                    forwarded.append(pid)
                elif decision.action == "forward_minimised":
                    effects.append(Output(self.t_partner[pid], partner_key(key, decision),
                                          self.serde.encode(decision.event), headers))
                    forwarded.append(pid)
                elif decision.action == "hold":
                    held = self.serde.encode(self._held(event, pid, decision, value, now), HELD)
                    effects.append(Output(self.t_held, key, held, headers))
                    if self.learner_secret is not None:
                        effects += self._join_held(event, pid, held, key, headers)
                decided.append((pid, decision, headers, effects))
            audits = [self._audit(event, pid, d, now) for pid, d, _, _ in decided]
        except HubError as e:
            return [self._dead_letter(value, key, e, "policy", origin, event_id)]
        for (pid, decision, headers, effects), record in zip(decided, audits):
            # the decision (audit) is written before its effects: traces read in order
            outs.append(self.audit_output(record, headers, origin, chain))
            outs += effects
            if self.metrics:
                self.metrics.decision(pid, decision, event=event)
        if self.learner_secret is not None and etype in ("ConsentRecorded", "ConsentWithdrawn"):
            outs += self._join_consent(event, value, base_headers)
        if forwarded and cred and etype in ("CredentialIssued", "RecognitionDecided"):
            known = recipients_of(recipients.get(cred))
            new = sorted(set(known) | set(forwarded))
            if new != known:
                recipients[cred] = recipients_row(new, origin, now)
        return outs

    def release(self, value: bytes, key: bytes | None, origin: tuple[str, int, int] | None,
                closed, recipients=None, *, chain=None) -> list[Output]:
        """Outputs for one ReleaseRequest of <prefix>.release (hub.routing.release)."""
        from hub.routing.release import handle_request
        return handle_request(self, value, key, origin, closed, recipients, chain)

    def audit_output(self, record: dict, headers, origin, chain) -> Output:
        """The Output of one audit record: linked into the chain of the origin's partition."""
        part = None
        if chain is not None and origin is not None:
            part = origin[1]
            chain.link(record, part)
        return Output(self.t_audit, record["event_id"].encode(), self.serde.encode(record, AUDIT),
                      headers, part)

    # ---- the consent join ----------------------------------------------------------------
    def _join_held(self, event: dict, pid: str, held: bytes, key: bytes | None, headers) -> list[Output]:
        """The held record again, keyed by each learner key, for the consent join."""
        import base64

        from hub.routing.consent import JOIN_KIND_HEADER, SUBJECT_KEY_HEADER, learner_keys
        keys = learner_keys(self.learner_secret, event.get("learner")) or \
            [hashlib.sha256(f"{event['header']['event_id']}|{pid}".encode()).hexdigest()[:32]]
        h = headers + [(JOIN_KIND_HEADER, b"held")]
        if key is not None:
            h.append((SUBJECT_KEY_HEADER, base64.b64encode(key)))
        return [Output(self.t_join, k.encode(), held, h) for k in keys]

    def _join_consent(self, event: dict, value: bytes, headers) -> list[Output]:
        """A consent event keyed by each learner key (and a recorded one also by its alias key,
        so that a withdrawal naming no learner finds it)."""
        from hub.routing.consent import JOIN_KIND_HEADER, alias_key, learner_keys
        keys = learner_keys(self.learner_secret, event.get("learner"))
        alias = alias_key(self.learner_secret, event["consent_id"])
        if event["header"]["event_type"] == "ConsentRecorded":
            outs = [Output(self.t_join, k.encode(), value, headers + [(JOIN_KIND_HEADER, b"consent")])
                    for k in keys]
            outs.append(Output(self.t_join, alias.encode(), value, headers + [
                (JOIN_KIND_HEADER, b"alias"), ("nqfhub.join.keys", ",".join(keys).encode())]))
            return outs
        return [Output(self.t_join, k.encode(), value, headers + [(JOIN_KIND_HEADER, b"withdrawal")])
                for k in (keys or [alias])]

    # ---- records -----------------------------------------------------------------------
    @staticmethod
    def _audit(event: dict, pid: str, d, now: dt.datetime) -> dict:
        h = event["header"]
        return {
            "audit_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{h['event_id']}|{pid}")),
            "event_id": h["event_id"], "event_type": h["event_type"], "trace_id": h["trace_id"],
            "partner_id": pid, "action": d.action, "rule_ids": list(d.rules),
            "legal_basis": list(d.legal_basis), "regimes": list(d.regimes),
            "categories_present": list(d.categories_present),
            "removed_categories": list(d.removed_categories),
            "purpose": getattr(d, "purpose", None), "relied_on": list(getattr(d, "relied_on", None) or ()),
            "decided_at": now, "prev_hash": None, "hash": None,
        }

    def _held(self, event: dict, pid: str, d, raw: bytes, now: dt.datetime) -> dict:
        h = event["header"]
        return {
            "held_id": hashlib.sha256(f"{h['event_id']}|{pid}".encode()).hexdigest()[:32],
            "event_id": h["event_id"], "event_type": h["event_type"], "partner_id": pid,
            "reason": "waiting for " + (", ".join(d.waiting_for) or "evidence"),
            "rule_ids": list(d.rules), "waiting_for": list(d.waiting_for),
            "purpose": getattr(d, "purpose", None), "held_at": now, "expires_at": now + self.hold_ttl,
            "event": raw,
        }

    def _dead_letter(self, value, key, err, reason_class, origin, event_id=None) -> Output:
        where = f"{origin[0]}/{origin[1]}@{origin[2]}" if origin else None
        log.warning("dead-lettering a record: %s at %s", err.__class__.__name__, where or "unknown offset")
        if self.metrics:
            self.metrics.dead_letter("router", reason_class)
        return Output(self.t_dlq, key, value, dlq_headers(
            stage="router", error=err, reason_class=reason_class, original=origin,
            event_id=event_id, source=where))


def partner_key(key: bytes | None, decision) -> bytes | None:
    """The Kafka key of a partner copy: the input key (the credential id), or, when the decision
    pseudonymised the record link (statistics rows), the pseudonymised credential id, so the
    key does not carry what the value hides."""
    if "identity.record_link" in (decision.pseudonymised_categories or ()) and decision.event is not None:
        cid = decision.event.get("credential_id")
        return cid.encode() if isinstance(cid, str) else None
    return key


def _partner_evidence(partner, event):
    from hub.routing.policy import Evidence
    return Evidence(instrument_ids=frozenset(partner.instruments))


def build_core(settings: Settings, *, partners_dir=None, metrics=None, hold_ttl: dt.timedelta | None = None,
               learner_secret: bytes | None = None) -> RouterCore:
    """Load partners, rules and schemas once; raises ConfigError/MappingFileError when invalid."""
    from hub.routing.policy import PolicyEngine, load_partners
    from hub.schemas import catalog

    partners = load_partners(partners_dir or settings.partners_path)
    engine = PolicyEngine.load(settings.mappings_dir / "privacy", **_pseudonym_kw(settings))
    serde = Serde(catalog(settings.schemas_dir), settings.schema_registry_url)
    kw = {"hold_ttl": hold_ttl} if hold_ttl is not None else {}
    return RouterCore(settings, serde, engine, partners, metrics=metrics, learner_secret=learner_secret, **kw)


def _pseudonym_kw(settings: Settings) -> dict:
    from hub.routing import policy
    keys_cls = getattr(policy, "PseudonymKeys", None)
    if keys_cls is None:
        return {}
    for factory in ("from_settings", "load"):
        if hasattr(keys_cls, factory):
            return {"pseudonym_keys": getattr(keys_cls, factory)(settings)}
    return {}
