"""XHochschule 1.2 award documents (validated) → CredentialIssued.

- `hochschulabschlusszeugnis`: the first top-level `leistung` of kind Studiengang/Studienfach is
  the qualification; everything below it (and any other top-level `leistung`) becomes `parts`.
- `transcriptOfRecords`: a "Transcript of Records" credential whose parts are all `leistung`s.
- `diplomaSupplement` (standalone): the qualification of DS section 2/3 with its grade (4.5).
Code lists: EQF → LevelRef EQF; ISCED-F 2013 → field_of_study; ISCED 2011 → LevelRef
"ISCED-2011" (source code kept); Leistungsart/Leistungsstatus → part_type/status via
code_mappings.yaml (unmapped codes kept as source codes); Hochschulsignatur → issuer id
`de-hochschulsignatur:<code>`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from pathlib import Path

import yaml

from hub.sdk.inbound import DecodeContext
from hub.sdk.events import header_at_millis
from hub.sdk.xml import element_path, fingerprint, token

NS = "http://xhochschule.de/def/xhochschule/1.2/xsd"
XBD = "http://xbildung.de/def/xbildung/1.2/xsd"
H = f"{{{NS}}}"
X = f"{{{XBD}}}"
PROGRAMME_KINDS = {"studiengang", "studienfach"}


@lru_cache(maxsize=1)
def codes() -> dict:
    return yaml.safe_load((Path(__file__).resolve().parent / "code_mappings.yaml").read_text("utf-8"))


def k(el, name):
    return el.find(H + name) if el is not None else None


def ks(el, name):
    return list(el.iterchildren(H + name)) if el is not None else []


def txt(el, name=None):
    return token(k(el, name) if name else el)


def code_of(el) -> str | None:
    """The unqualified <code> of an XÖV code element (or of its <code> child wrapper)."""
    if el is None:
        return None
    inner = el.find("code")
    if inner is None and el.find(H + "code") is not None:
        inner = el.find(H + "code").find("code")
    return token(inner)


def code_key(el) -> str | None:
    c = code_of(el)
    return c.rstrip("/").rsplit("/", 1)[-1] if c else None


def date_of(el, name=None):
    v = txt(el, name) if name else token(el)
    return dt.date.fromisoformat(v[:10]) if v else None


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def grade_of(el) -> tuple[str | None, str | None]:
    """(grade, grading scheme) from an xbd:Benotung, read leniently (structure not documented)."""
    if el is None:
        return None, None
    grade = scheme = None
    for d in el.iter():
        if d is el or not isinstance(d.tag, str):
            continue
        name = d.tag.rsplit("}", 1)[-1].lower()
        if ("schema" in name or "system" in name) and scheme is None:
            scheme = token(d)
        elif "note" in name and grade is None and len(d) == 0:
            grade = token(d)
    if grade is None and len(el) == 0:
        grade = token(el)
    return grade, scheme


def learner_of(stud) -> tuple[dict, str]:
    name = k(stud, "nameNatuerlichePerson")
    if name is None:
        name = k(stud, "name")   # the BAföG certificate's student type names it `name`
    given = txt(k(name, "vorname"), "name")
    family = txt(k(name, "familienname"), "name")
    birth = k(k(stud, "geburt"), "datum")
    bday = date_of(birth.find(X + "jahrMonatTag")) if birth is not None and \
        birth.find(X + "jahrMonatTag") is not None else None
    ids = [{"scheme": "de-identifikationsnummer", "value": txt(i, "id")}
           for i in ks(stud, "identifikationsnummer") if txt(i, "id")]
    mat = k(stud, "matrikelnummer")
    if mat is not None and txt(mat, "id"):
        ids.append({"scheme": "matrikelnummer", "value": txt(mat, "id")})
    learner = {"given_names": given, "family_name": family, "birth_date": bday,
               "national_ids": ids, "email": None, "gender": None, "citizenship": None,
               "ethnicity": None, "disability": None, "home_language": None}
    key = short_hash(*sorted(f"{i['scheme']}={i['value']}" for i in ids)) if ids else \
        short_hash(given or "", family or "", str(bday or ""))
    return learner, key


def issuer_of(hs) -> dict:
    sig = code_of(k(hs, "hochschulsignatur"))
    name = txt(hs, "name")
    oid = f"de-hochschulsignatur:{sig}" if sig else f"de-hochschule:{short_hash(name or '')}"
    return {"id": oid, "name": name, "jurisdiction": "DE"}


def levels_of(leistung) -> list[dict]:
    out = []
    eqf = code_of(k(leistung, "schluesselEQF"))
    if eqf:
        out.append({"framework": "EQF", "code": eqf.rsplit("/", 1)[-1]})
    isced = code_of(k(leistung, "schluesselISCED2011"))
    if isced:
        out.append({"framework": "ISCED-2011", "code": isced})
    return out


def coded(el, table: str) -> str | None:
    """A code list value mapped to its canonical value; unmapped codes stay as source codes and
    "~wert_nicht_in_liste" uses the free text (nichtGelisteterWert) the document gives."""
    key = code_key(el)
    if key is None:
        return None
    if key.startswith("~"):
        return txt(el, "nichtGelisteterWert")
    return codes()[table].get(key, key)


def part_of(le, parent_id, pid) -> dict:
    ects = txt(le, "erbrachteLeistungspunkteECTS")
    grade, _ = grade_of(k(le, "benotung"))
    return {
        "id": pid, "parent_id": parent_id, "title": txt(le, "bezeichnung"),
        "part_type": coded(k(le, "leistungsart"), "leistungsart"),
        "credits": {"value": float(ects), "system": "ECTS"} if ects else None,
        "levels": levels_of(le), "grade": grade,
        "status": coded(k(le, "leistungsstatus"), "leistungsstatus"),
        "completed_on": date_of(le, "datumDerLeistungserbringung"),
        "field_of_study": code_of(k(le, "schluesselISCEDF2013")),
    }


def flatten(nodes, parent_id, prefix, out, seen) -> None:
    for n, le in enumerate(nodes, start=1):
        own = txt(k(le, "id"), "id")
        pid = f"{prefix}/{own}" if own else f"{prefix}/{n}"
        while pid in seen:
            pid += "+"
        seen.add(pid)
        out.append(part_of(le, parent_id, pid))
        flatten(ks(le, "leistung"), pid, pid, out, seen)


class XhsMapper:
    def __init__(self, ctx: DecodeContext, document_id: str):
        self.ctx, self.document_id = ctx, document_id

    def event(self, root, *, credential_id, learner, qualification, issuer, awarded_on, grade,
              scheme, credits_earned, parts, documents) -> dict:
        header = header_at_millis(self.ctx.header("CredentialIssued", subject=credential_id,
                                        document_id=self.document_id,
                                        record_ref=element_path(root), occurred_at=awarded_on,
                                        jurisdiction="DE"))
        return {"header": header, "credential_id": credential_id, "learner": learner,
                "qualification": qualification, "issuer": issuer, "awarded_on": awarded_on,
                "valid_until": None, "grade": grade, "grading_scheme": scheme,
                "credits_earned": credits_earned, "parts": parts, "documents": documents,
                "status_ref": None, "bundle_id": None}

    def abschlusszeugnis(self, root) -> dict:
        learner, lkey = learner_of(k(root, "studierender"))
        issuer = issuer_of(k(root, "ausstellendeHochschule"))
        tops = ks(root, "leistung")
        prog = next((le for le in tops if code_key(k(le, "leistungsart")) in PROGRAMME_KINDS), tops[0])
        own = txt(k(prog, "id"), "id")
        qual_id = f"xhs-studienfach:{issuer['id']}:" + (own or short_hash(txt(prog, "bezeichnung") or ""))
        degree, subject = txt(root, "abschluss"), txt(prog, "bezeichnung")
        title = f"{degree} ({subject})" if degree and subject else degree or subject
        parts: list[dict] = []
        seen: set = set()
        flatten(ks(prog, "leistung"), None, qual_id, parts, seen)
        flatten([le for le in tops if le is not prog], None, qual_id, parts, seen)
        required = txt(prog, "erforderlicheLeistungspunkteECTS")
        earned = txt(prog, "erbrachteLeistungspunkteECTS")
        bewertung = k(root, "benotung")
        grade, scheme = grade_of(k(bewertung, "gesamtnote"))
        honour = code_key(k(bewertung, "lateinischeEhrenbezeichnung"))
        honour = codes()["lateinischeehrenbezeichnung"].get(honour) if honour else None
        if honour is None and k(bewertung, "lateinischeEhrenbezeichnung") is not None:
            honour = txt(k(bewertung, "lateinischeEhrenbezeichnung"), "nichtGelisteterWert")
        if honour:
            grade = f"{grade} ({honour})" if grade else honour
        awarded = date_of(root, "datumDesErwerbs") or date_of(root, "ausstellungsdatum")
        docs = []
        ds = k(root, "diplomaSupplement")
        if ds is not None:
            docs.append({"doc_type": "Diploma Supplement", "title": txt(ds, "titel"),
                         "ref": fingerprint(ds), "media_type": "application/xml"})
        qualification = {
            "id": qual_id, "title": title, "levels": levels_of(prog),
            "credits": {"value": float(required), "system": "ECTS"} if required else None,
            "field_of_study": code_of(k(prog, "schluesselISCEDF2013")), "awarding_body": issuer,
            "qualification_type": degree or "Hochschulabschluss",
        }
        cred = "urn:nqfhub:xhochschule:" + short_hash(issuer["id"], qual_id, lkey, str(awarded))
        return self.event(root, credential_id=cred, learner=learner, qualification=qualification,
                          issuer=issuer, awarded_on=awarded, grade=grade, scheme=scheme,
                          credits_earned={"value": float(earned), "system": "ECTS"} if earned else None,
                          parts=parts, documents=docs)

    def transcript(self, root) -> dict:
        learner, lkey = learner_of(k(root, "studierender"))
        issuer = issuer_of(k(root, "ausstellendeHochschule"))
        qual_id = f"xhs-transcript:{issuer['id']}"
        parts: list[dict] = []
        tops = ks(root, "leistung")
        flatten(tops, None, qual_id, parts, set())
        earned = [float(txt(le, "erbrachteLeistungspunkteECTS")) for le in tops
                  if txt(le, "erbrachteLeistungspunkteECTS")]
        awarded = date_of(root, "ausstellungsdatum")
        qualification = {"id": qual_id, "title": txt(root, "titel") or "Transcript of Records",
                         "levels": [], "credits": None, "field_of_study": None,
                         "awarding_body": issuer, "qualification_type": "Transcript of Records"}
        cred = "urn:nqfhub:xhochschule:" + short_hash(issuer["id"], qual_id, lkey, str(awarded))
        return self.event(root, credential_id=cred, learner=learner, qualification=qualification,
                          issuer=issuer, awarded_on=awarded, grade=None, scheme=None,
                          credits_earned={"value": sum(earned), "system": "ECTS"} if earned else None,
                          parts=parts, documents=[])

    def diploma_supplement(self, root) -> dict:
        inh = k(root, "angabenInhaber")
        bday_el = k(inh, "geburtsdatum")
        bday = date_of(bday_el.find(X + "jahrMonatTag")) if bday_el is not None and \
            bday_el.find(X + "jahrMonatTag") is not None else None
        ids = [{"scheme": "matrikelnummer", "value": txt(inh, "matrikelnummer")}] \
            if txt(inh, "matrikelnummer") else []
        learner = {"given_names": txt(inh, "vorname"), "family_name": txt(inh, "familienname"),
                   "birth_date": bday, "national_ids": ids, "email": None, "gender": None,
                   "citizenship": None, "ethnicity": None, "disability": None, "home_language": None}
        lkey = short_hash(learner["given_names"] or "", learner["family_name"] or "", str(bday))
        q = k(root, "angabenQualifikation")
        inst = txt(q, "verleihendeEinrichtung")
        issuer = {"id": f"de-hochschule:{short_hash(inst or '')}", "name": inst, "jurisdiction": "DE"}
        ebene = k(k(root, "dauerUndEbeneQualifikation"), "ebeneDerQualifikation")
        levels = []
        if code_of(k(ebene, "ebeneDerQualifikationCodeEQF")):
            levels.append({"framework": "EQF",
                           "code": code_of(k(ebene, "ebeneDerQualifikationCodeEQF")).rsplit("/", 1)[-1]})
        if code_of(k(ebene, "ebeneDerQualifikationCodeISCED2011")):
            levels.append({"framework": "ISCED-2011",
                           "code": code_of(k(ebene, "ebeneDerQualifikationCodeISCED2011"))})
        ects = txt(k(k(root, "dauerUndEbeneQualifikation"), "dauerStudiumInJahrenOderECTS"), "umfangInECTS")
        grade, scheme = grade_of(k(k(root, "erzielteErgebnisse"), "gesamtnoteUndNotensystem"))
        title = txt(q, "bezeichnungQualifikationGrad")
        qual_id = f"xhs-qualifikation:{issuer['id']}:{short_hash(title or '', txt(q, 'hauptstudienfach') or '')}"
        awarded = date_of(root, "ausstellungsdatum")
        qualification = {"id": qual_id, "title": title, "levels": levels,
                         "credits": {"value": float(ects), "system": "ECTS"} if ects else None,
                         "field_of_study": None, "awarding_body": issuer,
                         "qualification_type": title}
        cred = "urn:nqfhub:xhochschule:" + short_hash(issuer["id"], qual_id, lkey, str(awarded))
        doc = {"doc_type": "Diploma Supplement", "title": txt(root, "titel"),
               "ref": fingerprint(root), "media_type": "application/xml"}
        return self.event(root, credential_id=cred, learner=learner, qualification=qualification,
                          issuer=issuer, awarded_on=awarded, grade=grade, scheme=scheme,
                          credits_earned=None, parts=[], documents=[doc])
