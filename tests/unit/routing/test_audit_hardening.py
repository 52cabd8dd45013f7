"""Issue 10 item 6: `audit verify` refuses chains without seals or with an unsealed tail older than
a bound; `ChainWriter.recover` verifies what it adopts; topic retention settings."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from hub.errors import AuditChainError
from hub.routing.audit_chain import ChainWriter, Item, public_keys_of, verify_partition

from tests.unit.routing.test_audit_chain import audit, chain

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)          # decided_at of audit(0) (+ i seconds)


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    from hub.recognition.signing import KeyStore
    store = KeyStore(tmp_path_factory.mktemp("home"))
    store.generate()
    return store.signing_key(purpose="audit"), public_keys_of(store.jwks())


def kinds(rep):
    return [p.kind for p in rep.problems]


# ---- verify: seals are required ------------------------------------------------------------------
def test_a_partition_without_any_seal_fails_even_when_fresh(key):
    items = chain(2, key[0], seal_every=99)
    rep = verify_partition(0, items, key[1], max_unsealed_age_s=900, now=T0 + dt.timedelta(seconds=5))
    assert kinds(rep) == ["unsealed"] and "no seal" in rep.problems[0].detail
    assert rep.problems[0].offset == 0


def test_an_unsealed_tail_older_than_the_bound_fails(key):
    items = chain(5, key[0], seal_every=3)                 # records 3 and 4 are after the last seal
    young = verify_partition(0, items, key[1], max_unsealed_age_s=900, now=T0 + dt.timedelta(minutes=10))
    old = verify_partition(0, items, key[1], max_unsealed_age_s=900, now=T0 + dt.timedelta(minutes=16))
    assert young.ok and young.unsealed_tail == 2
    assert kinds(old) == ["unsealed"] and old.problems[0].offset == items[4].offset


def test_without_a_bound_the_library_reports_but_does_not_judge(key):
    assert verify_partition(0, chain(2, key[0], seal_every=99), key[1]).ok


# ---- verify: the CLI --------------------------------------------------------------------------------
class _Reader:
    def __init__(self, *a, **k):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def topics(self):
        return {"hub.audit": [0, 1]}


def _verify(monkeypatch, tmp_path, parts, *args):
    from hub.cli import main_group
    monkeypatch.setattr("hub.observability.reading.TopicReader", _Reader)
    monkeypatch.setattr("hub.routing.audit_read.read_partitions", lambda *a, **k: parts)
    env = {"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_BOOTSTRAP": "127.0.0.1:9"}
    return CliRunner().invoke(main_group, ["audit", "verify", *args], env=env, catch_exceptions=False)


@pytest.fixture
def home_with_key(tmp_path):
    from hub.recognition.signing import KeyStore
    KeyStore(tmp_path).generate()
    return tmp_path


def _sealed_chain(home, n=3):
    from hub.recognition.signing import KeyStore
    k = KeyStore(home).signing_key(purpose="audit")
    w = ChainWriter()
    now = dt.datetime.now(UTC)
    items = []
    for i in range(n):
        items.append(Item(len(items), "audit", w.link(dict(audit(i), decided_at=now), 0)))
    items.append(Item(len(items), "seal", w.seal(0, k, now)))
    return items


def test_cli_fails_on_an_empty_audit_topic_unless_allowed(monkeypatch, home_with_key):
    r = _verify(monkeypatch, home_with_key, {0: [], 1: []})
    assert r.exit_code == 1 and "no seal" in r.output
    assert _verify(monkeypatch, home_with_key, {0: [], 1: []}, "--allow-empty").exit_code == 0


def test_cli_fails_on_a_chain_without_seals(monkeypatch, home_with_key):
    items = [i for i in _sealed_chain(home_with_key) if i.kind == "audit"]
    r = _verify(monkeypatch, home_with_key, {0: items, 1: []})
    assert r.exit_code == 1 and "UNSEALED" in r.output and "NOT intact" in r.output


def test_cli_bound_on_the_unsealed_tail_is_configurable(monkeypatch, home_with_key):
    items = _sealed_chain(home_with_key)
    w = ChainWriter()
    w.recover(0, [i.record for i in items], public_keys=public_keys_of(
        __import__("hub.recognition.signing", fromlist=["KeyStore"]).KeyStore(home_with_key).jwks()))
    old = dt.datetime.now(UTC) - dt.timedelta(minutes=20)
    items.append(Item(len(items), "audit", w.link(dict(audit(9), decided_at=old), 0)))
    assert _verify(monkeypatch, home_with_key, {0: items, 1: []}).exit_code == 1          # default 15 min
    ok = _verify(monkeypatch, home_with_key, {0: items, 1: []}, "--max-unsealed-age", "1h", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output.splitlines()[-1])["summary"]["max_unsealed_age_s"] == 3600


# ---- recover: verify before adopting ---------------------------------------------------------------
def test_recover_adopts_a_verified_tail(key):
    items = chain(5, key[0], seal_every=3)
    h = ChainWriter().recover(0, [i.record for i in items[3:]], public_keys=key[1])
    assert h.last_hash == items[-1].record["hash"] and h.unsealed_from == 5


def test_recover_refuses_a_changed_unsealed_record(key):
    items = chain(5, key[0], seal_every=3)
    tail = [i.record for i in items[3:]]
    tail[1] = dict(tail[1], action="forward" if tail[1]["action"] != "forward" else "block")
    with pytest.raises(AuditChainError, match="partition 0") as e:
        ChainWriter().recover(0, tail, public_keys=key[1])
    assert "hash" in str(e.value)


def test_recover_refuses_an_unsealed_record_that_does_not_link(key):
    items = chain(5, key[0], seal_every=3)
    tail = [i.record for i in items[3:]]                    # seal, a3, a4
    del tail[1]                                             # a record removed after the seal
    with pytest.raises(AuditChainError, match="link"):
        ChainWriter().recover(0, tail, public_keys=key[1])


def test_recover_refuses_a_forged_last_seal(key, tmp_path):
    from hub.recognition.signing import KeyStore
    other = KeyStore(tmp_path)
    other.generate()
    items = chain(4, key[0], seal_every=3)
    with pytest.raises(AuditChainError, match="seal"):
        ChainWriter().recover(0, [i.record for i in items[3:]], public_keys=public_keys_of(other.jwks()))


def test_recover_refuses_a_tail_that_neither_starts_at_a_seal_nor_at_the_beginning(key):
    items = chain(2, key[0], seal_every=99)
    with pytest.raises(AuditChainError, match="beginning"):
        ChainWriter().recover(0, [items[1].record], public_keys=key[1])


def test_recover_of_an_empty_partition(key):
    h = ChainWriter().recover(3, [], public_keys=key[1])
    assert h.last_hash is None and h.seq == 0


# ---- topics: explicit retention ----------------------------------------------------------------------
def test_topic_configs_give_audit_infinite_retention_and_the_rest_their_settings():
    from hub.config import load_settings
    from hub.runtime.topics import topic_configs
    s = load_settings({"NQF_HUB_HOME": "/nonexistent", "NQF_HUB_RETENTION_INGRESS_MS": "3600000"})
    for forever in ("audit", "release", "release.auto"):
        assert topic_configs(s, forever) == {"retention.ms": "-1", "retention.bytes": "-1"}
    assert topic_configs(s, "ingress")["retention.ms"] == "3600000"
    assert int(topic_configs(s, "held")["retention.ms"]) >= 60 * 86400 * 1000     # beyond the 30-day hold TTL
    assert topic_configs(s, "partner.x")["retention.ms"] == str(s.retention_partner_ms)
    assert topic_configs(s, "deadletter")["retention.ms"] == str(s.retention_deadletter_ms)


def test_retention_settings_are_validated():
    from hub.config import load_settings
    from hub.errors import ConfigError
    from hub.runtime.topics import topic_configs
    s = load_settings({"NQF_HUB_HOME": "/nonexistent", "NQF_HUB_RETENTION_HELD_MS": "5"})
    with pytest.raises(ConfigError, match="retention_held_ms"):
        topic_configs(s, "held")
