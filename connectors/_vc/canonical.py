"""Complete canonical records (every field present, as fastavro decodes them).

The conformance kit compares an event with its Avro round-trip, so a mapping must emit every
field, defaults included. These builders keep that in one place for the VC connectors: each
names every field it knows, and `hub.sdk.events.with_record_defaults` adds, with its default,
any optional field the current schema has beyond those (one added later by someone else).
"""
from __future__ import annotations

import datetime as dt

from hub.sdk.events import header_at_millis, with_record_defaults


def learner(*, given_names=None, family_name=None, birth_date=None, national_ids=(), email=None,
            gender=None, citizenship=None) -> dict:
    return with_record_defaults("nqfhub.Learner", {
        "given_names": given_names, "family_name": family_name, "birth_date": birth_date,
        "national_ids": [dict(n) for n in national_ids], "email": email, "gender": gender,
        "citizenship": citizenship})


def org(id: str, name: str | None = None, jurisdiction: str | None = None) -> dict:
    return with_record_defaults("nqfhub.OrgRef", {"id": id, "name": name, "jurisdiction": jurisdiction})


def credits(value, system: str) -> dict:
    return with_record_defaults("nqfhub.Credits", {"value": float(value), "system": system})


def qualification(id: str, *, title=None, levels=(), credits=None, field_of_study=None,
                  awarding_body=None, qualification_type=None) -> dict:
    return with_record_defaults("nqfhub.QualificationRef", {
        "id": id, "title": title, "levels": [dict(x) for x in levels], "credits": credits,
        "field_of_study": field_of_study, "awarding_body": awarding_body,
        "qualification_type": qualification_type})


def credential_issued(header: dict, *, credential_id: str, learner: dict, qualification: dict,
                      issuer: dict, awarded_on: dt.date, valid_until=None, grade=None,
                      grading_scheme=None, credits_earned=None, parts=(), documents=(),
                      status_ref=None, bundle_id=None) -> dict:
    return with_record_defaults("nqfhub.events.CredentialIssued", {
        "header": header_at_millis(header), "credential_id": credential_id, "learner": learner,
        "qualification": qualification, "issuer": issuer, "awarded_on": awarded_on,
        "valid_until": valid_until, "grade": grade, "grading_scheme": grading_scheme,
        "credits_earned": credits_earned, "parts": list(parts), "documents": list(documents),
        "status_ref": status_ref, "bundle_id": bundle_id})


def part(id: str, *, parent_id=None, title=None, part_type=None, credits=None, levels=(),
         grade=None, status=None, completed_on=None, field_of_study=None) -> dict:
    return with_record_defaults("nqfhub.AchievementPart", {
        "id": id, "parent_id": parent_id, "title": title, "part_type": part_type,
        "credits": credits, "levels": [dict(x) for x in levels], "grade": grade,
        "status": status, "completed_on": completed_on, "field_of_study": field_of_study})


def qualification_published(header: dict, *, qualification: dict, status=None, valid_from=None,
                            valid_until=None, description=None, attributes=None) -> dict:
    return with_record_defaults("nqfhub.events.QualificationPublished", {
        "header": header_at_millis(header), "qualification": qualification, "status": status,
        "valid_from": valid_from, "valid_until": valid_until, "description": description,
        "attributes": dict(attributes or {})})
