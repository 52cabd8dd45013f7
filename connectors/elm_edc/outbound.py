"""`ElmOutbound`: canonical CredentialIssued -> European Digital Credential (ELM v3 JSON-LD).

The outbound worker calls `encode(event)` once per (minimised) event. The output follows the EBSI
VCDM 2.0 EDC JSON Schema (tested against the official schema, `$ref`s resolved locally) and is
unsigned: the hub re-expresses the issuer's data and cannot seal it as the issuer (no `proof`).
Required EDC display data is generated: an SVG card with the title and the issuer, nothing
personal. Pure and thread-safe.
"""
from __future__ import annotations

import base64
import datetime as dt
from html import escape
from typing import ClassVar
from urllib.parse import quote

from connectors._vc.outbound import CredentialEncoder
from connectors.elm_edc.mapping import ECTS_CONCEPT, EQF_PREFIX, ISCED_PREFIX, QDR_PREFIX
from connectors.openbadges3.outbound import as_uri
from hub.sdk.countries import authority_uri

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "http://data.europa.eu/snb/model/context/edc-ap"]
TYPES = ["VerifiableCredential", "VerifiableAttestation", "EuropeanDigitalCredential"]
#: EBSI Trusted Schemas Registry id of `@cef-ebsi/vcdm2.0-europass-edc-schema` 2.1.0.
EBSI_EDC_SCHEMA_ID = "0x4d40d34533797f62a8a03d7c4a4cd7827d289fadf1bfa582ec0ecfedbe55a6e0"
CREDENTIAL_SCHEMA = [
    {"id": "http://data.europa.eu/snb/model/ap/edc-generic-full", "type": "ShaclValidator2017"},
    {"id": f"https://api-pilot.ebsi.eu/trusted-schemas-registry/v3/schemas/{EBSI_EDC_SCHEMA_ID}",
     "type": "JsonSchema"},
]
ENG = {"id": "http://publications.europa.eu/resource/authority/language/ENG", "type": "Concept",
       "inScheme": {"id": "http://publications.europa.eu/resource/authority/language", "type": "ConceptScheme"},
       "prefLabel": {"en": ["English"]}, "notation": "language"}
GENERIC_PROFILE = {"id": "http://data.europa.eu/snb/credential/e34929035b", "type": "Concept",
                   "inScheme": {"id": "http://data.europa.eu/snb/credential/25831c2", "type": "ConceptScheme"},
                   "prefLabel": {"en": ["Generic"]}}
SVG_TYPE = {"id": "http://publications.europa.eu/resource/authority/file-type/SVG", "type": "Concept",
            "inScheme": {"id": "http://publications.europa.eu/resource/authority/file-type", "type": "ConceptScheme"},
            "prefLabel": {"en": ["SVG"]}, "notation": "file-type"}
BASE64 = {"id": "http://data.europa.eu/snb/encoding/6146cde7dd", "type": "Concept",
          "inScheme": {"id": "http://data.europa.eu/snb/encoding/25831c2", "type": "ConceptScheme"},
          "prefLabel": {"en": ["base64"]}}
HUMAN_SEX = "http://publications.europa.eu/resource/authority/human-sex/"


def lang(s: str) -> dict:
    return {"en": [s]}


def _ts(d: dt.date) -> str:
    return d.isoformat() + "T00:00:00Z"


def country(code: str | None) -> dict:
    uri = authority_uri(code) if code else None
    if uri is None:
        return {"type": "Concept", "prefLabel": lang("unknown")}
    return {"id": uri, "type": "Concept", "notation": "country",
            "inScheme": {"id": uri.rsplit("/", 1)[0], "type": "ConceptScheme"}}


def organisation(org: dict, fallback_country: str | None) -> dict:
    return {"id": as_uri(org["id"], "org"), "type": "Organisation",
            "legalName": lang(org.get("name") or org["id"]),
            "location": [{"type": "Location", "address": [
                {"type": "Address", "countryCode": country(org.get("jurisdiction") or fallback_country)}]}]}


def level_concepts(levels: list[dict]) -> tuple[dict | None, list[dict]]:
    eqf, nqf = None, []
    for lv in levels:
        if lv["framework"] == "EQF" and eqf is None:
            eqf = {"id": EQF_PREFIX + lv["code"], "type": "Concept", "prefLabel": lang(f"Level {lv['code']}")}
        elif lv["framework"] == "EU-QDR":
            nqf.append({"id": QDR_PREFIX + lv["code"], "type": "Concept"})
        elif lv["framework"] != "EQF":
            nqf.append({"id": f"urn:nqf-hub:level:{quote(lv['framework'], safe='')}:{quote(lv['code'], safe='')}",
                        "type": "Concept", "prefLabel": lang(f"{lv['framework']} level {lv['code']}"),
                        "notation": lv["code"]})
    return eqf, nqf


