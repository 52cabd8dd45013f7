"""The audit hash chain: one chain per hub.audit partition, sealed and signed in batches.

Only the router writes hub.audit (single writer per partition): the audit record of an input
record goes to the audit partition equal to the input partition. Every record of a partition,
audit records (nqfhub.internal.AuditRecord) and seals (nqfhub.internal.AuditSeal) alike, is a
member of that partition's chain:

    prev_hash  the `hash` of the previous record of the partition (None for the first)
    hash       hex SHA-256 of the record's canonical JSON without `hash`

Canonical JSON is the one `hub.recognition.signing` signs: RFC 8785 (JCS) of the JSON view of
the record (timestamps ISO-8601 UTC with milliseconds and 'Z'). After
each processed batch the router appends a seal per partition it wrote to: the seal names the
chain positions it covers (first_seq..last_seq, 1-based, seals counted), the hash of the last
covered record, and carries an Ed25519 signature over its canonical JSON without `hash` and
`signature` (the hub's audit-purpose key in Settings.home/keys). The seal's own hash covers the signature.

`verify_partition` checks a partition read from the beginning and names every changed, removed
or reordered record with its offset; `nqf-hub audit verify` also refuses a partition without
seals and an unsealed tail older than a bound (default 15 min). What no chain can show by
itself: the last seals cut off together with everything after them (tail truncation); anchor
the head hash that `nqf-hub audit verify` prints somewhere else to cover that. `recover`
(the router, on getting a partition) verifies the last seal's signature and every record after
it before continuing the chain.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field

UTC = dt.timezone.utc
AUDIT = "nqfhub.internal.AuditRecord"
SEAL = "nqfhub.internal.AuditSeal"
SEAL_NAMESPACE = uuid.UUID("0c7f1f52-3f86-4c37-9a3b-2f8e6a1d5b90")


# ---- canonical form -------------------------------------------------------------------------
# Fields added to AuditRecord after its first release: left out of the canonical form while they
# hold their default (empty), so records written before they existed still verify after a reader
# with the newer schema fills the default in.
OMITTED_WHEN_EMPTY = frozenset({"relied_on"})


_SAFE_INT = 2 ** 53 - 1


def canonical(record: dict, exclude: tuple[str, ...] = ("hash",)) -> bytes:
    """RFC 8785 (JCS) bytes of `record` (fastavro dict) without the `exclude` fields.

    Audit records and seals hold only strings, lists of strings, ints, None and timestamps
    under ASCII keys; for those, sorted-keys compact JSON is byte for byte RFC 8785 (code-point
    and UTF-16 order agree on ASCII keys, integers within 2**53 print alike, Python escapes the
    same characters JCS does), so the bytes are built directly (the router hashes every audit
    record). Anything else goes through the `rfc8785` library (`_canonical_slow`); tests pin the
    two together."""
    body = {}
    for k, v in record.items():
        if k in exclude or (k in OMITTED_WHEN_EMPTY and not v):
            continue
        if isinstance(v, dt.datetime):
            v = _iso_ts(v)
        elif not (v is None or isinstance(v, str)
                  or isinstance(v, int) and not isinstance(v, bool) and -_SAFE_INT <= v <= _SAFE_INT
                  or isinstance(v, list) and all(isinstance(x, str) for x in v)) or not k.isascii():
            return _canonical_slow(record, exclude)
        body[k] = v
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _canonical_slow(record: dict, exclude: tuple[str, ...]) -> bytes:
    from hub.jsonview import to_jsonable
    from hub.recognition.signing import jcs
    body = {k: v for k, v in record.items() if k not in exclude and not (k in OMITTED_WHEN_EMPTY and not v)}
    return jcs(to_jsonable(body))


def record_hash(record: dict) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


def _iso_ts(v: dt.datetime) -> str:
    from hub.jsonview import _iso_ts as iso
    return iso(v)


def _millis(t: dt.datetime) -> dt.datetime:
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


# ---- writing (the router) -------------------------------------------------------------------
@dataclass
class PartitionChain:
    """The head of one partition's chain: what the next record links to."""

    partition: int
    last_hash: str | None = None
    seq: int = 0                          # chain position of the last record (0: empty chain)
    unsealed_from: int | None = None      # first seq written since the last seal
    first_audit_id: str | None = None
    last_audit_id: str | None = None


