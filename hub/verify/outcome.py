"""`Outcome`: what checking one credential's signature or proof found (header.verification).

Three statuses (see schemas/avro/nqfhub.Verification.avsc): `verified`, `unverified`, `invalid`.
A signature that was checked and does not match is not an outcome but `SignatureInvalid` (a
DecodeError): the record is dead-lettered with its original bytes and never becomes an event.
Reasons are the hub's own sentences; they may name issuer, key, context or list URLs (public
identifiers of organisations), never credential content or learner data.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

VERIFIED, UNVERIFIED, INVALID = "verified", "unverified", "invalid"
STATUSES = (VERIFIED, UNVERIFIED, INVALID)


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str
    proof: str | None = None
    issuer: str | None = None
    key_id: str | None = None
    vouched_by: str | None = None
    data_model: str | None = None

    def __post_init__(self):
        assert self.status in STATUSES, self.status

    def header(self) -> dict:
        """The header.verification record (Avro nqfhub.Verification)."""
        return asdict(self)

    def with_(self, **kw) -> "Outcome":
        return replace(self, **kw)


def unverified(reason: str, **kw) -> Outcome:
    return Outcome(UNVERIFIED, reason, **kw)
