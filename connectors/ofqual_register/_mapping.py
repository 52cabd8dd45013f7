"""Ofqual Register records -> canonical events (mapping tables in README.md).

Records arrive with keys lower-cased (the API returns camelCase for single records and PascalCase
in list pages; both read the same). Each function returns complete events or raises
`FieldError(field, reason)`; reasons never quote values.
"""
from __future__ import annotations

import datetime as dt
import re

from hub.sdk.inbound import DecodeContext

JURISDICTION = "GB"
RQF = "UK-ENI-RQF"
CREDIT_SYSTEM = "UK-RQF"        # register TotalCredits: 1 credit = 10 hours of learning
REGULATORS = {
    "ofqual": {"id": "gb-regulator:ofqual", "name": "Ofqual", "jurisdiction": "GB-ENG"},
    "ccea": {"id": "gb-regulator:ccea", "name": "CCEA Regulation", "jurisdiction": "GB-NIR"},
}
_LEVEL = re.compile(r"^level\s+(\d)(?:\s*/\s*(?:level\s+)?(\d))?$", re.IGNORECASE)
_ENTRY = re.compile(r"^entry\s*(?:level\s*)?([1-3])$", re.IGNORECASE)
_RN = re.compile(r"^(?:RN)?(\d+)$", re.IGNORECASE)


#: Register fields read by the mapping (README "mapping" tables) and fields deliberately dropped;
#: a test checks that every field of the register API models is in one of them.
QUALIFICATION_FIELDS = {
    "QualificationNumber", "QualificationNumberNoObliques", "Title", "Status", "OrganisationName",
    "OrganisationAcronym", "OrganisationRecognitionNumber", "Type", "SSA", "SSACode", "Level",
    "SubLevel", "EQFLevel", "GradingType", "GradingScale", "TotalCredits", "TQT", "GLH",
    "MinimumGLH", "MaximumGLH", "RegulationStartDate", "OperationalStartDate",
    "OperationalEndDate", "CertificationEndDate", "ReviewDate", "EmbargoDate", "OfferedInEngland",
    "OfferedInNorthernIreland", "OfferedInternationally", "Specialism", "Pathways",
    "AssessmentMethods", "ApprovedForDELFundedProgramme", "LinkToSpecification",
    "ApprenticeshipStandardReferenceNumber", "ApprenticeshipStandardTitle",
    "RegulatedByNorthernIreland", "NIDiscountCode", "GCESizeEquivalence", "GCSESizeEquivalence",
    "EntitlementFrameworkDesignation", "LastUpdatedDate", "Version", "AppearsOnPublicRegister",
    "PreSixteen", "SixteenToEighteen", "EighteenPlus", "NineteenPlus",
    "IntentionToSeekFundingInEngland",
}
QUALIFICATION_DROPPED = {   # internal database keys and back-office timestamps
    "OrganisationId", "LevelId", "TypeId", "SSAId", "GradingTypeId", "GradingScaleId",
    "UILastUpdatedDate", "InsertedDate",
}
ORGANISATION_FIELDS = {
    "Name", "RecognitionNumber", "LegalName", "Acronym", "OfqualOrganisationStatus",
    "CceaOrganisationStatus", "OfqualRecognisedOn", "OfqualRecognisedTo", "OfqualSurrenderedOn",
    "OfqualWithdrawnOn", "CceaRecognisedOn", "CceaRecognisedTo", "CceaSurrenderedOn",
    "CceaWithdrawnOn", "Website", "PhoneNumber", "FeesUrl", "AddressLine1", "AddressLine2",
    "AddressCity", "AddressCounty", "AddressCountry", "AddressPostCode", "LastUpdatedDate",
    "CanonicalUrl", "Ukprn",
}
ORGANISATION_DROPPED = {"ContactEmail"}   # may name a person; InstitutionPublished has no category for it


class FieldError(Exception):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field, self.reason = field, reason


# ---- value readers ---------------------------------------------------------------------------
def text(r: dict, key: str, *, required: bool = False) -> str | None:
    v = r.get(key.lower())
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise FieldError(key, "is required")
        return None
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise FieldError(key, "must be a string")
    return str(v).strip()


def number(r: dict, key: str) -> float | int | None:
    v = r.get(key.lower())
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise FieldError(key, "must be a number")
    return v


def flag(r: dict, key: str) -> bool | None:
    v = r.get(key.lower())
    if v is None or isinstance(v, bool):
        return v
    raise FieldError(key, "must be true, false or null")


def when(r: dict, key: str) -> dt.datetime | None:
    v = r.get(key.lower())
    if v is None or v == "":
        return None
    if not isinstance(v, str):
        raise FieldError(key, "must be an ISO 8601 date-time string")
    try:
        t = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(key, "is not an ISO 8601 date-time") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def day(r: dict, key: str) -> dt.date | None:
    t = when(r, key)
    return t.date() if t else None


def recognition_number(v: str, field: str) -> str:
    m = _RN.match(v)
    if m:
        return f"RN{m.group(1)}"
    if re.fullmatch(r"[A-Za-z0-9]+", v):
        return v.upper()
    raise FieldError(field, "is not a recognition number (RN followed by digits)")


