"""clr2 inbound: conformance kit, one event per embedded credential, official sample, limits."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from connectors.clr2 import Clr2Inbound, sample_clrs
from connectors.clr2.inbound import CLR_SCHEMA
from hub.errors import DecodeError, InputTooLarge
from hub.ingest.decoding import decode_sources, make_context
from hub.sdk.conformance import inbound_conformance
from hub.sdk.inbound import Source
from hub.sdk.limits import Limits

CLR = Path(__file__).resolve().parents[2] / "data" / "clr2"

TestClr2Conformance = inbound_conformance("clr2", CLR)


def decode(*sources, limits=None, **ctx_kw):
    conn = Clr2Inbound()
    ctx = make_context(conn, **ctx_kw, **({"limits": limits} if limits else {}))
    return [item for item, _ in decode_sources(conn, list(sources), ctx)]


def test_one_event_per_embedded_credential_linked_by_the_clr_id():
    clr = json.loads((CLR / "good" / "transcript.json").read_text(encoding="utf-8"))
    items = decode(Source.from_path(CLR / "good" / "transcript.json"))
    embedded = clr["credentialSubject"]["verifiableCredential"]
    assert [i.event["credential_id"] for i in items] == [vc["id"] for vc in embedded]
    for item, vc in zip(items, embedded):
        ev = item.event
        assert ev["bundle_id"] == clr["id"] == ev["header"]["source"]["document_id"]
        assert ev["qualification"]["title"] == vc["credentialSubject"]["achievement"]["name"]
        country = vc["issuer"]["address"]["addressCountryCode"]
        assert ev["header"]["source"]["jurisdiction"] == country == ev["header"]["subject_jurisdiction"]
        assert ev["header"]["source"]["connector"] == "clr2"
        assert ev["learner"]["family_name"] == clr["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["familyName"]
    assert len({i.event["header"]["event_id"] for i in items}) == len(items)


def test_jwt_embedded_credential_is_read():
    items = decode(Source.from_path(CLR / "good" / "jwt_embedded.json"))
    assert len(items) == 3 and all(not isinstance(i, DecodeError) for i in items)


def test_a_bad_embedded_credential_does_not_reject_its_siblings():
    items = decode(Source.from_path(CLR / "bad" / "one_bad_embedded.json"))
    assert [type(i).__name__ for i in items] == ["Decoded", "DecodeError", "Decoded"]
    assert items[1].location.field == "credentialSubject.verifiableCredential[1].credentialSubject.achievement.name"
    assert items[1].location.record == 1


def test_clr_subject_identifiers_complete_the_learner():
    clr = next(sample_clrs(1, per_clr=2, seed=3))
    for vc in clr["credentialSubject"]["verifiableCredential"]:
        cs = vc["credentialSubject"]
        for k in ("id", "identifier", "givenName", "familyName", "dateOfBirth"):
            cs.pop(k)
    clr["credentialSubject"]["identifier"].append({"type": "IdentityObject", "identityType": "name",
                                                   "hashed": False, "identityHash": "Thandi Zulu"})
    items = decode(Source(name="c.json", data=json.dumps(clr).encode()))
    for i in items:
        schemes = {n["scheme"] for n in i.event["learner"]["national_ids"]}
        assert {"ob3-subject-id", "ob3-hash:emailAddress", "ob3-identity:sisSourcedId"} <= schemes
        assert i.event["learner"]["family_name"] == "Thandi Zulu"


def test_official_clr_samples(reference):
    d = reference / "formats" / "clr2"
    samples = sorted(d.glob("validator_clr20_*.json"))
    assert samples
    for p in samples:
        doc = json.loads(p.read_text(encoding="utf-8"))
        items = decode(Source.from_path(p))
        if doc["@context"][0] == "https://www.w3.org/ns/credentials/v2":
            assert CLR_SCHEMA.problem(doc) is None, p.name
            evs = [i.event for i in items]
            assert [e["credential_id"] for e in evs] == \
                [vc["id"] for vc in doc["credentialSubject"]["verifiableCredential"]], p.name
            assert all(e["bundle_id"] == doc["id"] for e in evs)
        else:   # the VC 1.1-era 'complex' sample when present: rejected at the context
            assert isinstance(items[0], DecodeError) and items[0].location.field == "@context[0]"


def test_official_draft4_schema_disagrees_only_on_vc11_fields(reference):
    """The saved official CLR schema is VC 1.1-era (requires issuanceDate): our envelope schema
    follows CLR 2.0 on VC 2.0 instead; every other official requirement holds for our samples."""
    schema = json.loads((reference / "formats/clr2/clr_v2p0_clrcredential_schema_draft4.json").read_text())
    v = jsonschema.validators.validator_for(schema)(schema)
    for clr in sample_clrs(3, per_clr=2, seed=8):
        errs = [e for e in v.iter_errors(clr)]
        assert errs and all(e.validator == "required" and "issuanceDate" in e.message for e in errs), \
            [e.message for e in errs]


def test_size_limits():
    (err,) = decode(Source(name="big.json", data=b"[" + b" " * 200 + b"]"), limits=Limits(max_document_bytes=100))
    assert isinstance(err, InputTooLarge) and err.location.file == "big.json"
    clrs = list(sample_clrs(2, per_clr=20, seed=1))     # a long transcript is one long JSONL line
    data = "".join(json.dumps(c) + "\n" for c in clrs).encode()
    assert max(len(line) for line in data.splitlines()) > Limits().max_line_bytes
    items = decode(Source(name="t.jsonl", data=data))
    assert len(items) == 40 and not [i for i in items if isinstance(i, DecodeError)]
