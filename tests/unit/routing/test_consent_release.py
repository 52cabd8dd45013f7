"""The router's side of consent: join outputs, the join step, release requests and how the
router answers them (release, still held, expire, erasure, duplicates). No Kafka."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from hub.routing.audit_chain import ChainWriter

UTC = dt.timezone.utc
ROOT = Path(__file__).resolve().parents[3]
SECRET = bytes(range(32))
NID = "9804120000000"


class FakeProducer:
    def __init__(self):
        self.sent = []

    def produce(self, topic, value=None, key=None, headers=None, on_delivery=None):
        self.sent.append((topic, key, value, headers))
        if on_delivery:
            on_delivery(None, None)

    def poll(self, _t=0):
        return 0

    def flush(self, _t=0):
        return 0


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    import yaml

    from hub.config import load_settings
    from hub.routing.router import build_core
    home = tmp_path_factory.mktemp("home")
    pdir = home / "partners"
    pdir.mkdir()
    (pdir / "de-uni.yaml").write_text(yaml.safe_dump({
        "id": "de-uni", "name": "de-uni", "jurisdiction": "DE", "legal_nature": "public_body",
        "purposes": ["recognition"], "instruments": [],
        "delivery": {"type": "topic"}}))
    s = load_settings({"NQF_HUB_HOME": str(home), "NQF_HUB_TOPIC_PREFIX": "u"})
    return build_core(s, partners_dir=pdir, learner_secret=SECRET)


@pytest.fixture
def za_event():
    from hub.jsonview import event_from_json
    return event_from_json(json.loads((ROOT / "tests" / "data" / "privacy" / "za-credential.json").read_text()))


def consent(core, etype="ConsentRecorded", learner=True):
    from connectors.consent._inbound import to_event
    from hub.ingest.decoding import make_context
    from hub.sdk import registry
    row = {"consent_id": "c-1", "action": "recorded" if etype == "ConsentRecorded" else "withdrawn",
           "timestamp": "2026-03-01", "id_scheme": "za-id", "id_value": NID, "purposes": "recognition",
           "partners": "de-uni", "jurisdiction": "ZA"}
    ev = to_event(row, make_context(registry.inbound("consent")))
    if not learner:
        ev["learner"] = None
    return ev


def headers(o):
    return {k: v.decode() for k, v in o.headers}


def test_hold_goes_to_held_audit_and_consent_join_by_learner_key(core, za_event):
    from hub.routing.consent import learner_keys
    chain = ChainWriter()
    outs = core.route(core.serde.encode(za_event), b"za-cred:6a1f5c2e", ("u.ingress", 3, 7), {}, chain=chain)
    topics = [o.topic for o in outs]
    assert topics.count("u.held") == 1 and topics.count("u.audit") == 1
    joins = [o for o in outs if o.topic == "u.consent-join"]
    assert sorted(o.key.decode() for o in joins) == learner_keys(SECRET, za_event["learner"])
    assert all(NID.encode() not in o.key and headers(o)["nqfhub.join"] == "held" for o in joins)
    audit = [o for o in outs if o.topic == "u.audit"][0]
    assert audit.partition == 3 and chain.head(3).seq == 1          # the input's partition, linked


def test_without_chain_the_benchmark_path_is_unchanged(core, za_event):
    outs = core.route(core.serde.encode(za_event), b"k", ("u.ingress", 1, 0))
    assert all(o.partition is None for o in outs)
    _, rec = core.serde.decode([o for o in outs if o.topic == "u.audit"][0].value)
    assert rec["hash"] is None


def test_consent_events_go_to_learner_keys_and_alias(core):
    ev = consent(core)
    outs = core.route(core.serde.encode(ev), b"c-1", ("u.ingress", 0, 0), {})
    kinds = sorted(headers(o)["nqfhub.join"] for o in outs if o.topic == "u.consent-join")
    assert kinds == ["alias", "consent"]
    w = consent(core, "ConsentWithdrawn", learner=False)
    (o,) = core.route(core.serde.encode(w), b"c-1", ("u.ingress", 0, 1), {})
    assert headers(o)["nqfhub.join"] == "withdrawal"


def _join(core, table, outs):
    from hub.routing.consent import JoinProcessor
    proc = JoinProcessor(core.settings, core.serde)
    now = dt.datetime.now(UTC)
    result = []
    for o in outs:
        if o.topic == "u.consent-join":
            result += proc.step(table, o.key, 0, o.value, o.headers, now)
    return result


def test_join_step_releases_and_router_forwards_once(core, za_event):
    table = {}
    held_outs = core.route(core.serde.encode(za_event), b"za-cred:6a1f5c2e", ("u.ingress", 0, 0), {})
    assert _join(core, table, held_outs) == []
    cons = consent(core)
    reqs = _join(core, table, core.route(core.serde.encode(cons), b"c-1", ("u.ingress", 0, 1), {}))
    assert len(reqs) == 1 and reqs[0].topic == "u.release.auto" and reqs[0].key == b"za-cred:6a1f5c2e"
    closed, recipients, chain = {}, {}, ChainWriter()
    outs = core.release(reqs[0].value, reqs[0].key, ("u.release.auto", 2, 0), closed, recipients, chain=chain)
    copy = [o for o in outs if o.topic == "u.partner.de-uni"]
    audit = [o for o in outs if o.topic == "u.audit"]
    assert len(copy) == 1 and len(audit) == 1 and audit[0].partition == 2
    _, rec = core.serde.decode(audit[0].value)
    assert rec["action"] == "release" and "ZA-POPIA-72-1-B-CONSENT" in rec["rule_ids"] and rec["hash"]
    assert headers(audit[0])["nqfhub.action"] == "release" and headers(audit[0])["nqfhub.release.evidence"] == "consent"
    _, sent = core.serde.decode(copy[0].value)
    assert sent["learner"]["national_ids"] == []                    # minimised for recognition
    row = closed[core.serde.decode(reqs[0].value)[1]["held_id"]]
    assert row["outcome"] == "release" and row["p"] == 2             # p: its changelog partition
    assert recipients["za-cred:6a1f5c2e"]["partners"] == ["de-uni"]  # revocations will follow it
    assert core.release(reqs[0].value, reqs[0].key, ("u.release", 2, 1), closed, recipients) == []


def test_release_without_enough_evidence_keeps_the_hold(core, za_event):
    from hub.routing.consent import request
    held = core._held(za_event, "de-uni", type("D", (), {"rules": ["R"], "waiting_for": ["consent"],
                                                          "purpose": "recognition"})(),
                      core.serde.encode(za_event), dt.datetime.now(UTC))
    req = request("release", held_id=held["held_id"], event_id=held["event_id"], event_type="CredentialIssued",
                  partner_id="de-uni", evidence_ids=["instrument:none:x"], reason="operator", by="ops",
                  now=dt.datetime.now(UTC), purpose="recognition", event=held["event"])
    closed = {}
    outs = core.release(core.serde.encode(req, "nqfhub.internal.ReleaseRequest"), b"k", ("u.release", 0, 0), closed)
    assert [o.topic for o in outs] == ["u.audit"]
    _, rec = core.serde.decode(outs[0].value)
    assert rec["action"] == "hold" and closed == {}


def test_expire_and_erasure(core, za_event):
    from hub.routing.consent import request
    now = dt.datetime.now(UTC)
    exp = request("expire", held_id="h-x", event_id=za_event["header"]["event_id"], event_type="CredentialIssued",
                  partner_id="de-uni", reason="expired", by="consent-join", now=now, rule_ids=["R"],
                  event=core.serde.encode(za_event))
    closed = {}
    (o,) = core.release(core.serde.encode(exp, "nqfhub.internal.ReleaseRequest"), b"k", ("u.release", 1, 0), closed)
    _, rec = core.serde.decode(o.value)
    assert o.topic == "u.audit" and rec["action"] == "expire" and rec["rule_ids"] == ["R"] and closed["h-x"]["outcome"] == "expire"
    w = consent(core, "ConsentWithdrawn")
    er = request("erasure", held_id=None, event_id=w["header"]["event_id"], event_type="ConsentWithdrawn",
                 partner_id="de-uni", evidence_ids=["consent:c-1"], related=["e-1"], reason="consent withdrawn",
                 by="consent-join", now=now, event=core.serde.encode(w))
    outs = core.release(core.serde.encode(er, "nqfhub.internal.ReleaseRequest"), b"c-1", ("u.release", 1, 1), closed)
    copy = [x for x in outs if x.topic == "u.partner.de-uni"][0]
    h = headers(copy)
    assert h["nqfhub.erasure_request"] == "true" and h["nqfhub.erasure.event_ids"] == "e-1"
    _, sent = core.serde.decode(copy.value)
    assert sent["header"]["event_type"] == "ConsentWithdrawn" and sent["consent_id"] == "c-1"
    # the partner gets identifiers only as its purpose allows (recognition: no national id)
    assert not (sent["learner"] or {}).get("national_ids")
    _, rec = core.serde.decode([x for x in outs if x.topic == "u.audit"][0].value)
    assert rec["action"] == "erasure_request"
    assert core.release(core.serde.encode(er, "nqfhub.internal.ReleaseRequest"), b"c-1", ("u.release", 1, 2), closed) == []


def test_garbage_on_release_topic_is_dead_lettered(core):
    (o,) = core.release(b"\x00garbage", b"k", ("u.release", 0, 5), {})
    assert o.topic == "u.deadletter"


def test_request_release_and_expire_produce_to_the_release_topic(core, za_event):
    from hub.errors import HubError
    from hub.routing.release import request_expire, request_release
    held = {"held_id": "h-1", "event_id": "e-1", "event_type": "CredentialIssued", "partner_id": "de-uni",
            "purpose": "recognition", "rule_ids": ["R"], "event": core.serde.encode(za_event)}
    p = FakeProducer()
    r = request_release(core.settings, held, ["consent:c-1"], "operator", "alice", key=b"cred", producer=p,
                        serde=core.serde)
    assert r["kind"] == "release" and r["evidence_ids"] == ["consent:c-1"] and r["requested_by"] == "alice"
    topic, key, value, hdrs = p.sent[0]
    assert topic == "u.release" and key == b"cred" and core.serde.decode(value)[1]["held_id"] == "h-1"
    request_expire(core.settings, held, "operator", "alice", producer=p, serde=core.serde)
    assert core.serde.decode(p.sent[1][2])[1]["kind"] == "expire" and p.sent[1][1] == b"e-1"
    with pytest.raises(HubError) as e:
        request_release(core.settings, held, ["magic:1", "consent"], "x", "y", producer=p, serde=core.serde)
    assert "magic:1" in str(e.value)


def test_join_entries_record_partition_and_write_time_and_empty_ones_are_swept(core, za_event):
    from hub.routing.consent import JoinProcessor
    table = {}
    held_outs = core.route(core.serde.encode(za_event), b"za-cred:6a1f5c2e", ("u.ingress", 0, 0), {})
    _join(core, table, held_outs)
    assert table and all(e["p"] == 0 and isinstance(e["t"], float) for e in table.values())
    # the hold expires; its entry is then empty and deleted (a tombstone in the changelog)
    later = dt.datetime.now(UTC) + dt.timedelta(days=365)
    reqs = JoinProcessor(core.settings, core.serde, ttl=dt.timedelta(days=30))._sweep(table, 0, later)
    assert reqs and {r.topic for r in reqs} == {"u.release.auto"} and table == {}
