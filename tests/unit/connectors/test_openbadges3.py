"""openbadges3 inbound: conformance kit, mapping, official samples, shapes and size limits."""
from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from pathlib import Path

import jsonschema
import pytest

from connectors.openbadges3 import sample_credentials
from connectors.openbadges3.inbound import CREDENTIAL_SCHEMA, OpenBadges3Inbound
from hub.errors import DecodeError, InputTooLarge
from hub.ingest.decoding import decode_sources, make_context
from hub.sdk.conformance import inbound_conformance
from hub.sdk.inbound import Source
from hub.sdk.limits import Limits

DATA = Path(__file__).resolve().parents[2] / "data"
OB3 = DATA / "openbadges3"

TestOpenBadges3Conformance = inbound_conformance("openbadges3", OB3)


def decode(*sources, **ctx_kw):
    conn = OpenBadges3Inbound()
    ctx = make_context(conn, **ctx_kw)
    return [item for item, _ in decode_sources(conn, list(sources), ctx)]


def events(*sources, **ctx_kw):
    items = decode(*sources, **ctx_kw)
    errors = [str(i) for i in items if isinstance(i, DecodeError)]
    assert not errors, errors
    return [i.event for i in items]


def src(obj, name="upload.json") -> Source:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return Source(name=name, data=data)


# --- mapping -------------------------------------------------------------------------------------

def test_full_mapping_of_a_project_fixture():
    (ev,) = events(Source.from_path(OB3 / "good" / "za_certificate.json"))
    doc = json.loads((OB3 / "good" / "za_certificate.json").read_text(encoding="utf-8"))
    cs, ach = doc["credentialSubject"], doc["credentialSubject"]["achievement"]
    assert ev["credential_id"] == doc["id"]
    assert ev["header"]["event_type"] == "CredentialIssued"
    assert ev["header"]["source"]["jurisdiction"] == "ZA" == ev["header"]["subject_jurisdiction"]
    assert ev["header"]["source"]["authority"] == "ob3-issuer"
    assert ev["header"]["source"]["authority_type"] == "private"
    learner = ev["learner"]
    assert learner["given_names"] == cs["givenName"] and learner["family_name"] == cs["familyName"]
    assert learner["birth_date"] == dt.date.fromisoformat(cs["dateOfBirth"])
    assert learner["email"] == "naledi.pupil@mail.example.org"          # the plain e-mail identifier
    hashed = cs["identifier"][0]
    schemes = {n["scheme"]: n["value"] for n in learner["national_ids"]}
    assert schemes["ob3-hash:emailAddress"] == f"{hashed['identityHash']}${hashed['salt']}"
    assert schemes["ob3-identity:sisSourcedId"] == cs["identifier"][1]["identityHash"]
    assert schemes["ob3-subject-id"] == cs["id"]
    q = ev["qualification"]
    assert q["id"] == ach["id"] and q["title"] == ach["name"]
    assert q["qualification_type"] == ach["achievementType"]
    assert q["levels"] == [{"framework": "ZA-NQF", "code": ach["alignment"][0]["targetCode"]}]
    assert q["field_of_study"] == ach["fieldOfStudy"][:4]
    assert q["awarding_body"]["id"] == doc["issuer"]["id"]
    assert ev["issuer"] == {"id": doc["issuer"]["id"], "name": doc["issuer"]["name"], "jurisdiction": "ZA"}
    assert ev["awarded_on"] == dt.date.fromisoformat(doc["validFrom"][:10])
    assert ev["valid_until"] == dt.date(2034, 12, 31)
    assert ev["status_ref"] == doc["credentialStatus"]["id"]
    assert ev["grade"] == cs["result"][0]["value"] and ev["grading_scheme"] == "Final result"


def test_eqf_and_ects_from_an_eu_credential():
    doc = next(d for d in sample_credentials(10, seed=3) if d["issuer"]["address"]["addressCountryCode"] == "NL"
               and "ECTS" in d["credentialSubject"]["achievement"])
    (ev,) = events(src(doc))
    ach = doc["credentialSubject"]["achievement"]
    levels = {lv["framework"]: lv["code"] for lv in ev["qualification"]["levels"]}
    assert levels["EQF"] == levels["NL-NLQF"]
    assert ev["qualification"]["credits"] == {"value": float(ach["ECTS"]), "system": "ECTS"}