def rqf_levels(level: str | None, sub_level: str | None) -> list[dict]:
    """'Level 3' -> [3]; 'Level 1/2' -> [1, 2]; 'Entry Level' + sub level 'Entry 3' -> [Entry 3].
    'Entry Level' without a sub level and 'Not applicable' give no level (kept as attributes)."""
    if not level:
        return []
    lv = level.strip()
    m = _LEVEL.match(lv)
    if m:
        codes = [c for c in m.groups() if c]
        for c in codes:
            if not 1 <= int(c) <= 8:
                raise FieldError("Level", "is not an RQF level (Entry 1-3, Level 1-8)")
        return [{"framework": RQF, "code": c} for c in codes]
    if lv.lower().startswith("entry"):
        sm = _ENTRY.match((sub_level or "").strip())
        return [{"framework": RQF, "code": f"Entry {sm.group(1)}"}] if sm else []
    if lv.lower() in ("not applicable", "n/a", "none", "unknown"):
        return []
    raise FieldError("Level", "is not an RQF level (Entry 1-3, Level 1-8)")


def eqf_level(v: str | None) -> list[dict]:
    if not v or v.strip().lower() in ("none", "not applicable", "n/a"):
        return []
    m = re.fullmatch(r"(?:level\s*)?([1-8])", v.strip(), re.IGNORECASE)
    if not m:
        raise FieldError("EQFLevel", "is not an EQF level (1-8)")
    return [{"framework": "EQF", "code": m.group(1)}]


def _attrs(pairs) -> dict:
    out = {}
    for k, v in pairs:
        if v is None or v == "":
            continue
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, (dt.date, dt.datetime)):
            v = v.isoformat()
        elif isinstance(v, float) and v.is_integer():
            v = str(int(v))
        out[k] = str(v)
    return out


def _org(rn: str, name: str | None) -> dict:
    return {"id": f"ofqual-org:{rn}", "name": name, "jurisdiction": JURISDICTION}


# ---- qualification ---------------------------------------------------------------------------
def qualification_published(r: dict, ctx: DecodeContext, doc: str, ref: str) -> dict:
    qn = text(r, "QualificationNumber", required=True)
    if not re.fullmatch(r"\d{3}/\d{4}/[0-9A-Za-z]", qn) and not re.fullmatch(r"\d{7}[0-9A-Za-z]", qn):
        raise FieldError("QualificationNumber", "is not a qualification number (NNN/NNNN/N)")
    if "/" not in qn:
        qn = f"{qn[:3]}/{qn[3:7]}/{qn[7]}"
    title = text(r, "Title", required=True)
    level, sub = text(r, "Level"), text(r, "SubLevel")
    levels = rqf_levels(level, sub) + eqf_level(text(r, "EQFLevel"))
    credits = number(r, "TotalCredits")
    rn = text(r, "OrganisationRecognitionNumber")
    body = _org(recognition_number(rn, "OrganisationRecognitionNumber"), text(r, "OrganisationName")) if rn else None
    methods = r.get("assessmentmethods")
    if isinstance(methods, list):
        if not all(isinstance(m, str) for m in methods):
            raise FieldError("AssessmentMethods", "must be a list of strings")
        methods = "; ".join(methods)
    elif methods is not None and not isinstance(methods, str):
        raise FieldError("AssessmentMethods", "must be a string or a list of strings")
    updated = when(r, "LastUpdatedDate")
    start = day(r, "OperationalStartDate")
    attributes = _attrs([
        ("qualification_number_no_obliques", qn.replace("/", "")),
        ("level", level), ("sub_level", None if (sub or "").lower() == "none" else sub),
        ("eqf_level", text(r, "EQFLevel")),
        ("glh", number(r, "GLH")), ("tqt", number(r, "TQT")),
        ("minimum_glh", number(r, "MinimumGLH")), ("maximum_glh", number(r, "MaximumGLH")),
        ("total_credits", credits), ("grading_type", text(r, "GradingType")),
        ("grading_scale", text(r, "GradingScale")), ("ssa", text(r, "SSA")),
        ("ssa_code", text(r, "SSACode")), ("organisation_acronym", text(r, "OrganisationAcronym")),
        ("regulation_start", day(r, "RegulationStartDate")),
        ("last_enrolment", day(r, "OperationalEndDate")),
        ("certification_end", day(r, "CertificationEndDate")),
        ("review_date", day(r, "ReviewDate")), ("embargo_date", day(r, "EmbargoDate")),
        ("offered_in_england", flag(r, "OfferedInEngland")),
        ("offered_in_northern_ireland", flag(r, "OfferedInNorthernIreland")),
        ("offered_internationally", flag(r, "OfferedInternationally")),
        ("regulated_by_northern_ireland", flag(r, "RegulatedByNorthernIreland")),
        ("specialism", text(r, "Specialism")), ("pathways", text(r, "Pathways")),
        ("assessment_methods", methods),
        ("approved_for_del_funded_programme", flag(r, "ApprovedForDELFundedProgramme")),
        ("link_to_specification", text(r, "LinkToSpecification")),
        ("apprenticeship_standard_reference", text(r, "ApprenticeshipStandardReferenceNumber")),
        ("apprenticeship_standard_title", text(r, "ApprenticeshipStandardTitle")),
        ("ni_discount_code", text(r, "NIDiscountCode")),
        ("gce_size_equivalence", number(r, "GCESizeEquivalence")),
        ("gcse_size_equivalence", number(r, "GCSESizeEquivalence")),
        ("entitlement_framework_designation", text(r, "EntitlementFrameworkDesignation")),
        ("last_updated", updated),
        ("version", number(r, "Version")),
        ("appears_on_public_register", flag(r, "AppearsOnPublicRegister")),
        ("pre_sixteen", flag(r, "PreSixteen")), ("sixteen_to_eighteen", flag(r, "SixteenToEighteen")),
        ("eighteen_plus", flag(r, "EighteenPlus")), ("nineteen_plus", flag(r, "NineteenPlus")),
        ("intention_to_seek_funding_in_england", flag(r, "IntentionToSeekFundingInEngland")),
    ])
    qid = f"ofqual-qual:{qn}"
    return {
        "header": ctx.header("QualificationPublished", subject=qid, document_id=doc, record_ref=ref,
                             occurred_at=updated or start or day(r, "RegulationStartDate")),
        "qualification": {
            "id": qid, "title": title, "levels": levels,
            "credits": {"value": float(credits), "system": CREDIT_SYSTEM} if credits else None,
            "field_of_study": None, "awarding_body": body, "qualification_type": text(r, "Type"),
        },
        "status": text(r, "Status"),
        "valid_from": start,
        "valid_until": day(r, "CertificationEndDate"),
        "description": None,
        "attributes": attributes,
    }


