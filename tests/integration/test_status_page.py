"""The status page of `nqf-hub serve` renders with data from a demo run, and headless Chromium
takes a screenshot of it (a non-trivial PNG in tmp_path).

During the demo (workers still up) the test starts `nqf-hub serve` on the demo's topic prefix,
pushes one document with a bad record through POST /ingest (so dead letters show), waits until
the page has caught up, checks its HTML and takes the screenshot. Needs the `chromium` binary
(Debian package `chromium`, installed by .ci/run) for the screenshot part; skipped otherwise.
"""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def http(url, data=None, headers=None, timeout=10.0):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (Debian package `chromium`)")
def test_status_page_renders_demo_data_and_screenshots(hub_settings, clean_env, tmp_path):
    from connectors.openbadges3.samples import sample_credentials
    from hub.demo.runner import Demo
    from hub.runtime.broker import free_port
    from hub.serve.tokens import issue_token

    token, digest = issue_token()
    (tmp_path / "tokens.yaml").write_text(
        f"authorities:\n  - {{id: test-authority, token_sha256: {digest}, jurisdiction: ZA,"
        f" authority_type: public_body, connectors: [openbadges3]}}\n")
    seen: dict = {}

    class PagedDemo(Demo):
        def _watch(self, *args, **kwargs):
            super()._watch(*args, **kwargs)
            env = dict(clean_env, NQF_HUB_HOME=str(self.base.home), NQF_HUB_TOPIC_PREFIX=self.prefix)
            port, status_port = free_port(), free_port()
            log = open(tmp_path / "serve.log", "wb")
            proc = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--port", str(port),
                                     "--status-port", str(status_port),
                                     "--tokens", str(tmp_path / "tokens.yaml")],
                                    env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                visit(f"http://127.0.0.1:{port}", proc, token, seen, tmp_path,
                      status_base=f"http://127.0.0.1:{status_port}")
            finally:
                proc.terminate()
                proc.wait(15)
                log.close()

    result = PagedDemo(hub_settings, events=30, timeout_s=120, say=lambda *_: None).run()
    assert result["ingested"] == 30
    assert seen["ingest"]["accepted"] == 2 and seen["ingest"]["rejected"] == 1
    assert seen["ingest_port_status"] == 404        # the status page is not on the ingest port
    snap = seen["json"]
    assert snap["connectors"]["openbadges3"]["ingested"] >= 32
    assert snap["connectors"]["openbadges3"]["rejected"] >= 1
    assert snap["partners"] and snap["jurisdictions"] and snap["dead_letters"]
    html = seen["html"]
    for bit in ("Flows per connector", "Flows per source jurisdiction", "Flows per partner", "Dead letters",
                "Held records", "<svg", "<polyline", "openbadges3", "DecodeError"):
        assert bit in html, bit
    for pid in snap["partners"]:
        assert pid in html
    # no personal data: the demo's learners and the pushed document's learners are not on the page
    personal = set()
    for c in list(sample_credentials(30, seed=7)) + list(sample_credentials(2, seed=21)):
        cs = c["credentialSubject"]
        personal |= {cs.get("familyName"), cs.get("dateOfBirth")}
        personal |= {i["identityHash"] for i in cs.get("identifier", []) if not i.get("hashed")}
    personal.discard(None)
    assert personal and not [p for p in personal if p in html]
    assert token not in (tmp_path / "serve.log").read_text()

    png = tmp_path / "status.png"
    assert png.exists(), seen.get("chromium")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 900)
    assert len(data) > 30_000                      # a rendered page, not a blank canvas


def visit(base, proc, token, seen, tmp_path, status_base):
    from connectors.openbadges3.samples import sample_credentials
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
        try:
            if json.loads(http(f"{status_base}/healthz", timeout=2)[1]).get("caught_up"):
                break
        except OSError:
            pass
        time.sleep(0.3)
    doc = "\n".join([json.dumps(c) for c in sample_credentials(2, seed=21, jurisdictions=("ZA",))] + ['{"no": "badge"}']).encode()
    status, body = http(f"{base}/ingest/openbadges3?name=push.jsonl", data=doc,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/jsonl"})
    assert status == 200, body
    seen["ingest"] = json.loads(body)
    while time.monotonic() < deadline:
        snap = json.loads(http(f"{status_base}/status.json")[1])
        if snap["dead_letters"] and snap["connectors"].get("openbadges3", {}).get("ingested", 0) >= 32:
            break
        time.sleep(0.3)
    seen["json"] = snap
    seen["html"] = http(f"{status_base}/status")[1].decode()
    seen["ingest_port_status"] = http(f"{base}/status")[0]
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={tmp_path / 'status.png'}",
                        "--window-size=1280,900", f"{status_base}/status"],
                       capture_output=True, text=True, timeout=60)
    seen["chromium"] = r.stderr[-2000:]
