"""The demo/test partner receiver keeps connections open and answers without Nagle delays.

A receiver that closed every connection after one answer (HTTP/1.0) behind a listen backlog of 5
made the delivery worker reconnect for every webhook; at a few hundred webhooks/s SYNs were lost
to the full accept queue (a 1 s kernel retransmit each) and the end-to-end benchmark measured the
receiver instead of the hub.
"""
from __future__ import annotations

import http.client
import socket
import time

import pytest

from connectors.webhook import WebhookDelivery, new_secret
from hub.delivery.receiver import MAX_BODY, PartnerReceiver
from hub.sdk.outbound import Envelope

SECRET = new_secret()


@pytest.fixture
def receiver():
    r = PartnerReceiver({"p1": SECRET.encode()}).start()
    yield r
    r.stop()


def _env(i: int) -> Envelope:
    return Envelope(event_id=f"e-{i}", event_type="CredentialIssued", partner_id="p1",
                    trace_id="t", content_type="application/json")


def _connection(receiver) -> http.client.HTTPConnection:
    host, port = receiver.server.server_address[:2]
    return http.client.HTTPConnection(host, port, timeout=5)


def test_one_connection_carries_many_webhooks(receiver):
    d = WebhookDelivery({"url": f"{receiver.url}/p1", "partner_id": "p1"}, SECRET.encode())
    try:
        for i in range(5):
            assert d.deliver(b'{"n": 1}', _env(i)).http_status == 200
        # one worker thread, one keep-alive connection: the receiver saw it once
        with receiver.lock:
            assert len(receiver.connections) == 1
        assert len(receiver.received["p1"]) == 5
    finally:
        d.close()


def test_answers_are_http11_keep_alive_with_nodelay(receiver):
    c = _connection(receiver)
    c.request("GET", "/stats")
    r = c.getresponse()
    assert r.version == 11 and r.status == 200 and not r.will_close
    r.read()
    sock = c.sock
    c.request("GET", "/stats")
    c.getresponse().read()
    assert c.sock is sock                       # the same connection answered again
    with receiver.lock:
        (server_side,) = receiver.connections
    assert server_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    c.close()


def test_listen_backlog_takes_a_burst_of_connections(receiver):
    assert receiver.server.request_queue_size >= 512
    socks = [socket.create_connection(receiver.server.server_address[:2], timeout=5) for _ in range(64)]
    for s in socks:
        s.close()


def test_an_oversized_body_is_refused_and_ends_the_connection(receiver):
    c = _connection(receiver)
    c.putrequest("POST", "/p1")
    c.putheader("Content-Length", str(MAX_BODY + 1))
    c.endheaders()
    r = c.getresponse()
    assert r.status == 413
    r.read()
    # the unread body must not be parsed as the next request: the receiver closed the connection
    c.sock.settimeout(5)
    assert c.sock.recv(1) == b""
    c.close()


def test_close_connections_cuts_open_keep_alive_connections(receiver):
    c = _connection(receiver)
    c.request("GET", "/stats")
    c.getresponse().read()
    receiver.close_connections()
    c.sock.settimeout(5)
    assert c.sock.recv(1) == b""                # EOF: a partner that went away
    deadline = time.monotonic() + 5
    while receiver.connections and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not receiver.connections
    c.close()
