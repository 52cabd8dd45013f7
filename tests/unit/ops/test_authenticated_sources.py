"""Issue 10 item 2: the authenticated authority sets header.source; documents that disagree with
their token are rejected with a located error; token entries name connectors, jurisdiction and
authority type; canonical-json and consent only by explicit grant; consents only for learners of
the authority's own jurisdiction. No Kafka."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from hub.config import load_settings
from hub.errors import MappingFileError
from hub.serve.app import make_app
from hub.serve.tokens import TokenBook, issue_token

from tests.fakes import FakeProducer

DATA = Path(__file__).resolve().parents[2] / "data"


def canonical_line(source_jurisdiction="ZA", authority="someone-else", authority_type="private") -> bytes:
    """One canonical CredentialIssued line, decoded from a real fixture and re-labelled."""
    from hub.ingest.decoding import decode_paths
    from hub.jsonview import dumps
    (item, _), = list(decode_paths("openbadges3", [DATA / "openbadges3" / "good" / "za_certificate.json"]))
    ev = item.event
    ev["header"]["source"].update(jurisdiction=source_jurisdiction, authority=authority,
                                  authority_type=authority_type)
    return dumps(ev).encode() + b"\n"


def ob3(country: str) -> bytes:
    from connectors.openbadges3.samples import sample_credentials
    return json.dumps(next(iter(sample_credentials(1, seed=4, jurisdictions=(country,))))).encode()


@pytest.fixture
def book(tmp_path):
    toks = {k: issue_token() for k in ("za", "wild", "eu", "consent")}
    (tmp_path / "tokens.yaml").write_text(
        "authorities:\n"
        f"  - {{id: za-saqa, token_sha256: {toks['za'][1]}, connectors: [openbadges3, canonical-json],"
        f" jurisdiction: ZA, authority_type: public_authority}}\n"
        f"  - {{id: wild, token_sha256: {toks['wild'][1]}, connectors: ['*'], jurisdiction: ZA,"
        f" authority_type: private}}\n"
        f"  - {{id: eu-net, token_sha256: {toks['eu'][1]}, connectors: [openbadges3], jurisdiction: EU,"
        f" authority_type: public_body, document_jurisdictions: [DE, NL]}}\n"
        f"  - {{id: za-consent, token_sha256: {toks['consent'][1]}, connectors: [consent], jurisdiction: ZA,"
        f" authority_type: public_body}}\n")
    return TokenBook.load(tmp_path / "tokens.yaml"), {k: t for k, (t, _) in toks.items()}


def post(tmp_path, book, token, path, body):
    prod = FakeProducer()
    app = make_app(load_settings({"NQF_HUB_HOME": str(tmp_path)}), tokens=book, producer=prod,
                   max_body=1024 * 1024)

    async def go():
        async with TestClient(TestServer(app)) as c:
            r = await c.post(path, data=body, headers={"Authorization": f"Bearer {token}"})
            return r.status, await r.json()
    status, answer = asyncio.run(go())
    return status, answer, prod


def events(prod, serde):
    return [serde.decode(v)[1] for t, _, v, _ in prod.sent if t.endswith(".ingress")]


# ---- canonical-json cannot spoof the source -------------------------------------------------------
def test_canonical_json_source_is_set_by_the_token(tmp_path, book, serde):
    b, tok = book
    status, answer, prod = post(tmp_path, b, tok["za"], "/ingest/canonical-json", canonical_line("ZA"))
    assert status == 200 and answer["accepted"] == 1, answer
    (ev,) = events(prod, serde)
    src = ev["header"]["source"]
    assert (src["authority"], src["authority_type"], src["jurisdiction"]) == ("za-saqa", "public_authority", "ZA")


def test_canonical_json_claiming_another_jurisdiction_is_rejected_located(tmp_path, book):
    b, tok = book
    status, answer, prod = post(tmp_path, b, tok["za"], "/ingest/canonical-json?name=x.jsonl",
                                b"\n" + canonical_line("DE"))
    assert status == 422 and answer["accepted"] == 0
    err = answer["errors"][0]
    assert err["file"] == "x.jsonl" and err["line"] == 2 and err["field"] == "header.source.jurisdiction"
    assert "DE" not in err["reason"] and "ZA" not in err["reason"]        # no values quoted
    assert [t for t, *_ in prod.sent] == ["hub.deadletter"]


def test_canonical_json_event_ids_are_namespaced_by_the_authority(tmp_path, book, serde):
    """An authority cannot reuse another authority's event id (partners de-duplicate by it)."""
    b, tok = book
    line = canonical_line("ZA")
    given = json.loads(line)["header"]["event_id"]
    _, _, prod = post(tmp_path, b, tok["za"], "/ingest/canonical-json", line)
    _, _, again = post(tmp_path, b, tok["za"], "/ingest/canonical-json", line)
    (ev,), (ev2,) = events(prod, serde), events(again, serde)
    assert ev["header"]["event_id"] != given
    assert ev["header"]["event_id"] == ev2["header"]["event_id"]           # replays stay idempotent