@dataclass
class ChainWriter:
    """Links audit records and makes seals for the partitions the router owns.

    The router calls `link(record, partition)` for every AuditRecord right before encoding it
    (in the order it sends them to that partition), and `seals(key)` after each batch; the
    outputs are sent with an explicit partition. `heads` is recovered from the tail of each
    audit partition when the router gets the partition (`recover`), so a crash between the
    acknowledgement of a record and any local bookkeeping never forks the chain.
    """

    heads: dict[int, PartitionChain] = field(default_factory=dict)

    def head(self, partition: int) -> PartitionChain:
        h = self.heads.get(partition)
        if h is None:
            h = self.heads[partition] = PartitionChain(partition)
        return h

    def link(self, record: dict, partition: int) -> dict:
        """Set prev_hash and hash of an audit record (in place) and advance the partition head."""
        h = self.head(partition)
        if isinstance(record.get("decided_at"), dt.datetime):
            record["decided_at"] = _millis(record["decided_at"])   # what Avro will carry back
        record["prev_hash"] = h.last_hash
        record["hash"] = None
        record["hash"] = record_hash(record)
        h.seq += 1
        h.last_hash = record["hash"]
        if h.unsealed_from is None:
            h.unsealed_from = h.seq
            h.first_audit_id = record.get("audit_id")
        h.last_audit_id = record.get("audit_id")
        return record

    def pending(self) -> list[int]:
        return sorted(p for p, h in self.heads.items() if h.unsealed_from is not None)

    def seal(self, partition: int, key, now: dt.datetime | None = None) -> dict:
        """The signed seal over everything written to `partition` since its last seal."""
        from hub.recognition.signing import ALG, _b64u
        h = self.head(partition)
        assert h.unsealed_from is not None and h.last_hash is not None, "nothing to seal"
        now = _millis(now or dt.datetime.now(UTC))
        s = {"seal_id": str(uuid.uuid5(SEAL_NAMESPACE, f"{partition}|{h.seq}|{h.last_hash}")),
             "partition": partition, "first_seq": h.unsealed_from, "last_seq": h.seq,
             "record_count": h.seq - h.unsealed_from + 1, "first_audit_id": h.first_audit_id,
             "last_audit_id": h.last_audit_id, "last_hash": h.last_hash, "sealed_at": now,
             "key_id": key.key_id, "alg": ALG, "signature": "", "prev_hash": h.last_hash, "hash": None}
        s["signature"] = _b64u(key.private.sign(canonical(s, ("hash", "signature"))))
        s["hash"] = record_hash(s)
        h.seq += 1
        h.last_hash = s["hash"]
        h.unsealed_from = h.first_audit_id = h.last_audit_id = None
        return s

    def seals(self, key, now: dt.datetime | None = None) -> list[tuple[int, dict]]:
        return [(p, self.seal(p, key, now)) for p in self.pending()]

    def recover(self, partition: int, tail: list[dict], *, public_keys: dict) -> PartitionChain:
        """Set the head of `partition` from its last records (oldest first, decoded), which
        must reach back to a seal or to the start of the partition.

        Nothing is adopted unverified: the last seal must carry a valid signature under one of
        `public_keys` (key id -> Ed25519 public key) and its own hash; every record after it
        must hash to its stored hash and link to the record before it; without a seal the
        first record must be the first of the partition (no link). Otherwise AuditChainError
        (the router stops rather than extend a chain that someone else wrote into)."""
        h = PartitionChain(partition)
        seal_at = max((i for i, r in enumerate(tail) if "seal_id" in r), default=None)
        _verify_tail(partition, tail, seal_at, public_keys)
        if seal_at is None:
            h.seq = len(tail)
            after = tail
        else:
            h.seq = tail[seal_at]["last_seq"] + 1 + (len(tail) - seal_at - 1)
            after = tail[seal_at + 1:]
        if tail:
            h.last_hash = tail[-1].get("hash")
        if after:
            h.unsealed_from = h.seq - len(after) + 1
            h.first_audit_id, h.last_audit_id = after[0].get("audit_id"), after[-1].get("audit_id")
        self.heads[partition] = h
        return h

    def forget(self, partitions) -> None:
        for p in partitions:
            self.heads.pop(p, None)


