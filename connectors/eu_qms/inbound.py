"""`eu-qms` inbound connector: EU accreditation (AMS) XML → AccreditationChanged events."""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from hub.errors import DecodeError
from hub.sdk.events import header_at_millis, with_schema_defaults
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.xml import checked_records, load_schema

from connectors.eu_qdr.countries import alpha2
from connectors.eu_qdr.inbound import (DEFAULT_MAX_DOCUMENT_BYTES, collect_references, lang_pick,
                                       org_ref, parse_datetime)

NS = "http://data.europa.eu/snb/model/ap/ams-constraints/"
A = f"{{{NS}}}"
SKOS = "{http://www.w3.org/2004/02/skos/core#}"
ROOT = A + "Accreditations"
SCHEMA = Path(__file__).resolve().parent / "_schema" / "ams_subset.xsd"
#: Europass accreditation types → (label, what is accredited)
ACCREDITATION_TYPES = {
    "http://data.europa.eu/snb/accreditation/003293d2ce": ("Institutional License", "institution"),
    "http://data.europa.eu/snb/accreditation/bb4618238e": ("Institutional Quality Assurance", "institution"),
    "http://data.europa.eu/snb/accreditation/820101cba6": ("Program Quality Assurance", "programme"),
    "http://data.europa.eu/snb/accreditation/e57dddfcf3": ("Program License", "programme"),
}
#: words in a decision concept's label or notation → canonical status (first match wins)
DECISION_WORDS = (("withdraw", "WITHDRAWN"), ("revok", "WITHDRAWN"), ("suspend", "SUSPENDED"),
                  ("condition", "CONDITIONAL"), ("pending", "PENDING"), ("expir", "EXPIRED"))


@lru_cache(maxsize=1)
def ams_schema():
    return load_schema(SCHEMA)


def _concept_label(el) -> str | None:
    labels = [(x.get("language"), x.text or "") for x in el.iterchildren(SKOS + "prefLabel")]
    return lang_pick(labels) or " ".join((el.findtext(SKOS + "notation") or "").split()) or None


def _date(el, name):
    d = parse_datetime(el.findtext(A + name))
    return d.date() if d else None


class EuQmsInbound(Inbound):
    """Decodes an EU Accreditation Management Service (QMS) XML export.

    Called by the runtime once per export file, read in two streaming passes like `eu-qdr`:
    organisations and locations first, then one `accreditation` record at a time, validated
    against the project's AMS subset schema (located errors; the next record still decodes).
    Option `max_document_bytes` bounds the file (default 8 GiB).
    """

    name = "eu-qms"
    format_version = "EU AMS XML 3.1 (namespace http://data.europa.eu/snb/model/ap/ams-constraints/)"
    event_types = ("AccreditationChanged",)
    defaults = SourceDefaults(authority="eu-qdr", authority_type="public_authority", jurisdiction="EU")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        limit = int(ctx.options.get("max_document_bytes", DEFAULT_MAX_DOCUMENT_BYTES))
        doc_id = Path(source.name).name
        try:
            with source.open() as f:
                orgs = collect_references(f, ctx, file=source.name, max_bytes=limit, ns=NS)
            with source.open() as f:
                for rec in checked_records(f, ctx.limits, {A + "accreditation"}, ams_schema(),
                                           file=source.name, root_tag=ROOT, max_document_bytes=limit,
                                           parent_tags={A + "accreditationReferences"}):
                    if isinstance(rec, DecodeError):
                        yield rec
                        continue
                    event = self.event(rec.element, orgs, ctx, doc_id, rec.path)
                    yield Decoded(event=with_schema_defaults(event), record=rec.number, line=rec.line)
        except DecodeError as e:
            yield e.located(file=source.name)

    @staticmethod
    def event(el, orgs: dict, ctx: DecodeContext, doc_id: str, record_ref: str) -> dict:
        acc_id = f"qms:{el.get('id')}"
        type_uri = el.find(A + "type").get("uri")
        type_label, kind = ACCREDITATION_TYPES.get(type_uri, (type_uri, "institution"))
        accreditor = org_ref(el.find(A + "accreditingAgent").get("idref"), orgs, "qms-org")
        accredited = [x.get("idref") for x in el.iterchildren(A + "organisation")]
        institution = org_ref(accredited[0], orgs, "qms-org")
        fields = [x.get("uri").rsplit("/", 1)[-1] for x in el.iterchildren(A + "limitField")]
        eqf = [x.get("uri").rsplit("/", 1)[-1] for x in el.iterchildren(A + "limitEQFLevel")]
        juris = [x.get("uri").rsplit("/", 1)[-1] for x in el.iterchildren(A + "limitJurisdiction")]
        ctypes = [_concept_label(x) or x.get("uri") for x in el.iterchildren(A + "limitCredentialType")]
        programmes = list(el.iterchildren(A + "limitAbstractProgramme"))
        decision = el.find(A + "decision")
        decision_text = _concept_label(decision) if decision is not None else None
        status = "ACCREDITED"
        for word, value in DECISION_WORDS:
            if decision_text and word in decision_text.lower():
                status = value
                break
        qualification = None
        if programmes:
            kind = "programme"
            p = programmes[0]
            qualification = {
                "id": f"qms-programme:{p.get('uri')}", "title": _concept_label(p),
                "levels": [{"framework": "EQF", "code": c} for c in dict.fromkeys(eqf)],
                "credits": None,
                "field_of_study": fields[0] if fields else None, "awarding_body": institution,
                "qualification_type": None,
            }
        subject_id = qualification["id"] if qualification else institution["id"]
        scope = "; ".join(part for part in (
            f"type: {type_label}",
            f"title: {lang_pick([(t.get('language'), t.text or '') for t in el.iterchildren(A + 'title')])}",
            f"fields (ISCED-F): {', '.join(fields)}" if fields else "",
            f"EQF levels: {', '.join(eqf)}" if eqf else "",
            f"jurisdictions: {', '.join(juris)}" if juris else "",
            f"credential types: {', '.join(c for c in ctypes if c)}" if ctypes else "",
            f"programmes: {', '.join(_concept_label(p) or p.get('uri') for p in programmes)}"
            if programmes else "",
            f"also accredited: {', '.join(f'qms-org:{o}' for o in accredited[1:])}"
            if len(accredited) > 1 else "",
            f"decision: {decision_text}" if decision_text else "",
            f"review date: {_date(el, 'reviewDate')}" if el.find(A + "reviewDate") is not None else "",
            f"publication status: {' '.join((el.findtext(A + 'status') or '').split())}"
            if el.find(A + "status") is not None else "",
        ) if part)
        jurisdiction = accreditor["jurisdiction"] or institution["jurisdiction"] or \
            next((alpha2(j[:3]) for j in juris if alpha2(j[:3])), None)
        issued = _date(el, "issued")
        occurred = parse_datetime(el.findtext(A + "modified")) or parse_datetime(el.findtext(A + "issued"))
        header = header_at_millis(ctx.header("AccreditationChanged", subject=subject_id, document_id=doc_id,
                                   record_ref=record_ref, occurred_at=occurred,
                                   jurisdiction=jurisdiction))
        return {
            "header": header, "accreditation_id": acc_id, "accreditor": accreditor,
            "subject_type": kind, "subject_id": subject_id, "institution": institution,
            "qualification": qualification, "status": status,
            "valid_from": _date(el, "valid") or issued, "valid_until": _date(el, "expiryDate"),
            "decided_on": issued, "scope": scope,
        }
