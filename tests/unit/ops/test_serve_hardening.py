"""serve hardening (issue 10 item 7): status/metrics not on the ingest port, hostile documents get a
located 4xx (never 500), `?name=` never reaches the disk, the rate limiter evicts LRU. No Kafka."""
from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.config import load_settings
from hub.serve.app import make_app, make_status_app
from hub.serve.tokens import RateLimiter, TokenBook, issue_token

from tests.fakes import FakeProducer

ALL = "[canonical-json, consent, csv, openbadges3, elm-edc, clr2, ofqual-register]"


class _Tracker:
    def __init__(self):
        self.caught_up = threading.Event()

    def snapshot(self):
        return {"generated_at": "2026-01-01T00:00:00Z", "prefix": "t", "caught_up": True, "records_read": 0,
                "reader_error": None, "connectors": {}, "jurisdictions": {}, "partners": {},
                "series": {"minute_start": 0, "per_minute": {}}, "dead_letters": [], "held": {}}


class _Ops:
    def get(self):
        return {"groups": [], "workers": []}


@pytest.fixture
def env(tmp_path):
    tok, h = issue_token()
    (tmp_path / "tokens.yaml").write_text(
        "authorities:\n"
        f"  - {{id: za-saqa, token_sha256: {h}, connectors: {ALL}, jurisdiction: ZA,"
        f" authority_type: public_authority, rate_per_minute: 6000, burst: 100}}\n")
    s = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    prod = FakeProducer()
    app = make_app(s, tokens=TokenBook.load(tmp_path / "tokens.yaml"), tracker=_Tracker(), producer=prod,
                   ops=_Ops(), max_body=4 * 1024 * 1024)
    return app, tok, prod, s


def run(app, fn):
    async def go():
        async with TestClient(TestServer(app)) as client:
            return await fn(client)
    return asyncio.run(go())


def post(app, tok, path, body):
    async def fn(c):
        r = await c.post(path, data=body, headers={"Authorization": f"Bearer {tok}"})
        text = await r.text()
        return r.status, (json.loads(text) if r.content_type == "application/json" else text)
    return run(app, fn)


# ---- status and metrics are on their own port ----------------------------------------------------
def test_ingest_port_serves_no_status_and_no_metrics(env):
    app, *_ = env

    async def fn(c):
        return [(await c.get(p)).status for p in ("/status", "/status.json", "/metrics", "/")] + \
               [(await c.get("/healthz")).status]
    assert run(app, fn) == [404, 404, 404, 404, 200]


def test_status_app_serves_page_and_metrics_but_no_ingest(env):
    _, tok, _, s = env
    status = make_status_app(s, tracker=_Tracker(), ops=_Ops())

    async def fn(c):
        page = await c.get("/status")
        met = await c.get("/metrics")
        ing = await c.post("/ingest/openbadges3", data=b"{}", headers={"Authorization": f"Bearer {tok}"})
        return page.status, met.status, ing.status
    page, met, ing = run(status, fn)
    assert page == 200 and met == 200 and ing in (404, 405)


# ---- hostile documents: 4xx with a located error ---------------------------------------------------
BIG_INT = b'{"n": ' + b"7" * 5000 + b"}"
DEEP_ARRAY = b"[" * 200_000 + b"]" * 200_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


@pytest.mark.parametrize("connector", ["canonical-json", "consent", "openbadges3", "elm-edc", "clr2",
                                       "ofqual-register"])
@pytest.mark.parametrize("body", [BIG_INT, DEEP_ARRAY, DEEP_OBJECT], ids=["4300-digits", "deep-array", "deep-object"])
def test_hostile_json_is_a_located_4xx(env, connector, body):
    app, tok, prod, _ = env
    status, answer = post(app, tok, f"/ingest/{connector}?name=evil.json", body)
    assert 400 <= status < 500, (status, answer)
    assert answer["rejected"] >= 1 and answer["errors"], answer
    err = answer["errors"][0]
    assert err["file"] == "evil.json" and err["reason"]
    assert "7777" not in json.dumps(answer)                    # the value is never quoted


