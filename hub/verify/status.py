"""Revocation / suspension status from cached status lists (never fetched at run time).

Credentials point at a list through `credentialStatus`:

* `BitstringStatusListEntry` (W3C Bitstring Status List v1.0) and its predecessor
  `StatusList2021Entry`: `statusListCredential` names a list credential whose
  `credentialSubject.encodedList` is a GZIP-compressed bitstring (multibase base64url, 'u…';
  StatusList2021 without the prefix); bit `statusListIndex` (0 = the left-most bit of the first
  byte) set means the credential's `statusPurpose` applies (revocation, suspension).
* `1EdTechRevocationList` (Open Badges 3.0 / CLR 2.0): `id` names a list
  `{"revokedCredentials": [{"id": credential id, …}]}`.

Operators put downloaded copies in the status cache (`StatusCache`, a directory; `nqf-hub trust
status-put URL FILE`), refreshed by whatever schedule and transport they trust. `check` is called
once per credential after its signature verified; a list that is not cached gives `unverified`.
A cached list that carries its own proof is checked once (by the verifier's `list_problem`); if
that proof does not verify the list is not used (`unverified`), so a copy altered after signing
cannot clear a revocation.
Decompression is bounded (a gzip bomb stops at `MAX_LIST_BYTES`).
"""
from __future__ import annotations

import base64
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from hub.verify.multikey import KeyProblem, multibase_decode

MAX_LIST_BYTES = 16 * 1024 * 1024
MAX_CACHED_FILE = 64 * 1024 * 1024
BITSTRING_TYPES = ("BitstringStatusListEntry", "StatusList2021Entry")
REVOCATION_LIST_TYPE = "1EdTechRevocationList"


@dataclass(frozen=True)
class StatusResult:
    state: str          # "ok" | "revoked" | "suspended" | "unknown"
    reason: str


class StatusCache:
    """URL -> cached list document; one JSON file per URL, named by the URL's SHA-256.

    A long-running process (serve, ingest workers) sees a refreshed list: `get` re-reads a file
    whose modification time or size changed (one stat per lookup); `version(url)` identifies the
    copy in use so derived caches (decompressed bits, a list's proof check) follow it."""

    def __init__(self, directory: Path | str | None):
        self.directory = Path(directory) if directory else None
        self._parsed: dict[str, tuple[tuple[int, int], dict | None]] = {}
        self.bits: dict[tuple[str, tuple[int, int]], bytes] = {}   # decompressed, per list copy

    def path_for(self, url: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (hashlib.sha256(url.encode()).hexdigest() + ".json")

    def version(self, url: str) -> tuple[int, int] | None:
        held = self._parsed.get(url)
        return held[0] if held else None

    def get(self, url: str) -> dict | None:
        p = self.path_for(url)
        try:
            st = p.stat() if p is not None else None
        except OSError:
            st = None
        if st is None or st.st_size > MAX_CACHED_FILE:
            self._parsed.pop(url, None)
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        held = self._parsed.get(url)
        if held and held[0] == stamp:
            return held[1]
        try:
            doc = json.loads(p.read_bytes())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None
        self._parsed[url] = (stamp, doc if isinstance(doc, dict) else None)
        return self._parsed[url][1]

    def put(self, url: str, data: bytes) -> Path:
        """Store a downloaded list (must be a JSON object)."""
        if not isinstance(json.loads(data), dict):
            raise ValueError("a status list must be a JSON object")
        p = self.path_for(url)
        if p is None:
            raise ValueError("this status cache has no directory")
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(p)
        self._parsed.pop(url, None)
        return p


def _issuer_id(doc: dict) -> str | None:
    iss = doc.get("issuer")
    return iss.get("id") if isinstance(iss, dict) else iss if isinstance(iss, str) else None


def _bits(encoded: str, legacy: bool) -> bytes:
    if not isinstance(encoded, str):
        raise KeyProblem("encodedList is not a string")
    if encoded.startswith("u"):
        data = multibase_decode(encoded)
    elif legacy:
        try:
            data = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            raise KeyProblem("encodedList is not base64url") from None
    else:
        raise KeyProblem("encodedList is not multibase base64url")
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, MAX_LIST_BYTES)
    except zlib.error:
        raise KeyProblem("encodedList is not GZIP data") from None
    if d.unconsumed_tail:
        raise KeyProblem(f"status list is larger than {MAX_LIST_BYTES} bytes")
    return out


