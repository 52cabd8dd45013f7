"""Reference data and recognition requests for `nqf-hub demo`, made from the demo's credentials.

The demo's credentials are the Open Badges 3.0 samples of connectors/openbadges3/samples.py
(issuers in ZA, DE, IN, GB and NL, achievements aligned to the national framework), decoded to
canonical CredentialIssued events. `build_plan` derives from them what the registers and the
partners would send, as canonical events (headers built by `DecodeContext.header`, so event ids
are deterministic), for the `canonical-json` inbound connector:

  before the credentials
    InstitutionPublished     one per issuer
    QualificationPublished   one per achievement, with its level in the issuer's national
                             framework (the register's view), except one left unregistered
    AccreditationChanged     ACCREDITED from 2015-01-01, open-ended, for every issuer; one issuer
                             SUSPENDED for a few months around one award date
    RecognitionRequested     one for a credential that comes later (it waits for it) and one
                             for a credential the hub never receives (decided after the wait)
  after the credentials
    CredentialRevoked        one credential
    RecognitionRequested     a few credentials per route (source framework -> target framework)
                             from partners in the registry, plus the special cases above

Every person and organisation is invented; ids are under example.org.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hub.sdk.inbound import EVENT_ID_NAMESPACE, DecodeContext, SourceDefaults

NATIONAL = {"ZA": "ZA-NQF", "DE": "DE-DQR", "IN": "IN-NCrF", "GB": "UK-ENI-RQF", "NL": "NL-NLQF"}

#: (credential jurisdiction, target jurisdiction, target framework or None, requesting partner)
ROUTES = (
    ("ZA", "IE", "IE-NFQ", "de-uni-admissions"),
    ("ZA", "BW", "SADCQF", "in-recognition-body"),
    ("DE", "GB", "UK-ENI-RQF", "uk-recognition-centre"),
    ("IN", "DE", "EQF", "de-uni-admissions"),
    ("GB", "DE", "DE-DQR", "de-uni-admissions"),
    ("NL", "GB-SCT", None, "uk-recognition-centre"),     # framework found from the jurisdiction
)
ACCREDITED_FROM = dt.date(2015, 1, 1)


@dataclass
class PlannedRequest:
    request: dict            # RecognitionRequested (fastavro dict)
    route: str               # 'DE-DQR -> UK-ENI-RQF'
    case: str = ""           # special case shown in the summary ('' for plain route requests)


@dataclass
class Plan:
    reference: list[dict] = field(default_factory=list)        # before the credentials
    early: list[PlannedRequest] = field(default_factory=list)  # requests before the credentials
    revocations: list[dict] = field(default_factory=list)      # after the credentials
    late: list[PlannedRequest] = field(default_factory=list)   # requests after the credentials

    @property
    def requests(self) -> list[PlannedRequest]:
        return self.early + self.late


def _ctx(authority: str, authority_type: str, jurisdiction: str, now: dt.datetime | None) -> DecodeContext:
    kw = {"now": now} if now is not None else {}
    return DecodeContext(connector="canonical-json",
                         source=SourceDefaults(authority, authority_type, jurisdiction), **kw)


def _qa(cc: str) -> dict:
    return {"id": f"https://qa.example.org/{cc.lower()}", "name": f"Example quality assurance body ({cc})",
            "jurisdiction": cc}


def _org(org: dict, cc: str) -> dict:
    return {"id": org["id"], "name": org.get("name"), "jurisdiction": org.get("jurisdiction") or cc}


def _cc(cred: dict) -> str:
    return cred["header"]["source"]["jurisdiction"]


class _Picker:
    """Credentials per jurisdiction in input order; each credential is used once."""

    def __init__(self, credentials: Sequence[dict]):
        self.by_cc: dict[str, list[dict]] = {}
        for c in credentials:
            self.by_cc.setdefault(_cc(c), []).append(c)
        self.used: set[str] = set()

    def take(self, cc: str, n: int = 1, *, from_end: bool = False) -> list[dict]:
        pool = self.by_cc.get(cc, [])
        out = []
        for c in (reversed(pool) if from_end else pool):
            if len(out) == n:
                break
            if c["credential_id"] not in self.used:
                self.used.add(c["credential_id"])
                out.append(c)
        return out


def build_plan(credentials: Sequence[dict], partners: Mapping, *, per_route: int = 3,
               now: dt.datetime | None = None) -> Plan:
    """Reference events, revocations and requests for `credentials` (canonical CredentialIssued).

    Routes whose partner is not in `partners` are skipped; with few credentials, special cases
    that find no unused credential are skipped too.
    """
    plan = Plan()
    pick = _Picker(credentials)
    # special cases first, from the end of each list, so route requests keep plain credentials
    suspended = pick.take("GB", from_end=True)
    revoked = pick.take("DE", from_end=True)
    unregistered = pick.take("NL", from_end=True)
    waiting = pick.take("DE", from_end=True)
    unregistered_qids = {c["qualification"]["id"] for c in unregistered}

    # ---- registers: institutions, qualifications, accreditation ------------------------------
    issuers: dict[str, dict] = {}
    quals: dict[str, dict] = {}
    for c in credentials:
        issuers.setdefault(c["issuer"]["id"], c)
        quals.setdefault(c["qualification"]["id"], c)
    for iid in sorted(issuers):
        c = issuers[iid]
        cc = _cc(c)
        ctx = _ctx(f"example-register-{cc.lower()}", "public_body", cc, now)
        plan.reference.append({
            "header": ctx.header("InstitutionPublished", subject=iid, document_id="demo-institution-register",
                                 occurred_at=ACCREDITED_FROM),
            "institution": _org(c["issuer"], cc), "identifiers": [], "status": "Registered",
            "legal_nature": "public_body", "attributes": {}})
        plan.reference.append(_accreditation(ctx, c, "ACCREDITED", ACCREDITED_FROM, None,
                                             ACCREDITED_FROM - dt.timedelta(days=30), "2015"))
    for c in suspended:
        cc = _cc(c)
        start = c["awarded_on"] - dt.timedelta(days=45)
        plan.reference.append(_accreditation(_ctx(f"example-register-{cc.lower()}", "public_body", cc, now), c,
                                             "SUSPENDED", start, c["awarded_on"] + dt.timedelta(days=90),
                                             start, f"suspension-{start.isoformat()}"))
    for qid in sorted(quals):
        if qid in unregistered_qids:
            continue
        c = quals[qid]
        cc = _cc(c)
        q = dict(c["qualification"])
        q["levels"] = [lv for lv in q.get("levels") or [] if lv["framework"] == NATIONAL.get(cc)] or q.get("levels") or []
        ctx = _ctx(f"example-register-{cc.lower()}", "public_body", cc, now)
        plan.reference.append({
            "header": ctx.header("QualificationPublished", subject=qid, document_id="demo-qualification-register",
                                 occurred_at=ACCREDITED_FROM),
            "qualification": q, "status": "Registered", "valid_from": ACCREDITED_FROM, "valid_until": None,
            "description": None, "attributes": {}})

    # ---- revocation -------------------------------------------------------------------------
    for c in revoked:
        cc = _cc(c)
        ctx = _ctx("ob3-issuer", "private", cc, now)
        on = c["awarded_on"] + dt.timedelta(days=120)
        plan.revocations.append({
            "header": ctx.header("CredentialRevoked", subject=c["credential_id"], document_id=c["credential_id"],
                                 occurred_at=on, subject_jurisdiction=c["header"]["subject_jurisdiction"]),
            "credential_id": c["credential_id"], "revoked_on": on, "reason": "issued in error",
            "issuer": _org(c["issuer"], cc)})

    # ---- requests ---------------------------------------------------------------------------
    counter = iter(range(1, 10_000))

    def request(cred_id: str, subject_j: str, cc: str, target_j: str, target_fw, pid: str, case: str = ""):
        if pid not in partners:
            return None
        p = partners[pid]
        rid = f"demo-req-{next(counter):03d}"
        ctx = _ctx(pid, p.legal_nature, p.jurisdiction, now)
        ev = {"header": ctx.header("RecognitionRequested", subject=cred_id, document_id=rid,
                                   subject_jurisdiction=subject_j),
              "request_id": rid, "credential_id": cred_id, "target_jurisdiction": target_j,
              "target_framework": target_fw, "purpose": p.purposes[0], "requesting_partner": pid}
        return PlannedRequest(ev, f"{NATIONAL.get(cc, cc)} -> {target_fw or target_j}", case)

    def route_for(cc: str):
        return next((r for r in ROUTES if r[0] == cc and r[3] in partners), None)

    def add(target: list, item) -> None:
        if item is not None:
            target.append(item)

    for c in waiting:
        _, tj, tf, pid = route_for("DE") or (None, "GB", "UK-ENI-RQF", "uk-recognition-centre")
        add(plan.early, request(c["credential_id"], c["header"]["subject_jurisdiction"], "DE", tj, tf, pid,
                                "request sent before its credential (waited for it)"))
    never = "urn:uuid:" + str(uuid.uuid5(EVENT_ID_NAMESPACE, "demo|credential-never-issued"))
    add(plan.early, request(never, "DE", "DE", "GB", "UK-ENI-RQF", "uk-recognition-centre",
                            "credential never received (decided after the wait)"))
    for cc, tj, tf, pid in ROUTES:
        for c in pick.take(cc, per_route):
            add(plan.late, request(c["credential_id"], c["header"]["subject_jurisdiction"], cc, tj, tf, pid))
    for group, case in ((revoked, "revoked credential"), (suspended, "issuer suspended on the award date"),
                        (unregistered, "qualification not in any register")):
        for c in group:
            r = route_for(_cc(c))
            if r:
                add(plan.late, request(c["credential_id"], c["header"]["subject_jurisdiction"], r[0], r[1], r[2],
                                       r[3], case))
    return plan


def _accreditation(ctx: DecodeContext, cred: dict, status: str, start: dt.date, end, decided: dt.date,
                   tag: str) -> dict:
    cc = _cc(cred)
    iid = cred["issuer"]["id"]
    return {
        "header": ctx.header("AccreditationChanged", subject=f"{iid}|{tag}", document_id="demo-accreditation-register",
                             occurred_at=decided),
        "accreditation_id": f"demo-acc:{iid.rsplit('/', 1)[-1]}:{tag}", "accreditor": _qa(cc),
        "subject_type": "institution", "subject_id": iid, "institution": _org(cred["issuer"], cc),
        "qualification": None, "status": status, "valid_from": start, "valid_until": end,
        "decided_on": decided, "scope": "institutional accreditation (demo)"}
