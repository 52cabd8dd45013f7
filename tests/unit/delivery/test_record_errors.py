"""One bad record never stops the delivery worker: whatever it raises, it is dead-lettered with
its original bytes (no broker: confluent-kafka stand-ins)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.config import load_settings
from hub.delivery.worker import DeliveryWorker, PartnerChannel
from hub.errors import RetriableDeliveryError
from hub.ingest.decoding import decode_sources, make_context
from hub.runtime.deadletter import headers_dict
from hub.sdk import registry
from hub.sdk.inbound import Source
from hub.sdk.outbound import DeliveryResult
from hub.serde import default_serde
from tests.fakes import FakeMessage

LIFECYCLE = Path(__file__).resolve().parents[2] / "data" / "canonical-json" / "good" / "lifecycle.jsonl"


def _event_bytes(**header) -> bytes:
    ev = json.loads(LIFECYCLE.read_text().splitlines()[0])
    ev["header"].update(header)
    conn = registry.inbound("canonical-json")
    [(item, data)] = decode_sources(conn, [Source("x", data=(json.dumps(ev) + "\n").encode())],
                                    make_context(conn))
    return data


class Recorder:
    def __init__(self, exc=None):
        self.exc, self.calls = exc, []

    def deliver(self, body, env):
        self.calls.append(env)
        if self.exc:
            raise self.exc
        return DeliveryResult("delivered", 200)

    def close(self):
        pass


class BrokenEncoder:
    media_type = "application/json"

    def encode(self, event):
        return {}["missing"]            # a bug in an encoder: KeyError, not a HubError


class JsonEncoder:
    media_type = "application/json"

    def encode(self, event):
        return b"{}"


def worker(tmp_path, channel) -> DeliveryWorker:
    s = load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_TOPIC_PREFIX": "u"})
    return DeliveryWorker(s, default_serde(), {}, channels={"p": channel})


def _dead_letter(w, outs):
    dl = [o for o in outs if o[0] == w.t_dlq]
    assert len(dl) == 1
    return dl[0]


@pytest.mark.parametrize("exc", [UnicodeEncodeError("ascii", "x", 0, 1, "not ascii"),
                                 RuntimeError("boom with a value 8001015009087"), ValueError("v")])
def test_any_exception_from_a_delivery_is_dead_lettered_with_the_original_bytes(tmp_path, exc):
    w = worker(tmp_path, PartnerChannel("p", "webhook", JsonEncoder(), Recorder(exc)))
    value = _event_bytes()
    msg = FakeMessage("u.partner.p", value, b"k", partition=2, offset=41)
    step = w.attempt(msg)
    assert step.retry is None
    topic, key, v, headers = _dead_letter(w, step.outputs)
    assert v == value and key == b"k"
    h = headers_dict(headers)
    assert h["partner"] == "p" and h["original.offset"] == "41" and h["stage"] == "delivery"
    assert "8001015009087" not in h["error.message"]       # the exception's text is not copied
    assert exc.__class__.__name__ in h["error.message"]
    receipts = [o for o in step.outputs if o[0] == w.t_receipts]
    assert len(receipts) == 1


def test_an_encoder_bug_is_dead_lettered(tmp_path):
    w = worker(tmp_path, PartnerChannel("p", "webhook", BrokenEncoder(), Recorder()))
    value = _event_bytes()
    step = w.attempt(FakeMessage("u.partner.p", value, b"k"))
    assert _dead_letter(w, step.outputs)[2] == value


def test_non_ascii_forwarded_header_is_dead_lettered_not_raised(tmp_path):
    from connectors.webhook import WebhookDelivery
    d = WebhookDelivery({"url": "http://127.0.0.1:9/p", "timeout_s": 1},
                        b"whsec_" + b"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    w = worker(tmp_path, PartnerChannel("p", "webhook", JsonEncoder(), d))
    value = _event_bytes()
    msg = FakeMessage("u.partner.p", value, b"k", headers=[("nqfhub.erasure_request", "trué".encode())])
    step = w.attempt(msg)
    assert step.retry is None
    assert _dead_letter(w, step.outputs)[2] == value


def test_undecodable_record_and_bad_event_id_are_dead_lettered(tmp_path):
    rec = Recorder()
    w = worker(tmp_path, PartnerChannel("p", "file", JsonEncoder(), rec))
    assert _dead_letter(w, w.attempt(FakeMessage("u.partner.p", b"\x00junk", b"k")).outputs)[2] == b"\x00junk"
    # an event that reached a partner topic without passing ingest: its id is checked again
    ev = json.loads(LIFECYCLE.read_text().splitlines()[0])
    ev["header"]["event_id"] = "../../../etc/x"
    from hub.jsonview import event_from_json
    bad = default_serde().encode(event_from_json(ev))
    outs = w.attempt(FakeMessage("u.partner.p", bad, b"k")).outputs
    h = headers_dict(_dead_letter(w, outs)[3])
    assert "event_id" not in h and "../" not in h["error.message"]
    assert rec.calls == []                                 # never handed to the file drop


def test_a_retriable_failure_is_returned_not_slept_on(tmp_path):
    ch = PartnerChannel("p", "webhook", JsonEncoder(), Recorder(RetriableDeliveryError("HTTP 503")),
                        max_attempts=3)
    w = worker(tmp_path, ch)
    msg = FakeMessage("u.partner.p", _event_bytes(), b"k")
    s1 = w.attempt(msg)
    assert s1.retry is not None and s1.outputs == [] and s1.attempts == 1
    s2 = w.attempt(msg, prior_attempts=s1.attempts)
    assert s2.retry is not None and s2.attempts == 2
    s3 = w.attempt(msg, prior_attempts=s2.attempts)      # the last allowed attempt: dead-lettered
    assert s3.retry is None and _dead_letter(w, s3.outputs)
    assert len(ch.delivery.calls) == 3
