"""A partner-side webhook receiver for the demo and tests: verifies signatures, de-duplicates.

Each partner posts to `/<partner_id>`; `secrets` maps partner ids to their whsec_ secrets. A
request is answered 401 and counted in `bad_signatures` unless its Standard Webhooks signature
verifies (`connectors.webhook.verify`: webhook-id, webhook-timestamp within 5 minutes either way,
webhook-signature) and an X-NQFHub-Erasure-Request header, if any, agrees with the erasure flag
in the signed webhook-id. The verified webhook-id is the de-duplication key: a repeated one is
answered 200 and counted as a duplicate (the effect happens once). Pass `ssl_context` to serve
https (tests use a throwaway CA; `CERT_REQUIRED` on it makes the receiver demand a client
certificate). Nothing of the body is kept except the event id and type.
`fail_first` injects failures for tests: {partner_id: (n, status)} answers the first n requests
with that status; a partner id in `outage` is answered 503 until it is removed (a partner outage).
`accepted` lists, per partner, the idempotency keys in the order they were first accepted and
`unavailable` counts the 503s answered because a partner was down.

Connections are HTTP/1.1 keep-alive (the delivery worker's httpx client reuses them) and the
listen backlog is `ReceiverServer.request_queue_size`: a receiver that closed every connection
after one answer, behind socketserver's backlog of 5, made the worker reconnect for every
webhook and, at a few hundred webhooks/s, lose SYNs to the full accept queue — a 1 s kernel
retransmit each, stalling the lane behind it (benchmarks/e2e_latency.py). `close_connections()`
cuts the open ones (a partner that goes away); a connection idle for `IDLE_S` is closed.
"""
from __future__ import annotations

import json
import socket
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from connectors.webhook import erasure_of, parse_secret, verify

MAX_BODY = 8 * 1024 * 1024
IDLE_S = 60.0               # a keep-alive connection without a request for this long is closed


class ReceiverServer(ThreadingHTTPServer):
    """A thread per connection, daemon threads, and a listen backlog for hundreds of clients."""

    daemon_threads = True
    request_queue_size = 1024


class PartnerReceiver:
    def __init__(self, secrets: dict[str, bytes], *, fail_first: dict | None = None,
                 host: str = "127.0.0.1", port: int = 0, ssl_context=None):
        self.secrets = secrets
        self.fail_first = dict(fail_first or {})
        self.lock = threading.Lock()
        self.received: dict[str, dict[str, str]] = defaultdict(dict)   # partner -> {event_id: type}
        self.duplicates: dict[str, int] = defaultdict(int)
        self.bad_signatures: dict[str, int] = defaultdict(int)
        self.erasure_requests: dict[str, set[str]] = defaultdict(set)   # partner -> event ids
        self.outage: set[str] = set()
        self.unavailable: dict[str, int] = defaultdict(int)
        self.accepted: dict[str, list[str]] = defaultdict(list)
        self.requests = 0
        self.connections: set[socket.socket] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"       # keep-alive: every answer has a Content-Length
            disable_nagle_algorithm = True      # headers and body are two writes: no 40 ms wait
            timeout = IDLE_S

            def log_message(self, *a):  # keep stdout clean; nothing personal is logged anyway
                pass

            def setup(self):
                super().setup()
                with receiver.lock:
                    receiver.connections.add(self.connection)

            def finish(self):
                with receiver.lock:
                    receiver.connections.discard(self.connection)
                super().finish()

            def do_GET(self):
                if self.path == "/stats":
                    self._answer(200, receiver.stats())
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self):
                pid = self.path.strip("/").split("/")[0]
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True        # the unread body ends the connection
                    return self._answer(413, {"error": "body too large"})
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests += 1
                    secret = receiver.secrets.get(pid)
                if secret is None:
                    return self._answer(404, {"error": "unknown partner"})
                # HMAC outside the lock: the connection threads verify in parallel
                msg_id = verify(parse_secret(secret, where=f"receiver secret of {pid}"),
                                dict(self.headers.items()), body)
                with receiver.lock:
                    flag = self.headers.get("X-NQFHub-Erasure-Request")
                    if msg_id is None or (flag is not None and (flag == "true") != erasure_of(msg_id)):
                        receiver.bad_signatures[pid] += 1
                        return self._answer(401, {"error": "bad signature"})
                    if pid in receiver.outage:
                        receiver.unavailable[pid] += 1
                        return self._answer(503, {"error": "partner down"})
                    n, status = receiver.fail_first.get(pid, (0, 0))
                    if n > 0:
                        receiver.fail_first[pid] = (n - 1, status)
                        return self._answer(status, {"error": "injected failure"})
                    key = msg_id
                    if key in receiver.received[pid]:
                        receiver.duplicates[pid] += 1
                        return self._answer(200, {"status": "duplicate"})
                    receiver.received[pid][key] = self.headers.get("X-NQFHub-Event-Type", "")
                    receiver.accepted[pid].append(key)
                    if erasure_of(msg_id):
                        receiver.erasure_requests[pid].add(msg_id.rsplit(":", 1)[0])
                self._answer(200, {"status": "accepted"})

            def _answer(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ReceiverServer((host, port), Handler)
        self.scheme = "http"
        if ssl_context is not None:
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, name="partner-receiver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def start(self) -> "PartnerReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.close_connections()

    def close_connections(self) -> None:
        """Cut every open connection (their clients see a reset or EOF and reconnect)."""
        with self.lock:
            conns = list(self.connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:       # already closed by the client
                pass

    def stats(self) -> dict:
        with self.lock:
            return {"received": {p: len(v) for p, v in self.received.items()},
                    "duplicates": dict(self.duplicates), "bad_signatures": dict(self.bad_signatures),
                    "requests": self.requests}
