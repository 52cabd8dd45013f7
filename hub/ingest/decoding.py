"""Offline decoding shared by `nqf-hub convert`, `ingest`, the HTTP endpoint and the conformance kit.

`decode_sources` runs an inbound connector over files, checks every event's header ids
(`hub.sdk.ids`: event_id a UUID, trace_id hex) and its Avro schema (by encoding it), and yields
`Decoded` or located `DecodeError`s; it never stops on a bad record.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hub.errors import BrokerError, ConfigError, DecodeError, SerdeError
from hub.sdk import registry
from hub.ingest.sources import AuthenticatedSource, authenticate
from hub.sdk.ids import header_id_problems
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.limits import DEFAULT_LIMITS, Limits
from hub.serde import Serde, default_serde


def make_context(connector: Inbound, *, authority: str | None = None,
                 authority_type: str | None = None, jurisdiction: str | None = None,
                 limits: Limits = DEFAULT_LIMITS, options: dict | None = None,
                 authenticated: AuthenticatedSource | None = None) -> DecodeContext:
    """The context of one load. With `authenticated` (HTTP push, `ingest --authority`) the
    source fields come from the authority alone and `decode_sources` checks every event
    against it (hub.ingest.sources); the free-form `authority`/... arguments are for offline
    conversion."""
    d = connector.defaults
    if authenticated is not None:
        src = SourceDefaults(authenticated.authority, authenticated.authority_type, authenticated.jurisdiction)
    else:
        src = SourceDefaults(authority or d.authority, authority_type or d.authority_type,
                             jurisdiction or d.jurisdiction)
    return DecodeContext(connector=connector.name, source=src, limits=limits, options=options or {},
                         authenticated=authenticated)


# a dead letter carries the document it could not parse; Kafka's default record limit is 1 MB,
# so longer documents keep their first DEAD_LETTER_MAX_RAW bytes and say how long they were
DEAD_LETTER_MAX_RAW = 900 * 1024


def with_document_bytes(err: DecodeError, sources: list[Source],
                        current: list[Source] | None = None) -> DecodeError:
    """A document-level error (no record number) without bytes gets the bytes of the document
    it names (or of the source being decoded), so its dead letter keeps what the sender sent; when the
    document is longer than DEAD_LETTER_MAX_RAW, `err.raw_size` records its full size."""
    if err.raw or err.location.record is not None:
        return err
    named = [s for s in sources if s.name == err.location.file]
    current = current or sources
    src = named[0] if named else (current[0] if len(current) == 1 else None)
    if src is None:
        return err
    try:
        with src.open() as f:
            data = f.read(DEAD_LETTER_MAX_RAW + 1)
    except OSError:
        return err
    err.raw = data[:DEAD_LETTER_MAX_RAW]
    if len(data) > DEAD_LETTER_MAX_RAW:
        err.raw_size = src.size
    return err


def decode_sources(connector: Inbound, sources: list[Source], ctx: DecodeContext,
                   serde: Serde | None = None) -> Iterator[tuple[Decoded | DecodeError, bytes | None]]:
    """Yield (item, encoded bytes or None). Events that do not fit their schema become errors.

    A connector that fails in a way it did not foresee (a ValueError from an integer longer
    than Python's int max_str_digits, a RecursionError from deep nesting, a csv.Error ...) ends
    its document with one located DecodeError naming the exception class, never with a crash:
    the rest of the load goes on. Configuration errors (ConfigError, e.g. no CSV mapping) and
    broker errors still propagate: they concern the whole load, not one document. Errors about
    a whole document carry its bytes (with_document_bytes), so its dead letter keeps them."""
    serde = serde or default_serde()
    if connector.multi_file:     # a load decoded together: name the file only when there is one
        runs = [(connector.decode_many(sources, ctx), sources)]
    else:
        runs = [(connector.decode(s, ctx), [s]) for s in sources]
    for it, of in runs:
        file = of[0].name if len(of) == 1 else None
        for item in _guarded(it, of):
            if isinstance(item, DecodeError):
                yield with_document_bytes(item, sources, of), None
                continue
            bad = header_id_problems(item.event.get("header") or {})
            if not bad and ctx.authenticated is not None:   # the authority sets the source
                wrong = authenticate(item.event, ctx.authenticated,
                                     keeps_sender_header=connector.keeps_sender_header)
                bad = [wrong] if wrong else []
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


def _guarded(it: Iterator, sources: list[Source]) -> Iterator[Decoded | DecodeError]:
    """The connector's items; what it raises becomes one located DecodeError (see above)."""
    name = sources[0].name if len(sources) == 1 else None
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except DecodeError as e:  # a connector that raised instead of yielding: the file ends here
            yield e.located(file=name)
            continue
        except (ConfigError, BrokerError):
            raise
        except Exception as e:  # noqa: BLE001 - hostile input must not take the process down
            raw = sources[0].data if name and sources[0].data is not None else None
            yield DecodeError(f"the document cannot be decoded ({e.__class__.__name__})", file=name,
                              raw=raw)
            return
        yield item


def sources_for(connector: Inbound, paths: list[str | Path]) -> list[Source]:
    files = connector.expand_paths([Path(p) for p in paths])
    return [Source.from_path(p) for p in files]


def decode_paths(name: str, paths: list[str | Path], **ctx_kw):
    connector = registry.inbound(name)
    ctx = make_context(connector, **ctx_kw)
    return decode_sources(connector, sources_for(connector, paths), ctx)
