"""The serve application without Kafka: authentication, limits, answers, page, metrics, logs."""
from __future__ import annotations

import asyncio
import json
import logging
import threading

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.config import load_settings
from hub.serve.app import make_app
from hub.serve.tokens import TokenBook, issue_token

from tests.fakes import FakeProducer


class FakeTracker:
    def __init__(self):
        self.caught_up = threading.Event()
        self.caught_up.set()

    def snapshot(self):
        return {"generated_at": "2026-01-01T00:00:00Z", "prefix": "t", "caught_up": True, "records_read": 3,
                "reader_error": None, "connectors": {"openbadges3": {"ingested": 2, "rejected": 1}},
                "jurisdictions": {"ZA": {"ingested": 2, "hold": 1}},
                "partners": {"<script>alert(1)</script>": {"forward": 1}},
                "series": {"minute_start": 0, "per_minute": {"ingested": [0, 2, 1]}},
                "dead_letters": [{"stage": "ingest", "reason_class": "decode", "error_class": "DecodeError",
                                  "where": "openbadges3", "count": 1, "last_at": None, "message": "record 3: bad"}],
                "held": {}}


class FakeOps:
    def get(self):
        return {"groups": [{"group": "t-router", "stage": "router", "lag": 4, "state": "STABLE",
                            "members": None, "alive": True}], "workers": []}


@pytest.fixture
def setup(tmp_path):
    tok, h = issue_token()
    other, h2 = issue_token()
    (tmp_path / "tokens.yaml").write_text(
        "authorities:\n"
        f"  - {{id: za-saqa, token_sha256: {h}, connectors: [openbadges3], jurisdiction: ZA, authority_type: public_body, rate_per_minute: 60, burst: 3}}\n"
        f"  - {{id: other, token_sha256: {h2}, connectors: ['*'], jurisdiction: ZA, authority_type: private,"
        f" max_body_bytes: 100}}\n")
    book = TokenBook.load(tmp_path / "tokens.yaml")
    s = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    prod = FakeProducer()
    app = make_app(s, tokens=book, tracker=FakeTracker(), producer=prod, ops=FakeOps(), max_body=64 * 1024)
    return app, tok, other, prod


def run(app, fn):
    async def go():
        async with TestClient(TestServer(app)) as client:
            return await fn(client)
    return asyncio.run(go())


def doc(n_good=2, bad=True):
    from connectors.openbadges3.samples import sample_credentials
    lines = [json.dumps(c) for c in sample_credentials(n_good, seed=9, jurisdictions=("ZA",))]
    if bad:
        lines.append('{"not": "a badge"}')
    return "\n".join(lines).encode()


def test_accepted_and_rejected_with_located_errors(setup, caplog):
    app, tok, _, prod = setup
    caplog.set_level(logging.DEBUG)

    async def fn(c):
        r = await c.post("/ingest/openbadges3?name=export.jsonl", data=doc(),
                         headers={"Authorization": f"Bearer {tok}"})
        return r.status, await r.json()
    status, body = run(app, fn)
    assert status == 200
    assert body["accepted"] == 2 and body["rejected"] == 1 and body["authority"] == "za-saqa"
    err = body["errors"][0]
    assert err["file"] == "export.jsonl" and err["record"] == 3 and "reason" in err
    topics = [t for t, *_ in prod.sent]
    assert topics.count("hub.ingress") == 2 and topics.count("hub.deadletter") == 1
    assert tok not in caplog.text and "Bearer" not in caplog.text


def test_authority_and_jurisdiction_come_from_the_token(setup, serde):
    app, tok, _, prod = setup

    async def fn(c):
        return (await c.post("/ingest/openbadges3", data=doc(1, bad=False),
                             headers={"Authorization": f"Bearer {tok}"})).status
    assert run(app, fn) == 200
    _, ev = serde.decode(prod.sent[0][2])
    assert ev["header"]["source"]["authority"] == "za-saqa"


