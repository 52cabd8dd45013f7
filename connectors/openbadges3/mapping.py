"""Open Badges 3.0 credential (already schema-checked) -> canonical CredentialIssued.

Called by `OpenBadges3Inbound` for every record and by the CLR 2.0 connector for every embedded
AchievementCredential. `to_credential_issued` either returns a complete event dict or raises
`FieldProblem(field, reason)`; the reason never contains the value. The mapping table, and what
is dropped and why, is in README.md beside this file.
"""
from __future__ import annotations

import re

from connectors._vc import canonical as c
from connectors._vc.values import ValueProblem, country, isced_f, local_date, timestamp
from hub.sdk.inbound import DecodeContext

EVENT_TYPE = "CredentialIssued"
_EQF_URL = re.compile(r"data\.europa\.eu/snb/eqf/(\d+)\b")
_EQF_NAMES = {"EQF", "EUROPEAN QUALIFICATIONS FRAMEWORK"}
#: a framework code as mappings/levels/ names them: ZA-NQF, DE-DQR, UK-ENI-RQF, IN-NCrF ...
_FRAMEWORK_CODE = re.compile(r"^[A-Z]{2,3}(-[A-Za-z0-9]+)+$")
_SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_NQF_TYPES = {"ext:nqf", "ext:qualificationframework", "ext:level"}


