"""Bounded retention of the router's tables (hub.routing.retention, JoinProcessor sweeps)."""
from __future__ import annotations

import datetime as dt

from hub.routing.retention import (TableRetention, is_tick, recipients_of, recipients_row,
                                   sweep_router_tables, sweep_table)

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.timezone.utc)
DAY = dt.timedelta(days=1)


def test_rows_record_their_partition_and_write_time():
    row = recipients_row({"b", "a"}, ("hub.ingress", 3, 17), NOW)
    assert row == {"partners": ["a", "b"], "p": 3, "t": NOW.timestamp()}
    assert recipients_of(row) == ["a", "b"] and recipients_of(["x"]) == ["x"] and recipients_of(None) == []


def test_sweep_deletes_only_expired_rows_of_the_ticked_partition():
    old, fresh = NOW - 10 * DAY, NOW - DAY
    table = {"old-p0": recipients_row(["a"], ("t", 0, 0), old),
             "fresh-p0": recipients_row(["a"], ("t", 0, 1), fresh),
             "old-p1": recipients_row(["a"], ("t", 1, 0), old),      # another partition's tick
             "legacy": ["a"]}                                         # written before retention
    assert sweep_table(table, 0, NOW, 5 * DAY) == 1
    assert set(table) == {"fresh-p0", "old-p1", "legacy"}
    assert sweep_table(table, 1, NOW, 5 * DAY) == 1 and set(table) == {"fresh-p0", "legacy"}


def test_router_sweep_uses_each_tables_ttl():
    from hub.routing.retention import closed_row
    r = TableRetention(recipients=30 * DAY, closed_holds=2 * DAY, consent_joins=400 * DAY)
    recipients = {"c": recipients_row(["a"], ("t", 0, 0), NOW - 3 * DAY)}
    closed = {"h": closed_row("release", ("t", 0, 0), NOW - 3 * DAY)}
    assert sweep_router_tables(recipients, closed, 0, NOW, r) == {"recipients": 0, "closed_holds": 1}
    assert "c" in recipients and closed == {}
    assert r.sweep_interval() == 3600.0                              # capped at an hour
    assert TableRetention(DAY, DAY, 8 * dt.timedelta(minutes=1)).sweep_interval() == 120.0
    assert TableRetention(dt.timedelta(seconds=1), DAY, DAY).sweep_interval() == 0.5


def test_tick_header():
    assert is_tick([("nqfhub.retention", b"1")]) and not is_tick([("nqfhub.join", b"tick")])
    assert not is_tick(None) and is_tick({"nqfhub.retention": b"1"})


def _proc(ttl):
    from hub.config import load_settings
    from hub.routing.consent import JoinProcessor
    from hub.serde import default_serde
    return JoinProcessor(load_settings({}), default_serde(), ttl=ttl)


def test_join_sweep_deletes_empty_and_stale_entries_but_keeps_waiting_holds(tmp_path):
    from hub.routing.consent import new_entry
    proc = _proc(30 * DAY)
    stale = dict(new_entry(0), consents={"c1": {"withdrawn": True}}, t=(NOW - 31 * DAY).timestamp())
    recent = dict(new_entry(0), consents={"c2": {"withdrawn": False}}, t=(NOW - DAY).timestamp())
    empty = dict(new_entry(0), t=NOW.timestamp())
    waiting = dict(new_entry(0), waiting={"h": {"expires_at": None}}, t=(NOW - 99 * DAY).timestamp())
    other = dict(new_entry(1), t=(NOW - 99 * DAY).timestamp())
    legacy = dict(new_entry(0), consents={"c3": {}})                  # no "t": kept
    table = {"stale": stale, "recent": recent, "empty": empty, "waiting": waiting, "other": other,
             "legacy": legacy}
    assert proc._sweep(table, 0, NOW) == []
    assert set(table) == {"recent", "waiting", "other", "legacy"}
