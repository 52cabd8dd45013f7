"""`ewp-tor` inbound connector: an EWP IMobility ToRs get-response → CredentialIssued events."""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from hub.errors import DecodeError
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.xml import checked_records, load_schema, token

from connectors.elmo._read import NS as ELMO_NS
from connectors.elmo.inbound import validated_events

NS = ("https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tors/blob/stable-v2/"
      "endpoints/get-response.xsd")
TOR = f"{{{NS}}}tor"
ROOT = f"{{{NS}}}imobility-tors-get-response"
SCHEMA = Path(__file__).resolve().parent / "_schema" / "ewp_tor_get_response_subset.xsd"
#: an EWP response carries up to <max-omobility-ids> ToRs, each possibly with PDF attachments
DEFAULT_MAX_DOCUMENT_BYTES = 256 * 1024 * 1024


@lru_cache(maxsize=1)
def ewp_schema():
    return load_schema(SCHEMA)


class EwpTorInbound(Inbound):
    """Decodes an Erasmus Without Paper Transcript of Records get-response.

    Called by the runtime once per response body or file. The `tor` elements are streamed one
    at a time (the response is never held whole); each is validated against the project's EWP
    subset schema, its ELMO document against the ELMO subset schema, and mapped exactly like the
    `elmo` connector, with the mobility id (`omobility-id`) as source document id. A bad `tor`
    yields located errors and the next one is still decoded. Option `max_document_bytes`
    bounds the whole response (default 256 MiB).
    """

    name = "ewp-tor"
    format_version = "EWP IMobility ToRs API stable-v2 get-response (ELMO v1 inside)"
    event_types = ("CredentialIssued",)
    defaults = SourceDefaults(authority="ewp-network", authority_type="public_body", jurisdiction="EU")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        limit = int(ctx.options.get("max_document_bytes", DEFAULT_MAX_DOCUMENT_BYTES))
        try:
            with source.open() as f:
                for rec in checked_records(f, ctx.limits, {TOR}, ewp_schema(), file=source.name,
                                           root_tag=ROOT, parent_tags={ROOT}, max_document_bytes=limit):
                    if isinstance(rec, DecodeError):
                        yield rec
                        continue
                    yield from self._tor(rec, ctx, source.name)
        except DecodeError as e:
            yield e.located(file=source.name)

    def _tor(self, rec, ctx: DecodeContext, file: str) -> Iterator[Decoded | DecodeError]:
        """The events of one `tor` that passed the EWP schema: its ELMO, checked and mapped."""
        mobility = token(rec.element.find(f"{{{NS}}}omobility-id"))
        elmo = rec.element.find(f"{{{ELMO_NS}}}elmo")
        for item in validated_events(elmo, ctx, file=file, document_id=mobility,
                                     base_path=rec.path + "/elmo"):
            if isinstance(item, DecodeError):
                item.location.record = item.location.record or rec.number
                item.args = (f"{item.location}: {item.reason}",)
            else:
                item.record = rec.number
            yield item
