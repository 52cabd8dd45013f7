"""Offline decoding shared by `nqf-hub convert`, `ingest`, the HTTP endpoint and the conformance kit.

`decode_sources` runs an inbound connector over files, checks every event's header ids
(`hub.sdk.ids`: event_id a UUID, trace_id hex) and its Avro schema (by encoding it), and yields
`Decoded` or located `DecodeError`s; it never stops on a bad record.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hub.errors import DecodeError, SerdeError
from hub.sdk import registry
from hub.sdk.ids import header_id_problems
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.limits import DEFAULT_LIMITS, Limits
from hub.serde import Serde, default_serde


def make_context(connector: Inbound, *, authority: str | None = None,
                 authority_type: str | None = None, jurisdiction: str | None = None,
                 limits: Limits = DEFAULT_LIMITS, options: dict | None = None) -> DecodeContext:
    d = connector.defaults
    src = SourceDefaults(authority or d.authority, authority_type or d.authority_type,
                         jurisdiction or d.jurisdiction)
    return DecodeContext(connector=connector.name, source=src, limits=limits, options=options or {})


def decode_sources(connector: Inbound, sources: list[Source], ctx: DecodeContext,
                   serde: Serde | None = None) -> Iterator[tuple[Decoded | DecodeError, bytes | None]]:
    """Yield (item, encoded bytes or None). Events that do not fit their schema become errors."""
    serde = serde or default_serde()
    if connector.multi_file:     # a load decoded together: name the file only when there is one
        one = sources[0].name if len(sources) == 1 else None
        it = ((one, x) for x in connector.decode_many(sources, ctx))
    else:
        it = ((s.name, x) for s in sources for x in connector.decode(s, ctx))
    while True:
        try:
            file, item = next(it)
        except StopIteration:
            return
        except DecodeError as e:  # a connector that raised instead of yielding: the file ends here
            yield e, None
            continue
        if isinstance(item, DecodeError):
            yield item, None
            continue
        bad = header_id_problems(item.event.get("header") or {})
        if bad:          # ids become file names and HTTP headers downstream: never let one through
            field, reason = bad[0]
            yield DecodeError(reason, file=file, record=item.record,
                              line=item.line, field=field, raw=item.raw), None
            continue
        try:
            yield item, serde.encode(item.event)
        except (SerdeError, KeyError) as e:
            err = DecodeError(f"decoded event does not fit the canonical schema ({e})",
                              record=item.record, line=item.line, raw=item.raw)
            yield err, None


def sources_for(connector: Inbound, paths: list[str | Path]) -> list[Source]:
    files = connector.expand_paths([Path(p) for p in paths])
    return [Source.from_path(p) for p in files]


def decode_paths(name: str, paths: list[str | Path], **ctx_kw):
    connector = registry.inbound(name)
    ctx = make_context(connector, **ctx_kw)
    return decode_sources(connector, sources_for(connector, paths), ctx)
