"""The verification outcome travels in the event header and old events still read (default null)."""
from __future__ import annotations

from hub.schemas import catalog


def test_event_header_has_a_nullable_verification_record_with_default():
    event = catalog().for_event_type("CredentialIssued").expanded
    header = next(f for f in event["fields"] if f["name"] == "header")["type"]
    field = next(f for f in header["fields"] if f["name"] == "verification")
    assert field["default"] is None
    record = field["type"][1]
    names = [f["name"] for f in record["fields"]]
    assert names[:2] == ["status", "reason"]
    assert all("default" in f for f in record["fields"][2:])


def test_a_verified_header_round_trips_through_avro():
    from hub.sdk.inbound import DecodeContext, SourceDefaults
    from hub.serde import default_serde
    from connectors.openbadges3.samples import sample_credentials
    import json
    from hub.sdk.inbound import Source
    from connectors.openbadges3.inbound import OpenBadges3Inbound

    ctx = DecodeContext(connector="openbadges3", source=SourceDefaults("a", "private", "ZA"))
    doc = next(iter(sample_credentials(1)))
    ev = next(iter(OpenBadges3Inbound().decode(Source("x.json", data=json.dumps(doc).encode()), ctx))).event
    ev["header"]["verification"] = {"status": "verified", "reason": "ok", "proof": "vc-jwt/EdDSA",
                                    "issuer": "did:web:example.org", "key_id": "did:web:example.org#k1",
                                    "vouched_by": "za-saqa", "data_model": "VC 2.0"}
    serde = default_serde()
    assert serde.decode(serde.encode(ev))[1]["header"]["verification"] == ev["header"]["verification"]