def _verify_tail(partition: int, tail: list[dict], seal_at: int | None, public_keys: dict) -> None:
    """Raise AuditChainError unless `tail` (from its last seal on) verifies; see `recover`."""
    from hub.errors import AuditChainError

    def fail(i: int, why: str):
        raise AuditChainError(f"audit partition {partition}: record {i + 1} of the tail read for "
                              f"recovery {why}; the router will not extend this chain "
                              "(run `nqf-hub audit verify`)")
    if seal_at is not None:
        seal = tail[seal_at]
        why = verify_seal_signature(seal, public_keys)
        if why:
            fail(seal_at, f"is the last seal and {why}")
        if record_hash(seal) != seal.get("hash") or seal.get("prev_hash") != seal.get("last_hash"):
            fail(seal_at, "is the last seal and its hash does not match its content")
        if seal.get("partition") != partition:
            fail(seal_at, "is a seal of another partition")
        prev, start = seal.get("hash"), seal_at + 1
    else:
        prev, start = None, 0
    for i in range(start, len(tail)):
        r = tail[i]
        if "seal_id" in r or record_hash(r) != r.get("hash"):
            fail(i, "does not match its hash")
        if r.get("prev_hash") != prev:
            if i == 0:
                fail(i, "links to an earlier record, but the tail reaches neither back to a seal nor "
                        "to the beginning of the partition")
            fail(i, "does not link to the record before it")
        prev = r.get("hash")


# ---- verifying ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One record of an audit partition as read: offset, kind (audit | seal | unreadable), record."""

    offset: int
    kind: str
    record: dict | None
    ts_ms: int | None = None      # the Kafka timestamp (for records without decided_at)


@dataclass
class Problem:
    partition: int
    offset: int
    kind: str            # changed | removed | reordered | seal | unreadable | unsealed
    detail: str

    def as_dict(self) -> dict:
        return {"partition": self.partition, "offset": self.offset, "problem": self.kind,
                "detail": self.detail}


@dataclass
class PartitionReport:
    partition: int
    records: int = 0
    audits: int = 0
    seals: int = 0
    verified_seals: int = 0
    head_hash: str | None = None
    unsealed_tail: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"partition": self.partition, "records": self.records, "audit_records": self.audits,
                "seals": self.seals, "verified_seals": self.verified_seals, "head_hash": self.head_hash,
                "unsealed_tail": self.unsealed_tail, "ok": self.ok,
                "problems": [p.as_dict() for p in self.problems]}


def verify_seal_signature(seal: dict, public_keys: dict) -> str | None:
    """None when the seal's signature is valid under one of `public_keys` (key id -> Ed25519
    public key), else the reason."""
    from cryptography.exceptions import InvalidSignature

    from hub.recognition.signing import ALG, _unb64u
    if seal.get("alg") != ALG:
        return f"unsupported signature algorithm {seal.get('alg')!r}"
    pub = public_keys.get(seal.get("key_id"))
    if pub is None:
        return (f"unknown key id {seal.get('key_id')!r} (not an active or retired audit key of the key set: "
                "unknown, revoked, or a recognition key)")
    try:
        pub.verify(_unb64u(seal.get("signature") or ""), canonical(seal, ("hash", "signature")))
    except (InvalidSignature, ValueError):
        return "signature does not match the seal (tampered or wrong key)"
    return None


def public_keys_of(jwks: dict) -> dict:
    """Key id -> public key of the keys whose seals verify: audit keys (and legacy keys of no
    purpose), active or retired; revoked keys and recognition keys are left out."""
    from hub.recognition.signing import _jwks_keys
    return _jwks_keys(jwks, purpose="audit")


