"""European Digital Credential (ELM v3 JSON-LD) -> canonical events.

Called by `ElmEdcInbound` for every credential that passed elm_credential.schema.json.
`to_events` returns the events of one credential (a QualificationPublished for each claim whose
`specifiedBy` is a `Qualification`, then one CredentialIssued per top-level LearningAchievement
claim, or per LearningActivity claim when the credential has no achievement, e.g. a certificate
of participation) or raises `FieldProblem(field, reason)` naming no value. The mapping table and
what is dropped is in README.md beside this file.
"""
from __future__ import annotations

import re

from connectors._vc import canonical as c
from connectors._vc.values import ValueProblem, local_date, text, timestamp
from connectors.openbadges3.mapping import FieldProblem
from hub.sdk.countries import alpha2_from_authority
from hub.sdk.inbound import DecodeContext

EQF_PREFIX = "http://data.europa.eu/snb/eqf/"
QDR_PREFIX = "http://data.europa.eu/snb/qdr/"
ISCED_PREFIX = "http://data.europa.eu/snb/isced-f/"
ECTS_CONCEPT = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
HUB_LEVEL = re.compile(r"^urn:nqf-hub:level:([^:]+):(.+)$")
LOCAL_ID = "urn:epass:"          # document-local ids of the EDC generator (not global identifiers)
MAX_PART_DEPTH = 8


def authority_country(uri_or_code) -> str | None:
    """An ELM country concept id -> alpha-2: EU authority URIs or codes, any case, an alpha-2 code
    as it is. The authority's codes outside ISO 3166-1 (e.g. `1A0` Kosovo) give None (unknown)."""
    return alpha2_from_authority(uri_or_code, lenient=True)


def many(v) -> list:
    return [] if v is None else (v if isinstance(v, list) else [v])


def _read(fn, value, field):
    try:
        return fn(value)
    except ValueProblem as e:
        raise FieldProblem(field, str(e)) from None


def _unquote(s: str) -> str:
    from urllib.parse import unquote
    return unquote(s)


def global_id(node: dict, cred_id: str, kind: str) -> str:
    """A node's id when it is global; document-local `urn:epass:` ids become `<credential>#<id>`,
    or a scheme-qualified registration/identifier when the node gives one."""
    nid = node.get("id") or ""
    if nid and not nid.startswith(LOCAL_ID):
        return nid
    for key in ("registration", "eIDASIdentifier", "eIDASΙdentifier", "vatIdentifier", "identifier"):
        for ident in many(node.get(key)):
            if isinstance(ident, dict) and ident.get("notation"):
                country = authority_country((ident.get("spatial") or {}).get("id"))
                scheme = {"registration": "registration", "vatIdentifier": "vat"}.get(key) or \
                    (text(ident.get("schemeName")) or "id")
                return f"elm-{kind}:{scheme}:{country + ':' if country else ''}{ident['notation']}"
    return f"{cred_id}#{nid}" if nid else cred_id + f"#{kind}"


def org_country(org: dict) -> str | None:
    for loc in many(org.get("location")):
        for addr in many(loc.get("address") if isinstance(loc, dict) else None):
            cc = authority_country(((addr or {}).get("countryCode") or {}).get("id"))
            if cc:
                return cc
    for key in ("registration", "eIDASIdentifier", "eIDASΙdentifier", "vatIdentifier"):
        for ident in many(org.get(key)):
            cc = authority_country(((ident or {}).get("spatial") or {}).get("id"))
            if cc:
                return cc
    return None


def org_ref(org, cred_id: str) -> dict:
    if isinstance(org, str):
        return c.org(org)
    name = text(org.get("legalName")) or text(org.get("altLabel")) or text(org.get("fullName"))
    return c.org(global_id(org, cred_id, "org"), name, org_country(org))


def levels_of(spec: dict) -> list[dict]:
    out = []
    eqf = spec.get("eqfLevel")
    for concept in many(eqf):
        cid = (concept or {}).get("id") or ""
        if cid.startswith(EQF_PREFIX) and cid[len(EQF_PREFIX):].isdigit():
            out.append({"framework": "EQF", "code": cid[len(EQF_PREFIX):]})
    for concept in many(spec.get("nqfLevel")):
        cid = (concept or {}).get("id") or ""
        m = HUB_LEVEL.match(cid)
        if m:
            out.append({"framework": _unquote(m.group(1)), "code": _unquote(m.group(2))})
        elif cid.startswith(QDR_PREFIX):
            out.append({"framework": "EU-QDR", "code": cid[len(QDR_PREFIX):]})
    return out


