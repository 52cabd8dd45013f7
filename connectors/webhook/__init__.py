"""Outbound `webhook`: HTTP POST of the encoded event, signed, with an idempotency key.

Request headers:
  Content-Type          the encoder's media type
  Idempotency-Key       the event_id (the same on every retry; partners de-duplicate on it)
  X-NQFHub-Signature    'sha256=' + hex HMAC-SHA256 of the exact body with the partner's secret
  X-NQFHub-Event-Type, X-NQFHub-Trace-Id, X-NQFHub-Partner
  X-NQFHub-Erasure-Request: true   on a ConsentWithdrawn sent as an erasure request
Responses: 2xx delivered; 408, 425, 429, 5xx and network errors are retriable; any other status
is permanent (the worker dead-letters it). The worker owns retries and backoff.
"""
from __future__ import annotations

import hashlib
import hmac

import httpx

from hub.errors import PermanentDeliveryError, RetriableDeliveryError
from hub.sdk.outbound import Delivery, DeliveryResult, Envelope
from hub.sdk.registry import ConnectorSpec

SIGNATURE_HEADER = "X-NQFHub-Signature"
RETRIABLE_STATUS = {408, 425, 429}


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """Constant-time check of a signature header; what a partner runs on receipt."""
    return bool(header) and hmac.compare_digest(sign(secret, body), header)


class WebhookDelivery(Delivery):
    name = "webhook"

    def __init__(self, config: dict, secret: bytes | None = None):
        super().__init__(config, secret)
        if not config.get("url"):
            from hub.errors import ConfigError
            raise ConfigError("webhook delivery needs delivery.url")
        if not secret:
            from hub.errors import ConfigError
            raise ConfigError("webhook delivery needs delivery.secret_ref (HMAC signing secret)")
        self.url = config["url"]
        self._http = httpx.Client(timeout=float(config.get("timeout_s", 10)),
                                  limits=httpx.Limits(max_connections=16, max_keepalive_connections=16))

    def deliver(self, body: bytes, envelope: Envelope) -> DeliveryResult:
        headers = {
            "Content-Type": envelope.content_type,
            "Idempotency-Key": envelope.event_id,
            SIGNATURE_HEADER: sign(self.secret, body),
            "X-NQFHub-Event-Type": envelope.event_type,
            "X-NQFHub-Trace-Id": envelope.trace_id,
            "X-NQFHub-Partner": envelope.partner_id,
            **({"X-NQFHub-Erasure-Request": "true"} if envelope.erasure_request else {}),
            **envelope.extra_headers,
        }
        try:
            r = self._http.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise RetriableDeliveryError("webhook timed out") from None
        except httpx.TransportError as e:
            raise RetriableDeliveryError(f"webhook transport error: {e.__class__.__name__}") from None
        if 200 <= r.status_code < 300:
            return DeliveryResult("delivered", r.status_code)
        if r.status_code in RETRIABLE_STATUS or r.status_code >= 500:
            raise RetriableDeliveryError(f"webhook answered HTTP {r.status_code}")
        raise PermanentDeliveryError(f"webhook answered HTTP {r.status_code}")

    def close(self) -> None:
        self._http.close()


CONNECTOR = ConnectorSpec(
    name="webhook",
    description="HTTP POST with HMAC-SHA256 signature and Idempotency-Key; retries with backoff",
    delivery=WebhookDelivery,
)
