"""`eu-qdr` inbound connector: EU QDR / LOQ XML export → QualificationPublished events."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from hub.errors import DecodeError
from hub.sdk.events import header_at_millis, with_schema_defaults
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.xml import checked_records, iter_records, load_schema

from connectors.eu_qdr import _extract
from connectors.eu_qdr.countries import alpha2
from connectors.eu_qdr.frameworks import nqf_level

NS = _extract.NS
L = f"{{{NS}}}"
ROOT = L + "Courses"
SCHEMA = Path(__file__).resolve().parent / "_schema" / "loq_subset.xsd"
#: a national register export can be large; it is streamed, never loaded whole
DEFAULT_MAX_DOCUMENT_BYTES = 8 * 1024 ** 3
CREDIT_FRAMEWORKS = {
    "http://data.europa.eu/snb/education-credit/6fcec5c5af": "ECTS",
    "http://data.europa.eu/snb/education-credit/60b314e826": "ECVET",
}
UTC = dt.timezone.utc


@lru_cache(maxsize=1)
def loq_schema():
    return load_schema(SCHEMA)


def parse_datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    v = value.strip().replace("Z", "+00:00")
    d = dt.datetime.fromisoformat(v)
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _duration(value: str | None) -> str | None:
    """xs:duration without zero components (`P7Y0M2DT0H10M0S` → `P7Y2DT10M`), so that the
    lxml text and pyxb's normalised literal agree."""
    if not value:
        return None
    v = re.sub(r"(?<=[PYMDTH])0+(?:\.0+)?[YMDHS]", "", value.strip())
    v = v[:-1] if v.endswith("T") else v
    return v if v not in ("P", "-P") else "PT0S"


def lang_pick(pairs, prefer="en"):
    return _extract._lang_pick(pairs, prefer)


def collect_references(stream, ctx: DecodeContext, *, file: str, max_bytes: int,
                       ns: str = NS) -> dict:
    """First pass: organisation id → OrgRef-like dict (country resolved through locations).

    Only organisations and locations are kept (small compared with the records). Shared with
    `eu-qms`, whose AMS export has the same agent/location reference sections.
    """
    L = f"{{{ns}}}"  # noqa: N806 - same notation as the module constant, other namespace
    orgs: dict[str, dict] = {}
    locations: dict[str, str | None] = {}
    tags = {L + "organisation", L + "agent", L + "location"}
    parents = {L + "agentReferences", L + "locationReferences"}
    for rec in iter_records(stream, ctx.limits, tags, file=file, parent_tags=parents,
                            max_document_bytes=max_bytes):
        el = rec.element
        if el.tag == L + "location":
            code = None
            for addr in el.iterchildren(L + "address"):
                cc = addr.find(L + "countryCode")
                code = code or (alpha2(cc.get("uri")) if cc is not None else None)
            locations[el.get("id")] = code
            continue
        names = [(n.get("language"), n.text or "") for n in el.iterchildren(L + "legalName")]
        if not names:   # agents have skos:prefLabel instead of legalName
            names = [(n.get("language"), n.text or "")
                     for n in el.iterchildren("{http://www.w3.org/2004/02/skos/core#}prefLabel")]
        orgs[el.get("id")] = {"name": lang_pick(names),
                              "locations": [x.get("idref") for x in el.iterchildren(L + "location")]}
    for org in orgs.values():
        org["country"] = next((locations.get(x) for x in org.pop("locations")
                               if locations.get(x)), None)
    return orgs


def org_ref(org_id: str, orgs: dict, scheme: str) -> dict:
    org = orgs.get(org_id) or {}
    return {"id": f"{scheme}:{org_id}", "name": org.get("name"), "jurisdiction": org.get("country")}


