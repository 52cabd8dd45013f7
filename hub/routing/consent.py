"""The consent join: held records meet the consents that release them.

ConsentRecorded / ConsentWithdrawn arrive on <prefix>.ingress keyed by consent id; HeldRecords
are on <prefix>.held keyed by credential id. The router re-keys both by **learner key** onto
<prefix>.consent-join: learner key = HMAC-SHA256(hub learner secret, identifier) for each
national id (scheme lower-cased, value without spaces/hyphens, upper-cased) and for the
lower-cased e-mail address — never the raw identifier. A consent is also stored under its
alias key (HMAC of "consent-id:<id>") so a withdrawal that names no learner finds it.

The join agent (hub.routing.app) keeps one table entry per key (`JoinEntry`, JSON-able) and
calls the pure functions below; they return the entry to store and the release requests to
produce to <prefix>.release keyed by the credential id:

* a consent that covers a waiting hold (same purpose; the hold's partner or any partner when
  the consent lists none; not withdrawn, not past valid_until) releases it — also when the
  consent was there before the hold arrived;
* `sweep` expires holds past `expires_at` (reason "expire"; the router writes the audit);
* a withdrawal marks the consent withdrawn (it releases nothing more) and asks the router to
  send every partner that was released data under it an erasure request.

The learner secret: NQF_HUB_SECRET_LEARNER_KEY (hex) or `<home>/keys/learner.key` (0600),
created by the router on first start. All routers of one hub must share it (the environment
variable in a multi-host deployment).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import uuid
from pathlib import Path

from hub.errors import ConfigError

UTC = dt.timezone.utc
ENV_SECRET = "NQF_HUB_SECRET_LEARNER_KEY"
REQUEST_NAMESPACE = uuid.UUID("4a8f0c0e-8d5b-4f3e-bb0e-6c1f9a2d7e31")
JOIN_KIND_HEADER = "nqfhub.join"          # consent | withdrawal | held | tick
SUBJECT_KEY_HEADER = "nqfhub.subject_key"  # the credential key of a held record (base64)
ALIAS_HOP_HEADER = "nqfhub.join.hop"
_SPACES = re.compile(r"[\s-]")


# ---- learner keys -----------------------------------------------------------------------------
def learner_secret(settings, env: dict | None = None, *, create: bool = False) -> bytes:
    """The hub's secret for learner keys (never printed). `create` makes the key file if absent."""
    env = os.environ if env is None else env
    raw = env.get(ENV_SECRET)
    where = ENV_SECRET
    p = Path(settings.home) / "keys" / "learner.key"
    if not raw:
        if not p.exists():
            if not create:
                raise ConfigError(f"no learner-key secret: set {ENV_SECRET} or start the router once "
                                  f"(it creates {p})")
            p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
        raw = p.read_text().strip()
        where = str(p)
    from hub.delivery.secrets import hex_key
    return hex_key(raw, what="learner-key secret", where=where)


def _norm_id(scheme: str, value: str) -> str:
    compact = _SPACES.sub("", value).upper()
    return f"id|{scheme.strip().lower()}|{compact}"


def identifiers(learner: dict | None) -> list[str]:
    """Normalised identifiers of a learner (internal: only ever hashed, never stored or logged)."""
    if not isinstance(learner, dict):
        return []
    out = [_norm_id(n.get("scheme") or "", n.get("value") or "")
           for n in learner.get("national_ids") or [] if n.get("value")]
    email = (learner.get("email") or "").strip().lower()
    if email:
        out.append(f"email|{email}")
    return sorted(set(out))


def learner_keys(secret: bytes, learner: dict | None) -> list[str]:
    """HMAC-SHA256 hex of each identifier of the learner (sorted, distinct)."""
    return sorted({hmac.new(secret, i.encode(), hashlib.sha256).hexdigest() for i in identifiers(learner)})


def alias_key(secret: bytes, consent_id: str) -> str:
    return hmac.new(secret, f"consent-id|{consent_id}".encode(), hashlib.sha256).hexdigest()