def test_minimal_credential_uri_issuer_full_name_and_default_jurisdiction():
    (ev,) = events(Source.from_path(OB3 / "good" / "minimal_uri_issuer.json"))
    assert ev["issuer"] == {"id": "https://issuers.example.org/generic/open-learning-lab", "name": None,
                            "jurisdiction": None}
    assert ev["header"]["source"]["jurisdiction"] == "ZZ" == ev["header"]["subject_jurisdiction"]
    assert ev["learner"]["family_name"] == "Wanjiru Kamau Otieno" and ev["learner"]["given_names"] is None
    assert ev["awarded_on"] == dt.date(2023, 6, 29)            # awardedDate wins over validFrom, as written
    assert ev["header"]["occurred_at"] == dt.datetime(2023, 6, 29, 14, 30, tzinfo=dt.timezone.utc)
    assert ev["qualification"]["credits"] == {"value": 2.0, "system": "unspecified"}


def test_caller_jurisdiction_and_credit_system_apply_when_the_credential_says_nothing():
    p = OB3 / "good" / "minimal_uri_issuer.json"
    conn = OpenBadges3Inbound()
    ctx = make_context(conn, jurisdiction="KE", options={"credit_system": "KE-CATS"})
    (ev,) = [i.event for i, _ in decode_sources(conn, [Source.from_path(p)], ctx)]
    assert ev["header"]["source"]["jurisdiction"] == "KE" == ev["header"]["subject_jurisdiction"]
    assert ev["qualification"]["credits"]["system"] == "KE-CATS"


def test_issuer_country_wins_over_the_caller_default():
    (ev,) = events(Source.from_path(OB3 / "good" / "za_certificate.json"), jurisdiction="DE")
    assert ev["header"]["source"]["jurisdiction"] == "ZA"


def test_event_id_depends_on_credential_not_file_position():
    doc = next(sample_credentials(1))
    a = events(src(doc, "a.json"))[0]["header"]["event_id"]
    b = events(src([next(sample_credentials(1, seed=9)), doc], "b.json"))[1]["header"]["event_id"]
    assert a == b


# --- errors --------------------------------------------------------------------------------------

def test_vc11_draft_is_accepted_and_its_data_model_recorded():
    """Pre-final OB 3.0 on the VC 1.1 context (issuanceDate, not validFrom) is read; the header
    says which data model it was (issue 13 item 1)."""
    doc = next(sample_credentials(1, seed=3))
    doc["@context"][0] = "https://www.w3.org/2018/credentials/v1"
    doc["issuanceDate"] = doc.pop("validFrom")
    (ev,) = events(src(doc, "vc11.json"))
    assert ev["header"]["verification"]["data_model"] == "VC 1.1"
    assert ev["header"]["verification"]["status"] == "unverified"
    assert ev["awarded_on"].isoformat() == (doc.get("awardedDate") or doc["issuanceDate"])[:10]


def test_vc11_draft_with_a_single_type_is_still_rejected_at_the_type():
    (err,) = decode(Source.from_path(OB3 / "bad" / "older_draft_vc11.json"))
    assert isinstance(err, DecodeError) and err.location.field == "type"


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["credentialSubject"].pop("achievement"), "credentialSubject.achievement"),
    (lambda d: d["credentialSubject"]["achievement"].pop("criteria"), "credentialSubject.achievement.criteria"),
    (lambda d: d.update(type=["VerifiableCredential"]), "type"),
    (lambda d: d.update(validFrom="2020-13-01T00:00:00Z"), "validFrom"),
    (lambda d: d["credentialSubject"]["identifier"][0].pop("hashed"), "credentialSubject.identifier[0].hashed"),
    (lambda d: d["credentialSubject"].update(dateOfBirth="31/12/1990"), "credentialSubject.dateOfBirth"),
    (lambda d: d["issuer"]["address"].update(addressCountryCode="ZAF"), "issuer.address.addressCountryCode"),
])
def test_located_errors_name_the_field_and_not_the_value(mutate, field):
    doc = next(sample_credentials(1, seed=5))
    mutate(doc)
    (err,) = decode(src(doc, "in.json"))
    assert isinstance(err, DecodeError), err
    assert err.location.file == "in.json" and err.location.record == 1
    assert err.location.field == field
    for v in ("31/12/1990", "ZAF", doc["credentialSubject"]["givenName"], doc["credentialSubject"]["familyName"]):
        assert v not in str(err)


def test_jsonl_reports_line_numbers_and_goes_on():
    items = decode(Source.from_path(OB3 / "bad" / "mixed.jsonl"))
    assert [type(i).__name__ for i in items] == ["Decoded", "DecodeError", "DecodeError", "DecodeError", "DecodeError"]
    assert [i.location.line for i in items[1:]] == [2, 3, 4, 5]


# --- official samples ------------------------------------------------------------------------------

def official_samples(reference: Path) -> list[Path]:
    d = reference / "formats" / "openbadges3"
    files = sorted(d.glob("spec_examples/*.json")) + sorted(d.glob("validator_*.json")) \
        + sorted(d.glob("edubadges_*.json")) + sorted(d.glob("ob3_spec_complete_example*.json"))
    return [p for p in files if "schema" not in p.name]   # edubadges_*_schema.json is a profile schema


