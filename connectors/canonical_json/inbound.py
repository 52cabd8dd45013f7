"""Canonical JSON inbound: JSON Lines of canonical events (as `nqf-hub convert` prints them).

For replaying converted files, for tests, and for systems that already speak the hub's model
(e.g. recognition requests, consents, revocations). Each line is validated against the Avro
schema of its `header.event_type`; offline (`nqf-hub convert`) the header is kept exactly as
given. Under an authenticated ingest (HTTP token, `nqf-hub ingest --authority`) the runtime
sets header.source from the authority, rejects a line whose source jurisdiction is not the
authority's, and namespaces the event id by the authority (stable across that authority's
replays; see hub.ingest.sources). An authority gets this connector only by naming it in its
token entry, never through '*'.
"""
from __future__ import annotations

from collections.abc import Iterator

from hub.errors import DecodeError, InputTooLarge
from hub.jsonview import event_from_json
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.limits import load_json_document
from hub.schemas import EVENT_TYPES


class CanonicalJsonInbound(Inbound):
    name = "canonical-json"
    format_version = "nqf-hub canonical JSON view of schemas/avro (JSON Lines)"
    event_types = EVENT_TYPES
    defaults = SourceDefaults("hub", "public_body", "ZZ")
    guarantee = "at-least-once into hub.ingress; event ids are taken from the lines (idempotent)"
    keeps_sender_header = True

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        limit = ctx.limits.max_document_bytes
        with source.open() as f:
            for n, raw in enumerate(f, start=1):
                if len(raw) > limit:
                    yield InputTooLarge(f"line longer than {limit} bytes", file=source.name, line=n)
                    continue
                if not raw.strip():
                    continue
                try:
                    obj = load_json_document(raw, ctx.limits, file=source.name, line=n)
                    event = event_from_json(obj)
                except DecodeError as e:
                    e.raw = raw
                    yield e.located(file=source.name, line=n)
                    continue
                yield Decoded(event, raw=raw, record=n, line=n)
