"""ELMO element tree (validated against the subset schema) → canonical CredentialIssued events.

Shared by the `elmo` connector (one ELMO file) and `ewp-tor` (one ELMO per mobility). The
caller has already validated the `elmo` element, so required elements are present and typed
values parse; anything optional may be missing.

Design (see README): per report, every top-level learning opportunity of type "Degree
Programme" or "Module" that is achieved (status passed, or no status, which ELMO defines as
passed) becomes one CredentialIssued whose descendants are kept as flattened `parts`
(`parent_id` rebuilds the tree). Top-level courses, classes and untyped nodes are gathered into
one "Transcript of Records" CredentialIssued per report, with those nodes (and their
descendants) as parts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from hub.sdk.inbound import DecodeContext
from hub.sdk.events import header_at_millis
from hub.sdk.xml import XML_LANG, element_path, fingerprint, token

NS = "https://github.com/emrex-eu/elmo-schemas/tree/v1"
E = f"{{{NS}}}"
ID_NAMESPACE = uuid.UUID("0b8f3c52-8a0e-4c8e-9d7e-5f1e0c2a6e41")
CREDENTIAL_TYPES = {"Degree Programme", "Module"}
REPORT_DOCUMENT_TYPES = {"Diploma", "Diploma Supplement", "Transcript of Records"}
ISSUER_SCHEMES = ("schac", "pic", "erasmus")           # order of preference for OrgRef.id
LOS_ID_SCHEMES = ("ewp-los-id", "local", "elmo")       # order of preference for ids


def kids(el, name):
    return el.iterchildren(E + name)


def kid(el, name):
    return next(el.iterchildren(E + name), None)


def text(el, name) -> str | None:
    return token(kid(el, name))


def best_lang(elements, prefer: str = "en") -> str | None:
    """The value in the preferred language, else the first non-empty one."""
    first = None
    for e in elements:
        v = token(e)
        if not v:
            continue
        if (e.get(XML_LANG) or "").lower().startswith(prefer):
            return v
        first = first or v
    return first


def parse_date(value: str | None) -> dt.date | None:
    """xs:date or xs:dateTime (a time zone may follow); only the calendar date is kept."""
    if not value:
        return None
    return dt.date.fromisoformat(value.strip()[:10])


def typed_ids(el) -> list[tuple[str, str]]:
    """(type, value) of `identifier` children; values keep inner spaces (Erasmus codes pad)."""
    out = []
    for i in kids(el, "identifier"):
        v = (i.text or "").strip()
        if v:
            out.append((" ".join((i.get("type") or "").split()), v))
    return out


def pick_id(ids: list[tuple[str, str]], prefer: tuple[str, ...]) -> tuple[str, str] | None:
    for scheme in prefer:
        for t, v in ids:
            if t == scheme:
                return t, v
    return ids[0] if ids else None


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


@dataclass
class Frameworks:
    """Maps an ELMO level type to a canonical framework code (NQF → the issuer's national one)."""

    country: str | None

    def code(self, level_type: str) -> str:
        t = level_type.strip()
        if t.upper() == "EQF":
            return "EQF"
        if t.upper() == "NQF":
            from connectors.eu_qdr.frameworks import national_framework
            return national_framework(self.country) or (f"{self.country}-NQF" if self.country else "NQF")
        return t


def levels_of(loi, fw: Frameworks) -> list[dict]:
    out = []
    for lv in kids(loi, "level"):
        t, v = text(lv, "type"), text(lv, "value")
        if t and v:
            out.append({"framework": fw.code(t), "code": v})
    return out


def credits_of(loi) -> dict | None:
    found = []
    for c in kids(loi, "credit"):
        scheme, value = text(c, "scheme"), text(c, "value")
        if scheme and value is not None:
            system = "ECTS" if scheme.lower() == "ects" else scheme
            found.append({"value": float(value), "system": system})
    for c in found:
        if c["system"] == "ECTS":
            return c
    return found[0] if found else None


def issuer_of(report) -> dict:
    issuer = kid(report, "issuer")
    country = text(issuer, "country")
    scheme, value = pick_id(typed_ids(issuer), ISSUER_SCHEMES)
    return {"id": f"{scheme}:{value}", "name": best_lang(kids(issuer, "title")),
            "jurisdiction": country}


def learner_of(elmo) -> tuple[dict, str]:
    """The canonical Learner and a stable, non-reversible key for ids."""
    le = kid(elmo, "learner")
    ids = [{"scheme": t, "value": v} for t, v in typed_ids(le)]
    bday = parse_date(text(le, "bday") or text(le, "dateOfBirth"))
    learner = {
        "given_names": text(le, "givenNames"), "family_name": text(le, "familyName"),
        "birth_date": bday, "national_ids": ids, "email": None,
        "gender": text(le, "gender"), "citizenship": text(le, "citizenship"),
        "ethnicity": None, "disability": None, "home_language": None,
    }
    if ids:
        key = short_hash(*sorted(f"{i['scheme']}={i['value']}" for i in ids))
    else:
        key = short_hash(learner["given_names"] or "", learner["family_name"] or "",
                         bday.isoformat() if bday else "")
    return learner, key


def _media_type(data_uri: str | None) -> str | None:
    if data_uri and data_uri.startswith("data:"):
        return data_uri[5:].split(";", 1)[0].split(",", 1)[0] or None
    return None


def attachment_ref(att) -> dict:
    content = token(kid(att, "content"))
    ident = next((v for t, v in typed_ids(att)), None)
    ref = ("sha256:" + hashlib.sha256(content.encode()).hexdigest()) if content else \
        (f"elmo-attachment:{ident}" if ident else None)
    return {"doc_type": text(att, "type") or "Other", "title": best_lang(kids(att, "title")),
            "ref": ref, "media_type": _media_type(content)}


@dataclass
class _Report:
    element: object
    index: int
    issuer: dict
    issued: dt.date
    attachments: dict      # internal id -> attachment element (report + global)
    schemes: dict          # grading scheme local id -> description


class ElmoMapper:
    """Turns one validated `elmo` element into (event, record_ref, line) tuples."""

    def __init__(self, ctx: DecodeContext, *, document_id: str | None):
        self.ctx = ctx
        self.document_id = document_id

    def events(self, elmo) -> Iterator[tuple[dict, str, int | None]]:
        learner, lkey = learner_of(elmo)
        global_atts = self._attachments(kids(elmo, "attachment"))
        for r_index, report in enumerate(kids(elmo, "report"), start=1):
            atts = dict(global_atts)
            atts.update(self._attachments(kids(report, "attachment")))
            schemes = {g.get("localId"): best_lang(kids(g, "description")) or g.get("localId")
                       for g in kids(report, "gradingScheme")}
            rep = _Report(report, r_index, issuer_of(report), parse_date(text(report, "issueDate")),
                          atts, schemes)
            loose = []
            for los in kids(report, "learningOpportunitySpecification"):
                if text(los, "type") in CREDENTIAL_TYPES:
                    loi = kid(kid(los, "specifies"), "learningOpportunityInstance")
                    if (text(loi, "status") or "passed") != "passed":
                        continue   # failed or in progress: not an awarded credential
                    yield self._credential(rep, los, learner, lkey)
                else:
                    loose.append(los)
            if loose:
                yield self._transcript(rep, loose, learner, lkey)

    # --- building blocks -------------------------------------------------------------------

    @staticmethod
    def _attachments(elements) -> dict:
        out = {}
        for a in elements:
            for t, v in typed_ids(a):
                out[v] = a
        return out

    def _report_documents(self, rep: _Report) -> list[dict]:
        return [attachment_ref(a) for a in kids(rep.element, "attachment")
                if text(a, "type") in REPORT_DOCUMENT_TYPES]

    def _loi_documents(self, loi, rep: _Report) -> list[dict]:
        docs = []
        ds = kid(loi, "diplomaSupplement")
        if ds is not None:
            version = text(ds, "version")
            docs.append({"doc_type": "Diploma Supplement",
                         "title": f"Diploma Supplement {version}" if version else "Diploma Supplement",
                         "ref": fingerprint(ds), "media_type": "application/xml"})
        refs = kid(loi, "attachments")
        if refs is not None:
            for r in kids(refs, "ref"):
                att = rep.attachments.get(token(r))
                if att is not None:
                    docs.append(attachment_ref(att))
        return docs

    def _los_id(self, los, rep: _Report) -> str | None:
        picked = pick_id(typed_ids(los), LOS_ID_SCHEMES)
        if picked is None:
            return None
        return f"elmo-los:{rep.issuer['id']}:{picked[0]}:{picked[1]}"

    def _parts(self, nodes, rep: _Report, fw: Frameworks, parent_id: str | None,
               seen: set, out: list, prefix: str) -> None:
        for n, los in enumerate(nodes, start=1):
            loi = kid(kid(los, "specifies"), "learningOpportunityInstance")
            pid = self._los_id(los, rep) or f"{prefix}/{n}"
            while pid in seen:
                pid += "+"
            seen.add(pid)
            term = kid(loi, "academicTerm")
            out.append({
                "id": pid, "parent_id": parent_id, "title": best_lang(kids(los, "title")),
                "part_type": text(los, "type"), "credits": credits_of(loi),
                "levels": levels_of(loi, fw), "grade": text(loi, "resultLabel"),
                "status": text(loi, "status") or "passed",
                "completed_on": parse_date(text(loi, "date")) or
                (parse_date(text(term, "end")) if term is not None else None),
                "field_of_study": text(los, "iscedCode"),
            })
            children = [kid(h, "learningOpportunitySpecification") for h in kids(los, "hasPart")]
            self._parts(children, rep, fw, pid, seen, out, pid)

    @staticmethod
    def _sum_ects(parts: list[dict]) -> dict | None:
        total = [p["credits"]["value"] for p in parts
                 if p["credits"] and p["credits"]["system"] == "ECTS" and p["status"] == "passed"]
        return {"value": float(sum(total)), "system": "ECTS"} if total else None

    def _event(self, rep: _Report, *, credential_id: str, learner: dict, qualification: dict,
               awarded_on: dt.date, grade, scheme_id, credits_earned, parts, documents,
               record_ref: str, lkey: str) -> dict:
        country = rep.issuer["jurisdiction"]
        header = header_at_millis(self.ctx.header("CredentialIssued", subject=credential_id,
                                        document_id=self.document_id, record_ref=record_ref,
                                        occurred_at=awarded_on, jurisdiction=country))
        return {
            "header": header, "credential_id": credential_id, "learner": learner,
            "qualification": qualification, "issuer": rep.issuer, "awarded_on": awarded_on,
            "valid_until": None, "grade": grade,
            "grading_scheme": rep.schemes.get(scheme_id, scheme_id) if scheme_id else None,
            "credits_earned": credits_earned, "parts": parts, "documents": documents,
            "status_ref": None,
            "bundle_id": "elmo-report:" + short_hash(rep.issuer["id"], str(rep.issued), lkey),
        }

    def _credential(self, rep: _Report, los, learner: dict, lkey: str):
        fw = Frameworks(rep.issuer["jurisdiction"])
        loi = kid(kid(los, "specifies"), "learningOpportunityInstance")
        qual_id = self._los_id(los, rep) or \
            f"elmo-los:{rep.issuer['id']}:title:{short_hash(best_lang(kids(los, 'title')) or '')}"
        term = kid(loi, "academicTerm")
        awarded = parse_date(text(loi, "date")) or \
            (parse_date(text(term, "end")) if term is not None else None) or rep.issued
        loi_ids = typed_ids(loi)
        if loi_ids:
            cred_id = f"elmo-loi:{rep.issuer['id']}:{loi_ids[0][0]}:{loi_ids[0][1]}"
        else:
            cred_id = "urn:nqfhub:elmo:" + str(uuid.uuid5(ID_NAMESPACE, "|".join(
                [rep.issuer["id"], qual_id, lkey, awarded.isoformat()])))
        parts: list[dict] = []
        children = [kid(h, "learningOpportunitySpecification") for h in kids(los, "hasPart")]
        self._parts(children, rep, fw, None, set(), parts, qual_id)
        credits = credits_of(loi)
        qualification = {
            "id": qual_id, "title": best_lang(kids(los, "title")), "levels": levels_of(loi, fw),
            "credits": credits, "field_of_study": text(los, "iscedCode"),
            "awarding_body": rep.issuer, "qualification_type": text(los, "type"),
        }
        return (self._event(rep, credential_id=cred_id, learner=learner, qualification=qualification,
                            awarded_on=awarded, grade=text(loi, "resultLabel"),
                            scheme_id=text(loi, "gradingSchemeLocalId"),
                            credits_earned=credits or self._sum_ects(parts), parts=parts,
                            documents=self._loi_documents(loi, rep) + self._report_documents(rep),
                            record_ref=element_path(los), lkey=lkey),
                element_path(los), los.sourceline)

    def _transcript(self, rep: _Report, nodes: list, learner: dict, lkey: str):
        fw = Frameworks(rep.issuer["jurisdiction"])
        qual_id = f"elmo-transcript:{rep.issuer['id']}"
        parts: list[dict] = []
        self._parts(nodes, rep, fw, None, set(), parts, qual_id)
        docs = self._report_documents(rep)
        for los in nodes:
            docs += self._loi_documents(kid(kid(los, "specifies"), "learningOpportunityInstance"), rep)
        cred_id = "urn:nqfhub:elmo:" + str(uuid.uuid5(ID_NAMESPACE, "|".join(
            [rep.issuer["id"], "transcript", lkey, rep.issued.isoformat(), str(rep.index)])))
        qualification = {
            "id": qual_id, "title": "Transcript of Records", "levels": [], "credits": None,
            "field_of_study": None, "awarding_body": rep.issuer,
            "qualification_type": "Transcript of Records",
        }
        ref = element_path(rep.element)
        return (self._event(rep, credential_id=cred_id, learner=learner, qualification=qualification,
                            awarded_on=rep.issued, grade=None, scheme_id=None,
                            credits_earned=self._sum_ects(parts), parts=parts, documents=docs,
                            record_ref=ref + " (transcript)", lkey=lkey),
                ref, rep.element.sourceline)