# ---- connectors that take the issuer country from the document -----------------------------------
def test_issuer_country_cannot_override_the_token(tmp_path, book, serde):
    b, tok = book
    status, answer, prod = post(tmp_path, b, tok["za"], "/ingest/openbadges3?name=b.json", ob3("DE"))
    assert status == 422 and answer["errors"][0]["field"] == "header.source.jurisdiction"
    status, answer, prod = post(tmp_path, b, tok["za"], "/ingest/openbadges3?name=b.json", ob3("ZA"))
    assert status == 200
    (ev,) = events(prod, serde)
    assert ev["header"]["source"]["jurisdiction"] == "ZA" and ev["header"]["source"]["authority"] == "za-saqa"


def test_document_jurisdictions_let_a_network_submit_for_named_countries(tmp_path, book, serde):
    b, tok = book
    ok = post(tmp_path, b, tok["eu"], "/ingest/openbadges3", ob3("DE"))
    bad = post(tmp_path, b, tok["eu"], "/ingest/openbadges3", ob3("ZA"))
    assert ok[0] == 200 and bad[0] == 422
    (ev,) = events(ok[2], serde)
    assert ev["header"]["source"]["jurisdiction"] == "EU" and ev["header"]["source"]["authority"] == "eu-net"


# ---- grants ---------------------------------------------------------------------------------------
def test_wildcard_never_grants_canonical_json_or_consent(tmp_path, book):
    b, tok = book
    assert post(tmp_path, b, tok["wild"], "/ingest/canonical-json", canonical_line("ZA"))[0] == 403
    assert post(tmp_path, b, tok["wild"], "/ingest/consent", b"consent_id\n")[0] == 403
    assert post(tmp_path, b, tok["wild"], "/ingest/openbadges3", ob3("ZA"))[0] == 200


@pytest.mark.parametrize("missing", ["connectors", "jurisdiction", "authority_type"])
def test_token_entries_must_name_connectors_jurisdiction_and_type(tmp_path, missing):
    _, h = issue_token()
    entry = {"id": "a", "token_sha256": h, "connectors": ["openbadges3"], "jurisdiction": "ZA",
             "authority_type": "public_body"}
    del entry[missing]
    (tmp_path / "t.yaml").write_text("authorities:\n  - " + json.dumps(entry) + "\n")
    with pytest.raises(MappingFileError) as e:
        TokenBook.load(tmp_path / "t.yaml")
    assert missing in str(e.value)


# ---- consent rights -------------------------------------------------------------------------------
CONSENT = (b"consent_id,timestamp,id_scheme,id_value,purposes,jurisdiction\n"
           b"c-1,2026-01-10,za-id,8001015009087,recognition,ZA\n"
           b"c-2,2026-01-10,de-id,T22000129,recognition,DE\n")


def test_consent_only_for_learners_of_the_authoritys_jurisdiction(tmp_path, book, serde):
    b, tok = book
    status, answer, prod = post(tmp_path, b, tok["consent"], "/ingest/consent?name=reg.csv", CONSENT)
    assert status == 200 and answer["accepted"] == 1 and answer["rejected"] == 1
    err = answer["errors"][0]
    assert err["record"] == 2 and err["field"] == "header.subject_jurisdiction" and "DE" not in err["reason"]
    (ev,) = events(prod, serde)
    assert ev["consent_id"] == "c-1" and ev["header"]["source"]["authority"] == "za-consent"


