"""`xhochschule` inbound connector: XHochschule 1.2 award documents → CredentialIssued."""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from hub.errors import DecodeError
from hub.sdk.events import with_schema_defaults
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.xml import load_schema, localname, parse_document, schema_errors

from connectors.xhochschule._read import NS, XhsMapper, codes

SCHEMA = Path(__file__).resolve().parent / "_schema" / "xhochschule_subset.xsd"
AWARDS = {"hochschulabschlusszeugnis": "abschlusszeugnis", "transcriptOfRecords": "transcript",
          "diplomaSupplement": "diploma_supplement"}


@lru_cache(maxsize=1)
def xhs_schema():
    return load_schema(SCHEMA)


class XHochschuleInbound(Inbound):
    """Decodes one XHochschule 1.2 document.

    Called by the runtime once per file (bounded by `Limits.max_document_bytes`). Award documents
    (Hochschulabschlusszeugnis, Transcript of Records, Diploma Supplement) are validated against
    the project's XHochschule subset schema and mapped; certificates of enrolment and the like
    carry no award and yield one located error naming the document type (so they reach the dead
    letter topic instead of vanishing).
    """

    name = "xhochschule"
    format_version = "XHochschule 1.2 (namespace http://xhochschule.de/def/xhochschule/1.2/xsd)"
    event_types = ("CredentialIssued",)
    defaults = SourceDefaults(authority="de-hochschule", authority_type="public_body", jurisdiction="DE")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        try:
            with source.open() as f:
                root = parse_document(f, ctx.limits, file=source.name)
        except DecodeError as e:
            yield e.located(file=source.name)
            return
        name = localname(root)
        where = dict(file=source.name, line=root.sourceline, field="/" + name)
        if not root.tag.startswith(f"{{{NS}}}"):
            yield DecodeError("root element is not in the XHochschule 1.2 namespace", **where)
            return
        if name in codes()["not_awards"]:
            yield DecodeError(f"XHochschule '{name}' is a {codes()['not_awards'][name]}, not an "
                              "award: no canonical event", **where)
            return
        if name not in AWARDS:
            yield DecodeError(f"unsupported XHochschule document '{name}'", **where)
            return
        errors = schema_errors(xhs_schema(), root, file=source.name)
        if errors:
            yield from errors
            return
        mapper = XhsMapper(ctx, Path(source.name).name)
        event = getattr(mapper, AWARDS[name])(root)
        if event["awarded_on"] is None:
            yield DecodeError("no award date (datumDesErwerbs or ausstellungsdatum)", **where)
            return
        yield Decoded(event=with_schema_defaults(event), record=1, line=root.sourceline)
