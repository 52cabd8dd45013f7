"""Records of processing from audit records (GDPR Art. 30, POPIA s14/s17-style registers).

`nqf-hub privacy report` feeds every AuditRecord of <prefix>.audit (or of a JSON Lines file of
audit records, for offline use) through `ProcessingReport.add` and writes `as_json()` or
`as_csv()`: per partner, the purposes, the categories it received, the legal bases and regimes
the decisions cited, the instruments relied on, how many decisions of each action, and the
period covered. Audit records carry ids and categories only, so the report never holds
personal data: consents are counted, not listed.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

SENT = ("forward", "forward_minimised", "release")
ACTIONS = ("forward", "forward_minimised", "hold", "block", "release", "expire", "erasure_request")
CSV_COLUMNS = ("partner_id", "partner_name", "jurisdiction", "legal_nature", "purposes", "categories_sent",
               "categories_removed", "legal_bases", "regimes", "instruments_relied_on", "consents_relied_on",
               "event_types", "decisions", *ACTIONS, "first_decision", "last_decision")


def _iso(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return str(v)


class ProcessingReport:
    """Accumulates audit records; `partners` (id -> Partner) adds names and jurisdictions."""

    def __init__(self, partners: dict | None = None, *, since: dt.datetime | None = None,
                 until: dt.datetime | None = None):
        self.partners = partners or {}
        self.since, self.until = since, until
        self.by_partner: dict[str, dict] = {}
        self.records = 0
        self.skipped = 0

    def add(self, rec: dict) -> bool:
        """Count one AuditRecord (seals and unreadable records are the caller's to skip).
        Returns False when the record is outside the period or lacks the fields a report needs."""
        try:
            pid, action = rec["partner_id"], rec["action"]
            at = rec.get("decided_at")
        except (KeyError, TypeError):
            self.skipped += 1
            return False
        if isinstance(at, str):
            try:
                at = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
            except ValueError:
                at = None
        if at is not None and ((self.since and at < self.since) or (self.until and at >= self.until)):
            return False
        self.records += 1
        p = self.by_partner.setdefault(pid, {
            "purposes": set(), "categories_sent": set(), "categories_removed": set(), "legal_bases": set(),
            "regimes": set(), "instruments": set(), "consents": set(), "event_types": set(),
            "counts": dict.fromkeys(ACTIONS, 0), "first": None, "last": None})
        p["counts"][action] = p["counts"].get(action, 0) + 1
        if rec.get("purpose"):
            p["purposes"].add(rec["purpose"])
        p["event_types"].add(rec.get("event_type") or "")
        p["legal_bases"].update(rec.get("legal_basis") or ())
        p["regimes"].update(rec.get("regimes") or ())
        removed = set(rec.get("removed_categories") or ())
        if action in SENT:
            p["categories_sent"].update(set(rec.get("categories_present") or ()) - removed)
            p["categories_removed"].update(removed)
        for r in rec.get("relied_on") or ():
            kind, _, ref = r.partition(":")
            if kind == "consent":
                p["consents"].add(ref)
            elif ref:
                p["instruments"].add(ref)
        if at is not None:
            p["first"] = at if p["first"] is None or at < p["first"] else p["first"]
            p["last"] = at if p["last"] is None or at > p["last"] else p["last"]
        return True

    def rows(self) -> list[dict]:
        out = []
        for pid in sorted(self.by_partner):
            p = self.by_partner[pid]
            partner = self.partners.get(pid)
            out.append({
                "partner_id": pid,
                "partner_name": getattr(partner, "name", None),
                "jurisdiction": getattr(partner, "jurisdiction", None),
                "legal_nature": getattr(partner, "legal_nature", None),
                "purposes": sorted(p["purposes"]),
                "categories_sent": sorted(p["categories_sent"]),
                "categories_removed": sorted(p["categories_removed"]),
                "legal_bases": sorted(p["legal_bases"]),
                "regimes": sorted(p["regimes"]),
                "instruments_relied_on": sorted(p["instruments"]),
                "consents_relied_on": len(p["consents"]),
                "event_types": sorted(t for t in p["event_types"] if t),
                "decisions": sum(p["counts"].values()),
                "counts": {a: p["counts"].get(a, 0) for a in ACTIONS},
                "first_decision": _iso(p["first"]),
                "last_decision": _iso(p["last"]),
            })
        return out

    def as_json(self, source: str) -> dict:
        return {"report": "records of processing", "generated_at": _iso(dt.datetime.now(dt.timezone.utc)),
                "source": source, "since": _iso(self.since), "until": _iso(self.until),
                "audit_records": self.records, "skipped": self.skipped, "partners": self.rows()}

    def as_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for r in self.rows():
            flat = {**r, **r["counts"]}
            w.writerow(["; ".join(v) if isinstance(v, list) else ("" if v is None else v)
                        for v in (flat[c] for c in CSV_COLUMNS)])
        return buf.getvalue()


def read_jsonl(path, *, max_line: int = 1 << 20):
    """AuditRecord objects from a JSON Lines file (one object per line; blank lines skipped).
    Yields (line number, record or None when the line is not a JSON object or is too long)."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if len(line) > max_line:
                yield n, None
                continue
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                yield n, None
                continue
            yield n, obj if isinstance(obj, dict) else None


def to_json_line(rec: dict) -> str:
    """One audit record as a JSON line (timestamps ISO-8601 UTC) for `--save-records`."""
    return json.dumps({k: _iso(v) if isinstance(v, dt.datetime) else v for k, v in rec.items()},
                      ensure_ascii=False, sort_keys=True)
