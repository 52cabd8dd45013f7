"""Outbound `webhook`: HTTP POST of the encoded event, signed by the Standard Webhooks scheme.

Request headers (https://www.standardwebhooks.com, signed with the `standardwebhooks` library):
  webhook-id            the event id; `<event id>:erasure` for an erasure request (see below)
  webhook-timestamp     seconds since the epoch at this attempt (every retry is signed afresh)
  webhook-signature     'v1,' + base64 HMAC-SHA256 of '{webhook-id}.{webhook-timestamp}.{body}'
                        with the partner's secret (whsec_<base64>)
  Idempotency-Key       = webhook-id (the same on every retry; partners de-duplicate on it)
  Content-Type          the encoder's media type
  X-NQFHub-Event-Type, X-NQFHub-Trace-Id, X-NQFHub-Partner    routing and tracing (not signed)
  X-NQFHub-Erasure-Request: true   informational copy of the flag in webhook-id

The erasure flag is carried in the signed webhook-id rather than in the body because the body is
the partner's own format (ELMO XML, Open Badges, ...), which has no place for it: so the flag is
covered by the signature for every format, and an erasure request has its own idempotency key
(a partner that also received the ConsentWithdrawn itself does not drop the request as a
duplicate). Receivers must read the flag from the verified webhook-id, never from the header.

Responses: 2xx delivered; 408, 425, 429, 5xx and network/TLS errors are retriable; any other
status is permanent (the worker dead-letters it). The worker owns retries and backoff.
Transport security: https is required except to loopback (checked when the partner registry is
loaded); `tls.ca_bundle`, `tls.client_cert` and `tls.client_key_ref` configure a private CA and
mutual TLS (`connectors.webhook._tls`).
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets as _secrets
import time
from collections.abc import Mapping

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hub.errors import ConfigError, PermanentDeliveryError, RetriableDeliveryError
from hub.sdk.outbound import Delivery, DeliveryResult, Envelope
from hub.sdk.registry import ConnectorSpec

__all__ = ["ERASURE_SUFFIX", "RETRIABLE_STATUS", "TOLERANCE_S", "WebhookDelivery", "erasure_of",
           "message_id", "new_secret", "parse_secret", "sign", "verify"]

RETRIABLE_STATUS = {408, 425, 429}
ERASURE_SUFFIX = ":erasure"
TOLERANCE_S = 300           # receivers refuse timestamps more than 5 minutes away (spec, library)
SECRET_PREFIX = b"whsec_"
SECRET_BYTES = (24, 64)     # the spec's bounds for the decoded key


def new_secret() -> str:
    """A fresh partner secret in the Standard Webhooks form: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(_secrets.token_bytes(32)).decode()


def parse_secret(raw: bytes, *, where: str) -> bytes:
    """`whsec_<base64>` -> the HMAC key; ConfigError naming `where` (never the value) otherwise."""
    raw = raw.strip()
    hint = f"{where}: the webhook secret must be whsec_<base64 of 24 to 64 random bytes>"
    if not raw.startswith(SECRET_PREFIX):
        raise ConfigError(hint + " (no whsec_ prefix)")
    try:
        key = base64.b64decode(raw[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(hint + " (not base64)") from None
    if not SECRET_BYTES[0] <= len(key) <= SECRET_BYTES[1]:
        raise ConfigError(hint + f" (decodes to {len(key)} bytes)")
    return key


def message_id(envelope: Envelope) -> str:
    """The signed webhook-id: the event id, with ERASURE_SUFFIX on an erasure request."""
    return envelope.event_id + (ERASURE_SUFFIX if envelope.erasure_request else "")


def erasure_of(msg_id: str) -> bool:
    """True when a verified webhook-id is an erasure request."""
    return msg_id.endswith(ERASURE_SUFFIX)


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """'v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">' (the `standardwebhooks` library)."""
    return Webhook(key).sign(msg_id, dt.datetime.fromtimestamp(timestamp, dt.timezone.utc), body)


def verify(key: bytes, headers: Mapping[str, str], body: bytes) -> str | None:
    """What a partner runs on receipt: the verified webhook-id, or None.

    None when a header is missing, the timestamp is more than 5 minutes old or ahead, or no
    signature in webhook-signature matches (constant-time compare; several signatures are
    allowed during a secret rotation)."""
    h = {k.lower(): v for k, v in headers.items()}
    try:
        Webhook(key).verify(body, h, json_parse=False)
    except WebhookVerificationError:
        return None
    return h["webhook-id"]


class WebhookDelivery(Delivery):
    name = "webhook"

    def __init__(self, config: dict, secret: bytes | None = None):
        """Built once per partner at worker start. `config` is the partner file's `delivery`
        (the runtime adds `partner_id` and resolves `tls.client_key_ref` into `client_key_pem`)."""
        super().__init__(config, secret)
        where = f"partner {config.get('partner_id') or '(unnamed)'} (delivery)"
        if not config.get("url"):
            raise ConfigError(f"{where}: webhook delivery needs delivery.url")
        if not secret:
            raise ConfigError(f"{where}: webhook delivery needs delivery.secret_ref (a whsec_ secret)")
        self.key = parse_secret(secret, where=f"{where}, secret_ref {config.get('secret_ref')}")
        self.url = config["url"]
        from connectors.webhook._tls import ssl_context
        self._http = httpx.Client(timeout=float(config.get("timeout_s", 10)),
                                  verify=ssl_context(config.get("tls") or {}, where=where),
                                  limits=httpx.Limits(max_connections=16, max_keepalive_connections=16))

    def deliver(self, body: bytes, envelope: Envelope) -> DeliveryResult:
        """One attempt, signed now; called from worker threads (httpx.Client is thread-safe)."""
        msg_id = message_id(envelope)
        ts = int(time.time())
        headers = {
            "Content-Type": envelope.content_type,
            "webhook-id": msg_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": sign(self.key, msg_id, ts, body),
            "Idempotency-Key": msg_id,
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
        except httpx.TransportError as e:   # includes TLS handshake / certificate failures
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
    description="HTTP POST signed by Standard Webhooks (webhook-id/-timestamp/-signature), "
                "Idempotency-Key, https or loopback only, custom CA and mutual TLS",
    delivery=WebhookDelivery,
)
