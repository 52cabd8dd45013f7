"""Audit chain: linking, seals, recovery from the tail, and verification of each tampering."""
from __future__ import annotations

import datetime as dt

import pytest

from hub.routing.audit_chain import ChainWriter, Item, public_keys_of, record_hash, verify_partition

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    from hub.recognition.signing import KeyStore
    store = KeyStore(tmp_path_factory.mktemp("home"))
    store.generate()
    return store.signing_key(purpose="audit"), public_keys_of(store.jwks())


def audit(i: int) -> dict:
    return {"audit_id": f"a-{i}", "event_id": f"e-{i}", "event_type": "CredentialIssued", "trace_id": "t",
            "partner_id": "p", "action": "hold", "rule_ids": ["R-1"], "legal_basis": ["X"],
            "regimes": ["ZA_POPIA"], "categories_present": ["identity.name"], "removed_categories": [],
            "purpose": "recognition", "decided_at": dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=i, microseconds=123456),
            "prev_hash": None, "hash": None}


def chain(n: int, key, seal_every: int = 3, partition: int = 0) -> list[Item]:
    w = ChainWriter()
    out = []
    for i in range(n):
        out.append(("audit", w.link(audit(i), partition)))
        if (i + 1) % seal_every == 0:
            out.append(("seal", w.seal(partition, key, dt.datetime(2026, 1, 1, tzinfo=UTC))))
    return [Item(off, kind, rec) for off, (kind, rec) in enumerate(out)]


def test_links_and_hashes(key):
    items = chain(4, key[0])
    assert items[0].record["prev_hash"] is None
    for a, b in zip(items, items[1:]):
        assert b.record["prev_hash"] == a.record["hash"]
    for it in items:
        assert record_hash(it.record) == it.record["hash"]
    # milliseconds only, as Avro carries them back
    assert items[0].record["decided_at"].microsecond == 123000


def test_seal_counts_positions_and_is_signed(key):
    items = chain(6, key[0], seal_every=3)
    seals = [i.record for i in items if i.kind == "seal"]
    assert [(s["first_seq"], s["last_seq"], s["record_count"]) for s in seals] == [(1, 3, 3), (5, 7, 3)]
    assert seals[0]["last_hash"] == items[2].record["hash"] and seals[0]["first_audit_id"] == "a-0"
    rep = verify_partition(0, items, key[1])
    assert rep.ok and rep.verified_seals == 2 and rep.audits == 6 and rep.unsealed_tail == 0


def test_intact_chain_verifies_and_reports_unsealed_tail(key):
    items = chain(5, key[0], seal_every=3)
    rep = verify_partition(0, items, key[1])
    assert rep.ok and rep.unsealed_tail == 2 and rep.head_hash == items[-1].record["hash"]


def problems(items, keys):
    return {(p.kind, p.offset) for p in verify_partition(0, items, keys).problems}


def test_changed_record_is_named(key):
    items = chain(6, key[0])
    rec = dict(items[1].record, action="forward")
    items[1] = Item(items[1].offset, "audit", rec)
    assert ("changed", 1) in problems(items, key[1])


def test_removed_record_is_named(key):
    items = chain(6, key[0])
    del items[1]
    assert ("removed", items[1].offset) in problems(items, key[1])


def test_removed_last_record_before_a_seal_is_seen_by_the_seal(key):
    items = chain(6, key[0])
    del items[2]                      # the record the first seal closes
    assert any(k == "removed" for k, _ in problems(items, key[1]))


def test_reordered_records_are_named(key):
    items = chain(6, key[0])
    items[1], items[2] = items[2], items[1]
    got = problems(items, key[1])
    assert ("reordered", items[1].offset) in got


def test_removed_first_record_is_named(key):
    items = chain(4, key[0])
    assert ("removed", items[1].offset) in problems(items[1:], key[1])


def test_forged_seal_and_unknown_key(key, tmp_path):
    from hub.recognition.signing import KeyStore
    items = chain(3, key[0])
    seal = dict(items[3].record, record_count=99)
    items[3] = Item(3, "seal", seal)
    kinds = {k for k, _ in problems(items, key[1])}
    assert {"changed", "seal"} <= kinds
    other = KeyStore(tmp_path)
    other.generate()
    assert any(p.kind == "seal" and "unknown key" in p.detail
               for p in verify_partition(0, chain(3, key[0]), public_keys_of(other.jwks())).problems)


def test_seal_from_another_partition_is_named(key):
    items = chain(3, key[0], partition=1)
    assert any(p.kind == "seal" for p in verify_partition(0, items, key[1]).problems)


def test_unreadable_record(key):
    items = chain(3, key[0]) + [Item(4, "unreadable", None)]
    assert ("unreadable", 4) in problems(items, key[1])


@pytest.mark.parametrize("n,cut", [(0, 0), (2, 0), (5, 0), (7, 4)])
def test_recover_from_tail_continues_the_same_chain(key, n, cut):
    """A new writer recovering from the tail produces exactly what the old one would have."""
    items = chain(n, key[0], seal_every=3)
    w = ChainWriter()
    h = w.recover(0, [i.record for i in items[cut:]], public_keys=key[1])
    assert h.last_hash == (items[-1].record["hash"] if items else None)
    nxt = w.link(audit(100), 0)
    full = items + [Item(len(items), "audit", nxt)]
    assert verify_partition(0, full, key[1]).ok
    s = w.seal(0, key[0])
    full.append(Item(len(full), "seal", s))
    assert verify_partition(0, full, key[1]).ok


def test_pending_partitions_and_forget(key):
    w = ChainWriter()
    w.link(audit(1), 2)
    w.link(audit(2), 0)
    assert w.pending() == [0, 2]
    assert [p for p, _ in w.seals(key[0])] == [0, 2] and w.pending() == []
    w.forget([0])
    assert 0 not in w.heads and 2 in w.heads


def test_audit_record_round_trips_through_avro_with_the_same_hash(key):
    from hub.routing.audit_chain import AUDIT, SEAL
    from hub.serde import default_serde
    items = chain(3, key[0])
    serde = default_serde()
    for it in items:
        _, back = serde.decode(serde.encode(it.record, SEAL if it.kind == "seal" else AUDIT))
        assert record_hash(back) == it.record["hash"]


def test_fast_canonical_form_equals_the_general_json_view(key):
    from hub.routing.audit_chain import _canonical_slow, canonical
    for it in chain(4, key[0]):
        for excl in (("hash",), ("hash", "signature")):
            assert canonical(it.record, excl) == _canonical_slow(it.record, excl)
    odd = dict(audit(1), extra={"nested": [1.0, True]}, legal_basis=["é ü"])
    assert canonical(odd) == _canonical_slow(odd, ("hash",))


def test_records_written_before_relied_on_existed_still_verify(key):
    """An audit record hashed without relied_on (schema v1) keeps its hash once a newer reader
    fills relied_on=[] in; a non-empty relied_on is covered by the hash."""
    from hub.routing.audit_chain import AUDIT
    from hub.serde import default_serde
    rec = audit(7)
    rec.pop("relied_on", None)
    rec["hash"] = record_hash(rec)
    _, back = default_serde().decode(default_serde().encode(rec, AUDIT))
    assert back["relied_on"] == [] and record_hash(back) == rec["hash"]
    named = {**back, "relied_on": ["instrument:eu-scc-2021:x"]}
    assert record_hash(named) != rec["hash"]
