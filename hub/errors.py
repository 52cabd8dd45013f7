"""All errors the hub raises, with one root and a recovery meaning per branch.

    HubError                         root; never raised itself
    ├── ConfigError                  fatal: fix configuration and restart (exit 1 in the CLI)
    │   ├── UnknownSettingError      an unknown key in env/file; lists the known ones
    │   ├── MappingFileError         a YAML/CSV under mappings/ fails its JSON Schema (all problems listed)
    │   └── ConnectorNotFound        no connector of that name in the entry-point group
    ├── SchemaError                  fatal: a schema file does not parse or an unknown schema is needed
    ├── BrokerError                  the broker is unreachable or refused an operation
    │   └── BrokerNotRunning         no embedded broker is running and no NQF_HUB_BOOTSTRAP is set
    ├── RecordError                  skip-to-dead-letter: this one record cannot be processed
    │   ├── DecodeError              a source record is invalid; carries file, record, field, reason
    │   │   ├── InputTooLarge        a size limit was exceeded (document, string, depth, entities)
    │   │   └── SignatureInvalid     a signature or proof was checked and does not verify (forged,
    │   │                            tampered or signed with another key): dead-letter the original bytes
    │   └── SerdeError               bytes are not a canonical event the hub can decode
    ├── AuditChainError              fatal: stored audit records do not verify; the router will not
    │                                extend the chain (investigate with `nqf-hub audit verify`)
    ├── PolicyError                  the policy engine cannot decide (treated as block + dead letter)
    └── DeliveryError                a delivery to a partner failed
        ├── RetriableDeliveryError   try again with backoff (timeouts, 5xx, 429)
        └── PermanentDeliveryError   dead-letter now (4xx other than 408/429, encode failure)
            └── UnexpectedDeliveryError  any other exception for one record, translated at the
                                         boundary: names the original class, never its message

Messages never contain personal data: they name the file, the record number and the field, and
say what is wrong with it, not what the value was.
"""
from __future__ import annotations

from dataclasses import dataclass


class HubError(Exception):
    """Root of every error the hub raises on purpose."""


class ConfigError(HubError):
    """Configuration is wrong; the process cannot continue."""


class UnknownSettingError(ConfigError):
    pass


class MappingFileError(ConfigError):
    """A reviewed data file (levels, privacy rules, field mappings, partners) is invalid.

    `problems` lists every problem found, each as 'file: path: message'.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        detail = "".join(f"\n  - {p}" for p in self.problems)
        super().__init__(message + detail)


class ConnectorNotFound(ConfigError):
    pass


class SchemaError(HubError):
    pass


class BrokerError(HubError):
    pass


class BrokerNotRunning(BrokerError):
    pass


class RecordError(HubError):
    """One record cannot be processed; the runtime dead-letters it and goes on."""


@dataclass
class Location:
    """Where a bad record sits: file, record/line number, field path. Never the value."""

    file: str | None = None
    record: int | None = None
    field: str | None = None
    line: int | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in (("file", self.file), ("record", self.record),
                                  ("line", self.line), ("field", self.field)) if v is not None}

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts) or "(unknown location)"


class DecodeError(RecordError):
    """A source record is invalid.

    `reason` must describe the problem without quoting the value (e.g. "not a date in CCYYMMDD
    form", "unknown code in lookup 'gender'").
    """

    def __init__(self, reason: str, *, file: str | None = None, record: int | None = None,
                 field: str | None = None, line: int | None = None, raw: bytes | None = None):
        self.reason = reason
        self.location = Location(file=file, record=record, field=field, line=line)
        self.raw = raw
        super().__init__(f"{self.location}: {reason}")

    def located(self, **kw) -> "DecodeError":
        """Fill in location parts the raiser did not know (the runtime knows the file)."""
        for k, v in kw.items():
            if v is not None and getattr(self.location, k) is None:
                setattr(self.location, k, v)
        self.args = (f"{self.location}: {self.reason}",)
        return self

    def as_dict(self) -> dict:
        return {**self.location.as_dict(), "reason": self.reason}


class InputTooLarge(DecodeError):
    pass


class SignatureInvalid(DecodeError):
    """A credential's signature or proof does not verify (hub.verify).

    The content cannot be trusted, so no event is made: the runtime dead-letters the original
    bytes. `reason` says what failed (e.g. 'the Ed25519 signature does not match the document'),
    never the content.
    """


class SerdeError(RecordError):
    pass


class AuditChainError(HubError):
    """The tail of an audit partition does not verify (hash, link or seal signature)."""


class PolicyError(HubError):
    pass


class DeliveryError(HubError):
    pass


class RetriableDeliveryError(DeliveryError):
    pass


class PermanentDeliveryError(DeliveryError):
    pass


class UnexpectedDeliveryError(PermanentDeliveryError):
    """An exception that is not the hub's own (a connector bug, a header httpx cannot encode).

    Only the original class is kept: its message may quote the record's data."""

    def __init__(self, original: BaseException, doing: str):
        self.original_class = original.__class__.__name__
        super().__init__(f"unexpected {self.original_class} while {doing}")
