"""The trust registry (JSON-Schema validated, every problem listed) and cached status lists."""
from __future__ import annotations

import gzip
import json

import pytest
import yaml

from hub.errors import MappingFileError
from hub.verify import status
from hub.verify.contexts import ContextStore
from hub.verify.status import StatusCache
from hub.verify.trust import load_trust_registry


def test_the_generated_registry_loads_with_its_keys(signed, fx):
    reg = load_trust_registry(signed["trust"])
    assert set(reg.authorities) == {"test-authority"}
    web = reg.issuer(fx.ISSUER_WEB)
    assert reg.key(web, fx.ISSUER_WEB_KEY) is not None and reg.may_assert(web, fx.ISSUER_WEB_KEY)
    assert reg.key(web, fx.ISSUER_WEB + "#other") is None
    assert len(reg.certificates) == 2


def test_the_shipped_registry_directory_loads(tmp_path):
    from hub.config import PROJECT_ROOT
    reg = load_trust_registry(PROJECT_ROOT / "mappings" / "trust")
    assert reg.issuers is not None     # an empty or example registry, but valid
    assert load_trust_registry(tmp_path / "absent").issuers == {}


def write(d, name, doc):
    (d / name).write_text(yaml.safe_dump(doc))


def test_every_problem_of_every_file_is_listed(tmp_path):
    write(tmp_path, "a.yaml", {"id": "b", "name": "x", "jurisdiction": "ZA", "source": "s",
                               "issuers": [{"id": "did:web:x.test"}]})
    write(tmp_path, "c.yaml", {"id": "c", "name": "x", "jurisdiction": "ZA", "source": "s",
                               "issuers": [{"id": "did:key:zNotAKey"},
                                           {"id": "https://u.test", "did_document": "dids/../../../etc/x.json"}]})
    write(tmp_path, "d.yaml", {"id": "d", "name": "x", "jurisdiction": "ZA", "issuers": []})
    with pytest.raises(MappingFileError) as e:
        load_trust_registry(tmp_path)
    text = "\n".join(e.value.problems)
    assert "a.yaml: id: file must be named b.yaml" in text
    assert "did:web issuer needs its did_document" in text
    assert "c.yaml: issuers[0].id" in text
    assert "issuers[1].did_document: path must stay inside the trust directory" in text
    assert "d.yaml" in text


def test_one_issuer_one_authority(tmp_path, fx, signed):
    did = signed["keys"].p256_did
    for a in ("a1", "a2"):
        write(tmp_path, f"{a}.yaml", {"id": a, "name": a, "jurisdiction": "ZA", "source": "s",
                                      "issuers": [{"id": did}]})
    with pytest.raises(MappingFileError, match="problem"):
        load_trust_registry(tmp_path)


def test_context_store_pins_digests(tmp_path, fx):
    store = ContextStore(directory=tmp_path)
    store.add(fx.TEST_CONTEXT_URL, json.dumps(fx.TEST_CONTEXT).encode())
    assert fx.TEST_CONTEXT_URL in ContextStore.load(tmp_path).documents
    f = next(tmp_path.glob("*.jsonld"))
    f.write_text(f.read_text().replace("vocab#", "vocab2#"))
    with pytest.raises(MappingFileError, match="problem"):
        ContextStore.load(tmp_path)


def bsl_credential(url, encoded, purpose="revocation", issuer="did:web:i.test"):
    return {"id": url, "issuer": issuer, "credentialSubject": {"type": "BitstringStatusList",
                                                               "statusPurpose": purpose, "encodedList": encoded}}


def entry(url, index, purpose="revocation"):
    return {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose,
                                 "statusListIndex": str(index), "statusListCredential": url},
            "issuer": "did:web:i.test", "id": "urn:x"}


def test_bitstring_index_zero_is_the_leftmost_bit(tmp_path, fx):
    cache = StatusCache(tmp_path)
    url = "https://i.test/sl"
    cache.put(url, json.dumps(bsl_credential(url, fx.bitstring_list({0, 9}))).encode())
    states = [status.check(entry(url, i), cache).state for i in range(12)]
    assert states == ["revoked", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "revoked", "ok", "ok"]
    assert status.check(entry(url, 10 ** 7), cache).state == "unknown"


def test_suspension_lists_and_wrong_purpose(tmp_path, fx):
    cache = StatusCache(tmp_path)
    url = "https://i.test/susp"
    cache.put(url, json.dumps(bsl_credential(url, fx.bitstring_list({3}), "suspension")).encode())
    assert status.check(entry(url, 3, "suspension"), cache).state == "suspended"
    assert status.check(entry(url, 3, "revocation"), cache).state == "unknown"