class EuQdrInbound(Inbound):
    """Decodes an EU Qualifications Dataset Register (LOQ 3.x) XML export.

    Called by the runtime once per export file. The file is read twice, streaming both times:
    the first pass keeps only the organisations and locations that qualifications refer to, the
    second streams `qualification` records one at a time, validates each against the project's
    LOQ subset schema (located errors; the next record is still decoded) and maps it. Other
    learning-achievement specifications and qualification references carry no qualification of
    their own and produce no event. Options: `max_document_bytes` (default 8 GiB),
    `binding` = `lxml` (default) or `pyxb` (typed binding of each record; slower, same events).
    """

    name = "eu-qdr"
    format_version = "EU LOQ/QDR XML 3.1 (namespace http://data.europa.eu/snb/model/ap/loq-constraints/)"
    event_types = ("QualificationPublished",)
    defaults = SourceDefaults(authority="eu-qdr", authority_type="public_authority", jurisdiction="EU")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        limit = int(ctx.options.get("max_document_bytes", DEFAULT_MAX_DOCUMENT_BYTES))
        extract = _extract.from_pyxb if ctx.options.get("binding") == "pyxb" else _extract.from_lxml
        doc_id = Path(source.name).name
        try:
            with source.open() as f:
                orgs = collect_references(f, ctx, file=source.name, max_bytes=limit)
            with source.open() as f:
                for rec in checked_records(f, ctx.limits, {L + "qualification"}, loq_schema(),
                                           file=source.name, root_tag=ROOT, max_document_bytes=limit,
                                           parent_tags={L + "learningAchievementSpecificationReferences"}):
                    if isinstance(rec, DecodeError):
                        yield rec
                        continue
                    event = self.event(extract(rec.element), orgs, ctx, doc_id, rec.path)
                    yield Decoded(event=with_schema_defaults(event), record=rec.number, line=rec.line)
        except DecodeError as e:
            yield e.located(file=source.name)

    @staticmethod
    def event(r: dict, orgs: dict, ctx: DecodeContext, doc_id: str, record_ref: str) -> dict:
        """Map one extracted qualification record (see `_extract`) to QualificationPublished."""
        levels, attributes, countries = [], {}, []
        if r["eqf"]:
            levels.append({"framework": "EQF", "code": r["eqf"].rsplit("/", 1)[-1]})
        unmapped, frameworks_only = [], []
        for uri in r["nqf"]:
            found = nqf_level(uri)
            if found is None:
                unmapped.append(uri)
                continue
            fw, code, country = found
            countries.append(country)
            if code is None:
                frameworks_only.append(fw)
            else:
                levels.append({"framework": fw, "code": code})
        if frameworks_only:
            attributes["nqf_frameworks"] = ",".join(frameworks_only)
        if unmapped:
            attributes["nqf_unmapped"] = " ".join(unmapped)
        credits = None
        for fw_uri, point in r["credits"]:
            system = CREDIT_FRAMEWORKS.get(fw_uri or "", fw_uri or "unknown")
            try:
                value = float(point.replace(",", "."))
            except ValueError:
                attributes[f"credit_points_unparsed:{system}"] = point
                continue
            if credits is None or (system == "ECTS" and credits["system"] != "ECTS"):
                credits = {"value": value, "system": system}
        isced = [u.rsplit("/", 1)[-1] for u in r["isced"]]
        if len(isced) > 1:
            attributes["isced_f_all"] = ",".join(isced)
        bodies = [b for ao in r["awarding"] for b in ao[0]]
        awarding = org_ref(bodies[0], orgs, "qdr-org") if bodies else None
        if len(bodies) > 1:
            attributes["awarding_bodies"] = " ".join(dict.fromkeys(bodies))
        start = next((ao[1] for ao in r["awarding"] if ao[1]), None)
        end = next((ao[2] for ao in r["awarding"] if ao[2]), None)
        for key, value in (("volume_of_learning", _duration(r["volume"])),
                           ("languages", " ".join(u.rsplit("/", 1)[-1] for u in r["languages"])),
                           ("qualification_codes", " ".join(c for c in r["codes"] if c)),
                           ("accreditations", " ".join(r["accreditations"])),
                           ("homepage", r["homepages"][0] if r["homepages"] else None),
                           ("modified", r["modified"]),
                           ("eqf_uri", r["eqf"])):
            if value:
                attributes[key] = value
        if r["partial"] is not None:
            attributes["partial_qualification"] = "true" if r["partial"] else "false"
        jurisdiction = next((c for c in countries if c), None) or \
            (awarding or {}).get("jurisdiction")
        qual_id = f"qdr:{r['id']}"
        qualification = {
            "id": qual_id, "title": lang_pick(r["titles"]), "levels": levels, "credits": credits,
            "field_of_study": isced[0] if isced else None, "awarding_body": awarding,
            "qualification_type": "Partial qualification" if r["partial"] else "Qualification",
        }
        header = header_at_millis(ctx.header("QualificationPublished", subject=qual_id, document_id=doc_id,
                                   record_ref=record_ref, occurred_at=parse_datetime(r["modified"]),
                                   jurisdiction=jurisdiction))
        return {
            "header": header, "qualification": qualification, "status": r["status"],
            "valid_from": parse_datetime(start).date() if start else None,
            "valid_until": parse_datetime(end).date() if end else None,
            "description": lang_pick(r["descriptions"]), "attributes": attributes,
        }