class FieldProblem(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _read(fn, value, field: str):
    try:
        return fn(value)
    except ValueProblem as e:
        raise FieldProblem(field, str(e)) from None


def issuer_org(issuer, field: str = "issuer") -> dict:
    """OrgRef from an OB3 ProfileRef (a URI string or a Profile object)."""
    if isinstance(issuer, str):
        return c.org(issuer)
    addr = issuer.get("address") or {}
    juris = _read(country, addr.get("addressCountryCode"), f"{field}.address.addressCountryCode")
    region = str(addr.get("addressRegion") or "").strip().upper()
    if juris and len(juris) == 2 and _SUBDIVISION.match(region) and region.startswith(juris + "-"):
        juris = region          # an ISO 3166-2 subdivision such as GB-SCT (its own privacy regime)
    return c.org(issuer["id"], issuer.get("name"), juris)


def level_ref(al: dict, field: str) -> dict | None:
    """A LevelRef for an EQF or NQF alignment, None for other alignments (skills, CASE items)."""
    ttype = str(al.get("targetType") or "").lower()
    fw = str(al.get("targetFramework") or "").strip()
    code = al.get("targetCode")
    m = _EQF_URL.search(str(al.get("targetUrl") or ""))
    if ttype == "ext:eqf" or fw.upper() in _EQF_NAMES or m:
        code = code if code is not None else (m.group(1) if m else None)
        if code is None or str(code).strip() not in {str(i) for i in range(1, 9)}:
            raise FieldProblem(f"{field}.targetCode", "is not an EQF level (1 to 8)")
        return {"framework": "EQF", "code": str(code).strip()}
    if ttype in _NQF_TYPES and _FRAMEWORK_CODE.match(fw) and code not in (None, ""):
        return {"framework": fw, "code": str(code).strip()}
    return None


def _credit_system(doc: dict, ctx: DecodeContext | None) -> str:
    schemas = doc.get("credentialSchema") or []
    if any("ects" in str(s.get("id", "")).lower() for s in schemas if isinstance(s, dict)):
        return "ECTS"
    return (ctx.options.get("credit_system") if ctx else None) or "unspecified"


def qualification_of(doc: dict, ach: dict, field: str, ctx: DecodeContext | None) -> dict:
    levels: list[dict] = []
    for i, al in enumerate(ach.get("alignment") or []):
        lv = level_ref(al, f"{field}.alignment[{i}]")
        if lv and lv not in levels:
            levels.append(lv)
    credits = None
    if ach.get("ECTS") is not None:
        credits = c.credits(ach["ECTS"], "ECTS")
    elif ach.get("creditsAvailable") is not None:
        credits = c.credits(ach["creditsAvailable"], _credit_system(doc, ctx))
    creator = ach.get("creator")
    return c.qualification(
        ach["id"], title=ach.get("name"), levels=levels, credits=credits,
        field_of_study=isced_f(ach.get("fieldOfStudy")),
        awarding_body=issuer_org(creator, f"{field}.creator") if isinstance(creator, dict) else None,
        qualification_type=ach.get("achievementType"))


def learner_of(cs: dict, field: str = "credentialSubject") -> dict:
    """Learner from an AchievementSubject.

    Plain identifiers keep their value: the first plain emailAddress becomes `email`, any other
    plain identifier becomes a national id `ob3-identity:<identityType>`. Hashed identifiers are
    never passed off as the raw value: they become `ob3-hash:<identityType>` with the value
    `alg$hexdigest` (plus `$salt` when salted, so a partner holding the raw value can match it).
    `credentialSubject.id` (a DID or URI) becomes `ob3-subject-id`.
    """
    ids: list[dict] = []
    email = cs.get("email")
    full_name = cs.get("name")
    birth_value, birth_field = cs.get("dateOfBirth"), f"{field}.dateOfBirth"
    if cs.get("id"):
        ids.append({"scheme": "ob3-subject-id", "value": cs["id"]})
    for i, ident in enumerate(cs.get("identifier") or []):
        itype, value = ident["identityType"], ident["identityHash"]
        if ident["hashed"]:
            salt = ident.get("salt")
            ids.append({"scheme": f"ob3-hash:{itype}", "value": f"{value}${salt}" if salt else value})
        elif itype == "emailAddress":
            email = email or value          # further plain e-mails are dropped (one email field)
        elif itype == "name":
            full_name = full_name or value
        elif itype == "ext:dateOfBirth":   # how the openbadges3 encoder carries a birth date
            if birth_value is None:
                birth_value, birth_field = value, f"{field}.identifier[{i}].identityHash"
        else:
            ids.append({"scheme": f"ob3-identity:{itype}", "value": value})
    given, family = cs.get("givenName"), cs.get("familyName")
    if given is None and family is None and full_name:
        family = full_name   # never split a full name; ICAO 9303 puts an unsplit name in the primary field
    birth = _read(local_date, birth_value, birth_field) if birth_value else None
    return c.learner(given_names=given, family_name=family, birth_date=birth, national_ids=ids,
                     email=email)


def grade_of(cs: dict, ach: dict) -> tuple[str | None, str | None]:
    """(grade, grading scheme): the first result with a value, and the name of its description."""
    names = {rd.get("id"): rd.get("name") for rd in ach.get("resultDescription") or []
             if isinstance(rd, dict)}
    for r in cs.get("result") or []:
        if r.get("value") is not None:
            return str(r["value"]), names.get(r.get("resultDescription"))
    return None, None


def issuer_country(doc: dict) -> str | None:
    iss = doc.get("issuer")
    if isinstance(iss, dict):
        return issuer_org(iss)["jurisdiction"]
    return None


def to_credential_issued(doc: dict, ctx: DecodeContext, *, document_id: str | None = None,
                         record_ref: str | None = None, bundle_id: str | None = None,
                         prefix: str = "") -> dict:
    """Map one OB3 credential. `prefix` is the JSON path of the credential inside its record
    (e.g. 'credentialSubject.verifiableCredential[2]' in a CLR) so errors point at the field."""
    p = (prefix + ".") if prefix else ""
    cs = doc["credentialSubject"]
    ach = cs["achievement"]
    issuer = issuer_org(doc["issuer"], f"{p}issuer")
    awarded_field = "awardedDate" if doc.get("awardedDate") else "validFrom"
    awarded_at = _read(timestamp, doc[awarded_field], p + awarded_field)
    awarded_on = _read(local_date, doc[awarded_field], p + awarded_field)
    valid_until = _read(local_date, doc["validUntil"], f"{p}validUntil") if doc.get("validUntil") else None
    grade, scheme = grade_of(cs, ach)
    qual = qualification_of(doc, ach, f"{p}credentialSubject.achievement", ctx)
    earned = None
    if cs.get("creditsEarned") is not None:
        system = qual["credits"]["system"] if qual["credits"] else _credit_system(doc, ctx)
        earned = c.credits(cs["creditsEarned"], system)
    status = doc.get("credentialStatus") or {}
    juris = issuer["jurisdiction"]
    header = ctx.header(EVENT_TYPE, subject=doc["id"], document_id=document_id or doc["id"],
                        record_ref=record_ref, occurred_at=awarded_at, jurisdiction=juris,
                        subject_jurisdiction=juris)
    return c.credential_issued(
        header, credential_id=doc["id"], learner=learner_of(cs, f"{p}credentialSubject"),
        qualification=qual, issuer=issuer, awarded_on=awarded_on, valid_until=valid_until,
        grade=grade, grading_scheme=scheme, credits_earned=earned, status_ref=status.get("id"),
        bundle_id=bundle_id)
