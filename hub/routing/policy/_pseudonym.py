"""Per-partner keyed pseudonyms (HMAC-SHA256) for identifiers the rules pseudonymise.

A partner's key is 32 random bytes, kept outside the repository:
  1. the environment variable NQF_HUB_SECRET_PSEUDONYM_<PARTNER> (hex), else
  2. the file $NQF_HUB_HOME/keys/pseudonym/<partner>.key (hex, mode 0600).
The engine only reads keys; `create`, `rotate` and `delete` are called by
`nqf-hub policy keys` (or by an operator's own tooling), never implicitly.

Guarantees: the same (partner, scheme, value) always gives the same pseudonym while the key is
unchanged, so a partner can link its own records; pseudonyms of two partners cannot be linked
without both keys; deleting (or rotating) a partner's key makes the pseudonyms issued under it
unlinkable to new ones, for the hub and for anyone. Key material never appears in errors.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from hub.errors import ConfigError

PREFIX = "ps1."                       # version tag of the pseudonym format
_DOMAIN = b"nqfhub-pseudonym-v1\x00"
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def env_name(partner_id: str) -> str:
    return "NQF_HUB_SECRET_PSEUDONYM_" + re.sub(r"[^A-Za-z0-9]", "_", partner_id).upper()


def pseudonym(key: bytes, scheme: str, value: str) -> str:
    """'ps1.' + 32 hex digits (128 bits) of HMAC-SHA256(key, domain | scheme | value)."""
    mac = hmac.new(key, _DOMAIN + scheme.encode() + b"\x00" + value.encode(), hashlib.sha256)
    return PREFIX + mac.hexdigest()[:32]


class PseudonymKeys:
    """Reads (and on request manages) per-partner pseudonym keys under `directory`."""

    def __init__(self, directory: Path, env: dict | None = None):
        self.directory = Path(directory)
        self.env = os.environ if env is None else env
        self._cache: dict[str, bytes | None] = {}

    @classmethod
    def from_settings(cls, settings, env: dict | None = None) -> "PseudonymKeys":
        return cls(Path(settings.home) / "keys" / "pseudonym", env)

    load = from_settings

    # ---- reading (hot path: cached) ------------------------------------------------------
    def path(self, partner_id: str) -> Path:
        if not _ID_RE.match(partner_id):
            raise ConfigError("partner id may contain only a-z, 0-9 and '-'")
        return self.directory / f"{partner_id}.key"

    def get(self, partner_id: str) -> bytes | None:
        """The partner's key, or None when there is none (the engine then drops the field)."""
        try:
            return self._cache[partner_id]
        except KeyError:
            pass
        key = self._read(partner_id)
        self._cache[partner_id] = key
        return key

    def _read(self, partner_id: str) -> bytes | None:
        raw = self.env.get(env_name(partner_id))
        where = env_name(partner_id)
        if not raw:
            p = self.path(partner_id)
            if not p.exists():
                return None
            raw = p.read_text().strip()
            where = str(p)
        from hub.delivery.secrets import hex_key
        return hex_key(raw, what="pseudonym key", where=where)

    def forget(self, partner_id: str | None = None) -> None:
        """Drop cached keys (after rotate/delete in the same process)."""
        if partner_id is None:
            self._cache.clear()
        else:
            self._cache.pop(partner_id, None)

    # ---- management (explicit only) ------------------------------------------------------
    def exists(self, partner_id: str) -> bool:
        return bool(self.env.get(env_name(partner_id))) or self.path(partner_id).exists()

    def create(self, partner_id: str) -> Path:
        """Write a new random key if the partner has none; returns the key file path."""
        p = self.path(partner_id)
        if p.exists():
            return p
        self._write(p, secrets.token_bytes(32))
        self.forget(partner_id)
        return p

    def rotate(self, partner_id: str, *, keep_old: bool = False) -> Path:
        """Replace the key. With keep_old the previous key is kept as
        <partner>.key.retired-<UTC timestamp> (for an operator who must re-derive old
        pseudonyms during a migration); otherwise it is deleted and old pseudonyms become
        unlinkable."""
        p = self.path(partner_id)
        if p.exists():
            if keep_old:
                stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                p.rename(p.with_name(f"{p.name}.retired-{stamp}"))
            else:
                _shred(p)
        self._write(p, secrets.token_bytes(32))
        self.forget(partner_id)
        return p

    def delete(self, partner_id: str) -> bool:
        """Delete the partner's key file (and retired copies). True if something was deleted."""
        p = self.path(partner_id)
        found = False
        for q in [p, *p.parent.glob(f"{p.name}.retired-*")] if p.parent.exists() else []:
            if q.exists():
                _shred(q)
                found = True
        self.forget(partner_id)
        return found

    def list(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(q.stem for q in self.directory.glob("*.key"))

    @staticmethod
    def _write(p: Path, key: bytes) -> None:
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.hex() + "\n")


def _shred(p: Path) -> None:
    """Overwrite then unlink (best effort on journaling/copy-on-write file systems)."""
    try:
        size = p.stat().st_size
        with open(p, "r+b") as f:
            f.write(secrets.token_bytes(max(size, 1)))
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        pass
    p.unlink(missing_ok=True)
