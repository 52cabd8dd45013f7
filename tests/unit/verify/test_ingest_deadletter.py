"""Item 3: a credential whose signature does not verify goes to hub.deadletter with its original
bytes at ingest; the verified one goes to hub.ingress with the outcome in its header."""
from __future__ import annotations

from connectors.openbadges3.inbound import OpenBadges3Inbound
from hub.config import load_settings
from hub.ingest.decoding import decode_sources
from hub.ingest.producer import produce_all
from hub.runtime.deadletter import headers_dict
from hub.sdk.inbound import DecodeContext, Source, SourceDefaults
from hub.serde import default_serde
from tests.fakes import FakeProducer


def test_forged_credential_is_dead_lettered_with_its_bytes(signed, verifier, tmp_path):
    good = signed["credentials"] / "ob3-vc-jwt-good.jwt"
    forged = signed["credentials"] / "ob3-vc-jwt-tampered.jwt"
    ctx = DecodeContext(connector="openbadges3", source=SourceDefaults("a", "private", "ZA"), verifier=verifier)
    items = decode_sources(OpenBadges3Inbound(), [Source.from_path(good), Source.from_path(forged)], ctx)
    producer = FakeProducer()
    settings = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    summary = produce_all(settings, items, connector="openbadges3", producer=producer)
    assert (summary.ingested, summary.rejected) == (1, 1)
    (ingress,) = [s for s in producer.sent if s[0] == settings.topic("ingress")]
    (dead,) = [s for s in producer.sent if s[0] == settings.topic("deadletter")]
    _, event = default_serde().decode(ingress[2])
    assert event["header"]["verification"]["status"] == "verified"
    assert dead[2] == forged.read_bytes().strip()
    h = headers_dict(dead[3])
    assert h["error.class"] == "SignatureInvalid" and h["stage"] == "ingest"
    assert "does not match" in h["error.message"]


def test_verification_outcomes_are_counted(signed, verifier, tmp_path):
    from prometheus_client import REGISTRY

    def value(outcome):
        return REGISTRY.get_sample_value("nqfhub_credential_verifications_total",
                                         {"connector": "openbadges3", "outcome": outcome}) or 0

    before = {o: value(o) for o in ("verified", "unverified", "invalid", "signature_invalid")}
    c = signed["credentials"]
    names = ["ob3-vc-jwt-good.jwt", "ob3-vc-jwt-tampered.jwt", "ob3-unsigned.json", "ob3-revoked-bitstring.json"]
    ctx = DecodeContext(connector="openbadges3", source=SourceDefaults("a", "private", "ZA"), verifier=verifier)
    items = decode_sources(OpenBadges3Inbound(), [Source.from_path(c / n) for n in names], ctx)
    produce_all(load_settings({"NQF_HUB_HOME": str(tmp_path)}), items, connector="openbadges3", producer=FakeProducer())
    assert {o: value(o) - before[o] for o in before} == {"verified": 1, "unverified": 1, "invalid": 1,
                                                         "signature_invalid": 1}