def _cached(url: str, noun: str, cache: StatusCache, list_problem) -> dict | StatusResult:
    """The cached list at `url`, or the `unknown` result when it is not cached or is vetoed."""
    listed = cache.get(url)
    if listed is None:
        return StatusResult("unknown", f"{noun} {url} is not in the local status cache")
    problem = list_problem(url, listed)
    if problem:
        return StatusResult("unknown", problem)
    return listed


def _bitstring(entry: dict, credential_issuer: str | None, cache: StatusCache, list_problem) -> StatusResult:
    url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose", "revocation")
    if not isinstance(url, str):
        return StatusResult("unknown", "credentialStatus has no statusListCredential")
    if int(entry.get("statusSize", 1) or 1) != 1:
        return StatusResult("unknown", "multi-bit status entries (statusSize > 1) are not supported")
    listed = _cached(url, "status list", cache, list_problem)
    if isinstance(listed, StatusResult):
        return listed
    if credential_issuer and _issuer_id(listed) not in (None, credential_issuer):
        return StatusResult("unknown", f"cached status list {url} was issued by another issuer")
    subject = listed.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    if not isinstance(subject, dict):
        return StatusResult("unknown", f"cached status list {url} has no credentialSubject")
    if subject.get("statusPurpose", purpose) != purpose:
        return StatusResult("unknown", f"cached status list {url} is for another statusPurpose")
    try:
        index = int(entry.get("statusListIndex"))
        copy = (url, cache.version(url))
        bits = cache.bits.get(copy)
        if bits is None:
            bits = cache.bits[copy] = _bits(subject.get("encodedList"),
                                            legacy=entry.get("type") == "StatusList2021Entry")
    except (TypeError, ValueError) as e:
        return StatusResult("unknown", f"cannot read status list {url} ({e})")
    if index < 0 or index // 8 >= len(bits):
        return StatusResult("unknown", f"statusListIndex is outside status list {url}")
    if bits[index // 8] >> (7 - index % 8) & 1:
        state = "suspended" if purpose == "suspension" else "revoked"
        return StatusResult(state, f"{state} per status list {url}")
    return StatusResult("ok", f"not {purpose}-flagged in cached status list {url}")


def _revocation_list(entry: dict, credential: dict, cache: StatusCache, list_problem) -> StatusResult:
    url = entry.get("id")
    if not isinstance(url, str):
        return StatusResult("unknown", "credentialStatus has no id")
    listed = _cached(url, "revocation list", cache, list_problem)
    if isinstance(listed, StatusResult):
        return listed
    revoked = listed.get("revokedCredentials")
    if not isinstance(revoked, list):
        return StatusResult("unknown", f"cached revocation list {url} has no revokedCredentials")
    cid = credential.get("id")
    if any(isinstance(r, dict) and r.get("id") == cid for r in revoked):
        return StatusResult("revoked", f"revoked per 1EdTech revocation list {url}")
    return StatusResult("ok", f"not in cached revocation list {url}")


def _no_problem(url, listed):
    return None


def check(credential: dict, cache: StatusCache, list_problem=_no_problem) -> StatusResult | None:
    """The credential's status, or None when it names no status list. With several entries the
    worst wins (revoked > suspended > unknown > ok). `list_problem(url, list)` may veto a cached
    list (the verifier checks a signed list's own proof: a list whose signature does not verify
    is not used)."""
    status = credential.get("credentialStatus")
    if status is None:
        return None
    entries = status if isinstance(status, list) else [status]
    issuer = _issuer_id(credential)
    results = []
    for entry in entries:
        if not isinstance(entry, dict):
            results.append(StatusResult("unknown", "credentialStatus entry is not an object"))
        elif entry.get("type") in BITSTRING_TYPES:
            results.append(_bitstring(entry, issuer, cache, list_problem))
        elif entry.get("type") == REVOCATION_LIST_TYPE:
            results.append(_revocation_list(entry, credential, cache, list_problem))
        else:
            results.append(StatusResult("unknown", "credentialStatus type is not supported "
                                        "(BitstringStatusListEntry, StatusList2021Entry, "
                                        "1EdTechRevocationList are)"))
    order = {"revoked": 3, "suspended": 2, "unknown": 1, "ok": 0}
    return max(results, key=lambda r: order[r.state])