def test_a_big_integer_on_one_line_is_located_by_line(env):
    app, tok, *_ = env
    body = b"\n" + BIG_INT + b"\n"
    status, answer = post(app, tok, "/ingest/canonical-json?name=lines.jsonl", body)
    assert status == 422 and answer["errors"][0]["line"] == 2


def test_consent_csv_with_an_oversized_header_is_a_4xx(env):
    app, tok, *_ = env
    status, answer = post(app, tok, "/ingest/consent?name=c.csv", b"<a>" * 60_000 + b"\nx\n")
    assert status == 422 and answer["errors"][0]["file"] == "c.csv"


def test_csv_without_a_mapping_is_a_4xx_naming_the_mapping_parameter(env):
    app, tok, *_ = env
    status, answer = post(app, tok, "/ingest/csv?name=awards.csv", b"a,b\n1,2\n")
    assert status == 422, answer
    assert answer["location"]["field"] == "mapping" and "?mapping=" in answer["error"]
    assert "/" not in answer["error"].replace("?mapping=", "").replace("/ingest", "")   # no server paths


def test_csv_with_an_unknown_mapping_is_a_4xx_listing_known_names(env):
    app, tok, *_ = env
    status, answer = post(app, tok, "/ingest/csv?mapping=../../etc/passwd", b"a,b\n1,2\n")
    assert status == 422 and answer["location"]["field"] == "mapping"
    assert "in-nad-award-upload" in answer["known_mappings"]


def test_csv_with_a_reviewed_mapping_by_name_decodes(env):
    app, tok, prod, _ = env
    status, answer = post(app, tok, "/ingest/csv?mapping=in-nad-award-upload&name=awards.csv", b"X\n1\n")
    assert status in (200, 422) and answer["connector"] == "csv"      # decoded by the mapping, rows judged


# ---- ?name= never loads a file --------------------------------------------------------------------
def test_upload_name_never_loads_a_file_from_disk(env, tmp_path, monkeypatch):
    app, tok, *_ = env
    planted = tmp_path / "planted.yaml"
    planted.write_text("this: is not a mapping\n")
    monkeypatch.chdir(tmp_path)
    opened = []
    real = Path.read_text

    def spy(self, *a, **kw):
        opened.append(self.name)
        return real(self, *a, **kw)
    monkeypatch.setattr(Path, "read_text", spy)
    status, answer = post(app, tok, "/ingest/csv?name=planted.yaml", b"a,b\n1,2\n")
    assert "planted.yaml" not in opened
    assert status == 422 and answer["location"]["field"] == "mapping"


# ---- the rate limiter evicts the least recently used bucket ----------------------------------------
def test_rate_limiter_evicts_least_recently_used_not_everything():
    rl = RateLimiter(max_keys=3)
    for _ in range(2):
        assert rl.take("auth:za", 1 / 60, 2, now=0.0)[0]
    assert not rl.take("auth:za", 1 / 60, 2, now=0.0)[0]          # za's bucket is empty
    rl.take("fail:a", 1, 1, now=0.0)
    rl.take("fail:b", 1, 1, now=0.0)
    rl.take("auth:za", 1 / 60, 2, now=0.0)                          # za is now the most recent
    rl.take("fail:c", 1, 1, now=0.0)                               # a new key evicts fail:a only
    assert set(rl.buckets) == {"fail:b", "auth:za", "fail:c"}
    assert not rl.take("auth:za", 1 / 60, 2, now=0.0)[0]          # an address flood did not refill za


def test_csv_connector_treats_an_uploaded_yaml_name_as_data(tmp_path, monkeypatch):
    """Below serve: a Source with bytes and a .yaml name is never opened as a mapping file."""
    from hub.errors import MappingFileError
    from hub.ingest.decoding import decode_sources, make_context
    from hub.sdk import registry
    from hub.sdk.inbound import Source
    (tmp_path / "planted.yaml").write_text("this: is not a mapping\n")
    monkeypatch.chdir(tmp_path)
    conn = registry.inbound("csv")
    with pytest.raises(MappingFileError, match="no CSV mapping selected"):
        list(decode_sources(conn, [Source(name="planted.yaml", data=b"a,b\n"), Source(name="d.csv", data=b"a\n")],
                            make_context(conn)))
