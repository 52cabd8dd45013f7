"""Webhook delivery against the signature-checking receiver (threads, no broker)."""
from __future__ import annotations

import pytest

from connectors.webhook import WebhookDelivery, sign, verify
from hub.delivery.receiver import PartnerReceiver
from hub.errors import PermanentDeliveryError, RetriableDeliveryError
from hub.sdk.outbound import Envelope

ENV = Envelope(event_id="e-1", event_type="CredentialIssued", partner_id="p1", trace_id="t",
               content_type="application/json")


def test_sign_and_verify_constant_time():
    assert verify(b"k", b"body", sign(b"k", b"body"))
    assert not verify(b"k", b"body", sign(b"other", b"body"))
    assert not verify(b"k", b"body", None)


@pytest.fixture
def receiver():
    r = PartnerReceiver({"p1": b"secret"}).start()
    yield r
    r.stop()


def test_delivery_is_signed_and_idempotent(receiver):
    d = WebhookDelivery({"url": receiver.url + "/p1"}, b"secret")
    assert d.deliver(b'{"a":1}', ENV).http_status == 200
    assert d.deliver(b'{"a":1}', ENV).http_status == 200
    st = receiver.stats()
    assert st["received"] == {"p1": 1} and st["duplicates"] == {"p1": 1}


def test_wrong_secret_is_permanent(receiver):
    d = WebhookDelivery({"url": receiver.url + "/p1"}, b"wrong")
    with pytest.raises(PermanentDeliveryError):
        d.deliver(b"{}", ENV)
    assert receiver.stats()["bad_signatures"] == {"p1": 1}


def test_5xx_429_and_connection_refused_are_retriable(receiver):
    receiver.fail_first["p1"] = (2, 503)
    d = WebhookDelivery({"url": receiver.url + "/p1"}, b"secret")
    with pytest.raises(RetriableDeliveryError):
        d.deliver(b"{}", ENV)
    with pytest.raises(RetriableDeliveryError):
        d.deliver(b"{}", ENV)
    assert d.deliver(b"{}", ENV).status == "delivered"
    dead = WebhookDelivery({"url": "http://127.0.0.1:9/p1", "timeout_s": 1}, b"secret")
    with pytest.raises(RetriableDeliveryError):
        dead.deliver(b"{}", ENV)
