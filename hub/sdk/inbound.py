"""Inbound connectors: decode a native format into canonical events, one record at a time.

A connector never opens a Kafka client. The runtime (`hub.ingest`) calls `decode(source, ctx)`
for every input file or HTTP body and consumes the iterator lazily, so a connector must stream:
read records as it goes and never hold a whole large export in memory. For each record it yields
either a `Decoded` (one canonical event plus the raw bytes it came from) or a `DecodeError`
(located: file, record/line, field; the reason never quotes the value). Yielding an error does not
stop the connector: the runtime reports or dead-letters it and keeps iterating.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar

from hub.errors import DecodeError
from hub.sdk.events import millis
from hub.sdk.limits import DEFAULT_LIMITS, Limits

UTC = dt.timezone.utc
# Fixed namespace so that the same source record always yields the same event_id.
EVENT_ID_NAMESPACE = uuid.UUID("5d0f6a8e-2b7c-4f1e-9a57-1e0b7c0d4a11")
AUTHORITY_TYPES = ("public_authority", "public_body", "private")


@dataclass(frozen=True)
class SourceDefaults:
    """Who supplies the data when the caller does not say (`--authority` etc. override)."""

    authority: str
    authority_type: str
    jurisdiction: str


@dataclass
class Source:
    """One input document: a file on disk or bytes received over HTTP."""

    name: str                              # shown in errors: file path or upload name
    path: Path | None = None
    data: bytes | None = None
    related: tuple["Source", ...] = ()     # other files of the same load (e.g. NLRD 25 + 29)

    @classmethod
    def from_path(cls, p: str | Path) -> "Source":
        p = Path(p)
        return cls(name=str(p), path=p)

    def open(self) -> IO[bytes]:
        if self.data is not None:
            import io
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")

    @property
    def size(self) -> int | None:
        if self.data is not None:
            return len(self.data)
        return self.path.stat().st_size if self.path else None


@dataclass
class Decoded:
    event: dict                 # fastavro representation of a canonical event
    raw: bytes = b""            # the bytes of the source record (for dead-letters and audits)
    record: int | None = None   # record number in the source (1-based)
    line: int | None = None


@dataclass
class DecodeContext:
    """What the runtime knows about the current load; connectors build headers through it."""

    connector: str
    source: SourceDefaults
    limits: Limits = DEFAULT_LIMITS
    options: dict = field(default_factory=dict)
    now: dt.datetime = field(default_factory=lambda: millis(dt.datetime.now(UTC)))
    #: the authenticated authority (hub.ingest.sources.AuthenticatedSource) of an HTTP push or an
    #: `nqf-hub ingest --authority` load; the runtime checks and stamps every event with it
    authenticated: object | None = None
    #: hub.verify.Verifier for signed credentials; None: the process default built from settings
    verifier: object | None = None

    def header(self, event_type: str, *, subject: str, document_id: str | None = None,
               record_ref: str | None = None, occurred_at: dt.datetime | dt.date | None = None,
               subject_jurisdiction: str | None = None, jurisdiction: str | None = None) -> dict:
        """A complete event header.

        `event_id` is a UUIDv5 of connector, authority, document, record, event type and subject,
        so re-ingesting the same file yields the same ids (idempotent downstream).
        """
        src = self.source
        juris = jurisdiction or src.jurisdiction
        key = "|".join([self.connector, src.authority, document_id or "", record_ref or "",
                        event_type, subject])
        event_id = str(uuid.uuid5(EVENT_ID_NAMESPACE, key))
        if isinstance(occurred_at, dt.date) and not isinstance(occurred_at, dt.datetime):
            occurred_at = dt.datetime(occurred_at.year, occurred_at.month, occurred_at.day, tzinfo=UTC)
        elif isinstance(occurred_at, dt.datetime) and occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=UTC)
        if occurred_at is not None:
            occurred_at = millis(occurred_at)
        return {
            "event_id": event_id,
            "event_type": event_type,
            "occurred_at": occurred_at or self.now,
            "recorded_at": self.now,
            "source": {
                "connector": self.connector,
                "authority": src.authority,
                "authority_type": src.authority_type,
                "jurisdiction": juris,
                "document_id": document_id,
                "record_ref": record_ref,
            },
            "subject_jurisdiction": subject_jurisdiction or juris,
            "trace_id": hashlib.sha256(event_id.encode()).hexdigest()[:32],
            "verification": None,       # set by hub.verify for signed credential formats
        }


class Inbound(ABC):
    """Base of every inbound connector.

    Class attributes the runtime and docs read:
      name            CLI name (same as the entry point)
      format_version  e.g. 'Open Badges 3.0 (VC Data Model 2.0)'
      event_types     the canonical events this connector produces
      defaults        SourceDefaults used when the caller names no authority
      guarantee       one line on delivery semantics
    """

    name: ClassVar[str]
    format_version: ClassVar[str]
    event_types: ClassVar[tuple[str, ...]]
    defaults: ClassVar[SourceDefaults]
    guarantee: ClassVar[str] = ("at-least-once into hub.ingress; deterministic event ids make "
                                "re-ingestion idempotent downstream")
    #: True when the connector wants all files of one load together (`decode_many`).
    multi_file: ClassVar[bool] = False
    #: True when events keep the header the sender wrote (canonical-json): under an authenticated
    #: ingest the runtime then namespaces their event ids by the authority (hub.ingest.sources)
    keeps_sender_header: ClassVar[bool] = False

    @abstractmethod
    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        """Yield one item per source record, lazily. Must not raise for a bad record: yield it."""

    def decode_many(self, sources: list[Source], ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        """Decode a set of files given together. Default: each file on its own."""
        for s in sources:
            yield from self.decode(s, ctx)

    def expand_paths(self, paths: list[Path]) -> list[Path]:
        """Turn CLI paths into files. Default: a directory means the files directly in it."""
        out: list[Path] = []
        for p in paths:
            if p.is_dir():
                out.extend(sorted(q for q in p.iterdir() if q.is_file() and not q.name.startswith(".")))
            else:
                out.append(p)
        return out


class MultiFileInbound(Inbound):
    """Base of connectors that read all files of one load together (`multi_file` is true).

    The runtime calls `decode_many(sources, ctx)` with every file of the load (a directory or the
    files given together); `decode(source, ctx)` treats `source` and its `related` files as one
    load. After a load, `last_summary` holds the connector's counts for it (None before).
    """

    multi_file: ClassVar[bool] = True

    def __init__(self):
        self.last_summary: dict | None = None

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        """One file, plus the files of the same load named in `source.related`."""
        return self.decode_many([source, *source.related], ctx)

    @abstractmethod
    def decode_many(self, sources: list[Source], ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        """Yield the items of the whole load, lazily (see `Inbound.decode`)."""
