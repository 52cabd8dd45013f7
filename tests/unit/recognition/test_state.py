"""RecognitionState: tables from events, independent of order and duplicates, no learner data."""
from __future__ import annotations

import json
import random

from hub.recognition import RecognitionState, rows


def _tables(st: RecognitionState) -> str:
    return json.dumps({t: dict(getattr(st, t)) for t in
                       ("qualifications", "institutions", "accreditation", "credentials", "revocations")},
                      sort_keys=True)


def test_order_and_duplicates_do_not_matter(events):
    base = _tables(RecognitionState.from_events(events))
    for seed in range(5):
        shuffled = list(events) + list(events[:10])
        random.Random(seed).shuffle(shuffled)
        assert _tables(RecognitionState.from_events(shuffled)) == base


def test_rows_are_json_values_without_learner_data(events):
    st = RecognitionState.from_events(events)
    text = _tables(st)                       # json.dumps would fail on dates/datetimes
    assert "learner" not in text and "2000-02-29" not in text and "@example.org" not in text
    cred = st.credential("cred:ie-hons")
    assert cred["awarded_on"] == "2021-06-20" and cred["issuer"]["id"] == "schac:tcd.example.ie"


def test_apply_ignores_unrelated_events(events):
    st = RecognitionState()
    req = {"header": {"event_type": "RecognitionRequested"}}
    assert st.apply(req) is False


def test_earliest_revocation_wins():
    a = {"event_id": "a", "occurred_at": "x", "revoked_on": "2023-05-01", "reason": None}
    b = {"event_id": "b", "occurred_at": "y", "revoked_on": "2022-01-01", "reason": None}
    assert rows.merge_revocation(a, b) is b and rows.merge_revocation(b, a) is b


def test_tables_can_be_any_mutable_mapping(events):
    class Table(dict):
        pass
    t = Table()
    st = RecognitionState(credentials=t)
    for e in events:
        st.apply(e)
    assert "cred:ie-hons" in t and st.credentials is t
