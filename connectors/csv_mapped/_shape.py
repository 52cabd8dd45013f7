"""Turn a row's JSON-style body into the fastavro form of its event, fast.

`compile_body(event_type)` walks the canonical schema once and returns a function
body -> record that fills defaults, converts ISO dates and numbers, and checks types, raising
`DecodeError(reason, field=<schema path>)`. It does per row what `hub.jsonview.from_json` does,
without walking the schema again for every row (a million-row export pays for that).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from hub.errors import DecodeError
from hub.jsonview import parse_date, parse_ts
from hub.schemas import catalog


def _fail(path: str, why: str):
    raise DecodeError(why, field=path or "(root)")


@lru_cache(maxsize=8)
def compile_body(event_type: str):
    """Converter for the event body (every field but the header)."""
    expanded = catalog().for_event_type(event_type).expanded
    named: dict[str, object] = {}
    record = dict(expanded, fields=[f for f in expanded["fields"] if f["name"] != "header"])
    return _compile(record, "", named)


def _compile(t, path: str, named: dict):
    if isinstance(t, list):
        branches = [b for b in t if b != "null"]
        nullable = len(branches) < len(t)
        convs = [_compile(b, path, named) for b in branches]

        def union(v):
            if v is None:
                if nullable:
                    return None
                _fail(path, "is required")
            first = None
            for c in convs:
                try:
                    return c(v)
                except DecodeError as e:
                    first = first or e
            raise first
        return union
    if isinstance(t, str):
        if t in named:
            return lambda v: named[t](v)
        return _primitive(t, None, path)
    kind = t.get("type")
    if kind == "record":
        name = f"{t.get('namespace')}.{t['name']}"
        fields = []
        holder = {}

        def rec(v):
            return holder["f"](v)
        named[name] = named[t["name"]] = rec
        for f in t["fields"]:
            fp = f"{path}.{f['name']}" if path else f["name"]
            fields.append((f["name"], _compile(f["type"], fp, named), "default" in f, f.get("default"), fp))
        known = {f[0] for f in fields}

        def record(v):
            if not isinstance(v, dict):
                _fail(path, "must be an object")
            if len(v.keys() - known):
                extra = sorted(v.keys() - known)[0]
                _fail(f"{path}.{extra}" if path else extra, f"is not a field of {t['name']}")
            out = {}
            for fname, conv, has_default, default, fp in fields:
                if fname in v:
                    out[fname] = conv(v[fname])
                elif has_default:
                    out[fname] = [] if default == [] else ({} if default == {} else default)
                else:
                    _fail(fp, "is required")
            return out
        holder["f"] = record
        return record
    if kind == "array":
        item = _compile(t["items"], path + "[]", named)

        def array(v):
            if not isinstance(v, list):
                _fail(path, "must be an array")
            return [item(x) for x in v]
        return array
    if kind == "map":
        value = _compile(t["values"], path + "{}", named)

        def mapping(v):
            if not isinstance(v, dict):
                _fail(path, "must be an object")
            return {k: value(x) for k, x in v.items()}
        return mapping
    if kind == "enum":
        symbols = set(t["symbols"])

        def enum(v):
            if v not in symbols:
                _fail(path, f"must be one of {', '.join(t['symbols'])}")
            return v
        return enum
    return _primitive(kind, t.get("logicalType"), path)


def _primitive(kind: str, logical: str | None, path: str):
    if logical == "date":
        def date(v):
            if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                return v
            try:
                return parse_date(v)
            except (TypeError, ValueError):
                _fail(path, "must be a date YYYY-MM-DD")
        return date
    if logical in ("timestamp-millis", "timestamp-micros"):
        def ts(v):
            try:
                return parse_ts(v)
            except (TypeError, ValueError, AttributeError):
                _fail(path, "must be an ISO-8601 timestamp")
        return ts
    if kind == "string":
        def string(v):
            if not isinstance(v, str):
                _fail(path, "must be a string")
            return v
        return string
    if kind in ("int", "long"):
        def integer(v):
            if isinstance(v, bool) or not isinstance(v, int):
                _fail(path, "must be an integer")
            return v
        return integer
    if kind in ("float", "double"):
        def number(v):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                _fail(path, "must be a number")
            return float(v)
        return number
    if kind == "boolean":
        def boolean(v):
            if not isinstance(v, bool):
                _fail(path, "must be true or false")
            return v
        return boolean

    def unsupported(v):
        _fail(path, f"unsupported type {kind}")
    return unsupported
