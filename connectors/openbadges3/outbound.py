"""`OpenBadges3Outbound`: canonical CredentialIssued -> unsigned OpenBadgeCredential JSON.

The outbound worker calls `encode(event)` once per event already minimised for the partner; the
result is valid against the official 1EdTech OB 3.0 AchievementCredential JSON Schema (tested).
No proof is added: the hub re-expresses the issuer's data and cannot sign in its name; a partner
that needs proof verifies the original credential (`status_ref`, issuer) or the hub's signed
recognition records. Fields the minimiser removed are simply absent. Pure and thread-safe.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar
from urllib.parse import quote

from connectors._vc.outbound import CredentialEncoder

OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
ACHIEVEMENT_TYPES = {
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
    "Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification",
    "CommunityService", "Competency", "Course", "CoCurricular", "Degree", "Diploma",
    "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment", "JourneymanCertificate",
    "LearningProgram", "License", "Membership", "ProfessionalDoctorate",
    "QualityAssuranceCredential", "MasterCertificate", "MasterDegree", "MicroCredential",
    "ResearchDoctorate", "SecondarySchoolDiploma"}
IDENTITY_TYPES = {
    "name", "sourcedId", "systemId", "productId", "userName", "accountId", "emailAddress",
    "nationalIdentityNumber", "isbn", "issn", "lisSourcedId", "oneRosterSourcedId", "sisSourcedId",
    "ltiContextId", "ltiDeploymentId", "ltiToolId", "ltiPlatformId", "ltiUserId", "identifier"}
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_EXT_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def as_uri(value: str, kind: str) -> str:
    """`value` if it is already a URI (scheme-qualified ids are), else a hub URN for it."""
    return value if _URI.match(value) else f"urn:nqf-hub:{kind}:{quote(value, safe='')}"


def ext(value: str) -> str:
    """An OB3 extension term: 'ext:' + the value with only the allowed characters."""
    return "ext:" + (_EXT_CHARS.sub("", value.title() if " " in value else value) or "Other")


def _ts(d: dt.date, end_of_day: bool = False) -> str:
    return d.isoformat() + ("T23:59:59Z" if end_of_day else "T00:00:00Z")


def profile(org: dict) -> dict:
    out = {"id": as_uri(org["id"], "org"), "type": ["Profile"]}
    if org.get("name"):
        out["name"] = org["name"]
    if org.get("jurisdiction"):
        out["address"] = {"type": ["Address"], "addressCountryCode": org["jurisdiction"].split("-")[0]}
        if "-" in org["jurisdiction"]:
            out["address"]["addressRegion"] = org["jurisdiction"]
    return out


def alignment(level: dict) -> dict:
    fw, code = level["framework"], level["code"]
    if fw == "EQF":
        return {"type": ["Alignment"], "targetType": "ext:EQF", "targetCode": code,
                "targetName": f"EQF level {code}", "targetFramework": "European Qualifications Framework",
                "targetUrl": f"http://data.europa.eu/snb/eqf/{quote(code)}"}
    return {"type": ["Alignment"], "targetType": "ext:NQF", "targetCode": code,
            "targetName": f"{fw} level {code}", "targetFramework": fw,
            "targetUrl": f"urn:nqf-hub:level:{quote(fw, safe='')}:{quote(code, safe='')}"}


def identifiers(learner: dict) -> tuple[str | None, list[dict]]:
    """(credentialSubject.id, identifier[]) from a canonical Learner; inverse of the inbound map."""
    subject_id, out = None, []

    def ident(itype, value, hashed=False, salt=None):
        o = {"type": "IdentityObject", "identityHash": value,
             "identityType": itype if itype in IDENTITY_TYPES or itype.startswith("ext:") else ext(itype),
             "hashed": hashed}
        if salt:
            o["salt"] = salt
        out.append(o)

    names = " ".join(n for n in (learner.get("given_names"), learner.get("family_name")) if n)
    if names:
        ident("name", names)
    if learner.get("email"):
        ident("emailAddress", learner["email"])
    if learner.get("birth_date"):
        ident("ext:dateOfBirth", learner["birth_date"].isoformat())
    for nid in learner.get("national_ids") or []:
        scheme, value = nid["scheme"], nid["value"]
        if scheme == "ob3-subject-id" and subject_id is None:
            subject_id = value
        elif scheme.startswith("ob3-hash:"):
            parts = value.split("$", 2)          # alg$hexdigest[$salt], as the inbound stores it
            salt = parts[2] if len(parts) == 3 else None
            ident(scheme.split(":", 1)[1], "$".join(parts[:2]), hashed=True, salt=salt)
        elif scheme.startswith("ob3-identity:"):
            ident(scheme.split(":", 1)[1], value)
        else:
            ident(ext(scheme), value)
    return subject_id, out


class OpenBadges3Outbound(CredentialEncoder):
    name: ClassVar[str] = "openbadges3"
    media_type: ClassVar[str] = "application/vc+ld+json"
    format_version: ClassVar[str] = "Open Badges 3.0 OpenBadgeCredential (VC Data Model 2.0), unsigned"
    event_types: ClassVar[tuple[str, ...]] = ("CredentialIssued",)

    def credential(self, ev: dict) -> dict:
        """The OpenBadgeCredential as a dict (what `encode` serialises)."""
        q, learner = ev["qualification"], ev["learner"]
        cred_id = as_uri(ev["credential_id"], "credential")
        ach_id = as_uri(q["id"], "qualification")
        title = q.get("title") or q["id"]
        achievement: dict = {
            "id": ach_id, "type": ["Achievement"], "name": title,
            "description": f"{title} ({q['qualification_type']})" if q.get("qualification_type") else title,
            "criteria": {"narrative": "Awarded according to the awarding body's requirements for this qualification."},
        }
        if q.get("qualification_type"):
            t = q["qualification_type"]
            achievement["achievementType"] = t if t in ACHIEVEMENT_TYPES or t.startswith("ext:") else ext(t)
        if q.get("levels"):
            achievement["alignment"] = [alignment(lv) for lv in q["levels"]]
        if q.get("credits"):
            achievement["creditsAvailable"] = q["credits"]["value"]
            if q["credits"]["system"] == "ECTS":
                achievement["ECTS"] = q["credits"]["value"]      # eduBadges profile convention
        if q.get("field_of_study"):
            achievement["fieldOfStudy"] = q["field_of_study"]
        if q.get("awarding_body"):
            achievement["creator"] = profile(q["awarding_body"])
        subject_id, idents = identifiers(learner)
        subject: dict = {"type": ["AchievementSubject"], "achievement": achievement}
        if subject_id:
            subject["id"] = subject_id
        if idents:
            subject["identifier"] = idents
        if ev.get("grade") is not None:
            result = {"type": ["Result"], "value": ev["grade"]}
            if ev.get("grading_scheme"):
                rd_id = f"{ach_id}#grading-scheme" if not ach_id.startswith("urn:") else ach_id + ":grading-scheme"
                achievement["resultDescription"] = [{"id": rd_id, "type": ["ResultDescription"],
                                                     "name": ev["grading_scheme"], "resultType": "Result"}]
                result["resultDescription"] = rd_id
            subject["result"] = [result]
        if ev.get("credits_earned"):
            subject["creditsEarned"] = ev["credits_earned"]["value"]
        out: dict = {
            "@context": list(OB3_CONTEXT),
            "id": cred_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": title,
            "issuer": profile(ev["issuer"]),
            "validFrom": _ts(ev["awarded_on"]),
            "awardedDate": _ts(ev["awarded_on"]),
            "credentialSubject": subject,
        }
        if ev.get("valid_until"):
            out["validUntil"] = _ts(ev["valid_until"], end_of_day=True)
        if ev.get("status_ref"):
            out["credentialStatus"] = {"id": ev["status_ref"], "type": "1EdTechRevocationList"}
        return out
