"""Canonical events from checked NLRD records (the mapping tables are in README.md).

Pure functions of a parsed record and the decode context; no I/O. Each function returns the
complete fastavro representation of one event (every schema field present).
"""
from __future__ import annotations

import datetime as dt
import uuid

from connectors.saqa_nlrd._lookups import (ACCREDITATION_STATUS, NO_ALTERNATE_ID, PROVIDER_CLASS,
                                           PROVIDER_TYPE, STRUCTURE_STATUS)
from connectors.saqa_nlrd._person_index import alternate_key, national_key
from hub.sdk.inbound import DecodeContext

JURISDICTION = "ZA"
RATINGS = (("seeing", "Seeing_Rating_Id"), ("hearing", "Hearing_Rating_Id"),
           ("communicating", "Communicating_Rating_Id"), ("walking", "Walking_Rating_Id"),
           ("remembering", "Remembering_Rating_Id"), ("selfcare", "Selfcare_Rating_Id"))
CREDENTIAL_NS = uuid.UUID("0b9c3f52-7a61-4d8e-9f0e-5c2d1a7b6e34")


def provider_id(code: str) -> str:
    return f"saqa-provider:{code}"


def qualification_id(qid: str) -> str:
    return f"saqa-qual:{qid}"


def _org(code: str, name: str | None = None) -> dict:
    return {"id": provider_id(code), "name": name or None, "jurisdiction": JURISDICTION}


def _qual(qid: str, *, prefix: str = "saqa-qual") -> dict:
    return {"id": f"{prefix}:{qid}", "title": None, "levels": [], "credits": None,
            "field_of_study": None, "awarding_body": None, "qualification_type": None}


def _iso(d) -> str:
    return d.isoformat() if isinstance(d, dt.date) else ""


# ---- File 21 ---------------------------------------------------------------------------------
def institution_published(r: dict, ctx: DecodeContext, doc: str, line: int) -> dict:
    attrs = {
        "etqa_id": r["Etqa_Id"],
        "provider_type": f"{r['Provider_Type_Id']} {PROVIDER_TYPE[r['Provider_Type_Id']]}",
        "provider_class": f"{r['Provider_Class_Id']} {PROVIDER_CLASS[r['Provider_Class_Id']]}",
        "structure_status": r["Structure_Status_Id"],
        "province_code": r["Province_Code"],
        "country_code": r["Country_Code"],
        "std_industry_class_code": r["Std_Industry_Class_Code"],
        "accreditation_number": r["Provider_Accreditation_Num"],
        "accreditation_start": _iso(r["Provider_Accredit_Start_Date"]),
        "accreditation_end": _iso(r["Provider_Accredit_End_Date"]),
        "etqa_decision_number": r["Etqa_Decision_Number"],
        "postal_address": ", ".join(x for x in (r["Provider_Address_1"], r["Provider_Address_2"],
                                                r["Provider_Address_3"], r["Provider_Postal_Code"]) if x),
        "physical_address": ", ".join(x for x in (r["Provider_Physical_Address_1"],
                                                  r["Provider_Physical_Address_2"],
                                                  r["Provider_Physical_Address_Town"],
                                                  r["Provider_Phys_Address_Postcode"]) if x),
        "phone": r["Provider_Phone_Number"],
        "website": r["Provider_Web_Address"],
        "date_stamp": _iso(r["Date_Stamp"]),
    }
    idents = [{"scheme": "saqa-provider-code", "value": r["Provider_Code"]},
              {"scheme": "saqa-etqa-id", "value": r["Etqa_Id"]}]
    if r["Provider_Sars_Number"]:
        idents.append({"scheme": "za-sars", "value": r["Provider_Sars_Number"]})
    klass = r["Provider_Class_Id"]
    legal = {"4": "public_body", "5": "private"}.get(klass, PROVIDER_CLASS[klass])
    subject = provider_id(r["Provider_Code"])
    return {
        "header": ctx.header("InstitutionPublished", subject=subject, document_id=doc,
                             record_ref=f"line {line}", occurred_at=r["Date_Stamp"]),
        "institution": _org(r["Provider_Code"], r["Provider_Name"]),
        "identifiers": idents,
        "status": STRUCTURE_STATUS[r["Structure_Status_Id"]],
        "legal_nature": legal,
        "attributes": {k: v for k, v in attrs.items() if v},
    }


