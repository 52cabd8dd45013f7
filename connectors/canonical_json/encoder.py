"""`CanonicalJsonOutbound`: canonical event -> its canonical JSON view (UTF-8, one line).

The outbound worker calls `encode(event)` once per event already minimised for the partner.
The bytes are exactly `hub.jsonview.dumps(event)` encoded as UTF-8: same field names as the Avro
schema, dates 'YYYY-MM-DD', timestamps ISO-8601 UTC with 'Z'; `hub.jsonview.event_from_json`
reads them back into the identical event. Pure and thread-safe.
"""
from __future__ import annotations

from typing import ClassVar

from hub.jsonview import dumps
from hub.sdk.outbound import Encoder


class CanonicalJsonOutbound(Encoder):
    name: ClassVar[str] = "canonical-json"
    media_type: ClassVar[str] = "application/json"
    format_version: ClassVar[str] = "nqf-hub canonical events v1 (JSON view of schemas/avro)"
    event_types: ClassVar[tuple[str, ...]] = ()   # every event type

    def encode(self, event: dict) -> bytes:
        return dumps(event).encode("utf-8")