def test_a_list_from_another_issuer_or_missing_is_unknown(tmp_path, fx):
    cache = StatusCache(tmp_path)
    url = "https://i.test/other"
    cache.put(url, json.dumps(bsl_credential(url, fx.bitstring_list({1}), issuer="did:web:evil.test")).encode())
    assert status.check(entry(url, 1), cache).state == "unknown"
    assert "not in the local status cache" in status.check(entry("https://i.test/none", 1), cache).reason


def test_a_gzip_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(status, "MAX_LIST_BYTES", 1024)
    import base64
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 100_000)).rstrip(b"=").decode()
    cache = StatusCache(tmp_path)
    url = "https://i.test/bomb"
    cache.put(url, json.dumps(bsl_credential(url, bomb)).encode())
    r = status.check(entry(url, 1), cache)
    assert r.state == "unknown" and "larger than" in r.reason


def test_1edtech_revocation_list(tmp_path):
    cache = StatusCache(tmp_path)
    url = "https://i.test/revocations"
    cache.put(url, json.dumps({"id": url, "revokedCredentials": [{"id": "urn:gone"}]}).encode())
    cred = {"id": "urn:gone", "credentialStatus": {"id": url, "type": "1EdTechRevocationList"}}
    assert status.check(cred, cache).state == "revoked"
    assert status.check({**cred, "id": "urn:kept"}, cache).state == "ok"


def test_relative_and_missing_kids(signed, fx):
    reg = load_trust_registry(signed["trust"])
    web = reg.issuer(fx.ISSUER_WEB)
    assert reg.key(web, "#key-1") is reg.key(web, fx.ISSUER_WEB_KEY) is not None
    assert reg.may_assert(web, "#key-1")
    assert reg.key(web, None) is not None           # one key: a JWS without kid can use it
    edc = reg.issuer(fx.ISSUER_EDC)
    assert reg.key(edc, None) is not None


def test_a_signed_status_list_whose_proof_fails_is_not_used(signed, fx, tmp_path):
    """A cached Bitstring Status List credential with a proof is checked once; a tampered list
    (e.g. someone cleared the revocation bit) is refused: the credential is unverified."""
    import datetime as dt
    from hub.verify import Verifier
    keys = signed["keys"]
    listed = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": fx.STATUS_LIST_URL,
              "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": fx.ISSUER_WEB,
              "validFrom": "2026-01-01T00:00:00Z",
              "credentialSubject": {"id": fx.STATUS_LIST_URL + "#list", "type": "BitstringStatusList",
                                    "statusPurpose": "revocation", "encodedList": fx.bitstring_list({fx.REVOKED_INDEX})}}
    signed_list = fx.di(listed, keys.web, fx.ISSUER_WEB_KEY, "eddsa-jcs-2022")
    cred = json.loads((signed["credentials"] / "ob3-revoked-bitstring.json").read_text())
    reg = load_trust_registry(signed["trust"])
    cache = StatusCache(tmp_path / "ok")
    cache.put(fx.STATUS_LIST_URL, json.dumps(signed_list).encode())
    assert Verifier(reg, cache, today=dt.date(2026, 6, 1)).check_json(cred).outcome.status == "invalid"
    cleared = json.loads(json.dumps(signed_list))
    cleared["credentialSubject"]["encodedList"] = fx.bitstring_list(set())
    cache = StatusCache(tmp_path / "tampered")
    cache.put(fx.STATUS_LIST_URL, json.dumps(cleared).encode())
    out = Verifier(reg, cache, today=dt.date(2026, 6, 1)).check_json(cred).outcome
    assert out.status == "unverified" and "does not verify; not used" in out.reason


def test_a_refreshed_list_is_seen_without_a_restart(tmp_path, fx):
    import os
    cache = StatusCache(tmp_path)
    url = "https://i.test/refresh"
    cache.put(url, json.dumps(bsl_credential(url, fx.bitstring_list(set()))).encode())
    assert status.check(entry(url, 5), cache).state == "ok"
    # another process (nqf-hub trust status-put) refreshes the file
    p = StatusCache(tmp_path).put(url, json.dumps(bsl_credential(url, fx.bitstring_list({5}))).encode())
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert status.check(entry(url, 5), cache).state == "revoked"
