"""Conformance kit: one test class per connector, declared in one line.

    from hub.sdk.conformance import inbound_conformance
    TestOpenBadges3Conformance = inbound_conformance("openbadges3", FIXTURES / "openbadges3")

The fixture directory holds `good/` (each file decodes to at least one event and no error) and
`bad/` (each file yields at least one located DecodeError). Checked for every connector:
decoding, Avro round-trip (encode → decode equals the event), canonical JSON round-trip, located
errors (file and record/line), no personal-data value from the good fixtures in any error text,
stable event ids across two runs, and that `decode` is lazy (it returns an iterator).
"""
from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

from hub.errors import DecodeError
from hub.jsonview import dumps, event_from_json
from hub.schemas import catalog


def _personal_values(event: dict) -> set[str]:
    """String forms of every personal-data value in an event (by schema categories)."""
    entry = catalog().for_event_type(event["header"]["event_type"])
    out: set[str] = set()
    for cf in entry.categories:
        for v in _values_at(event, cf.path.split(".")):
            if isinstance(v, (str, int)) and len(str(v)) >= 4:
                out.add(str(v))
            elif hasattr(v, "isoformat"):
                out.add(v.isoformat())
    return out


def _values_at(obj, parts):
    if not parts:
        yield obj
        return
    head, rest = parts[0], parts[1:]
    is_arr = head.endswith("[]")
    key = head[:-2] if is_arr else head
    if not isinstance(obj, dict) or obj.get(key) is None:
        return
    v = obj[key]
    if is_arr:
        for x in v:
            yield from _values_at(x, rest)
    else:
        yield from _values_at(v, rest)


def inbound_conformance(connector_name: str, fixtures: Path, *, options: dict | None = None,
                        extra_pii: tuple[str, ...] = ()):
    """Build a pytest test class checking `connector_name` against `fixtures/{good,bad}`."""
    from hub.ingest.decoding import decode_sources, make_context
    from hub.sdk import registry
    from hub.sdk.inbound import Source
    from hub.serde import default_serde

    fixtures = Path(fixtures)

    def run(paths):
        conn = registry.inbound(connector_name)
        ctx = make_context(conn, options=options)
        return list(decode_sources(conn, [Source.from_path(p) for p in paths], ctx))

    def files(kind):
        d = fixtures / kind
        return sorted(p for p in d.iterdir() if p.is_file()) if d.is_dir() else []

    class _Conformance:
        def test_has_fixtures(self):
            assert files("good"), f"{fixtures}/good holds no fixtures"
            assert files("bad"), f"{fixtures}/bad holds no fixtures"

        def test_spec_is_complete(self):
            spec = registry.get(connector_name)
            assert spec.inbound is not None
            c = spec.inbound
            for attr in ("name", "format_version", "event_types", "defaults", "guarantee"):
                assert getattr(c, attr, None), f"{connector_name}: missing class attribute {attr}"
            assert c.name == connector_name
            for et in c.event_types:
                catalog().for_event_type(et)

        def test_decode_is_lazy(self):
            conn = registry.inbound(connector_name)
            ctx = make_context(conn, options=options)
            it = conn.decode(Source.from_path(files("good")[0]), ctx)
            assert isinstance(it, Iterator) or inspect.isgenerator(it)

        def test_good_fixtures_decode_and_round_trip(self):
            serde = default_serde()
            for p in files("good"):
                items = run([p])
                errors = [i for i, _ in items if isinstance(i, DecodeError)]
                assert not errors, f"{p.name}: {[str(e) for e in errors]}"
                events = [(i, b) for i, b in items]
                assert events, f"{p.name}: no events"
                conn = registry.get(connector_name).inbound
                for item, data in events:
                    ev = item.event
                    assert ev["header"]["event_type"] in conn.event_types
                    assert ev["header"]["source"]["connector"] == connector_name
                    name, back = serde.decode(data)
                    assert back == ev, f"{p.name}: Avro round-trip changed the event"
                    import json
                    assert event_from_json(json.loads(dumps(ev))) == ev, f"{p.name}: JSON round-trip"

        def test_event_ids_are_stable(self):
            p = files("good")[0]
            a = [i.event["header"]["event_id"] for i, _ in run([p])]
            b = [i.event["header"]["event_id"] for i, _ in run([p])]
            assert a == b and len(set(a)) == len(a)

        def test_bad_fixtures_give_located_errors_without_personal_data(self):
            pii: set[str] = set(extra_pii)
            for p in files("good"):
                for i, _ in run([p]):
                    pii |= _personal_values(i.event)
            for p in files("bad"):
                items = run([p])
                errors = [i for i, _ in items if isinstance(i, DecodeError)]
                assert errors, f"{p.name}: expected at least one DecodeError"
                for e in errors:
                    loc = e.location
                    assert loc.file, f"{p.name}: error without file: {e}"
                    assert loc.record is not None or loc.line is not None or loc.field, \
                        f"{p.name}: error without record, line or field: {e}"
                    text = str(e) + repr(e.as_dict())
                    leaked = [v for v in pii if v in text]
                    assert not leaked, f"{p.name}: error text contains personal data"

    _Conformance.__name__ = f"Conformance_{connector_name.replace('-', '_')}"
    return _Conformance
