"""event_id must be a UUID and trace_id hex, checked where every inbound path passes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.errors import DecodeError
from hub.ingest.decoding import decode_sources, make_context
from hub.sdk import registry
from hub.sdk.ids import header_id_problems
from hub.sdk.inbound import Source

LIFECYCLE = Path(__file__).resolve().parents[2] / "data" / "canonical-json" / "good" / "lifecycle.jsonl"


def _line(**header) -> bytes:
    ev = json.loads(LIFECYCLE.read_text().splitlines()[0])
    ev["header"].update(header)
    return (json.dumps(ev) + "\n").encode()


def _decode(data: bytes):
    conn = registry.inbound("canonical-json")
    return list(decode_sources(conn, [Source("upload.jsonl", data=data)], make_context(conn)))


@pytest.mark.parametrize("field,value", [("event_id", "../../.."), ("event_id", "not-a-uuid"),
                                         ("event_id", "1168cddc-0890-548f-bb70-efd8280659f3/.."),
                                         ("trace_id", "../../x"), ("trace_id", "trace-6a1f5c2e"),
                                         ("trace_id", "é" * 32)])
def test_ingest_rejects_bad_ids_with_a_located_error_that_does_not_quote_them(field, value):
    good = _line()
    [(ok, data)] = _decode(good)
    assert data is not None
    [(item, data)] = _decode(good + _line(**{field: value}))[1:]
    assert data is None and isinstance(item, DecodeError)
    assert item.location.field == f"header.{field}" and item.location.line == 2
    assert item.location.file == "upload.jsonl"
    assert value not in str(item)
    assert item.raw                                       # the original bytes go to the dead letter


def test_header_id_problems():
    assert header_id_problems({"event_id": "1168CDDC-0890-548f-bb70-efd8280659f3",
                               "trace_id": "219a67f73dff5e43f17d439b2a592621"}) == []
    assert [f for f, _ in header_id_problems({"event_id": "{1168cddc-0890-548f-bb70-efd8280659f3}",
                                              "trace_id": "ab"})] == ["header.event_id", "header.trace_id"]
    assert [f for f, _ in header_id_problems({})] == ["header.event_id", "header.trace_id"]


def test_the_http_ingest_endpoint_dead_letters_a_bad_event_id(tmp_path):
    """`nqf-hub serve` decodes through the same place: 422, a located error, a dead letter, and
    nothing on hub.ingress (the authority's namespacing never runs on a malformed id)."""
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from hub.config import load_settings
    from hub.serve.app import make_app
    from hub.serve.tokens import TokenBook, issue_token
    from tests.fakes import FakeProducer

    tok, h = issue_token()
    (tmp_path / "tokens.yaml").write_text(
        "authorities:\n"
        f"  - {{id: za-hub, token_sha256: {h}, connectors: [canonical-json], jurisdiction: ZA,"
        f" authority_type: public_body}}\n")
    prod = FakeProducer()
    app = make_app(load_settings({"NQF_HUB_HOME": str(tmp_path)}), tokens=TokenBook.load(tmp_path / "tokens.yaml"),
                   producer=prod, max_body=64 * 1024)

    async def go():
        async with TestClient(TestServer(app)) as c:
            r = await c.post("/ingest/canonical-json?name=push.jsonl", data=_line(event_id="../../.."),
                             headers={"Authorization": f"Bearer {tok}"})
            return r.status, await r.json()
    status, body = asyncio.run(go())
    assert status == 422
    assert body["errors"][0]["field"] == "header.event_id" and "../" not in json.dumps(body)
    assert [t for t, *_ in prod.sent] == ["hub.deadletter"]