def credit_of(points, field: str) -> dict | None:
    for i, cp in enumerate(many(points)):
        fw = cp.get("framework") or {}
        label = text(fw.get("prefLabel")) or ""
        system = "ECTS" if fw.get("id") == ECTS_CONCEPT or "European Credit Transfer" in label \
            else (label or (fw.get("id") or "").rsplit("/", 1)[-1] or "unspecified")
        try:
            value = float(str(cp.get("point")).replace(",", "."))
        except ValueError:
            raise FieldProblem(f"{field}[{i}].point" if isinstance(points, list) else f"{field}.point",
                               "is not a number") from None
        return c.credits(value, system)
    return None


def field_of_study(spec: dict) -> str | None:
    for concept in many(spec.get("thematicArea")):
        cid = (concept or {}).get("id") or ""
        if cid.startswith(ISCED_PREFIX):
            return cid[len(ISCED_PREFIX):]
    return None


def grade_of(claim: dict) -> tuple[str | None, str | None]:
    for a in many(claim.get("provenBy")):
        g = text((a.get("grade") or {}).get("noteLiteral"))
        if g is not None:
            scheme = None
            for spec in many(a.get("specifiedBy")):
                scheme = text(((spec or {}).get("gradingScheme") or {}).get("title")) or scheme
            return g, scheme
    return None, None


def qualification_of(claim: dict, spec: dict, cred_id: str, awarding: dict | None, field: str) -> dict:
    qtype = None
    for concept in many(spec.get("dcType")):
        qtype = text((concept or {}).get("prefLabel")) or qtype
    return c.qualification(
        global_id(spec, cred_id, "qualification") if spec else global_id(claim, cred_id, "claim"),
        title=text(spec.get("title")) or text(claim.get("title")),
        levels=levels_of(spec), credits=credit_of(spec.get("creditPoint"), f"{field}.specifiedBy.creditPoint"),
        field_of_study=field_of_study(spec), awarding_body=awarding,
        qualification_type=qtype or spec.get("type") or claim.get("type"))


def parts_of(claim: dict, cred_id: str, parent: str, field: str, depth: int = 0) -> list[dict]:
    out: list[dict] = []
    if depth >= MAX_PART_DEPTH:
        return out
    for i, part in enumerate(many(claim.get("hasPart"))):
        if not isinstance(part, dict):
            continue
        spec = (many(part.get("specifiedBy")) or [{}])[0] or {}
        pid = global_id(part, cred_id, "part")
        grade, _ = grade_of(part)
        date = (part.get("awardedBy") or {}).get("awardingDate")
        out.append(c.part(pid, parent_id=parent, title=text(part.get("title")) or text(spec.get("title")),
                          part_type=part.get("type"), levels=levels_of(spec), grade=grade,
                          credits=credit_of(part.get("creditReceived"), f"{field}.hasPart[{i}].creditReceived")
                          or credit_of(spec.get("creditPoint"), f"{field}.hasPart[{i}].specifiedBy.creditPoint"),
                          completed_on=_read(local_date, date, f"{field}.hasPart[{i}].awardedBy.awardingDate") if date else None,
                          field_of_study=field_of_study(spec)))
        out += parts_of(part, cred_id, pid, f"{field}.hasPart[{i}]", depth + 1)
    return out


def learner_of(person: dict) -> dict:
    ids: list[dict] = []
    if person.get("id"):
        ids.append({"scheme": "elm-subject-id", "value": person["id"]})
    nat = person.get("nationalID")
    if isinstance(nat, dict) and nat.get("notation"):
        cc = authority_country((nat.get("spatial") or {}).get("id"))
        ids.append({"scheme": f"national-id:{cc}" if cc else "national-id", "value": str(nat["notation"])})
    for ident in many(person.get("identifier")):
        if isinstance(ident, dict) and ident.get("notation"):
            scheme = text(ident.get("schemeName")) or "identifier"
            ids.append({"scheme": f"elm-identifier:{scheme}", "value": str(ident["notation"])})
    email = None
    for cp in many(person.get("contactPoint")):
        for mb in many((cp or {}).get("emailAddress")):
            mid = (mb or {}).get("id") or ""
            if mid.lower().startswith("mailto:") and email is None:
                email = mid[7:]
    given, family = text(person.get("givenName")), text(person.get("familyName"))
    if given is None and family is None:
        family = text(person.get("fullName"))
    birth = _read(local_date, person["dateOfBirth"], "credentialSubject.dateOfBirth") \
        if person.get("dateOfBirth") else None
    gender = ((person.get("gender") or {}).get("id") or "").rsplit("/", 1)[-1] or None
    citizenship = None
    for concept in many(person.get("citizenshipCountry")):
        citizenship = citizenship or authority_country((concept or {}).get("id"))
    return c.learner(given_names=given, family_name=family, birth_date=birth, national_ids=ids,
                     email=email, gender=gender, citizenship=citizenship)


