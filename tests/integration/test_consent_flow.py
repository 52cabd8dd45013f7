"""Consent on a running hub: router + outbound worker as processes, a signature-checking receiver.

(1) a ZA credential is held for a German partner until the learner's consent is recorded; the
    partner then receives it exactly once and the audit shows hold then release;
(2) a held record without consent expires after the (short) hold TTL with an "expire" audit;
(3) a withdrawal sends the partner that received data under the consent an erasure request.
One router (hold TTL 12 s) serves the three tests; each uses its own learner and credential.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data"
TTL_S = 12


def _ingest(settings, connector: str, data: bytes, name: str = "upload") -> None:
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.producer import produce_all
    from hub.sdk import registry
    from hub.sdk.inbound import Source
    conn = registry.inbound(connector)
    s = produce_all(settings, decode_sources(conn, [Source(name, data=data)], make_context(conn)),
                    connector=connector)
    assert s.rejected == 0 and s.ingested > 0


def credential(n: int, nid: str) -> bytes:
    """The ZA fixture credential as a new learner (own id, credential id, event id)."""
    ev = json.loads((DATA / "privacy" / "za-credential.json").read_text())
    ev = copy.deepcopy(ev)
    ev["header"]["event_id"] = f"6a1f5c2e-1d2b-4c3a-9e8f-{n:012d}"
    ev["credential_id"] = f"za-cred:it-{n}"
    ev["learner"]["national_ids"] = [{"scheme": "za-id", "value": nid}]
    ev["learner"]["email"] = None
    return (json.dumps(ev) + "\n").encode()


def consent_csv(cid: str, nid: str, action: str = "recorded", when: str = "2026-03-01T09:00:00Z") -> bytes:
    return ("consent_id,action,timestamp,id_scheme,id_value,purposes,partners,jurisdiction\n"
            f"{cid},{action},{when},za-id,{nid},recognition,de-uni,ZA\n").encode()


def audits(settings, event_id: str) -> list[dict]:
    from hub.observability.reading import TopicReader
    from hub.serde import default_serde
    out = []
    with TopicReader(settings) as r:
        for m in r.read([settings.topic("audit")]):
            name, rec = default_serde().decode(m.value())
            if name.endswith("AuditRecord") and rec["event_id"] == event_id:
                out.append((m.offset(), rec))
    return [rec for _, rec in sorted(out, key=lambda x: x[0])]


def wait_for(cond, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.3)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


@pytest.fixture(scope="module")
def hub(broker_home, clean_env, tmp_path_factory):
    import uuid

    from hub.config import load_settings
    from hub.delivery.receiver import PartnerReceiver
    from hub.routing.policy import load_partners
    from hub.runtime.topics import ensure_topics

    tmp = tmp_path_factory.mktemp("consent")
    env = dict(clean_env, NQF_HUB_TOPIC_PREFIX="cs" + uuid.uuid4().hex[:8])
    from connectors.webhook import new_secret
    secret_de = new_secret()
    receiver = PartnerReceiver({"de-uni": secret_de.encode()}).start()
    pdir = tmp / "partners"
    pdir.mkdir()
    (pdir / "de-uni.yaml").write_text(yaml.safe_dump({
        "id": "de-uni", "name": "de-uni", "jurisdiction": "DE", "legal_nature": "public_body",
        "purposes": ["recognition"], "instruments": [],
        "subscribe": {"event_types": ["CredentialIssued", "CredentialRevoked"]},
        "delivery": {"type": "webhook", "url": f"{receiver.url}/de-uni", "format": "canonical-json",
                     "secret_ref": "cs-de-uni"}}))
    env["NQF_HUB_PARTNERS_DIR"] = str(pdir)
    env["NQF_HUB_SECRET_CS_DE_UNI"] = secret_de
    s = load_settings(env)
    ensure_topics(s, load_partners(pdir))
    logs = {w: tmp / f"{w}.log" for w in ("router", "deliver")}
    procs = [subprocess.Popen([sys.executable, "-m", "hub", "router", "--hold-ttl", f"{TTL_S}s",
                               "--sweep-interval", "1"], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(logs["router"], "wb")),
             subprocess.Popen([sys.executable, "-m", "hub", "deliver"], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(logs["deliver"], "wb"))]
    try:
        yield {"settings": s, "env": env, "receiver": receiver, "log": logs["router"], "procs": procs}
    finally:
        for p in procs:
            p.terminate()
            p.wait(20)
        receiver.stop()


def _received(hub, etype: str) -> list[str]:
    return sorted(k for k, t in hub["receiver"].received.get("de-uni", {}).items() if t == etype)


def test_held_credential_is_released_once_when_consent_arrives(hub):
    s = hub["settings"]
    eid = "6a1f5c2e-1d2b-4c3a-9e8f-000000000001"
    _ingest(s, "canonical-json", credential(1, "9804120000001"))
    wait_for(lambda: [a for a in audits(s, eid) if a["action"] == "hold"], 40, "the hold", hub["log"])
    assert eid not in _received(hub, "CredentialIssued")
    _ingest(s, "consent", consent_csv("c-it-1", "9804120000001"), "register.csv")
    wait_for(lambda: eid in _received(hub, "CredentialIssued"), 30, "the released credential", hub["log"])
    acts = wait_for(lambda: [a["action"] for a in audits(s, eid)] if len(audits(s, eid)) >= 2 else None,
                    10, "the release audit")
    assert acts == ["hold", "release"]
    release = audits(s, eid)[1]
    assert "ZA-POPIA-72-1-B-CONSENT" in release["rule_ids"]
    assert release["prev_hash"] and release["hash"]
    time.sleep(2)   # a duplicate would show up by now
    assert _received(hub, "CredentialIssued").count(eid) == 1
    assert hub["receiver"].duplicates.get("de-uni", 0) == 0
    assert hub["receiver"].bad_signatures.get("de-uni", 0) == 0
    # audit trace: decision (hold), held, release request, release, delivery, in time order
    from click.testing import CliRunner

    from hub.cli import main_group
    wait_for(lambda: _trace(hub, eid, "delivery"), 20, "the delivery receipt")
    stages = [st["stage"] for st in _trace(hub, eid)]
    assert stages[0] == "decision" and {"held", "release_request", "release", "delivery"} <= set(stages)
    assert stages.index("release_request") < stages.index("release") < stages.index("delivery")
    out = CliRunner().invoke(main_group, ["audit", "trace", eid], env=hub["env"]).output
    assert "release" in out and "Thandiwe" not in out and "9804120000001" not in out


def _trace(hub, eid, stage=None):
    from click.testing import CliRunner

    from hub.cli import main_group
    res = CliRunner().invoke(main_group, ["audit", "trace", eid, "--json"], env=hub["env"])
    steps = [json.loads(x) for x in res.output.splitlines() if x.startswith("{")]
    return [st for st in steps if stage is None or st["stage"] == stage]


def test_held_credential_without_consent_expires_after_the_ttl(hub):
    s = hub["settings"]
    eid = "6a1f5c2e-1d2b-4c3a-9e8f-000000000002"
    _ingest(s, "canonical-json", credential(2, "9804120000002"))
    wait_for(lambda: [a for a in audits(s, eid) if a["action"] == "hold"], 40, "the hold", hub["log"])
    t0 = time.monotonic()
    got = wait_for(lambda: [a for a in audits(s, eid) if a["action"] == "expire"], TTL_S + 20,
                   "the expiry", hub["log"])
    assert len(got) == 1 and got[0]["rule_ids"] == ["ZA-POPIA-72-1-B-CONSENT"]
    assert time.monotonic() - t0 > 1          # not expired on arrival
    assert eid not in _received(hub, "CredentialIssued")
    # a consent after the expiry releases nothing
    _ingest(s, "consent", consent_csv("c-it-2", "9804120000002"), "register.csv")
    time.sleep(3)
    assert eid not in _received(hub, "CredentialIssued")
    assert [a["action"] for a in audits(s, eid)] == ["hold", "expire"]


def test_withdrawal_sends_an_erasure_request_to_the_partner(hub):
    s = hub["settings"]
    eid = "6a1f5c2e-1d2b-4c3a-9e8f-000000000003"
    _ingest(s, "consent", consent_csv("c-it-3", "9804120000003"), "register.csv")
    _ingest(s, "canonical-json", credential(3, "9804120000003"))   # consent already there: released on arrival
    wait_for(lambda: eid in _received(hub, "CredentialIssued"), 40, "the released credential", hub["log"])
    before = set(_received(hub, "ConsentWithdrawn"))
    _ingest(s, "consent", consent_csv("c-it-3", "9804120000003", "withdrawn", "2026-04-01T09:00:00Z"),
            "register.csv")
    new = wait_for(lambda: set(_received(hub, "ConsentWithdrawn")) - before, 30, "the erasure request",
                   hub["log"])
    assert len(new) == 1
    (msg_id,) = new
    assert msg_id.endswith(":erasure")              # the flag is in the signed webhook-id
    wid = msg_id.removesuffix(":erasure")
    assert hub["receiver"].erasure_requests["de-uni"] == {wid}   # flagged as an erasure request over HTTP
    acts = [a["action"] for a in audits(s, wid)]
    assert acts == ["erasure_request"]
    # the withdrawn consent releases nothing more for this learner
    _ingest(s, "canonical-json", credential(4, "9804120000003"))
    eid4 = "6a1f5c2e-1d2b-4c3a-9e8f-000000000004"
    wait_for(lambda: [a for a in audits(s, eid4) if a["action"] == "hold"], 30, "the new hold")
    time.sleep(3)
    assert eid4 not in _received(hub, "CredentialIssued")
    assert all(p.poll() is None for p in hub["procs"]), "a worker died"
