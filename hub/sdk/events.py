"""Complete canonical events: every field present, as an Avro round trip gives them back.

The conformance kit compares each decoded event with its Avro round trip, so a connector must
emit every field, defaults included, also the optional fields that others add to the canonical
schemas later (always with a default). Connectors build events from the fields they know and
complete them here, reading the current schemas through `hub.schemas.catalog()`:

- `with_schema_defaults(event)`: the whole event, by its header's event type (XML connectors);
- `with_record_defaults(schema_name, record)`: one named record (the VC builders, which
  complete each shared record as they make it).

Both fill, in place, only the fields the connector did not set; a field already present is
never changed. A field added this way has the schema default (a fresh list or map for `[]`/`{}`).

Timestamps are `timestamp-millis` on the wire: `millis(t)` and `header_at_millis(header)` truncate
them the way an Avro round trip does.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

__all__ = ["header_at_millis", "millis", "with_record_defaults", "with_schema_defaults"]


def millis(t: dt.datetime) -> dt.datetime:
    """`t` truncated to whole milliseconds, as it comes back from Avro."""
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def header_at_millis(header: dict) -> dict:
    """Truncate the header timestamps (`occurred_at`, `recorded_at`) to milliseconds, in place.

    Connectors call this so that an event equals itself after an Avro round trip.
    """
    for k in ("occurred_at", "recorded_at"):
        t = header.get(k)
        if isinstance(t, dt.datetime) and t.microsecond % 1000:
            header[k] = millis(t)
    return header


def with_schema_defaults(event: dict) -> dict:
    """Fill every field of `event` the connector did not set with its schema default, in place.

    Walks the event's expanded schema, so nested records are completed too (a named type used a
    second time in the same event is a reference there and is left as the connector built it).
    """
    _fill(event, _expanded(event["header"]["event_type"]))
    return event


def with_record_defaults(schema_name: str, record: dict) -> dict:
    """Fill the fields of one named record (e.g. `nqfhub.Learner`) that `record` lacks, in place.

    Only this record's own fields: nested named records are completed by whoever builds them.
    """
    _fill(record, _named(schema_name))
    return record


@lru_cache(maxsize=None)
def _expanded(event_type: str) -> dict:
    from hub.schemas import catalog     # the catalog call reads settings: once per type
    return catalog().for_event_type(event_type).expanded


@lru_cache(maxsize=None)
def _named(schema_name: str) -> dict:
    from hub.schemas import catalog
    return catalog().named[schema_name]


def _fill(value, schema) -> None:
    if isinstance(schema, list):                       # union: fill the branch the value takes
        if isinstance(value, dict):
            for branch in schema:
                if isinstance(branch, dict) and branch.get("type") == "record":
                    _fill(value, branch)
                    return
        elif isinstance(value, list):
            for branch in schema:
                if isinstance(branch, dict) and branch.get("type") == "array":
                    _fill(value, branch)
                    return
        return
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind == "record" and isinstance(value, dict):
        for f in schema["fields"]:
            name, t = f["name"], f["type"]
            if name not in value:
                if "default" in f:
                    d = f["default"]
                    value[name] = [] if d == [] else ({} if d == {} else d)
            elif not isinstance(t, str):               # a named reference or a primitive: done
                _fill(value[name], t)
    elif kind == "array" and isinstance(value, list):
        for item in value:
            _fill(item, schema["items"])
    elif isinstance(kind, (dict, list)):
        _fill(value, kind)
