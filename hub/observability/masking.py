"""Mask personal data in decoded records before an operator sees them.

A field is personal data when its schema field carries `nqfhub.category` (the catalog gives the
dotted paths: 'learner.given_names', 'learner.national_ids[].value', maps as '{}'). Masking
replaces each non-null value at such a path with `"***<category>"`, so the operator sees that a
value exists and what kind it is, never the value. A HeldRecord's `event` (the held canonical
event, Avro-encoded) is decoded and masked the same way. Nothing is masked only with an explicit
`reveal=True` (`--reveal` on the command line).
"""
from __future__ import annotations

import copy

from hub.jsonview import to_jsonable

MASK = "***"
HELD = "nqfhub.internal.HeldRecord"


def _mask_path(obj, parts: list[str], category: str) -> None:
    if obj is None or not parts:
        return
    head, rest = parts[0], parts[1:]
    is_array = head.endswith("[]")
    is_map = head.endswith("{}")
    name = head[:-2] if (is_array or is_map) else head
    if not isinstance(obj, dict) or name not in obj:
        return
    value = obj[name]
    if value is None:
        return
    if not rest and not is_array and not is_map:
        obj[name] = f"{MASK}{category}"
        return
    if is_array and isinstance(value, list):
        if not rest:
            obj[name] = [None if v is None else f"{MASK}{category}" for v in value]
            return
        for item in value:
            _mask_path(item, rest, category)
    elif is_map and isinstance(value, dict):
        if not rest:
            obj[name] = {k: (None if v is None else f"{MASK}{category}") for k, v in value.items()}
            return
        for item in value.values():
            _mask_path(item, rest, category)
    else:
        _mask_path(value, rest, category)


def _split(path: str) -> list[str]:
    """'learner.national_ids[].value' -> ['learner', 'national_ids[]', 'value']."""
    return path.split(".")


def mask_record(schema_name: str, record: dict, catalog, *, reveal: bool = False, serde=None) -> dict:
    """A JSON-ready copy of `record` with every categorised field masked (unless `reveal`).

    For a HeldRecord the `event` bytes become the decoded, masked event under `event`
    (or `{"undecodable": <size>}` when they are not a canonical event).
    """
    rec = copy.deepcopy(record)
    if schema_name == HELD and isinstance(rec.get("event"), (bytes, bytearray)):
        raw = bytes(rec["event"])
        try:
            inner_name, inner = (serde or _serde(catalog)).decode(raw)
            rec["event"] = mask_record(inner_name, inner, catalog, reveal=reveal, serde=serde)
        except Exception:  # noqa: BLE001 - undecodable bytes are shown as a size only
            rec["event"] = {"undecodable": len(raw)}
        return to_jsonable(rec)
    if not reveal:
        entry = catalog.current.get(schema_name)
        for cf in entry.categories if entry is not None else ():
            _mask_path(rec, _split(cf.path), cf.category)
    return to_jsonable(rec)


def masked_paths(schema_name: str, catalog) -> list[str]:
    entry = catalog.current.get(schema_name)
    return [cf.path for cf in entry.categories] if entry is not None else []


def _serde(catalog):
    from hub.serde import Serde
    return Serde(catalog)