def _claims(subject: dict) -> list[tuple[int | None, dict]]:
    raw = subject.get("hasClaim")
    if isinstance(raw, list):
        return [(i, x) for i, x in enumerate(raw) if isinstance(x, dict)]
    return [(None, raw)] if isinstance(raw, dict) else []


def to_events(doc: dict, ctx: DecodeContext) -> list[dict]:
    cred_id = doc["id"]
    subject = doc["credentialSubject"]
    issuer = org_ref(doc["issuer"], cred_id)
    juris = issuer["jurisdiction"]
    learner = learner_of(subject)
    claims = _claims(subject)
    chosen = [(i, cl) for i, cl in claims if cl.get("type") == "LearningAchievement"] or \
             [(i, cl) for i, cl in claims if cl.get("type") == "LearningActivity"]
    if not chosen:
        raise FieldProblem("credentialSubject.hasClaim", "has no LearningAchievement or LearningActivity claim")
    valid_until = doc.get("validUntil") or (many(doc.get("expirationDate")) or [None])[0]
    until = _read(local_date, valid_until, "validUntil") if valid_until else None
    status = (many(doc.get("credentialStatus")) or [{}])[0] or {}
    events: list[dict] = []
    for i, claim in chosen:
        field = "credentialSubject.hasClaim" + (f"[{i}]" if i is not None else "")
        spec = (many(claim.get("specifiedBy")) or [{}])[0] or {}
        awarded_by = claim.get("awardedBy") or {}
        bodies = [b for b in many(awarded_by.get("awardingBody")) if isinstance(b, (dict, str))]
        awarding = org_ref(bodies[0], cred_id) if bodies else None
        qual = qualification_of(claim, spec, cred_id, awarding, field)
        date_field, date_value = next(((f, v) for f, v in (
            (f"{field}.awardedBy.awardingDate", awarded_by.get("awardingDate")),
            ("validFrom", doc.get("validFrom")), ("issued", doc.get("issued"))) if v), (None, None))
        if date_value is None:
            raise FieldProblem("validFrom", "is required (no awarding date either)")
        grade, scheme = grade_of(claim)
        single = len(chosen) == 1
        claim_id = str(claim.get("id") or i)
        credential_id = cred_id if single else \
            (claim_id if claim_id.startswith(cred_id + "#") else f"{cred_id}#{claim_id}")
        if spec.get("type") == "Qualification":
            events.append(c.qualification_published(
                ctx.header("QualificationPublished", subject=qual["id"], document_id=cred_id,
                           record_ref=f"{field}.specifiedBy", jurisdiction=juris,
                           occurred_at=_read(timestamp, date_value, date_field)),
                qualification=qual, status=spec.get("status") if isinstance(spec.get("status"), str) else None,
                description=text(spec.get("description")),
                attributes=_qualification_attributes(spec, cred_id)))
        events.append(c.credential_issued(
            ctx.header("CredentialIssued", subject=credential_id, document_id=cred_id,
                       record_ref=None if single else field, jurisdiction=juris, subject_jurisdiction=juris,
                       occurred_at=_read(timestamp, date_value, date_field)),
            credential_id=credential_id, learner=learner, qualification=qual, issuer=issuer,
            awarded_on=_read(local_date, date_value, date_field), valid_until=until, grade=grade,
            grading_scheme=scheme,
            credits_earned=credit_of(claim.get("creditReceived"), f"{field}.creditReceived"),
            parts=parts_of(claim, cred_id, global_id(claim, cred_id, "claim"), field),
            status_ref=status.get("id"), bundle_id=None if single else cred_id))
    return events


def _qualification_attributes(spec: dict, cred_id: str) -> dict:
    attrs = {"source_credential": cred_id}
    for key in ("volumeOfLearning", "maximumDuration"):
        if isinstance(spec.get(key), str):
            attrs[key] = spec[key]
    if isinstance(spec.get("isPartialQualification"), bool):
        attrs["isPartialQualification"] = str(spec["isPartialQualification"]).lower()
    for key in ("learningSetting", "mode", "language"):
        labels = [text((x or {}).get("prefLabel")) for x in many(spec.get(key))]
        if any(labels):
            attrs[key] = "; ".join(x for x in labels if x)
    return attrs
