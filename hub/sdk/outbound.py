"""Outbound connectors: encoders (canonical event -> partner format) and delivery transports.

The outbound worker (`hub.delivery`) consumes `hub.partner.<id>` (already minimised by the
router), calls `Encoder.encode` and hands the bytes to a `Delivery`. Encoders are pure functions
of one event; deliveries own the transport and classify failures as retriable or permanent.
The worker owns retries, backoff, dead-lettering, receipts and offset commits.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Envelope:
    """What a delivery needs besides the body: ids for idempotency and tracing."""

    event_id: str
    event_type: str
    partner_id: str
    trace_id: str
    content_type: str
    subject_id: str | None = None
    erasure_request: bool = False     # the router asks the partner to erase (ConsentWithdrawn)
    extra_headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    status: str                  # 'delivered'
    http_status: int | None = None
    detail: str | None = None    # never personal data


class Encoder(ABC):
    """Renders one canonical event (fastavro dict) as bytes in a partner's format.

    Raise `PermanentDeliveryError` for an event this format cannot express.
    """

    name: ClassVar[str]
    media_type: ClassVar[str]
    format_version: ClassVar[str]
    event_types: ClassVar[tuple[str, ...]] = ()   # empty: all types

    def __init__(self, options: dict | None = None):
        self.options = options or {}

    @abstractmethod
    def encode(self, event: dict) -> bytes: ...


class Delivery(ABC):
    """Sends bytes to a partner. Called from worker threads; must be thread-safe.

    Raise `RetriableDeliveryError` (timeouts, 5xx, 429) or `PermanentDeliveryError` (other 4xx).
    """

    name: ClassVar[str]

    def __init__(self, config: dict, secret: bytes | None = None):
        self.config = config
        self.secret = secret

    @abstractmethod
    def deliver(self, body: bytes, envelope: Envelope) -> DeliveryResult: ...

    def close(self) -> None:
        pass
