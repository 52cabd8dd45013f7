"""`elmo` inbound connector: one EMREX ELMO v1.x file → CredentialIssued events."""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from hub.errors import DecodeError
from hub.sdk.events import with_schema_defaults
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.limits import read_bounded
from hub.sdk.xml import load_schema, localname, parse_document, schema_errors
from hub.verify import verifier_for
from hub.verify.xmldsig import check_elmo

from connectors.elmo._read import NS, ElmoMapper

SCHEMA = Path(__file__).resolve().parent / "_schema" / "elmo_v1_subset.xsd"


@lru_cache(maxsize=1)
def elmo_schema():
    """The project's ELMO subset schema, compiled once per process (local files only)."""
    return load_schema(SCHEMA)


def validated_events(elmo, ctx: DecodeContext, *, file: str, document_id: str | None,
                     base_path: str | None = None, raw: bytes = b"") -> Iterator[Decoded | DecodeError]:
    """Validate one `elmo` element; yield its located schema errors, or its events."""
    errors = schema_errors(elmo_schema(), elmo, file=file, base_path=base_path)
    if errors:
        yield from errors
        return
    mapper = ElmoMapper(ctx, document_id=document_id)
    for n, (event, ref, line) in enumerate(mapper.events(elmo), start=1):
        yield Decoded(event=with_schema_defaults(event), raw=raw, record=n, line=line)


class ElmoInbound(Inbound):
    """Decodes an EMREX ELMO (NCP response) file.

    Called by the runtime once per file. The file is read whole (it describes one learner and is
    bounded by `Limits.max_document_bytes`), parsed with the hardened parser, its enveloped
    XML-DSig checked (hub.verify.xmldsig: the outcome goes to every event's
    `header.verification`; a signature that does not match yields one `SignatureInvalid` carrying
    the file's bytes, and no event), validated against the project's ELMO subset schema (every
    problem is reported, located by line and element path) and mapped; a file that fails
    validation yields only errors.
    """

    name = "elmo"
    format_version = ("EMREX ELMO 1.0–1.7 (namespace https://github.com/emrex-eu/elmo-schemas/tree/v1), "
                      "enveloped XML-DSig verified")
    event_types = ("CredentialIssued",)
    defaults = SourceDefaults(authority="emrex-ncp", authority_type="public_body", jurisdiction="EU")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        try:
            with source.open() as f:
                raw = read_bounded(f, ctx.limits.max_document_bytes, file=source.name)
            root = parse_document(raw, ctx.limits, file=source.name)
        except DecodeError as e:
            yield e.located(file=source.name)
            return
        if root.tag != f"{{{NS}}}elmo":
            yield DecodeError(f"root element is '{localname(root)}', expected ELMO 'elmo' "
                              "in the v1 namespace", file=source.name, line=root.sourceline,
                              field="/" + localname(root))
            return
        try:
            verification = check_elmo(root, verifier_for(ctx)).header()
        except DecodeError as e:
            e.raw = raw
            yield e.located(file=source.name, record=1)
            return
        for item in validated_events(root, ctx, file=source.name, document_id=Path(source.name).name,
                                     raw=raw):
            if isinstance(item, Decoded):
                item.event["header"]["verification"] = verification
            yield item
