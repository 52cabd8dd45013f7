"""Webhook delivery (Standard Webhooks signatures) against the verifying receiver (no broker)."""
from __future__ import annotations

import base64
import datetime as dt
import time

import httpx
import pytest

from connectors.webhook import (WebhookDelivery, erasure_of, message_id, new_secret, parse_secret,
                                sign, verify)
from hub.delivery.receiver import PartnerReceiver
from hub.errors import ConfigError, PermanentDeliveryError, RetriableDeliveryError
from hub.sdk.outbound import Envelope

EID = "1168cddc-0890-548f-bb70-efd8280659f3"
ENV = Envelope(event_id=EID, event_type="CredentialIssued", partner_id="p1",
               trace_id="219a67f73dff5e43f17d439b2a592621", content_type="application/json")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_published_example_vector_of_the_standard_webhooks_spec():
    # https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
    sig = sign(parse_secret(SECRET.encode(), where="test"), "msg_p5jXN8AQM9LWM0D4loKWxJek",
               1614265330, b'{"test": 2432232314}')
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(key, msg_id, ts, body):
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sign(key, msg_id, ts, body)}


def test_verify_checks_signature_id_timestamp_and_window():
    key = parse_secret(SECRET.encode(), where="test")
    now = int(time.time())
    body = b'{"a":1}'
    assert verify(key, _headers(key, EID, now, body), body) == EID
    h = _headers(key, EID, now, body)
    for tampered in ({**h, "webhook-id": EID[:-1] + "0"}, {**h, "webhook-timestamp": str(now + 1)},
                     {**h, "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()}):
        assert verify(key, tampered, body) is None
    assert verify(key, h, body + b" ") is None
    assert verify(key, _headers(key, EID, now - 301, body), body) is None      # older than 5 min
    assert verify(key, _headers(key, EID, now + 301, body), body) is None      # too far ahead
    assert verify(key, _headers(key, EID, now - 290, body), body) == EID
    other = parse_secret(new_secret().encode(), where="test")
    assert verify(other, h, body) is None
    assert verify(key, {}, body) is None
    # a rotated secret: several signatures, any valid one is accepted (spec)
    two = {**h, "webhook-signature": sign(other, EID, now, body) + " " + h["webhook-signature"]}
    assert verify(key, two, body) == EID


def test_the_erasure_flag_is_in_the_signed_message_id():
    assert message_id(ENV) == EID and erasure_of(EID) is False
    er = Envelope(**{**ENV.__dict__, "erasure_request": True})
    assert message_id(er) == f"{EID}:erasure" and erasure_of(message_id(er)) is True
    key = parse_secret(SECRET.encode(), where="test")
    now = int(time.time())
    h = _headers(key, message_id(ENV), now, b"{}")
    assert verify(key, {**h, "webhook-id": message_id(er)}, b"{}") is None   # cannot be added


@pytest.mark.parametrize("bad", [b"hunter2-plain", b"whsec_", b"whsec_!!notbase64!!", b"whsec_" + base64.b64encode(b"x" * 8)])
def test_secrets_must_be_whsec_base64_and_errors_never_quote_them(bad):
    with pytest.raises(ConfigError) as e:
        parse_secret(bad, where="partner p1 (secret_ref p1-webhook)")
    msg = str(e.value)
    tail = bad[len(b"whsec_"):].decode() if bad.startswith(b"whsec_") else bad.decode()
    assert "p1-webhook" in msg and (not tail or tail not in msg)


@pytest.fixture
def receiver():
    r = PartnerReceiver({"p1": SECRET.encode()}).start()
    yield r
    r.stop()


def test_delivery_is_signed_and_idempotent(receiver):
    d = WebhookDelivery({"url": receiver.url + "/p1"}, SECRET.encode())
    assert d.deliver(b'{"a":1}', ENV).http_status == 200
    assert d.deliver(b'{"a":1}', ENV).http_status == 200
    st = receiver.stats()
    assert st["received"] == {"p1": 1} and st["duplicates"] == {"p1": 1}


def test_erasure_request_reaches_the_receiver_through_the_signed_id(receiver):
    d = WebhookDelivery({"url": receiver.url + "/p1"}, SECRET.encode())
    d.deliver(b"{}", ENV)
    d.deliver(b"{}", Envelope(**{**ENV.__dict__, "erasure_request": True}))
    assert receiver.erasure_requests["p1"] == {EID}          # not de-duplicated against the event
    assert receiver.stats()["received"] == {"p1": 2}


def test_receiver_rejects_stale_forged_and_flag_tampered_requests(receiver):
    key = parse_secret(SECRET.encode(), where="test")
    body = b"{}"
    old = int(time.time()) - 600
    r = httpx.post(receiver.url + "/p1", content=body, headers=_headers(key, EID, old, body))
    assert r.status_code == 401
    now = int(time.time())
    forged = {**_headers(key, EID, now, body), "X-NQFHub-Erasure-Request": "true"}
    assert httpx.post(receiver.url + "/p1", content=body, headers=forged).status_code == 401
    assert receiver.stats()["bad_signatures"] == {"p1": 2} and receiver.stats()["received"] == {}


def test_wrong_secret_is_permanent(receiver):
    d = WebhookDelivery({"url": receiver.url + "/p1"}, new_secret().encode())
    with pytest.raises(PermanentDeliveryError):
        d.deliver(b"{}", ENV)
    assert receiver.stats()["bad_signatures"] == {"p1": 1}


def test_each_attempt_is_signed_with_its_own_timestamp(receiver, monkeypatch):
    import connectors.webhook as wh
    d = WebhookDelivery({"url": receiver.url + "/p1"}, SECRET.encode())
    monkeypatch.setattr(wh.time, "time", lambda: dt.datetime.now().timestamp() - 3600)
    with pytest.raises(PermanentDeliveryError):             # a signature an hour old is refused
        d.deliver(b"{}", ENV)
    monkeypatch.undo()
    assert d.deliver(b"{}", ENV).status == "delivered"      # a retry later is signed afresh


def test_5xx_429_and_connection_refused_are_retriable(receiver):
    receiver.fail_first["p1"] = (2, 503)
    d = WebhookDelivery({"url": receiver.url + "/p1"}, SECRET.encode())
    with pytest.raises(RetriableDeliveryError):
        d.deliver(b"{}", ENV)
    with pytest.raises(RetriableDeliveryError):
        d.deliver(b"{}", ENV)
    assert d.deliver(b"{}", ENV).status == "delivered"
    dead = WebhookDelivery({"url": "http://127.0.0.1:9/p1", "timeout_s": 1}, SECRET.encode())
    with pytest.raises(RetriableDeliveryError):
        dead.deliver(b"{}", ENV)
