"""The recognition worker on the embedded broker: signed decisions, waiting, timeouts, dead letters.

One worker process serves the whole module (its own topic prefix); each test adds its own
events and reads <prefix>.recognition for the decisions it caused.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from hub.runtime.deadletter import headers_dict

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "recognition"
WAIT_S = 8          # the worker's --wait-s: long enough for the "request first" test, short for timeouts


@pytest.fixture(scope="module")
def rec(broker_home, clean_env, tmp_path_factory):
    from hub.config import load_settings
    from hub.recognition.signing import KeyStore
    from hub.runtime.topics import ensure_topics

    env = dict(clean_env, NQF_HUB_TOPIC_PREFIX="itrec" + uuid.uuid4().hex[:8])
    settings = load_settings(env)
    store = KeyStore(broker_home)
    if not store.active_id():
        store.generate()
    ensure_topics(settings, [])
    log = tmp_path_factory.mktemp("rec") / "recognition.log"
    proc = subprocess.Popen([sys.executable, "-m", "hub", "recognition", "--wait-s", str(WAIT_S)],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    tmp = tmp_path_factory.mktemp("rec-in")
    n = iter(range(1000))

    def ingest(events: list[dict]) -> None:
        """One `nqf-hub ingest` per source authority of `events` (each an authorities-file entry)."""
        from tests.authorities import write_authorities
        for authority, group in write_authorities(tmp / "authorities.yaml", events).items():
            path = tmp / f"in{next(n)}.jsonl"
            path.write_text("".join(json.dumps(e) + "\n" for e in group))
            r = subprocess.run([sys.executable, "-m", "hub", "ingest", "canonical-json", str(path), "--quiet",
                                "--authority", authority, "--tokens", str(tmp / "authorities.yaml")],
                               env=env, capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr

    def decisions(credential_id: str, expect: int = 1, timeout: float = 45.0) -> list[dict]:
        """The distinct decisions about `credential_id`, one per decision event id."""
        out, deadline = {}, time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            out = distinct([d for k, d in read(settings, settings.topic("recognition")) if k == credential_id])
            if len(out) >= expect:
                break
            time.sleep(0.5)
        return out

    ingest(_lines("events.jsonl"))            # reference data and credentials of the fixtures
    yield type("Rec", (), {"settings": settings, "ingest": staticmethod(ingest), "jwks": store.jwks(),
                           "decisions": staticmethod(decisions), "proc": proc, "log": log})
    proc.terminate()
    proc.wait(20)


def read(settings, topic: str):
    """Every record of `topic` now (direct assignment from the beginning): [(key, value)]."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    from hub.runtime.kafka import consumer_config
    from hub.serde import default_serde
    c = Consumer(consumer_config(settings, "test-reader"))
    md = c.list_topics(topic, timeout=10)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in md.topics[topic].partitions])
    out, idle = [], 0
    while idle < 2:
        batch = [m for m in c.consume(500, timeout=0.3) if not m.error()]
        idle = idle + 1 if not batch else 0
        out += batch
    c.close()
    if topic.endswith(".deadletter"):
        return [(m.key(), m) for m in out]
    serde = default_serde()
    return [(m.key().decode(), serde.decode(m.value())[1]) for m in out]


def distinct(found: list[dict]) -> list[dict]:
    """One decision per decision event id. The worker is at-least-once: a batch re-read after a
    rebalance or restart (e.g. a member evicted on a loaded machine) decides its requests again
    under the same deterministic id, with a new timestamp and signature. Such a repeat must be
    the same decision (request, outcome, reasons, levels); anything else is a double decision."""
    first: dict[str, dict] = {}
    for d in found:
        eid = d["header"]["event_id"]
        if eid in first:
            a, b = first[eid], d
            same = ("request_id", "outcome", "reasons", "comparable_levels")
            assert {k: a.get(k) for k in same} == {k: b.get(k) for k in same}, \
                f"two different decisions under one id {eid}: {a['outcome']} and {b['outcome']}"
        else:
            first[eid] = d
    return list(first.values())


def _lines(name: str) -> list[dict]:
    return [json.loads(x) for x in (DATA / name).read_text().splitlines() if x.strip()]


def _request(name: str, **changes) -> dict:
    obj = json.loads((DATA / "requests" / f"{name}.json").read_text())
    obj.update(changes)
    return obj


def _new_id(obj: dict) -> dict:
    obj = json.loads(json.dumps(obj))
    obj["header"]["event_id"] = str(uuid.uuid4())
    return obj


def test_known_credential_gets_a_signed_decision_that_verifies(rec):
    from hub.recognition.signing import verify

    rec.ingest([_request("ie-hons-to-germany")])
    [d] = rec.decisions("cred:ie-hons")
    assert d["outcome"] == "RECOGNISED"
    assert [f"{x['framework']}:{x['code']}" for x in d["comparable_levels"]] == ["DE-DQR:6"]
    assert d["request_id"] == "req:ie-hons-to-germany"
    v = verify(d, rec.jwks)
    assert v.valid, v.reason
    assert not verify({**d, "outcome": "NOT_RECOGNISED"}, rec.jwks).valid


def test_a_request_before_its_credential_waits_and_is_decided_when_it_arrives(rec):
    issued = next(e for e in _lines("events.jsonl") if e["header"]["event_type"] == "CredentialIssued"
                  and e["credential_id"] == "cred:ie-hons")
    cid = f"cred:late-{uuid.uuid4().hex[:6]}"
    issued = _new_id(issued)
    issued["credential_id"] = cid
    req = _new_id(_request("ie-hons-to-germany", credential_id=cid, request_id=f"req:{cid}"))
    rec.ingest([req])
    time.sleep(2)
    assert rec.decisions(cid, timeout=1) == []        # parked: no decision without the credential
    rec.ingest([issued])
    [d] = rec.decisions(cid)
    assert d["outcome"] == "RECOGNISED", d["reasons"]
    assert "CREDENTIAL_NOT_RECEIVED" not in [r["code"] for r in d["reasons"]]


def test_a_credential_that_never_arrives_is_decided_cannot_determine_after_the_wait(rec):
    cid = f"cred:never-{uuid.uuid4().hex[:6]}"
    rec.ingest([_new_id(_request("unknown-credential", credential_id=cid))])
    t0 = time.monotonic()
    [d] = rec.decisions(cid, timeout=WAIT_S + 40)
    assert time.monotonic() - t0 >= WAIT_S - 2        # it waited (the ingest itself takes a moment)
    assert d["outcome"] == "CANNOT_DETERMINE"
    assert [r["code"] for r in d["reasons"]] == ["CREDENTIAL_NOT_RECEIVED"]


def test_an_undecodable_record_is_dead_lettered_and_the_worker_keeps_going(rec):
    from confluent_kafka import Producer

    from hub.runtime.kafka import producer_config
    key = f"bad-{uuid.uuid4().hex[:6]}".encode()
    p = Producer(producer_config(rec.settings))
    p.produce(rec.settings.topic("ingress"), value=b"\x00not avro", key=key)
    p.flush(10)
    deadline = time.monotonic() + 45
    found = []
    while not found and time.monotonic() < deadline:
        found = [m for k, m in read(rec.settings, rec.settings.topic("deadletter")) if k == key]
        time.sleep(0.5)
    assert found and found[0].value() == b"\x00not avro"
    h = headers_dict(found[0].headers())
    assert h["stage"] == "recognition" and h["reason_class"] == "schema"
    rec.ingest([_new_id(_request("de-msc-to-austria"))])
    assert rec.decisions("cred:de-msc")[0]["outcome"] == "RECOGNISED"
    assert rec.proc.poll() is None
