"""Serde (single-object encoding) and the canonical JSON view."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from hub.errors import DecodeError, SerdeError
from hub.jsonview import dumps, event_from_json
from hub.serde import SINGLE_OBJECT_MAGIC, Serde
from hub.schemas import catalog

UTC = dt.timezone.utc


def credential(**learner):
    return {
        "header": {"event_id": "3f2b1c9e-6a47-4a55-9a3e-0e8f9b0c1d2e", "event_type": "CredentialIssued",
                   "occurred_at": dt.datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
                   "recorded_at": dt.datetime(2024, 3, 2, 11, 30, 15, 123000, tzinfo=UTC),
                   "source": {"connector": "test", "authority": "za-saqa", "authority_type": "public_body",
                              "jurisdiction": "ZA", "document_id": "f.dat", "record_ref": "line 3"},
                   "subject_jurisdiction": "ZA", "trace_id": "t1"},
        "credential_id": "saqa-cred:1", "learner": {
            "given_names": "Thandi", "family_name": "Mokoena", "birth_date": dt.date(1999, 5, 4),
            "national_ids": [{"scheme": "za-id", "value": "9905045800081"}], "email": None,
            "gender": "F", "citizenship": "ZA", "ethnicity": "BA", "disability": "N",
            "home_language": "zul", **learner},
        "qualification": {"id": "saqa-qual:48872", "title": "National Certificate", "levels": [
            {"framework": "ZA-NQF", "code": "4"}], "credits": {"value": 120.0, "system": "SAQA"},
            "field_of_study": None, "awarding_body": None, "qualification_type": None},
        "issuer": {"id": "saqa-provider:P1", "name": "College", "jurisdiction": "ZA"},
        "awarded_on": dt.date(2023, 12, 1),
    }


def test_round_trip_single_object_encoding():
    s = Serde(catalog())
    data = s.encode(credential())
    assert data[:2] == SINGLE_OBJECT_MAGIC
    name, back = s.decode(data)
    assert name == "nqfhub.events.CredentialIssued"
    assert back["learner"]["birth_date"] == dt.date(1999, 5, 4)
    assert back["parts"] == [] and back["valid_until"] is None


def test_unknown_fingerprint_and_garbage_are_serde_errors():
    s = Serde(catalog())
    with pytest.raises(SerdeError):
        s.decode(SINGLE_OBJECT_MAGIC + b"\x00" * 8 + b"x")
    with pytest.raises(SerdeError):
        s.decode(b"not avro")


def test_encode_error_does_not_quote_personal_data():
    s = Serde(catalog())
    bad = credential(birth_date="1999-05-04-not-a-date")
    with pytest.raises(SerdeError) as e:
        s.encode(bad)
    assert "1999" not in str(e.value) and "Thandi" not in str(e.value)


def test_json_view_uses_iso_dates_and_round_trips():
    ev = credential()
    line = dumps(ev)
    obj = json.loads(line)
    assert obj["learner"]["birth_date"] == "1999-05-04"
    assert obj["header"]["recorded_at"] == "2024-03-02T11:30:15.123Z"
    assert list(obj) == ["header", "credential_id", "learner", "qualification", "issuer", "awarded_on"]
    back = event_from_json(obj)
    assert Serde(catalog()).decode(Serde(catalog()).encode(back))[1]["learner"] == back["learner"]


def test_json_view_errors_name_the_field_not_the_value():
    obj = json.loads(dumps(credential()))
    obj["learner"]["birth_date"] = "04/05/1999"
    with pytest.raises(DecodeError) as e:
        event_from_json(obj)
    assert e.value.location.field == "learner.birth_date"
    assert "04/05/1999" not in str(e.value)
    obj = json.loads(dumps(credential()))
    obj["learner"]["shoe_size"] = 42
    with pytest.raises(DecodeError) as e:
        event_from_json(obj)
    assert e.value.location.field == "learner.shoe_size"
