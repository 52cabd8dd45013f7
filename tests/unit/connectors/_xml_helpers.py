"""Set-up shared by the XML connector tests (elmo, ewp-tor, xhochschule, eu-qdr, eu-qms).

- `conformance(name)`: the SDK conformance class for `tests/data/<name>`, whose Avro
  round-trip test may xfail only for the known core issue (Avro giving `event_id` back as a
  `uuid.UUID`); `check_avro_round_trip(name)` checks the exact round trip with that normalised.
- `items(name, *paths, **kw)` / `events(name, *paths, **kw)`: decode files with a connector the way
  `nqf-hub convert` does; `events` asserts that nothing was rejected.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from hub.errors import DecodeError
from hub.ingest.decoding import decode_paths
from hub.sdk.conformance import inbound_conformance

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"


def conformance(name: str):
    """The conformance test class for connector `name` (assign it to a `Test…` name)."""

    class _XmlConformance(inbound_conformance(name, DATA / name)):
        def test_good_fixtures_decode_and_round_trip(self):
            """xfail only for the known core issue (Avro gives event_id back as uuid.UUID); the
            exact round trip with that normalised is checked by test_avro_round_trip."""
            try:
                super().test_good_fixtures_decode_and_round_trip()
            except AssertionError:
                if core_returns_uuid_objects(name):
                    pytest.xfail("core: Avro decode gives event_id as uuid.UUID, the header a str")
                raise

    return _XmlConformance


def core_returns_uuid_objects(name: str) -> bool:
    from hub.serde import default_serde
    s = default_serde()
    ev = next(i for i, _ in decode_paths(name, sorted((DATA / name / "good").iterdir())))
    return isinstance(s.decode(s.encode(ev.event))[1]["header"]["event_id"], uuid.UUID)


def prune(back, ev):
    """Drop fields the connector did not set and the schema filled with its default (fields
    added to the canonical schemas later, e.g. by other connectors' work)."""
    if isinstance(back, dict) and isinstance(ev, dict):
        return {k: prune(v, ev[k]) for k, v in back.items() if k in ev or v not in (None, [], {})}
    if isinstance(back, list) and isinstance(ev, list) and len(back) == len(ev):
        return [prune(b, e) for b, e in zip(back, ev)]
    return back


def check_avro_round_trip(name: str) -> None:
    """Every event of the good fixtures equals its Avro round trip (event_id compared as str)."""
    from hub.serde import default_serde
    s = default_serde()
    for p in sorted((DATA / name / "good").iterdir()):
        for item, data in decode_paths(name, [p]):
            back = prune(s.decode(data)[1], item.event)
            back["header"]["event_id"] = str(back["header"]["event_id"])
            assert back == item.event, p.name


def items(name: str, *paths, **kw) -> list:
    return [i for i, _ in decode_paths(name, list(paths), **kw)]


def events(name: str, *paths, **kw) -> list[dict]:
    got = items(name, *paths, **kw)
    assert not [i for i in got if isinstance(i, DecodeError)], [str(i) for i in got]
    return [i.event for i in got]
