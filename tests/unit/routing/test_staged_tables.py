"""Router table writes become durable only after the outputs they stand for are acknowledged
(hub.routing.staged, used by hub.routing.app). No Kafka: the release handler of the router's
agent is built with a stand-in faust app whose tables are dicts."""
from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
from types import SimpleNamespace

import pytest

from hub.routing.staged import StagedTable

from .test_consent_release import _join, consent, core  # noqa: F401 - fixture

UTC = dt.timezone.utc


def test_reads_see_the_batch_writes_and_the_table_only_after_apply():
    table = {"a": 1, "b": 2}
    v = StagedTable(table)
    v["a"] = 10
    v["c"] = 3
    del v["b"]
    assert (v["a"], v.get("b"), "b" in v, "c" in v, sorted(v)) == (10, None, False, True, ["a", "c"])
    with pytest.raises(KeyError):
        del v["b"]
    assert table == {"a": 1, "b": 2} and v.pending == 3            # nothing written yet
    v.apply()
    assert table == {"a": 10, "c": 3} and v.pending == 0
    v["d"] = 4
    v.discard()                                                     # a crash before apply
    assert table == {"a": 10, "c": 3} and "d" not in v


def test_apply_writes_each_row_under_the_event_it_was_staged_in():
    current = contextvars.ContextVar("event")
    seen = []

    class Table(dict):           # a faust table picks the changelog partition from the current event
        def __setitem__(self, k, val):
            seen.append((k, current.get(None)))
            super().__setitem__(k, val)

    v = StagedTable(Table(), current)
    current.set("event-p1")
    v["x"] = 1
    current.set("event-p3")
    v["y"] = 2
    current.set("later")
    v.apply()
    assert seen == [("x", "event-p1"), ("y", "event-p3")] and current.get() == "later"


class _Signal:
    def connect(self, fn):
        return fn


class FakeApp:
    """What audited_routing needs of a faust app: tables (dicts here) and rebalance signals."""

    def __init__(self):
        self.tables = {}
        self.on_partitions_revoked = self.on_partitions_assigned = _Signal()

    def Table(self, name, **_kw):
        return self.tables.setdefault(name, {})


def _router(app, core, recipients):
    """The routing handler of a (re)started router over the app's durable tables."""
    from hub.routing.app import audited_routing
    handle, _seals = audited_routing(app, core, core.settings, None, recipients, flush=None)
    app.nqf_chain.recover(2, [], public_keys={})        # an empty audit partition: no Kafka read
    return handle


def test_a_release_killed_before_its_outputs_were_acknowledged_is_released_again(core):  # noqa: F811
    """kill -9 after the release handler ran but before the partner copy and audit record were
    acknowledged: the restarted router re-reads the request and must release again, not take it
    for a duplicate because `closed_holds` already says "released"."""
    app, recipients = FakeApp(), {}          # the tables a restarted router restores
    msg = SimpleNamespace(topic="u.release.auto", partition=2, offset=0, key=b"za-cred:6a1f5c2e",
                          value=_release_request(core), headers=[])
    outs = asyncio.run(_router(app, core, recipients)(msg))
    assert sorted(o.topic for o in outs) == ["u.audit", "u.partner.de-uni"]
    closed = app.tables["closed_holds"]
    assert closed == {} and recipients == {}          # nothing durable before the acknowledgement

    restarted = _router(app, core, recipients)        # killed here; the batch is read again
    again = asyncio.run(restarted(msg))
    assert sorted(o.topic for o in again) == ["u.audit", "u.partner.de-uni"]
    restarted.staged_apply()                          # its outputs acknowledged: now the rows
    assert [r["outcome"] for r in closed.values()] == ["release"] and list(recipients) == ["za-cred:6a1f5c2e"]
    assert asyncio.run(restarted(SimpleNamespace(**{**vars(msg), "offset": 1}))) == []   # a true repeat


def _release_request(core) -> bytes:
    import json
    from pathlib import Path

    from hub.jsonview import event_from_json
    ev = event_from_json(json.loads((Path(__file__).resolve().parents[2] / "data" / "privacy"
                                     / "za-credential.json").read_text()))
    table = {}
    held = core.route(core.serde.encode(ev), b"za-cred:6a1f5c2e", ("u.ingress", 0, 0), {})
    assert _join(core, table, held) == []
    (req,) = _join(core, table, core.route(core.serde.encode(consent(core)), b"c-1", ("u.ingress", 0, 1), {}))
    return req.value


def test_a_join_step_killed_before_its_release_request_was_acknowledged_asks_again(core):  # noqa: F811
    """The consent join drops a hold from its entry when it asks for its release; that row must not
    reach the changelog before the request is acknowledged, or a restarted join never asks again."""
    import copy
    import json
    from pathlib import Path

    from hub.jsonview import event_from_json
    ev = event_from_json(json.loads((Path(__file__).resolve().parents[2] / "data" / "privacy"
                                     / "za-credential.json").read_text()))
    changelog = {}                                    # what a restarted router restores
    view = StagedTable(changelog)
    assert _join(core, view, core.route(core.serde.encode(ev), b"za-cred:6a1f5c2e", ("u.ingress", 0, 0), {})) == []
    view.apply()                                      # the hold is waiting, durably
    consent_outs = core.route(core.serde.encode(consent(core)), b"c-1", ("u.ingress", 0, 1), {})
    live = copy.deepcopy(changelog)                   # the running router's in-memory table
    (req,) = _join(core, StagedTable(live), consent_outs)
    # killed before the request was acknowledged: the restarted join reads the consent again
    (again,) = _join(core, StagedTable(copy.deepcopy(changelog)), consent_outs)
    assert again.topic == req.topic == "u.release.auto" and again.key == req.key