# ---- File 24 ---------------------------------------------------------------------------------
def accreditation_changed(r: dict, ctx: DecodeContext, doc: str, line: int,
                          provider_names: dict[str, str]) -> dict:
    code, etqa = r["Provider_Code"], r["Provider_Etqa_Id"]
    if r["Qualification_Id"]:
        subject_type, qual = "qualification", _qual(r["Qualification_Id"])
    elif r["Unit_Standard_Id"]:
        subject_type, qual = "qualification", _qual(r["Unit_Standard_Id"], prefix="saqa-us")
    else:
        subject_type, qual = "programme", None
    subject_id = qual["id"] if qual else f"saqa-learnership:{r['Learnership_Id']}"
    scope = [f"{subject_type} {subject_id}"]
    if r["Provider_Accredit_Assessor_Ind"]:
        scope.append("assessment " + ("yes" if r["Provider_Accredit_Assessor_Ind"] == "Y" else "no"))
    if r["Etqa_Decision_Number"]:
        scope.append(f"ETQA decision {r['Etqa_Decision_Number']}")
    if r["Provider_Accreditation_Num"]:
        scope.append(f"accreditation number {r['Provider_Accreditation_Num']}")
    acc_id = f"saqa-accreditation:{etqa}:{code}:{subject_id}:{r['Provider_Accred_Start_Date'].isoformat()}"
    return {
        "header": ctx.header("AccreditationChanged", subject=provider_id(code), document_id=doc,
                             record_ref=f"line {line}", occurred_at=r["Date_Stamp"]),
        "accreditation_id": acc_id,
        "accreditor": {"id": f"saqa-etqa:{etqa}", "name": None, "jurisdiction": JURISDICTION},
        "subject_type": subject_type,
        "subject_id": subject_id,
        "institution": _org(code, provider_names.get(code)),
        "qualification": qual,
        "status": ACCREDITATION_STATUS.get(r["Provider_Accred_Status_Code"], "PENDING"),
        "valid_from": r["Provider_Accred_Start_Date"],
        "valid_until": r["Provider_Accred_End_Date"],
        "decided_on": None,
        "scope": "; ".join(scope),
    }


# ---- File 25: persons as stored in the index -------------------------------------------------
def person_keys(r: dict) -> list[str]:
    """Join keys of a File 25 or File 29 record (empty when it names no person)."""
    keys = []
    if r["National_Id"]:
        keys.append(national_key(r["National_Id"]))
    if r["Person_Alternate_Id"] and r["Alternative_Id_Type"] not in NO_ALTERNATE_ID:
        keys.append(alternate_key(r["Alternative_Id_Type"], r["Person_Alternate_Id"]))
    return keys


def person_fields(r: dict) -> list[str]:
    """The File 25 fields kept for the learner, in the order `learner_from_fields` reads them."""
    given = " ".join(x for x in (r["Person_First_Name"], r["Person_Middle_Name"]) if x)
    ratings = ",".join(f"{k}={r[f]}" for k, f in RATINGS if r[f])
    alt = r["Person_Alternate_Id"] if r["Alternative_Id_Type"] not in NO_ALTERNATE_ID else ""
    return [r["National_Id"], alt, r["Alternative_Id_Type"], given, r["Person_Last_Name"],
            r["Person_Birth_Date"].isoformat(), r["Person_Email_Address"], r["Gender_Code"],
            r["Nationality_Code"], r["Equity_Code"], r["Disability_Status_Code"],
            r["Home_Language_Code"], ratings]


def learner_from_fields(f: list[str]) -> dict:
    (national, alt, alt_type, given, family, birth, email, gender, nationality, equity,
     disability, language, ratings) = f
    ids = []
    if national:
        ids.append({"scheme": "za-id", "value": national})
    if alt:
        ids.append({"scheme": f"za-alt-{alt_type}", "value": alt})
    return {
        "given_names": given or None,
        "family_name": family or None,
        "birth_date": dt.date.fromisoformat(birth),
        "national_ids": ids,
        "email": email or None,
        "gender": gender or None,
        "citizenship": nationality or None,
        "ethnicity": equity or None,
        "disability": disability or None,
        "home_language": language or None,
        "functional_ratings": dict(x.split("=", 1) for x in ratings.split(",")) if ratings else None,
    }


# ---- File 29 ---------------------------------------------------------------------------------
def credential_id(r: dict) -> str:
    """Deterministic and free of personal data in clear: a UUIDv5 over the award's key fields."""
    key = "|".join((r["Provider_Etqa_Id"], r["Provider_Code"], r["Alternative_Id_Type"],
                    r["National_Id"], r["Person_Alternate_Id"], r["Qualification_Id"],
                    r["Learner_Achievement_Date"].isoformat()))
    return f"saqa-nlrd-award:{uuid.uuid5(CREDENTIAL_NS, key)}"


def credential_issued(r: dict, learner: dict, ctx: DecodeContext, doc: str, line: int,
                      provider_names: dict[str, str]) -> dict:
    cid = credential_id(r)
    honours = r["Honours_Classification"]
    return {
        "header": ctx.header("CredentialIssued", subject=cid, document_id=doc,
                             record_ref=f"line {line}", occurred_at=r["Learner_Achievement_Date"],
                             subject_jurisdiction=JURISDICTION),
        "credential_id": cid,
        "learner": learner,
        "qualification": _qual(r["Qualification_Id"]),
        "issuer": _org(r["Provider_Code"], provider_names.get(r["Provider_Code"])),
        "awarded_on": r["Learner_Achievement_Date"],
        "valid_until": None,
        "grade": honours or None,
        "grading_scheme": "NLRD Honours_Classification" if honours else None,
        "credits_earned": None,
        "parts": [],
        "documents": [],
        "status_ref": None,
        "bundle_id": None,
    }
