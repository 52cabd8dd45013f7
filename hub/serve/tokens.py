"""Who may push documents: per-authority bearer tokens, stored only as SHA-256 hashes.

The tokens file (`nqf-hub serve --tokens FILE`, default `$NQF_HUB_HOME/tokens.yaml`) lists
authorities with the hex SHA-256 of their token, the connectors they may use ('*' = all but
canonical-json and consent, which need their names), their authority type and jurisdiction
(which become header.source of every event they push; see hub.ingest.sources) and their rate
limit; it is validated against hub/serve/tokens.schema.json at start and every problem is
reported at once. `TokenBook.authenticate` hashes the presented token and compares it with
every stored hash using `hmac.compare_digest` (the time taken does not depend on which entry
matches or how much of it). Tokens are never logged, printed or kept in memory beyond the
request. `nqf-hub serve --issue-token ID` prints a new token once and the line to add.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hub.errors import MappingFileError

SCHEMA = Path(__file__).with_name("tokens.schema.json")
DEFAULT_RATE_PER_MINUTE = 60.0
DEFAULT_BURST = 10


#: connectors that take sender-written headers or consents: granted by name only, never by '*'
EXPLICIT_ONLY = frozenset({"canonical-json", "consent"})


@dataclass(frozen=True)
class Authority:
    id: str
    token_sha256: str
    connectors: frozenset[str]
    authority_type: str
    jurisdiction: str
    name: str | None = None
    document_jurisdictions: tuple[str, ...] = ()
    rate_per_minute: float = DEFAULT_RATE_PER_MINUTE
    burst: int = DEFAULT_BURST
    max_body_bytes: int | None = None

    def may_use(self, connector: str) -> bool:
        """Named in `connectors`, or covered by '*' (never canonical-json or consent)."""
        return connector in self.connectors or ("*" in self.connectors and connector not in EXPLICIT_ONLY)

    @property
    def source(self):
        """What this authority's events carry as header.source (hub.ingest.sources)."""
        from hub.ingest.sources import AuthenticatedSource
        return AuthenticatedSource(self.id, self.authority_type, self.jurisdiction, self.document_jurisdictions)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token() -> tuple[str, str]:
    """(token, its sha256 hex): give the token to the authority, store only the hash."""
    t = secrets.token_urlsafe(32)
    return t, hash_token(t)


class TokenBook:
    def __init__(self, authorities: list[Authority]):
        self.authorities = list(authorities)
        self._hashes = [bytes.fromhex(a.token_sha256) for a in self.authorities]

    @classmethod
    def load(cls, path: Path) -> "TokenBook":
        import jsonschema
        path = Path(path)
        if not path.is_file():
            raise MappingFileError(f"tokens file not found: {path}")
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            raise MappingFileError(f"{path.name}: not valid YAML ({e.__class__.__name__})") from None
        schema = json.loads(SCHEMA.read_text())
        problems = [f"{path.name}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                    for e in sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=str)]
        if problems:
            raise MappingFileError(f"{len(problems)} problem(s) in {path}", problems)
        seen_ids, seen_hashes, auths = set(), set(), []
        for i, a in enumerate(doc["authorities"]):
            if a["id"] in seen_ids:
                problems.append(f"{path.name}: authorities/{i}/id: duplicate authority {a['id']}")
            if a["token_sha256"] in seen_hashes:
                problems.append(f"{path.name}: authorities/{i}/token_sha256: the same token hash is given twice")
            seen_ids.add(a["id"])
            seen_hashes.add(a["token_sha256"])
            auths.append(Authority(
                id=a["id"], token_sha256=a["token_sha256"], name=a.get("name"),
                connectors=frozenset(a["connectors"]), authority_type=a["authority_type"],
                jurisdiction=a["jurisdiction"], document_jurisdictions=tuple(a.get("document_jurisdictions", ())),
                rate_per_minute=float(a.get("rate_per_minute", DEFAULT_RATE_PER_MINUTE)),
                burst=int(a.get("burst", DEFAULT_BURST)), max_body_bytes=a.get("max_body_bytes")))
        if problems:
            raise MappingFileError(f"{len(problems)} problem(s) in {path}", problems)
        return cls(auths)

    def get(self, authority_id: str) -> Authority | None:
        """The entry with this id (for `nqf-hub ingest --authority ID`), or None."""
        return next((a for a in self.authorities if a.id == authority_id), None)

    def authenticate(self, token: str | None) -> Authority | None:
        """The authority whose token this is, or None. Compares against every entry."""
        if not token:
            return None
        presented = hashlib.sha256(token.encode("utf-8", "replace")).digest()
        found = None
        for a, h in zip(self.authorities, self._hashes):
            if hmac.compare_digest(presented, h) and found is None:
                found = a
        return found


def bearer(header_value: str | None) -> str | None:
    """The token of an 'Authorization: Bearer <token>' header (None otherwise)."""
    if not header_value:
        return None
    scheme, _, tok = header_value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return tok.strip() or None


@dataclass
class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up. Thread-safe."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, now: float | None = None) -> tuple[bool, float]:
        """(allowed, seconds until the next token when refused)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            if self.tokens < 0:
                self.tokens = self.burst
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
            self.stamp = max(self.stamp, now)
            if self.tokens >= 1:
                self.tokens -= 1
                return True, 0.0
            return False, (1 - self.tokens) / self.rate


class RateLimiter:
    """One bucket per key (authority id, or client address for failed authentication).

    At most `max_keys` buckets are kept; a new key evicts the least recently used one, so a
    flood of new client addresses cannot grow memory and cannot reset (refill) the buckets of
    the authorities and addresses that are active."""

    def __init__(self, max_keys: int = 10_000):
        from collections import OrderedDict
        self.buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self.max_keys = max_keys
        self.lock = threading.Lock()

    def take(self, key: str, rate_per_s: float, burst: int, now: float | None = None) -> tuple[bool, float]:
        with self.lock:
            b = self.buckets.get(key)
            if b is None:
                while len(self.buckets) >= self.max_keys:
                    self.buckets.popitem(last=False)
                b = self.buckets[key] = TokenBucket(rate_per_s, burst)
            else:
                self.buckets.move_to_end(key)
        return b.take(now)