# ---- the CLI names an authority entry -------------------------------------------------------------
def test_cli_ingest_requires_an_authority_entry(tmp_path, book):
    from hub.cli import main_group
    f = tmp_path / "in.jsonl"
    f.write_bytes(canonical_line("ZA"))
    env = {"NQF_HUB_HOME": str(tmp_path)}
    r = CliRunner().invoke(main_group, ["ingest", "canonical-json", str(f)], env=env)
    assert r.exit_code != 0 and "--authority" in r.output
    r = CliRunner().invoke(main_group, ["ingest", "canonical-json", str(f), "--authority", "nobody"], env=env)
    assert r.exit_code != 0 and "nobody" in r.output and "tokens.yaml" in r.output
    r = CliRunner().invoke(main_group, ["ingest", "canonical-json", str(f), "--authority", "wild"], env=env)
    assert r.exit_code != 0 and "may not use connector canonical-json" in r.output


def test_cli_ingest_stamps_and_checks_like_http(tmp_path, book, serde, monkeypatch):
    from hub.cli import main_group
    prod = FakeProducer()
    monkeypatch.setattr("confluent_kafka.Producer", lambda *_a, **_k: prod)
    f = tmp_path / "in.jsonl"
    f.write_bytes(canonical_line("ZA") + canonical_line("DE"))
    r = CliRunner().invoke(main_group, ["ingest", "canonical-json", str(f), "--authority", "za-saqa", "--quiet",
                                        "--json"], env={"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_BOOTSTRAP": "127.0.0.1:9"})
    assert r.exit_code == 2, r.output
    assert json.loads(r.output.strip().splitlines()[-1])["rejected"] == 1
    (ev,) = events(prod, serde)
    assert ev["header"]["source"]["authority"] == "za-saqa"


def test_cli_token_env_must_match_the_entry(tmp_path, book, monkeypatch):
    from hub.cli import main_group
    monkeypatch.setattr("confluent_kafka.Producer", lambda *_a, **_k: FakeProducer())
    f = tmp_path / "in.jsonl"
    f.write_bytes(canonical_line("ZA"))
    env = {"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_BOOTSTRAP": "127.0.0.1:9", "AUTH_TOKEN": "wrong"}
    r = CliRunner().invoke(main_group, ["ingest", "canonical-json", str(f), "--authority", "za-saqa",
                                        "--token-env", "AUTH_TOKEN"], env=env)
    assert r.exit_code != 0 and "does not match" in r.output
    env["AUTH_TOKEN"] = book[1]["za"]
    r = CliRunner().invoke(main_group, ["ingest", "canonical-json", str(f), "--authority", "za-saqa",
                                        "--token-env", "AUTH_TOKEN", "--quiet"], env=env)
    assert r.exit_code == 0, r.output


# ---- dead-letter replay keeps the authority ----------------------------------------------------------
def test_ingest_dead_letters_name_the_authority_and_replay_re_authenticates(tmp_path, book, serde):
    """A record rejected for its jurisdiction cannot be laundered through `dlq replay`: the dead
    letter names the authority, and the replay decodes with that authority again."""
    from hub.observability.deadletters import replay
    from tests.fakes import FakeMessage
    b, tok = book
    status, _, prod = post(tmp_path, b, tok["za"], "/ingest/openbadges3?name=b.json", ob3("DE"))
    assert status == 422
    (topic, key, value, headers), = prod.sent
    h = {k: v.decode() for k, v in headers}
    assert topic == "hub.deadletter" and h["nqfhub.dlq.authority"] == "za-saqa"
    s = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    out = FakeProducer()
    res = replay(s, [FakeMessage("hub.deadletter", value, key=key, headers=headers)], by="op", producer=out)
    assert res["still_failing"] == 1 and not out.sent
    # a dead letter of an authority that is no longer in the authorities file is not replayed at all
    gone = [(k, b"nobody" if k == "nqfhub.dlq.authority" else v) for k, v in headers]
    res = replay(s, [FakeMessage("hub.deadletter", value, key=key, headers=gone)], by="op", producer=out)
    assert res["skipped"] == 1 and not out.sent


def test_a_replayed_ingest_dead_letter_gets_its_authority_as_source(tmp_path, book, serde):
    from hub.observability.deadletters import replay
    from hub.runtime.deadletter import dlq_headers
    from tests.fakes import FakeMessage
    headers = dlq_headers(stage="ingest", error="x", reason_class="decode", connector="openbadges3",
                          source="b.json", extra={"authority": "za-saqa"})
    s = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    out = FakeProducer()
    res = replay(s, [FakeMessage("hub.deadletter", ob3("ZA"), headers=headers)], by="op", producer=out)
    assert res["replayed"] == 1
    (ev,) = events(out, serde)
    assert ev["header"]["source"]["authority"] == "za-saqa"