def credit_point(credits: dict) -> dict:
    v = credits["value"]
    fw = {"id": ECTS_CONCEPT, "type": "Concept", "prefLabel": lang("European Credit Transfer System")} \
        if credits["system"] == "ECTS" else {"type": "Concept", "prefLabel": lang(credits["system"])}
    return {"type": "CreditPoint", "framework": fw, "point": str(int(v)) if float(v).is_integer() else str(v)}


def specification(q: dict, kind: str, spec_id: str | None) -> dict:
    spec: dict = {"type": kind, "title": lang(q.get("title") or q.get("id") or "untitled")}
    if spec_id:
        spec["id"] = spec_id
    eqf, nqf = level_concepts(q.get("levels") or [])
    if eqf:
        spec["eqfLevel"] = eqf
    if nqf:
        spec["nqfLevel"] = nqf
    if q.get("credits"):
        spec["creditPoint"] = [credit_point(q["credits"])]
    if q.get("field_of_study"):
        spec["thematicArea"] = [{"id": ISCED_PREFIX + q["field_of_study"], "type": "Concept"}]
    if kind == "Qualification" and q.get("qualification_type"):
        spec["dcType"] = [{"type": "Concept", "prefLabel": lang(q["qualification_type"])}]
    return spec


def display_card(title: str, issuer: str) -> str:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="842" height="595"><rect width="842" height="595" '
           'fill="#fff" stroke="#034ea2" stroke-width="8"/><text x="421" y="260" font-size="32" '
           f'text-anchor="middle" font-family="sans-serif">{escape(title)}</text><text x="421" y="320" '
           f'font-size="20" text-anchor="middle" font-family="sans-serif">{escape(issuer)}</text></svg>')
    return base64.b64encode(svg.encode()).decode("ascii")


