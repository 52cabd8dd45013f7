"""Confluent framing against a minimal schema-registry stand-in (threads, loopback only)."""
from __future__ import annotations

import json
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.serde import CONFLUENT_MAGIC, Serde
from hub.schemas import catalog
from tests.unit.core.test_serde_jsonview import credential


class FakeRegistry:
    """Implements POST /subjects/{s}/versions and GET /schemas/ids/{id} like Confluent's API."""

    def __init__(self):
        self.schemas: list[str] = []
        self.subjects: list[str] = []
        reg = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if body["schema"] not in reg.schemas:
                    reg.schemas.append(body["schema"])
                reg.subjects.append(self.path.split("/")[2])
                self._send({"id": reg.schemas.index(body["schema"]) + 1})

            def do_GET(self):
                sid = int(self.path.rsplit("/", 1)[1])
                if not 0 < sid <= len(reg.schemas):
                    self.send_response(404)
                    self.end_headers()
                    return
                self._send({"schema": reg.schemas[sid - 1]})

            def _send(self, obj):
                data = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def registry():
    r = FakeRegistry()
    yield r
    r.server.shutdown()


def test_confluent_framing_with_a_registered_schema_id(registry):
    writer = Serde(catalog(), registry.url)
    data = writer.encode(credential())
    assert data[:1] == CONFLUENT_MAGIC and struct.unpack(">I", data[1:5])[0] == 1
    assert registry.subjects == ["nqfhub.events.CredentialIssued"]      # record-name strategy
    writer.encode(credential())
    assert len(registry.schemas) == 1                                    # registered once, cached
    reader = Serde(catalog(), registry.url)                              # a fresh process: fetches by id
    name, ev = reader.decode(data)
    assert name == "nqfhub.events.CredentialIssued" and ev["credential_id"] == "saqa-cred:1"


def test_single_object_still_decodes_when_a_registry_is_configured(registry):
    plain = Serde(catalog()).encode(credential())
    assert Serde(catalog(), registry.url).decode(plain)[1]["credential_id"] == "saqa-cred:1"
