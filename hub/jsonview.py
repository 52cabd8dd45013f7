"""Canonical JSON view: the Avro record as JSON with the same field names.

Dates are 'YYYY-MM-DD', timestamps ISO-8601 in UTC with 'Z', bytes base64, unions are plain
values (not Avro's tagged JSON). `from_json` is schema-guided and raises `DecodeError` naming the
field path on anything that does not fit (never the value).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

from hub.errors import DecodeError
from hub.schemas import Catalog, catalog, event_schema_name

UTC = dt.timezone.utc


def _iso_ts(v: dt.datetime) -> str:
    if v.tzinfo is None:
        v = v.replace(tzinfo=UTC)
    v = v.astimezone(UTC)
    return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"


def to_jsonable(value: Any) -> Any:
    """Turn a fastavro-style record into JSON-ready data (schema not needed for this direction)."""
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return _iso_ts(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def dumps(record: dict) -> str:
    """One canonical JSON line (keys in schema order, no whitespace padding)."""
    return json.dumps(to_jsonable(record), ensure_ascii=False, separators=(",", ":"))


def parse_date(s: str) -> dt.date:
    return dt.date.fromisoformat(s[:10]) if len(s) >= 10 and s[4] == "-" else dt.date.fromisoformat(s)


def parse_ts(s: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def from_json(obj: Any, schema: dict | list | str, path: str = "") -> Any:
    """Convert canonical JSON `obj` into the fastavro representation of `schema` (expanded)."""
    cached = _NAMED.get(id(schema))
    if cached is not None and cached[0] is schema:
        named = cached[1]
    else:
        named = {}
        _register(schema, named)
        _NAMED[id(schema)] = (schema, named)
    return _convert(obj, schema, path, named)


_NAMED: dict[int, tuple] = {}   # id(schema) -> (schema, named types); schemas live as long as the catalog


def _register(t, named: dict) -> None:
    """Index every named type of an expanded schema by full and short name."""
    if isinstance(t, list):
        for x in t:
            _register(x, named)
    elif isinstance(t, dict):
        kind = t.get("type")
        if kind in ("record", "enum", "fixed"):
            named[f"{t.get('namespace')}.{t['name']}"] = t
            named[t["name"]] = t
            for f in t.get("fields", []):
                _register(f["type"], named)
        elif kind == "array":
            _register(t["items"], named)
        elif kind == "map":
            _register(t["values"], named)
        elif isinstance(kind, (dict, list)):
            _register(kind, named)


def _convert(obj: Any, schema, path: str, named: dict) -> Any:
    def fail(p, why):
        raise DecodeError(why, field=p or "(root)")

    def conv(v, t, p):
        if isinstance(t, list):  # union
            if v is None:
                if "null" in t:
                    return None
                fail(p, "is required")
            errors = []
            for branch in t:
                if branch == "null":
                    continue
                try:
                    return conv(v, branch, p)
                except DecodeError as e:
                    errors.append(e)
            raise errors[0] if errors else DecodeError("no matching type", field=p)
        if isinstance(t, str):
            if t in named:
                return conv(v, named[t], p)
            return prim(v, t, p, None)
        kind = t.get("type")
        if kind == "record":
            named[f"{t.get('namespace')}.{t['name']}"] = t
            named[t["name"]] = t
            if not isinstance(v, dict):
                fail(p, "must be an object")
            known = {f["name"] for f in t["fields"]}
            extra = sorted(set(v) - known)
            if extra:
                fail(f"{p}.{extra[0]}" if p else extra[0], "is not a field of " + t["name"])
            out = {}
            for f in t["fields"]:
                fp = f"{p}.{f['name']}" if p else f["name"]
                if f["name"] in v:
                    out[f["name"]] = conv(v[f["name"]], f["type"], fp)
                elif "default" in f:
                    d = f["default"]
                    out[f["name"]] = [] if d == [] else ({} if d == {} else d)
                else:
                    fail(fp, "is required")
            return out
        if kind == "enum":
            named[f"{t.get('namespace')}.{t['name']}"] = t
            named[t["name"]] = t
            if v not in t["symbols"]:
                fail(p, f"must be one of {', '.join(t['symbols'])}")
            return v
        if kind == "array":
            if not isinstance(v, list):
                fail(p, "must be an array")
            return [conv(x, t["items"], f"{p}[{i}]") for i, x in enumerate(v)]
        if kind == "map":
            if not isinstance(v, dict):
                fail(p, "must be an object")
            return {k: conv(x, t["values"], f"{p}.{k}") for k, x in v.items()}
        return prim(v, kind, p, t.get("logicalType"))

    def prim(v, kind, p, logical):
        try:
            if logical == "date":
                return parse_date(v) if isinstance(v, str) else fail(p, "must be a date YYYY-MM-DD")
            if logical in ("timestamp-millis", "timestamp-micros"):
                return parse_ts(v) if isinstance(v, str) else fail(p, "must be an ISO-8601 timestamp")
        except ValueError:
            fail(p, "is not a valid ISO-8601 date/time")
        if kind == "string":
            return v if isinstance(v, str) else fail(p, "must be a string")
        if kind in ("int", "long"):
            return v if isinstance(v, int) and not isinstance(v, bool) else fail(p, "must be an integer")
        if kind in ("float", "double"):
            return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else fail(p, "must be a number")
        if kind == "boolean":
            return v if isinstance(v, bool) else fail(p, "must be true or false")
        if kind == "bytes":
            try:
                return base64.b64decode(v, validate=True)
            except (ValueError, TypeError):
                fail(p, "must be base64")
        if kind == "null":
            return None if v is None else fail(p, "must be null")
        fail(p, f"unsupported type {kind}")

    return conv(obj, schema, path)


def event_from_json(obj: dict, cat: Catalog | None = None) -> dict:
    """Canonical JSON of an event (any type) -> fastavro dict, validated against its schema."""
    cat = cat or catalog()
    try:
        et = obj["header"]["event_type"]
    except (KeyError, TypeError):
        raise DecodeError("missing header.event_type", field="header.event_type") from None
    if not isinstance(et, str):
        raise DecodeError("must be a string", field="header.event_type")
    try:
        entry = cat.for_event_type(et)
    except Exception:
        raise DecodeError("unknown event type", field="header.event_type") from None
    return from_json(obj, entry.expanded)


def record_from_json(obj: dict, schema_name: str, cat: Catalog | None = None) -> dict:
    cat = cat or catalog()
    return from_json(obj, cat.get(schema_name).expanded)


__all__ = ["dumps", "to_jsonable", "from_json", "event_from_json", "record_from_json",
           "parse_date", "parse_ts", "event_schema_name"]
