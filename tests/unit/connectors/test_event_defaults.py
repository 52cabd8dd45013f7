"""hub.sdk.events: the one completion of events (schema defaults, millisecond timestamps)."""
from __future__ import annotations

from hub.sdk.events import with_record_defaults, with_schema_defaults


def test_a_record_gets_the_defaults_it_lacks_and_keeps_what_it_has():
    rec = {"given_names": "Ada", "national_ids": [{"scheme": "x", "value": "1"}]}
    out = with_record_defaults("nqfhub.Learner", rec)
    assert out is rec
    assert out["given_names"] == "Ada" and out["national_ids"] == [{"scheme": "x", "value": "1"}]
    assert out["family_name"] is None and out["citizenship"] is None


def test_list_and_map_defaults_are_fresh_objects():
    a = with_record_defaults("nqfhub.Learner", {})
    b = with_record_defaults("nqfhub.Learner", {})
    assert a["national_ids"] == [] and a["national_ids"] is not b["national_ids"]


def test_a_field_without_default_is_left_to_the_connector():
    assert "id" not in with_record_defaults("nqfhub.OrgRef", {"name": "x"})


def test_an_event_is_completed_through_its_nested_records():
    ev = {"header": {"event_type": "QualificationPublished"},
          "qualification": {"id": "q", "title": "T", "awarding_body": {"id": "o"}}}
    with_schema_defaults(ev)
    assert ev["attributes"] == {} and ev["status"] is None
    assert ev["qualification"]["levels"] == []
    assert ev["qualification"]["awarding_body"] == {"id": "o", "name": None, "jurisdiction": None}


def test_header_timestamps_are_cut_to_the_milliseconds_avro_keeps():
    import datetime as dt
    from hub.sdk.events import header_at_millis
    t = dt.datetime(2024, 5, 1, 9, 0, 0, 123456, tzinfo=dt.timezone.utc)
    h = header_at_millis({"occurred_at": t, "recorded_at": None})
    assert h["occurred_at"] == t.replace(microsecond=123000) and h["recorded_at"] is None