def test_every_official_sample_agrees_with_the_official_schema(reference):
    schema = json.loads((reference / "formats/openbadges3/ob_v3p0_achievementcredential_schema.json").read_text())
    official = jsonschema.validators.validator_for(schema)(schema)
    samples = official_samples(reference)
    assert len(samples) >= 8
    for p in samples:
        doc = json.loads(p.read_text(encoding="utf-8"))
        official_ok = official.is_valid(doc)
        ours_ok = CREDENTIAL_SCHEMA.problem(doc) is None
        assert ours_ok == official_ok, f"{p.name}: official {official_ok}, ours {ours_ok}"
        items = decode(Source.from_path(p))
        assert len(items) == 1
        if official_ok:
            ev = items[0].event
            assert ev["credential_id"] == doc["id"], p.name
            assert ev["qualification"]["title"] == doc["credentialSubject"]["achievement"]["name"]
        else:   # e.g. the pre-final draft 'credential-status-revoked' when present: located rejection
            assert isinstance(items[0], DecodeError) and items[0].location.field, p.name


def test_full_official_example_maps_grade_credits_status(reference):
    p = reference / "formats/openbadges3/spec_examples/fullOpenBadge.json"
    (ev,) = events(Source.from_path(p))
    assert ev["grade"] == "A" and ev["qualification"]["credits"]["value"] == 36.0
    assert ev["credits_earned"]["value"] == 42.0
    assert ev["status_ref"] == "https://1edtech.edu/credentials/3732/revocations"
    assert ev["learner"]["email"] == "student@1edtech.edu"     # plain (hashed: false) e-mail identifier
    assert ev["valid_until"] == dt.date(2030, 1, 1)


# --- size limits ---------------------------------------------------------------------------------

class CountingSource(Source):
    """A source that counts the bytes the connector actually reads."""

    read_bytes = 0

    def open(self):
        f = super().open()
        outer = self

        class Counting:
            def read(self, n=-1):
                b = f.read(n)
                outer.read_bytes += len(b)
                return b

            def readline(self, n=-1):
                b = f.readline(n)
                outer.read_bytes += len(b)
                return b

            def __enter__(self):
                return self

            def __exit__(self, *a):
                f.close()

        return Counting()


def _write_big_string_file(path: Path, megabytes: int) -> None:
    chunk = b"a" * (1 << 20)
    with open(path, "wb") as f:
        f.write(b'"')
        for _ in range(megabytes):
            f.write(chunk)
        f.write(b'"')


def test_a_64_mb_json_string_is_rejected_without_loading_it(tmp_path):
    p = tmp_path / "huge.json"
    _write_big_string_file(p, 64)
    s = CountingSource(name=str(p), path=p)
    limit = Limits().max_document_bytes
    tracemalloc.start()
    try:
        items = decode(s)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (err,) = items
    assert isinstance(err, InputTooLarge)
    assert err.location.file == str(p) and "larger than the limit" in err.reason
    assert s.read_bytes <= limit + 2 * (1 << 20), "read far past the document limit"
    assert peak < 3 * limit, f"peak traced memory {peak} bytes"


def test_an_over_long_json_line_is_skipped_and_the_next_line_still_decodes(tmp_path):
    p = tmp_path / "big.jsonl"
    good = json.dumps(next(sample_credentials(1))).encode()
    with open(p, "wb") as f:
        f.write(good + b"\n")
        f.write(b'{"x": "')
        for _ in range(8):
            f.write(b"b" * (1 << 20))
        f.write(b'"}\n')
        f.write(good.replace(b"urn:uuid:", b"urn:uuid:0", 1) + b"\n")
    items = decode(Source.from_path(p))
    assert [type(i).__name__ for i in items] == ["Decoded", "InputTooLarge", "Decoded"]
    assert items[1].location.line == 2


def test_string_and_depth_limits_are_located(tmp_path):
    doc = next(sample_credentials(1))
    doc["credentialSubject"]["achievement"]["description"] = "x" * 2_000_000
    (err,) = decode(src(doc))
    assert isinstance(err, InputTooLarge) and err.location.field == "credentialSubject.achievement.description"
    deep: dict = {}
    cur = deep
    for _ in range(100):
        cur["a"] = {}
        cur = cur["a"]
    (err,) = decode(src(deep))
    assert isinstance(err, InputTooLarge) and "nesting" in err.reason


def test_empty_and_non_object_inputs():
    (err,) = decode(src(b"  \n", "empty.json"))
    assert isinstance(err, DecodeError) and err.location.file == "empty.json"
    (err,) = decode(src(b'"just a string"', "s.json"))
    assert isinstance(err, DecodeError) and err.location.field == "(root)"