class ElmOutbound(CredentialEncoder):
    name: ClassVar[str] = "elm"
    media_type: ClassVar[str] = "application/ld+json"
    format_version: ClassVar[str] = "European Digital Credential, ELM v3 JSON-LD (EBSI VCDM 2.0 EDC schema 2.1.0), unsigned"
    event_types: ClassVar[tuple[str, ...]] = ("CredentialIssued",)

    def credential(self, ev: dict) -> dict:
        """The EDC as a dict (what `encode` serialises)."""
        q, learner = ev["qualification"], ev["learner"]
        cred_id = as_uri(ev["credential_id"], "credential")
        fallback = ev["header"]["source"]["jurisdiction"]
        issuer = organisation(ev["issuer"], fallback)
        body = organisation(q["awarding_body"], fallback) if q.get("awarding_body") else issuer
        title = q.get("title") or q["id"]
        awarding = {"type": "AwardingProcess", "awardingBody": [body], "awardingDate": _ts(ev["awarded_on"])}
        achievement: dict = {
            "id": f"{cred_id}#achievement", "type": "LearningAchievement", "title": lang(title),
            "awardedBy": awarding,
            "specifiedBy": specification(q, "Qualification", as_uri(q["id"], "qualification")),
        }
        if ev.get("grade") is not None:
            assessment = {"type": "LearningAssessment", "title": lang("Overall grade"),
                          "grade": {"type": "Note", "noteLiteral": lang(ev["grade"])},
                          "awardedBy": {"type": "AwardingProcess", "awardingBody": [body]}}
            if ev.get("grading_scheme"):
                assessment["specifiedBy"] = [{"type": "LearningAssessmentSpecification",
                                              "title": lang("Overall grade"),
                                              "gradingScheme": {"type": "GradingScheme",
                                                                "title": lang(ev["grading_scheme"])}}]
            achievement["provenBy"] = [assessment]
        if ev.get("credits_earned"):
            achievement["creditReceived"] = [credit_point(ev["credits_earned"])]
        parts = self._parts(ev.get("parts") or [], body, cred_id)
        if parts:
            achievement["hasPart"] = parts
        out: dict = {
            "@context": list(CONTEXT), "id": cred_id, "type": list(TYPES),
            "credentialSchema": [dict(s) for s in CREDENTIAL_SCHEMA],
            "credentialProfiles": [GENERIC_PROFILE],
            "displayParameter": {
                "type": "DisplayParameter", "title": lang(title), "language": [ENG], "primaryLanguage": ENG,
                "individualDisplay": [{"type": "IndividualDisplay", "language": ENG, "displayDetail": [{
                    "type": "DisplayDetail", "page": 1,
                    "image": {"type": "MediaObject", "contentType": SVG_TYPE, "contentEncoding": BASE64,
                              "content": display_card(title, ev["issuer"].get("name") or ev["issuer"]["id"])}}]}]},
            "issuer": issuer,
            "issued": _ts(ev["awarded_on"]),
            "validFrom": _ts(ev["awarded_on"]),
            "credentialSubject": self._person(learner, achievement),
        }
        if ev.get("valid_until"):
            out["validUntil"] = ev["valid_until"].isoformat() + "T23:59:59Z"
        if ev.get("status_ref"):
            out["credentialStatus"] = {"id": ev["status_ref"], "type": "CredentialStatus"}
        return out

    @staticmethod
    def _person(learner: dict, achievement: dict) -> dict:
        person: dict = {"type": "Person"}
        idents = []
        for nid in learner.get("national_ids") or []:
            scheme, value = nid["scheme"], nid["value"]
            if scheme in ("elm-subject-id", "ob3-subject-id") and "id" not in person and ":" in value:
                person["id"] = value
            elif scheme.startswith("national-id") and "nationalID" not in person:
                cc = scheme.split(":", 1)[1] if ":" in scheme else None
                person["nationalID"] = {"type": "LegalIdentifier", "notation": value, "spatial": country(cc)}
            else:
                name = scheme.split(":", 1)[1] if scheme.startswith("elm-identifier:") else scheme
                idents.append({"type": "Identifier", "notation": value, "schemeName": name})
        if idents:
            person["identifier"] = idents
        if learner.get("given_names"):
            person["givenName"] = lang(learner["given_names"])
        if learner.get("family_name"):
            person["familyName"] = lang(learner["family_name"])
        full = " ".join(n for n in (learner.get("given_names"), learner.get("family_name")) if n)
        if full:
            person["fullName"] = lang(full)
        if learner.get("birth_date"):
            person["dateOfBirth"] = _ts(learner["birth_date"])
        if learner.get("email"):
            person["contactPoint"] = [{"type": "ContactPoint",
                                       "emailAddress": [{"type": "Mailbox", "id": "mailto:" + learner["email"]}]}]
        if learner.get("citizenship") and authority_uri(learner["citizenship"]):
            person["citizenshipCountry"] = [country(learner["citizenship"])]
        if learner.get("gender") in ("FEMALE", "MALE", "NAP", "UNKNOWN"):
            person["gender"] = {"id": HUMAN_SEX + learner["gender"], "type": "Concept"}
        person["hasClaim"] = [achievement]
        return person

    @staticmethod
    def _parts(parts: list[dict], body: dict, cred_id: str) -> list[dict]:
        nodes: dict[str, dict] = {}
        for i, p in enumerate(parts):
            node: dict = {"id": as_uri(p["id"], "part"), "type": "LearningAchievement",
                          "title": lang(p.get("title") or p["id"]),
                          "awardedBy": {"type": "AwardingProcess", "awardingBody": [body]}}
            if p.get("completed_on"):
                node["awardedBy"]["awardingDate"] = _ts(p["completed_on"])
            if p.get("grade") is not None:
                node["provenBy"] = [{"type": "LearningAssessment", "title": lang("Grade"),
                                     "grade": {"type": "Note", "noteLiteral": lang(p["grade"])},
                                     "awardedBy": {"type": "AwardingProcess", "awardingBody": [body]}}]
            if p.get("credits"):
                node["creditReceived"] = [credit_point(p["credits"])]
            if p.get("levels") or p.get("field_of_study"):
                node["specifiedBy"] = specification(
                    {"title": p.get("title") or p["id"], "levels": p.get("levels"),
                     "field_of_study": p.get("field_of_study")}, "LearningAchievementSpecification", None)
            nodes[p["id"]] = node
        roots = []
        for p in parts:
            parent = nodes.get(p.get("parent_id") or "")
            if parent is not None and parent is not nodes[p["id"]]:
                parent.setdefault("hasPart", []).append(nodes[p["id"]])
            else:
                roots.append(nodes[p["id"]])
        return roots