def parse_duration(text: str) -> dt.timedelta:
    """'30d', '12h', '15m', '90s' or plain seconds -> timedelta (ConfigError otherwise)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhms]?)\s*", str(text))
    if not m:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 30d, 12h, 15m, 90s)")
    n, unit = float(m.group(1)), m.group(2) or "s"
    return dt.timedelta(seconds=n * {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit])


# ---- coverage -------------------------------------------------------------------------------
def _ts(v) -> dt.datetime | None:
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.fromisoformat(str(v).replace("Z", "+00:00"))


def _iso(v: dt.datetime | None) -> str | None:
    return v.astimezone(UTC).isoformat(timespec="milliseconds") if isinstance(v, dt.datetime) else v


def covers(consent: dict, partner_id: str, purpose: str | None, at: dt.datetime,
           partner_country: str | None = None) -> bool:
    """Does a stored consent cover a transfer to `partner_id` for `purpose` at `at`?

    Purposes must match (a consent names its purposes; an empty list covers nothing); an empty
    partner list means any partner; a consent naming recipient countries covers only a partner
    in one of them (a partner whose country is not known is not covered); a withdrawn or
    expired consent covers nothing."""
    if consent.get("withdrawn"):
        return False
    until = _ts(consent.get("valid_until"))
    if until is not None and at >= until:
        return False
    if purpose is None or purpose not in (consent.get("purposes") or []):
        return False
    countries = consent.get("recipient_countries") or []
    if countries and partner_country not in countries:
        return False
    partners = consent.get("partners") or []
    return not partners or partner_id in partners


# ---- join entries -----------------------------------------------------------------------------
def new_entry(partition: int) -> dict:
    """A table value: consents by id, holds waiting by held id, consent aliases (alias keys)."""
    return {"p": partition, "consents": {}, "waiting": {}, "alias": []}


def consent_from_event(ev: dict) -> dict:
    return {"purposes": list(ev.get("purposes") or []), "partners": list(ev.get("partners") or []),
            "valid_until": _iso(ev.get("valid_until")), "withdrawn": False,
            "capacity": ev.get("given_by_capacity"), "recipient_countries": list(ev.get("recipient_countries") or []),
            "notice_version": ev.get("notice_version"),
            "event_id": ev["header"]["event_id"], "released": {}}


def held_from_record(rec: dict, subject_key: bytes | None) -> dict:
    return {"event_id": rec["event_id"], "event_type": rec["event_type"], "partner": rec["partner_id"],
            "purpose": rec.get("purpose"), "waiting_for": list(rec.get("waiting_for") or []),
            "rule_ids": list(rec.get("rule_ids") or []), "expires_at": _iso(rec.get("expires_at")),
            "key": base64.b64encode(subject_key).decode() if subject_key else None,
            "event": base64.b64encode(rec["event"]).decode(), "requested": []}


def request(kind: str, *, held_id: str | None, event_id: str, event_type: str, partner_id: str,
            evidence_ids=(), related=(), reason: str, by: str, now: dt.datetime, purpose=None,
            rule_ids=(), event: bytes) -> dict:
    """A ReleaseRequest record (nqfhub.internal.ReleaseRequest)."""
    rid = str(uuid.uuid5(REQUEST_NAMESPACE, f"{kind}|{held_id or event_id}|{partner_id}|{','.join(sorted(evidence_ids))}"))
    return {"request_id": rid, "kind": kind, "held_id": held_id, "event_id": event_id,
            "event_type": event_type, "partner_id": partner_id, "evidence_ids": sorted(evidence_ids),
            "related_event_ids": list(related), "reason": reason, "requested_by": by,
            "requested_at": now.replace(microsecond=now.microsecond // 1000 * 1000), "purpose": purpose,
            "rule_ids": list(rule_ids), "event": event}


Out = tuple[bytes | None, dict]     # (Kafka key for <prefix>.release, ReleaseRequest)


def consent_evidence_ids(cid: str, consent: dict) -> list[str]:
    """Evidence ids of a consent for a release request: 'consent:<id>', and the capacity it was
    given in as 'consent-by:<capacity>:<id>' when recorded (the engine honours a child's
    consent only in the capacity the law names)."""
    out = [f"consent:{cid}"]
    if consent.get("capacity"):
        out.append(f"consent-by:{consent['capacity']}:{cid}")
    return out


def _release(hid: str, w: dict, cid: str, now: dt.datetime, consent: dict | None = None) -> Out:
    key = base64.b64decode(w["key"]) if w.get("key") else None
    return key, request("release", held_id=hid, event_id=w["event_id"], event_type=w["event_type"],
                        partner_id=w["partner"], evidence_ids=consent_evidence_ids(cid, consent or {}),
                        reason="consent recorded", by="consent-join", now=now, purpose=w.get("purpose"),
                        rule_ids=w.get("rule_ids") or (), event=base64.b64decode(w["event"]))


def _match(entry: dict, hid: str, w: dict, now: dt.datetime, countries: dict | None = None) -> list[Out]:
    """Release `w` under the first consent of the entry that covers it (at most once per consent).
    `countries` maps partner ids to their country (for consents that name recipient countries)."""
    if "consent" not in w["waiting_for"]:
        return []
    for cid, c in sorted(entry["consents"].items()):
        if cid in w["requested"] or not covers(c, w["partner"], w.get("purpose"), now,
                                                (countries or {}).get(w["partner"])):
            continue
        w["requested"].append(cid)
        c["released"].setdefault(w["partner"], [])
        if w["event_id"] not in c["released"][w["partner"]]:
            c["released"][w["partner"]].append(w["event_id"])
        out = [_release(hid, w, cid, now, c)]
        if set(w["waiting_for"]) <= {"consent"}:
            # consent was all it waited for: the router releases it; nothing left to expire here
            entry["waiting"].pop(hid, None)
        return out
    return []


def on_consent(entry: dict, ev: dict, now: dt.datetime, countries: dict | None = None) -> list[Out]:
    """A ConsentRecorded reached its learner key: store it and release the holds it covers."""
    cid = ev["consent_id"]
    old = entry["consents"].get(cid)
    c = consent_from_event(ev)
    if old is not None:
        if old.get("withdrawn"):
            return []                     # a replayed or late ConsentRecorded never revives a withdrawal
        c["released"] = old.get("released") or {}
    entry["consents"][cid] = c
    out: list[Out] = []
    for hid, w in sorted(entry["waiting"].items()):
        out += _match(entry, hid, w, now, countries)
    return out


def on_alias(entry: dict, ev: dict, keys: list[str]) -> None:
    """A ConsentRecorded reached its alias key: remember the learner keys it is stored under."""
    entry["alias"] = sorted(set(entry.get("alias") or []) | set(keys))


def on_held(entry: dict, hid: str, rec: dict, subject_key: bytes | None, now: dt.datetime,
            countries: dict | None = None) -> list[Out]:
    """A HeldRecord reached a learner key: release it at once if a consent covers it, else wait."""
    if hid in entry["waiting"]:
        return []                         # replay of a hold we already track
    w = held_from_record(rec, subject_key)
    entry["waiting"][hid] = w
    return _match(entry, hid, w, now, countries)


def on_withdrawal(entry: dict, ev: dict, now: dt.datetime, withdrawal_bytes: bytes) -> list[Out]:
    """A ConsentWithdrawn reached a learner key: mark the consent withdrawn and ask for one
    erasure request per partner that was released data under it (keyed by the consent id)."""
    cid = ev["consent_id"]
    c = entry["consents"].get(cid)
    if c is None:
        # withdrawn before (or without) being recorded here: remember, so it never releases
        entry["consents"][cid] = {"purposes": [], "partners": [], "valid_until": None, "withdrawn": True,
                                  "event_id": None, "released": {}}
        return []
    if c.get("withdrawn"):
        return []
    c["withdrawn"] = True
    out: list[Out] = []
    h = ev["header"]
    for pid, events in sorted((c.get("released") or {}).items()):
        out.append((cid.encode(), request(
            "erasure", held_id=None, event_id=h["event_id"], event_type=h["event_type"], partner_id=pid,
            evidence_ids=[f"consent:{cid}"], related=events, reason="consent withdrawn",
            by="consent-join", now=now, event=withdrawal_bytes)))
    return out


def sweep(entry: dict, now: dt.datetime) -> list[Out]:
    """Expire every waiting hold of the entry past its expires_at."""
    out: list[Out] = []
    for hid, w in sorted(entry["waiting"].items()):
        exp = _ts(w.get("expires_at"))
        if exp is not None and now >= exp:
            key = base64.b64decode(w["key"]) if w.get("key") else None
            out.append((key, request("expire", held_id=hid, event_id=w["event_id"], event_type=w["event_type"],
                                     partner_id=w["partner"], reason="expired: no evidence before the hold's TTL",
                                     by="consent-join", now=now, purpose=w.get("purpose"),
                                     rule_ids=w.get("rule_ids") or (), event=base64.b64decode(w["event"]))))
            del entry["waiting"][hid]
    return out


def is_empty(entry: dict) -> bool:
    return not entry["consents"] and not entry["waiting"] and not entry.get("alias")


__all__ = ["alias_key", "covers", "identifiers", "learner_keys", "learner_secret", "new_entry",
           "on_alias", "on_consent", "on_held", "on_withdrawal", "request", "sweep"]


# ---- the join agent's step ------------------------------------------------------------------
class JoinProcessor:
    """What the join agent does with one <prefix>.consent-join record.

    `table` is the faust table of join entries (a dict in tests); the agent sets the current
    event before calling `step`, so every write goes to this record's changelog partition, and
    sweeps only entries whose partition (`p`) is the tick's. Returns the Outputs to produce
    (release requests on <prefix>.release.auto; alias hops back onto <prefix>.consent-join).
    """

    def __init__(self, settings, serde, partner_countries: dict[str, str] | None = None,
                 ttl: dt.timedelta | None = None):
        self.serde = serde
        self.countries = dict(partner_countries or {})
        self.ttl = ttl            # entries without waiting holds untouched this long are deleted
        self.t_release = settings.topic("release.auto")    # the router's own requests
        self.t_join = settings.topic("consent-join")

    def step(self, table, key: bytes | None, partition: int, value: bytes, headers, now: dt.datetime):
        from hub.routing.router import Output
        h = {k: (v.decode() if isinstance(v, (bytes, bytearray)) else v) for k, v in headers or []}
        kind = h.get(JOIN_KIND_HEADER)
        if kind == "tick":
            return self._sweep(table, partition, now)
        k = key.decode() if key else ""
        entry = table.get(k) or new_entry(partition)
        reqs: list[Out] = []
        outs: list = []
        if kind == "held":
            _, rec = self.serde.decode(value)
            sk = h.get(SUBJECT_KEY_HEADER)
            reqs = on_held(entry, rec["held_id"], rec, base64.b64decode(sk) if sk else None, now, self.countries)
        elif kind == "consent":
            _, ev = self.serde.decode(value)
            reqs = on_consent(entry, ev, now, self.countries)
        elif kind == "alias":
            _, ev = self.serde.decode(value)
            on_alias(entry, ev, [x for x in (h.get("nqfhub.join.keys") or "").split(",") if x])
        elif kind == "withdrawal":
            _, ev = self.serde.decode(value)
            if entry.get("alias") and not h.get(ALIAS_HOP_HEADER):
                # a withdrawal that named no learner: send it on to the learner keys of the consent
                hop = [(a, b) for a, b in headers if a != JOIN_KIND_HEADER] + [
                    (JOIN_KIND_HEADER, b"withdrawal"), (ALIAS_HOP_HEADER, b"1")]
                outs += [Output(self.t_join, lk.encode(), value, hop) for lk in entry["alias"]]
            else:
                reqs = on_withdrawal(entry, ev, now, value)
        else:
            return []
        entry["t"] = now.timestamp()         # last written (hub.routing.retention)
        table[k] = entry
        return outs + self._outputs(reqs)

    def _sweep(self, table, partition: int, now: dt.datetime):
        """Expire the partition's holds past their TTL; delete (tombstone) its entries that are
        empty, or hold no waiting record and were not written for `ttl`."""
        reqs: list[Out] = []
        cutoff = now.timestamp() - self.ttl.total_seconds() if self.ttl else None
        for k, entry in list(table.items()):
            if not entry or entry.get("p") != partition:
                continue
            got = sweep(entry, now) if entry.get("waiting") else []
            if is_empty(entry) or (not entry["waiting"] and cutoff is not None
                                   and entry.get("t", cutoff) < cutoff):
                del table[k]
            elif got:
                table[k] = entry
            reqs += got
        return self._outputs(reqs)

    def _outputs(self, reqs: list[Out]):
        from hub.routing.router import Output
        out = []
        for key, r in reqs:
            out.append(Output(self.t_release, key or r["event_id"].encode(),
                              self.serde.encode(r, "nqfhub.internal.ReleaseRequest"),
                              [("nqfhub.event_id", r["event_id"].encode()),
                               ("nqfhub.partner", r["partner_id"].encode()),
                               ("nqfhub.release.kind", r["kind"].encode()),
                               ("nqfhub.operator", r["requested_by"].encode())]))
        return out
