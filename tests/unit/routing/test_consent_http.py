"""`POST /ingest/consent` (nqf-hub serve) accepts a consent register as the request body, CSV or
JSON, without a file name; events go to <prefix>.ingress keyed by consent id. No Kafka."""
from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakes import FakeProducer

DATA = Path(__file__).resolve().parents[2] / "data" / "consent"


class _Tracker:
    def snapshot(self):
        return {}


def _post(tmp_path, body: bytes):
    from aiohttp.test_utils import TestClient, TestServer

    from hub.config import load_settings
    from hub.serve.app import make_app
    from hub.serve.tokens import TokenBook, issue_token
    tok, h = issue_token()
    (tmp_path / "tokens.yaml").write_text(
        f"authorities:\n  - {{id: za-consent-office, token_sha256: {h}, connectors: [consent], jurisdiction: ZA, authority_type: public_body}}\n")
    prod = FakeProducer()
    app = make_app(load_settings({"NQF_HUB_HOME": str(tmp_path)}), tokens=TokenBook.load(tmp_path / "tokens.yaml"),
                   tracker=_Tracker(), producer=prod, max_body=64 * 1024)

    async def go():
        async with TestClient(TestServer(app)) as c:
            r = await c.post("/ingest/consent", data=body, headers={"Authorization": f"Bearer {tok}"})
            return r.status, await r.json()
    status, answer = asyncio.run(go())
    return status, answer, prod


def test_csv_register_over_http(tmp_path):
    from hub.serde import default_serde
    status, answer, prod = _post(tmp_path, (DATA / "good" / "register.csv").read_bytes())
    # the ZA consent office may not record the consent of the NG learner (record 2): dead-lettered
    assert status == 200 and answer["accepted"] == 2 and answer["rejected"] == 1
    assert answer["errors"][0]["record"] == 2 and answer["errors"][0]["field"] == "header.subject_jurisdiction"
    sent = [(t, k) for t, k, *_ in prod.sent]
    assert sent == [("hub.ingress", b"c-2026-0001"), ("hub.deadletter", None), ("hub.ingress", b"c-2026-0001")]
    _, ev = default_serde().decode(prod.sent[0][2])
    assert ev["header"]["source"]["authority"] == "za-consent-office" and ev["header"]["event_type"] == "ConsentRecorded"


def test_json_register_over_http_with_located_errors(tmp_path):
    status, answer, _ = _post(tmp_path, (DATA / "bad" / "broken.jsonl").read_bytes())
    assert status == 422 and answer["accepted"] == 0 and answer["rejected"] == 4
    assert all(e.get("line") or e.get("record") for e in answer["errors"])
