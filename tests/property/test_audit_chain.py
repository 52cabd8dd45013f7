"""Property: any single change, removal or swap of records in an audit partition is detected.

Chains of 2-40 audit records with seals every 1-6 records are generated; one tampering is
applied at a random position. The verifier must report at least one problem — and for a changed
record, a 'changed' problem at exactly that offset. Removing only records after the last seal
together with that seal (tail truncation) is the documented blind spot, so a removal never
targets the end of the partition.
"""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.routing.audit_chain import ChainWriter, Item, public_keys_of, verify_partition

UTC = dt.timezone.utc
_KEY = None


def key():
    global _KEY
    if _KEY is None:
        import tempfile

        from hub.recognition.signing import KeyStore
        store = KeyStore(tempfile.mkdtemp())
        store.generate()
        _KEY = (store.signing_key(purpose="audit"), public_keys_of(store.jwks()))
    return _KEY


def build(n: int, seal_every: int, actions: list[str]) -> list[Item]:
    w = ChainWriter()
    out = []
    for i in range(n):
        rec = {"audit_id": f"a-{i}", "event_id": f"e-{i}", "event_type": "CredentialIssued", "trace_id": "t",
               "partner_id": f"p-{i % 3}", "action": actions[i % len(actions)], "rule_ids": [f"R-{i % 5}"],
               "legal_basis": [], "regimes": [], "categories_present": [], "removed_categories": [],
               "purpose": None, "decided_at": dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=i),
               "prev_hash": None, "hash": None}
        out.append(("audit", w.link(rec, 0)))
        if (i + 1) % seal_every == 0 or i == n - 1:
            out.append(("seal", w.seal(0, key()[0], dt.datetime(2026, 1, 2, tzinfo=UTC))))
    return [Item(off, kind, r) for off, (kind, r) in enumerate(out)]


chains = st.builds(build, st.integers(2, 40), st.integers(1, 6),
                   st.lists(st.sampled_from(["forward", "hold", "block", "forward_minimised"]), min_size=1, max_size=4))
FIELDS = ("action", "partner_id", "rule_ids", "event_id", "decided_at", "prev_hash", "last_seq", "record_count")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains, st.data())
def test_any_single_change_is_detected_at_its_offset(items, data):
    i = data.draw(st.integers(0, len(items) - 1))
    rec = dict(items[i].record)
    f = data.draw(st.sampled_from([x for x in FIELDS if x in rec]))
    v = rec[f]
    if isinstance(v, str):
        rec[f] = v + "x"
    elif isinstance(v, list):
        rec[f] = v + ["x"]
    elif isinstance(v, int):
        rec[f] = v + 1
    elif isinstance(v, dt.datetime):
        rec[f] = v + dt.timedelta(milliseconds=1)
    else:
        rec[f] = "x"
    items[i] = Item(items[i].offset, items[i].kind, rec)
    probs = verify_partition(0, items, key()[1]).problems
    assert any(p.kind == "changed" and p.offset == items[i].offset for p in probs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains, st.data())
def test_any_single_removal_is_detected(items, data):
    i = data.draw(st.integers(0, len(items) - 2))    # not the final seal (tail truncation)
    del items[i]
    assert verify_partition(0, items, key()[1]).problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains, st.data())
def test_any_swap_is_detected(items, data):
    i = data.draw(st.integers(0, len(items) - 2))
    j = data.draw(st.integers(i + 1, len(items) - 1))
    items[i], items[j] = items[j], items[i]
    probs = verify_partition(0, items, key()[1]).problems
    assert probs and any(p.kind in ("reordered", "removed", "seal") for p in probs)


@settings(max_examples=50, deadline=None)
@given(chains)
def test_untouched_chains_verify(items):
    assert verify_partition(0, items, key()[1]).ok
