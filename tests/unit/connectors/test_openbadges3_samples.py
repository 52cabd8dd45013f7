"""The demo's credential generator: valid against both schemas, mapped to the issuer's country."""
from __future__ import annotations

import json

import jsonschema
import pytest

from connectors.openbadges3 import sample_credentials
from connectors.openbadges3.inbound import CREDENTIAL_SCHEMA, OpenBadges3Inbound
from hub.ingest.decoding import decode_sources, make_context
from hub.sdk.inbound import Source


def test_samples_are_deterministic_and_spread_over_jurisdictions():
    a = list(sample_credentials(20, seed=4))
    assert a == list(sample_credentials(20, seed=4))
    assert a != list(sample_credentials(20, seed=5))
    assert len({d["id"] for d in a}) == 20
    countries = [d["issuer"]["address"]["addressCountryCode"] for d in a]
    assert set(countries) == {"ZA", "DE", "IN", "GB", "NL"}
    assert [d["issuer"]["address"]["addressCountryCode"] for d in sample_credentials(3, jurisdictions=("DE",))] == ["DE"] * 3
    with pytest.raises(ValueError):
        next(sample_credentials(1, jurisdictions=("XX",)))


def test_samples_pass_the_project_schema_and_decode_with_issuer_jurisdiction():
    docs = list(sample_credentials(50, seed=1))
    conn = OpenBadges3Inbound()
    ctx = make_context(conn)
    data = "".join(json.dumps(d) + "\n" for d in docs).encode()
    items = [i for i, _ in decode_sources(conn, [Source(name="demo.jsonl", data=data)], ctx)]
    assert len(items) == 50
    for d, item in zip(docs, items):
        assert CREDENTIAL_SCHEMA.problem(d) is None
        ev = item.event
        country = d["issuer"]["address"]["addressCountryCode"]
        assert ev["header"]["source"]["jurisdiction"] == country == ev["header"]["subject_jurisdiction"]
        assert ev["learner"]["given_names"] and ev["learner"]["family_name"] and ev["learner"]["birth_date"]
        assert any(n["scheme"] == "ob3-hash:emailAddress" for n in ev["learner"]["national_ids"])
        assert ev["learner"]["email"] is None            # only a hash was given
        frameworks = {lv["framework"] for lv in ev["qualification"]["levels"]}
        assert frameworks - {"EQF"}, "a national framework level"
        if country in ("DE", "NL", "GB"):
            assert "EQF" in frameworks


def test_samples_pass_the_official_schema(reference):
    schema = json.loads((reference / "formats/openbadges3/ob_v3p0_achievementcredential_schema.json").read_text())
    v = jsonschema.validators.validator_for(schema)(schema)
    for d in sample_credentials(40, seed=2):
        assert not list(v.iter_errors(d))
