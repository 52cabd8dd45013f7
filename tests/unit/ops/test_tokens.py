"""Tokens file, constant-time authentication and token buckets."""
from __future__ import annotations

import hmac

import pytest

from hub.errors import MappingFileError
from hub.serve import tokens as T


REST = "connectors: [openbadges3], jurisdiction: ZA, authority_type: public_body"


def write(tmp_path, text):
    p = tmp_path / "tokens.yaml"
    p.write_text(text)
    return p


def book(tmp_path, n=3):
    toks = [T.issue_token() for _ in range(n)]
    lines = "authorities:\n" + "".join(
        f"  - {{id: auth-{i}, token_sha256: {h}, connectors: [openbadges3], jurisdiction: ZA, authority_type: public_body, rate_per_minute: 6, burst: 2}}\n"
        for i, (_, h) in enumerate(toks))
    return T.TokenBook.load(write(tmp_path, lines)), [t for t, _ in toks]


def test_authenticate_finds_the_right_authority(tmp_path):
    b, toks = book(tmp_path)
    assert b.authenticate(toks[1]).id == "auth-1"
    assert b.authenticate("not-a-token") is None
    assert b.authenticate(None) is None
    assert b.authenticate("") is None
    assert b.authenticate(toks[0]).may_use("openbadges3") and not b.authenticate(toks[0]).may_use("csv")


def test_every_entry_is_compared_in_constant_time(tmp_path, monkeypatch):
    b, toks = book(tmp_path, 4)
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(T.hmac, "compare_digest", lambda a, c: calls.append(1) or real(a, c))
    b.authenticate(toks[0])                 # a match on the first entry still compares all four
    assert len(calls) == 4


def test_the_file_stores_hashes_only(tmp_path):
    b, toks = book(tmp_path)
    text = (tmp_path / "tokens.yaml").read_text()
    assert all(t not in text for t in toks)
    assert T.hash_token(toks[0]) in text


def test_invalid_file_reports_every_problem(tmp_path):
    p = write(tmp_path, """authorities:
  - {id: Bad Id, token_sha256: abc}
  - {id: ok, token_sha256: %s, colour: red}
  - {id: ok, token_sha256: %s, jurisdiction: south-africa}
""" % ("a" * 64, "a" * 64))
    with pytest.raises(MappingFileError) as e:
        T.TokenBook.load(p)
    text = str(e.value)
    for bit in ("authorities/0/id", "authorities/0/token_sha256", "authorities/1", "authorities/2/jurisdiction"):
        assert bit in text
    with pytest.raises(MappingFileError):
        T.TokenBook.load(tmp_path / "missing.yaml")


def test_duplicates_are_reported(tmp_path):
    p = write(tmp_path, "authorities:\n  - {id: a, token_sha256: %s, %s}\n  - {id: a, token_sha256: %s, %s}\n" % ("b" * 64, REST, "b" * 64, REST))
    with pytest.raises(MappingFileError, match="duplicate authority"):
        T.TokenBook.load(p)


def test_bearer_header():
    assert T.bearer("Bearer abc") == "abc"
    assert T.bearer("bearer   abc ") == "abc"
    assert T.bearer("Basic abc") is None
    assert T.bearer("Bearer") is None
    assert T.bearer(None) is None


def test_token_bucket_refills_at_its_rate():
    b = T.TokenBucket(rate=1.0, burst=2, stamp=100.0)
    assert b.take(100.0) == (True, 0.0)
    assert b.take(100.0)[0]
    ok, wait = b.take(100.0)
    assert not ok and wait == pytest.approx(1.0)
    assert not b.take(100.5)[0]
    assert b.take(101.6)[0]


def test_rate_limiter_keeps_one_bucket_per_key_and_stays_bounded():
    r = T.RateLimiter(max_keys=3)
    assert r.take("a", 1, 1, now=0)[0] and not r.take("a", 1, 1, now=0)[0]
    assert r.take("b", 1, 1, now=0)[0]
    for k in "cdefg":
        r.take(k, 1, 1, now=0)
    assert len(r.buckets) <= 3