# ---- organisation ----------------------------------------------------------------------------
def organisation_events(r: dict, ctx: DecodeContext, doc: str, ref: str) -> list[dict]:
    rn = recognition_number(text(r, "RecognitionNumber", required=True), "RecognitionNumber")
    name = text(r, "Name", required=True)
    updated = when(r, "LastUpdatedDate")
    dates = {k: day(r, k) for k in (
        "OfqualRecognisedOn", "OfqualRecognisedTo", "OfqualSurrenderedOn", "OfqualWithdrawnOn",
        "CceaRecognisedOn", "CceaRecognisedTo", "CceaSurrenderedOn", "CceaWithdrawnOn")}
    address = ", ".join(x for x in (text(r, k) for k in (
        "AddressLine1", "AddressLine2", "AddressCity", "AddressCounty", "AddressPostCode",
        "AddressCountry")) if x)
    idents = [{"scheme": "ofqual-rn", "value": rn}]
    ukprn = text(r, "Ukprn")
    if ukprn:
        if not re.fullmatch(r"1\d{7}", ukprn):
            raise FieldError("Ukprn", "is not a UKPRN (8 digits starting with 1)")
        idents.append({"scheme": "ukprn", "value": ukprn})
    status = text(r, "OfqualOrganisationStatus") or text(r, "CceaOrganisationStatus")
    org = _org(rn, name)
    events = [{
        "header": ctx.header("InstitutionPublished", subject=org["id"], document_id=doc,
                             record_ref=ref, occurred_at=updated),
        "institution": org,
        "identifiers": idents,
        "status": status,
        "legal_nature": None,
        "attributes": _attrs([
            ("legal_name", text(r, "LegalName")), ("acronym", text(r, "Acronym")),
            ("ofqual_status", text(r, "OfqualOrganisationStatus")),
            ("ccea_status", text(r, "CceaOrganisationStatus")),
            *((_snake(k), v) for k, v in dates.items()),
            ("website", text(r, "Website")), ("fees_url", text(r, "FeesUrl")),
            ("phone", text(r, "PhoneNumber")), ("address", address),
            ("canonical_url", text(r, "CanonicalUrl")), ("last_updated", updated),
        ]),
    }]
    for reg, prefix in (("ofqual", "Ofqual"), ("ccea", "Ccea")):
        start = dates[f"{prefix}RecognisedOn"]
        if start is None:
            continue
        ended = dates[f"{prefix}WithdrawnOn"] or dates[f"{prefix}SurrenderedOn"]
        events.append({
            "header": ctx.header("AccreditationChanged", subject=org["id"], document_id=doc,
                                 record_ref=f"{ref} {reg}", occurred_at=updated or start),
            "accreditation_id": f"{reg}-recognition:{rn}",
            "accreditor": dict(REGULATORS[reg]),
            "subject_type": "institution",
            "subject_id": org["id"],
            "institution": dict(org),
            "qualification": None,
            "status": "WITHDRAWN" if ended else "ACCREDITED",
            "valid_from": start,
            "valid_until": ended or dates[f"{prefix}RecognisedTo"],
            "decided_on": ended or start,
            "scope": "recognition as an awarding organisation in "
                     + ("England" if reg == "ofqual" else "Northern Ireland")
                     + ("; surrendered" if dates[f"{prefix}SurrenderedOn"] else "")
                     + ("; withdrawn" if dates[f"{prefix}WithdrawnOn"] else ""),
        })
    return events


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
