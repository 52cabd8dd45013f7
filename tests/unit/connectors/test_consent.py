"""consent register inbound: conformance, both formats, sniffing, the documented columns."""
from __future__ import annotations

from pathlib import Path

from hub.errors import DecodeError
from hub.sdk.conformance import inbound_conformance

DATA = Path(__file__).resolve().parents[2] / "data"

TestConsentConformance = inbound_conformance("consent", DATA / "consent")


def _decode(data: bytes, name: str = "upload"):
    from hub.ingest.decoding import decode_sources, make_context
    from hub.sdk import registry
    from hub.sdk.inbound import Source
    conn = registry.inbound("consent")
    return [i for i, _ in decode_sources(conn, [Source(name, data=data)], make_context(conn))]


def test_csv_rows_become_recorded_and_withdrawn():
    items = _decode((DATA / "consent" / "good" / "register.csv").read_bytes())
    kinds = [i.event["header"]["event_type"] for i in items]
    assert kinds == ["ConsentRecorded", "ConsentRecorded", "ConsentWithdrawn"]
    first = items[0].event
    assert first["purposes"] == ["admission", "recognition"]
    assert first["partners"] == ["de-uni-admissions"]
    assert first["learner"]["national_ids"] == [{"scheme": "za-id", "value": "8001015009087"}]
    assert first["header"]["subject_jurisdiction"] == "ZA"
    assert first["valid_until"].isoformat().startswith("2027-03-01")
    assert items[1].event["partners"] == [] and items[1].event["learner"]["email"]
    # withdrawn at 12:00+02:00 is 10:00 UTC
    assert items[2].event["header"]["occurred_at"].hour == 10


def test_json_document_array_and_lines_are_sniffed_without_a_file_name():
    one = (DATA / "consent" / "good" / "one.json").read_bytes()
    assert [i.event["consent_id"] for i in _decode(one)] == ["c-2026-0200"]
    arr = b"[" + one + b"," + one.replace(b"c-2026-0200", b"c-2026-0201") + b"]"
    assert [i.event["consent_id"] for i in _decode(arr)] == ["c-2026-0200", "c-2026-0201"]
    lines = (DATA / "consent" / "good" / "register.jsonl").read_bytes()
    assert len(_decode(lines)) == 3


def test_withdrawal_needs_no_purposes_and_recording_does():
    csv_ = (b"consent_id,action,timestamp,email\n"
            b"c-1,withdrawn,2026-01-01,a.b@example.org\n"
            b"c-2,recorded,2026-01-01,a.b@example.org\n")
    a, b = _decode(csv_)
    assert a.event["header"]["event_type"] == "ConsentWithdrawn"
    assert isinstance(b, DecodeError) and b.location.field == "purposes"


def test_header_without_consent_id_is_one_error_naming_the_columns():
    items = _decode(b"id,when\n1,2026-01-01\n")
    assert len(items) == 1 and isinstance(items[0], DecodeError)
    assert "consent_id" in str(items[0]) and items[0].location.line == 1


def test_same_register_gives_same_event_ids():
    data = (DATA / "consent" / "good" / "register.csv").read_bytes()
    assert [i.event["header"]["event_id"] for i in _decode(data)] == \
        [i.event["header"]["event_id"] for i in _decode(data)]


def test_provenance_columns_become_consent_fields_and_survive_avro():
    from hub.serde import default_serde
    csv_ = (b"consent_id,timestamp,email,purposes,given_by,capacity,notice_version,recipient_countries\n"
            b"c-1,2026-01-01,a.b@example.org,recognition,guardian-77,Parent_Guardian,notice-2026-03,gb;de\n"
            b"c-2,2026-01-01,a.b@example.org,recognition,,,,\n")
    a, b = _decode(csv_)
    ev = a.event
    assert (ev["given_by"], ev["given_by_capacity"], ev["notice_version"], ev["recipient_countries"]) == \
        ("guardian-77", "parent_guardian", "notice-2026-03", ["DE", "GB"])
    assert (b.event["given_by_capacity"], b.event["recipient_countries"]) == (None, [])
    serde = default_serde()
    assert serde.decode(serde.encode(ev))[1]["given_by_capacity"] == "parent_guardian"


def test_bad_provenance_is_a_located_error_without_the_value():
    csv_ = (b"consent_id,timestamp,email,purposes,capacity,recipient_countries\n"
            b"c-1,2026-01-01,a.b@example.org,recognition,grandmother,\n"
            b"c-2,2026-01-01,a.b@example.org,recognition,learner,Germany\n")
    errs = [i for i in _decode(csv_) if isinstance(i, DecodeError)]
    assert [e.location.field for e in errs] == ["capacity", "recipient_countries"]
    assert all("grandmother" not in str(e) and "Germany" not in str(e) for e in errs)
