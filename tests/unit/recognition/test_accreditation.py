"""Accreditation history as intervals."""
from __future__ import annotations

from hub.recognition import RecognitionState
from hub.recognition import accreditation as acc


def row(eid, status, vf=None, vu=None, decided=None, occurred="2020-01-01T00:00:00.000Z",
        subject_type="institution", subject_id="inst:1", institution_id=None, qualification_id=None):
    return {"event_id": eid, "occurred_at": occurred, "accreditation_id": f"acc-{eid}", "accreditor_id": "qa",
            "subject_type": subject_type, "subject_id": subject_id, "institution_id": institution_id,
            "qualification_id": qualification_id, "status": status, "valid_from": vf, "valid_until": vu,
            "decided_on": decided}


def test_later_interval_overrides_only_its_own_span():
    h = [row("a", "ACCREDITED", "2015-01-01", "2025-12-31"), row("b", "SUSPENDED", "2020-03-01", "2020-09-30")]
    assert acc.status_on(h, "2019-01-01")["status"] == "ACCREDITED"
    assert acc.status_on(h, "2020-03-01")["status"] == "SUSPENDED"
    assert acc.status_on(h, "2020-09-30")["status"] == "SUSPENDED"     # inclusive end
    assert acc.status_on(h, "2020-10-01")["status"] == "ACCREDITED"
    assert acc.status_on(h, "2026-01-01") is None
    assert acc.status_on(h, "2014-12-31") is None


def test_open_ended_withdrawal_and_start_fallbacks():
    h = [row("a", "ACCREDITED", None, None, decided="2010-05-01"), row("b", "WITHDRAWN", "2016-01-01")]
    assert acc.status_on(h, "2010-04-30") is None
    assert acc.status_on(h, "2012-01-01")["status"] == "ACCREDITED"
    assert acc.status_on(h, "2030-01-01")["status"] == "WITHDRAWN"


def test_same_start_later_decision_wins_then_stricter():
    h = [row("a", "ACCREDITED", "2018-01-01", decided="2018-01-01"),
         row("b", "WITHDRAWN", "2018-01-01", decided="2018-06-01")]
    assert acc.status_on(h, "2019-01-01")["status"] == "WITHDRAWN"
    h2 = [row("a", "ACCREDITED", "2018-01-01"), row("b", "SUSPENDED", "2018-01-01")]
    assert acc.status_on(h2, "2019-01-01")["status"] == "SUSPENDED"
    assert acc.status_on(list(reversed(h2)), "2019-01-01")["status"] == "SUSPENDED"


def _state(*rs):
    st = RecognitionState()
    from hub.recognition.rows import accreditation_key, merge_accreditation
    for r in rs:
        k = accreditation_key(r["subject_type"], r["subject_id"])
        st.accreditation[k] = merge_accreditation(st.accreditation.get(k), r)
    return st


def test_every_scope_with_data_must_agree():
    inst = row("i", "ACCREDITED", "2000-01-01")
    qual_for_issuer = row("q", "WITHDRAWN", "2000-01-01", subject_type="qualification", subject_id="q:1",
                          institution_id="inst:1")
    other_issuer = row("o", "WITHDRAWN", "2000-01-01", subject_type="qualification", subject_id="q:1",
                       institution_id="inst:2")
    assert acc.check(_state(inst), "inst:1", "q:1", "2010-01-01").result == acc.OK
    assert acc.check(_state(inst, other_issuer), "inst:1", "q:1", "2010-01-01").result == acc.OK
    res = acc.check(_state(inst, qual_for_issuer), "inst:1", "q:1", "2010-01-01")
    assert res.result == acc.NOT_OK
    assert [s.scope for s in res.scopes] == ["institution", "issuer+qualification"]
    assert acc.check(_state(), "inst:1", "q:1", "2010-01-01").result == acc.UNKNOWN
    odd = row("x", "PROVISIONALLY_OK", "2000-01-01")
    assert acc.check(_state(odd), "inst:1", "q:1", "2010-01-01").result == acc.UNRECOGNISED