def verify_partition(partition: int, items: list[Item], public_keys: dict, *,
                     max_unsealed_age_s: float | None = None, now: dt.datetime | None = None) -> PartitionReport:
    """Check one audit partition read from its beginning, in offset order.

    With `max_unsealed_age_s` (what `nqf-hub audit verify` always passes) two more problems:
    unsealed   the partition has records but no seal at all (nothing in it is signed), or its
               oldest record after the last seal was decided more than `max_unsealed_age_s`
               before `now` (the router seals after every batch: an old unsealed tail means
               sealing stopped, or seals were cut off)

    changed    a record's content no longer gives its stored hash
    removed    a record links to a hash that is nowhere in the partition (records before it
               were removed), the first record links to something, or a seal counts more
               records than precede it
    reordered  a record links to a record that is present but not right before it
    seal       a seal's signature is invalid or its key unknown, or it does not match the chain
    """
    rep = PartitionReport(partition)
    where: dict[str, int] = {}          # hash -> index in items (stored hashes)
    for i, it in enumerate(items):
        if it.record is not None and it.record.get("hash"):
            where.setdefault(it.record["hash"], i)
    prev: dict | None = None
    seq = 0
    since_seal = 0
    for i, it in enumerate(items):
        rep.records += 1
        if it.record is None:
            rep.problems.append(Problem(partition, it.offset, "unreadable",
                                        "not an audit record or seal of a known schema"))
            prev = None
            continue
        r = it.record
        seq += 1
        if it.kind == "seal":
            rep.seals += 1
        else:
            rep.audits += 1
        stored = r.get("hash")
        if not stored or record_hash(r) != stored:
            rep.problems.append(Problem(partition, it.offset, "changed",
                                        "content does not match its hash"))
        link = r.get("prev_hash")
        expected = prev.get("hash") if prev is not None else None
        if i == 0 and link is not None:
            rep.problems.append(Problem(partition, it.offset, "removed",
                                        "the first record links to an earlier record that is missing"))
        elif i > 0 and link != expected:
            j = where.get(link) if link else None
            if j is None:
                rep.problems.append(Problem(partition, it.offset, "removed",
                                            "links to a record that is not in the partition: "
                                            "records before this offset were removed (or changed "
                                            "and re-hashed)"))
            else:
                rep.problems.append(Problem(partition, it.offset, "reordered",
                                            f"links to the record at offset {items[j].offset}, "
                                            f"not to the one right before it"))
        if it.kind == "seal":
            why = verify_seal_signature(r, public_keys)
            if why:
                rep.problems.append(Problem(partition, it.offset, "seal", why))
            else:
                rep.verified_seals += 1
            if r.get("last_seq") != seq - 1 or r.get("last_hash") != expected:
                rep.problems.append(Problem(partition, it.offset, "removed" if (r.get("last_seq") or 0) > seq - 1
                                            else "seal",
                                            f"seal covers up to position {r.get('last_seq')} but "
                                            f"{seq - 1} record(s) precede it, or its last hash "
                                            "differs from the record before it"))
            if r.get("partition") != partition:
                rep.problems.append(Problem(partition, it.offset, "seal",
                                            f"seal belongs to partition {r.get('partition')}"))
            since_seal = 0
        else:
            since_seal += 1
        prev = r
    rep.head_hash = prev.get("hash") if prev else None
    rep.unsealed_tail = since_seal
    if max_unsealed_age_s is not None and rep.records:
        _judge_unsealed(rep, items, max_unsealed_age_s, now or dt.datetime.now(UTC))
    return rep


def _judge_unsealed(rep: PartitionReport, items: list[Item], max_age_s: float, now: dt.datetime) -> None:
    if rep.seals == 0:
        rep.problems.append(Problem(rep.partition, items[0].offset, "unsealed",
                                    f"no seal: none of the {rep.records} record(s) of this partition is signed"))
        return
    if not rep.unsealed_tail:
        return
    first = items[len(items) - rep.unsealed_tail]
    at = (first.record or {}).get("decided_at")
    if not isinstance(at, dt.datetime):
        at = dt.datetime.fromtimestamp(first.ts_ms / 1000, UTC) if first.ts_ms else None
    if at is None:
        rep.problems.append(Problem(rep.partition, first.offset, "unsealed",
                                    f"{rep.unsealed_tail} record(s) after the last seal, of unknown age"))
    elif (now - at).total_seconds() > max_age_s:
        rep.problems.append(Problem(rep.partition, first.offset, "unsealed",
                                    f"{rep.unsealed_tail} record(s) after the last seal, the oldest "
                                    f"{int((now - at).total_seconds())} s old (bound {int(max_age_s)} s): "
                                    "sealing stopped or seals were cut off"))


def classify(value: bytes, serde) -> Item | tuple[str, dict | None]:
    """(kind, record) of one hub.audit value: audit | seal | unreadable."""
    from hub.errors import HubError
    try:
        name, rec = serde.decode(value)
    except HubError:
        return "unreadable", None
    if name == SEAL:
        return "seal", rec
    if name == AUDIT:
        return "audit", rec
    return "unreadable", None


__all__ = ["AUDIT", "SEAL", "ChainWriter", "Item", "PartitionChain", "PartitionReport", "Problem",
           "canonical", "classify", "public_keys_of", "record_hash", "verify_partition",
           "verify_seal_signature"]