def test_all_rejected_is_422_and_empty_is_400(setup):
    app, tok, _, _ = setup
    h = {"Authorization": f"Bearer {tok}"}

    async def fn(c):
        a = await c.post("/ingest/openbadges3", data=b'{"x": 1}\n', headers=h)
        b = await c.post("/ingest/openbadges3", data=b"", headers=h)
        return a.status, b.status
    assert run(app, fn) == (422, 400)


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc"])
def test_unauthenticated_is_401(setup, header):
    app, *_ = setup

    async def fn(c):
        r = await c.post("/ingest/openbadges3", data=doc(), headers={"Authorization": header} if header else {})
        return r.status, r.headers.get("WWW-Authenticate")
    assert run(app, fn) == (401, "Bearer")


def test_failed_authentications_are_rate_limited(setup):
    app, *_ = setup

    async def fn(c):
        return [(await c.post("/ingest/openbadges3", data=b"x", headers={"Authorization": "Bearer nope"})).status
                for _ in range(12)]
    statuses = run(app, fn)
    assert statuses[0] == 401 and statuses[-1] == 429


def test_rate_limit_per_authority(setup):
    app, tok, other, _ = setup

    async def fn(c):
        h = {"Authorization": f"Bearer {tok}"}
        s = [(await c.post("/ingest/openbadges3", data=doc(1, bad=False), headers=h)) for _ in range(4)]
        o = await c.post("/ingest/openbadges3", data=b"{}", headers={"Authorization": f"Bearer {other}"})
        return [r.status for r in s], s[-1].headers.get("Retry-After"), o.status
    statuses, retry, other_status = run(app, fn)
    assert statuses == [200, 200, 200, 429] and int(retry) >= 1
    assert other_status != 429                    # another authority has its own bucket


def test_connector_restrictions_and_unknown_connector(setup):
    app, tok, other, _ = setup

    async def fn(c):
        a = await c.post("/ingest/csv", data=b"a,b\n", headers={"Authorization": f"Bearer {tok}"})
        b = await c.post("/ingest/no-such", data=b"x", headers={"Authorization": f"Bearer {other}"})
        return a.status, b.status
    assert run(app, fn) == (403, 404)


def test_size_limits(setup):
    app, tok, other, _ = setup

    async def fn(c):
        big = await c.post("/ingest/openbadges3", data=b"x" * (65 * 1024), headers={"Authorization": f"Bearer {tok}"})
        small = await c.post("/ingest/openbadges3", data=b"x" * 200, headers={"Authorization": f"Bearer {other}"})
        return big.status, small.status
    assert run(app, fn) == (413, 413)


def test_broker_failure_is_503(tmp_path, setup):
    app, tok, _, _ = setup
    from hub.serve.app import K_PRODUCER
    app[K_PRODUCER] = FakeProducer(fail=True)

    async def fn(c):
        r = await c.post("/ingest/openbadges3", data=doc(1, bad=False), headers={"Authorization": f"Bearer {tok}"})
        return r.status, await r.json()
    status, body = run(app, fn)
    assert status == 503 and "again" in body["error"]


def test_ingest_disabled_without_tokens(tmp_path):
    app = make_app(load_settings({"NQF_HUB_HOME": str(tmp_path)}), tokens=None, tracker=FakeTracker(),
                   ops=FakeOps())

    async def fn(c):
        return (await c.post("/ingest/openbadges3", data=b"x")).status
    assert run(app, fn) == 503


def test_status_page_json_metrics_health(setup):
    from hub.serve.app import K_SETTINGS, make_status_app
    ingest_app, tok, *_ = setup
    app = make_status_app(ingest_app[K_SETTINGS], tracker=FakeTracker(), ops=FakeOps())

    async def fn(c):
        page = await (await c.get("/status")).text()
        js = await (await c.get("/status.json")).json()
        met = await (await c.get("/metrics")).text()
        hz = await (await c.get("/healthz")).json()
        return page, js, met, hz
    page, js, met, hz = run(app, fn)
    assert "<svg" in page and "Flows per partner" in page and "t-router" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert js["groups"][0]["lag"] == 4 and js["connectors"]["openbadges3"]["ingested"] == 2
    assert 'nqfhub_http_requests_total{route="/status",status="200"}' in met
    assert hz["ok"] is True
