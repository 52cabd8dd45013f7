"""Partner URLs must be https except to loopback: checked when the partner registry is loaded."""
from __future__ import annotations

import pytest
import yaml

from hub.delivery.endpoints import url_problem
from hub.errors import MappingFileError
from hub.routing.policy import load_partners


@pytest.mark.parametrize("url", ["https://partner.example/hook", "https://10.0.0.5:8443/x",
                                 "http://127.0.0.1:8080/p", "http://127.8.9.1/p", "http://localhost/p",
                                 "http://[::1]:9000/p", "HTTPS://Partner.Example/x"])
def test_allowed(url):
    assert url_problem(url) is None


@pytest.mark.parametrize("url", ["http://partner.example/hook", "http://10.0.0.5/x", "http://127.0.0.1.evil.example/",
                                 "http://localhost.evil.example/", "http://0.0.0.0/", "ftp://127.0.0.1/",
                                 "https:///nohost", "http://user:pw@partner.example/", "https://user:pw@partner.example/"])
def test_refused(url):
    assert url_problem(url)


def _partner(tmp_path, pid, url):
    (tmp_path / f"{pid}.yaml").write_text(yaml.safe_dump({
        "id": pid, "name": pid, "jurisdiction": "DE", "legal_nature": "public_body",
        "purposes": ["recognition"], "instruments": [],
        "delivery": {"type": "webhook", "url": url, "format": "canonical-json", "secret_ref": pid}}))


def test_registry_load_names_the_partner_file(tmp_path):
    _partner(tmp_path, "plain", "http://partner.example/hook")
    _partner(tmp_path, "creds", "https://user:secret-pw@partner.example/hook")
    _partner(tmp_path, "fine", "https://partner.example/hook")
    with pytest.raises(MappingFileError) as e:
        load_partners(tmp_path)
    probs = e.value.problems
    assert any(p.startswith("plain.yaml: delivery.url: ") and "https" in p for p in probs), probs
    assert any(p.startswith("creds.yaml: delivery.url: ") for p in probs), probs
    assert not any(p.startswith("fine.yaml") for p in probs)
    assert "secret-pw" not in str(e.value)


def test_tls_options_are_in_the_schema(tmp_path):
    (tmp_path / "m.yaml").write_text(yaml.safe_dump({
        "id": "m", "name": "m", "jurisdiction": "DE", "legal_nature": "public_body",
        "purposes": ["recognition"], "instruments": [],
        "delivery": {"type": "webhook", "url": "https://partner.example/x", "format": "canonical-json",
                     "secret_ref": "m", "tls": {"ca_bundle": "/etc/ssl/partner-ca.pem",
                                                "client_cert": "/etc/ssl/hub.pem", "client_key_ref": "m-key"}}}))
    assert load_partners(tmp_path)["m"].delivery["tls"]["client_key_ref"] == "m-key"
    (tmp_path / "m.yaml").write_text((tmp_path / "m.yaml").read_text().replace("client_key_ref", "client_key"))
    with pytest.raises(MappingFileError, match="m.yaml: delivery"):
        load_partners(tmp_path)            # a key is only ever referenced, never a literal value
