"""`elmo` encoder: a canonical CredentialIssued or RecognitionDecided → ELMO 1.7 XML.

Documents are built with the pyxb bindings generated from the project's ELMO subset schema
(`_bindings/elmo_v1.py`), which keeps the official element order; tests validate the output
against the official ELMO v1.7 XSD. A RecognitionDecided, which ELMO 1.x cannot express natively
(`resultOfRecognition` exists only in ELMO 2), is written as the recognised learning opportunity
with the comparable levels as its `level`s and the decision itself inside the instance's
`extension` element, in the namespace `RECOGNITION_NS`.
"""
from __future__ import annotations

import datetime as dt
from xml.dom import minidom

import pyxb
import pyxb.utils.domutils

from hub.errors import PermanentDeliveryError
from hub.sdk.outbound import Encoder

from connectors.elmo._bindings import elmo_v1 as B

RECOGNITION_NS = "urn:nqf-hub:elmo-extension:recognition:1"
LOS_TYPES = {"Degree Programme", "Module", "Course", "Class"}
STATUSES = {"passed", "failed", "in-progress"}
UTC = dt.timezone.utc

pyxb.utils.domutils.BindingDOMSupport.SetDefaultNamespace(B.Namespace)


def _tok(value) -> str:
    """xs:token form (pyxb refuses runs of spaces that the XSD would collapse anyway)."""
    return " ".join(str(value).split())


def _country(code: str | None) -> str | None:
    return code if code and len(code) == 2 and code.isalpha() and code.isupper() else None


def _split_id(value: str, issuer_id: str | None = None) -> tuple[str, str]:
    """A scheme-qualified id → (ELMO identifier type, value)."""
    if issuer_id and value.startswith(f"elmo-los:{issuer_id}:"):
        rest = value[len(f"elmo-los:{issuer_id}:"):]
        if ":" in rest:
            t, v = rest.split(":", 1)
            return t, v
    if ":" in value:
        t, v = value.split(":", 1)
        return t, v
    return "nqf-hub", value


def _dt(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)


class ElmoOutbound(Encoder):
    """Renders one event as a complete ELMO document (UTF-8, default namespace ELMO v1).

    Called by the outbound worker once per event. Pure: the same event always gives the same
    bytes. Options: `hub_id` (issuer identifier of recognition decisions, type `schac` when it
    looks like a domain), `hub_name`, `hub_url`, `hub_country`.
    Raises PermanentDeliveryError for other event types.
    """

    name = "elmo"
    media_type = "application/xml"
    format_version = "EMREX ELMO 1.7"
    event_types = ("CredentialIssued", "RecognitionDecided")

    def encode(self, event: dict) -> bytes:
        et = event["header"]["event_type"]
        try:
            if et == "CredentialIssued":
                doc = self._credential(event)
            elif et == "RecognitionDecided":
                doc = self._recognition(event)
            else:
                raise PermanentDeliveryError(f"ELMO cannot express a {et} event")
            return doc.toxml("utf-8")
        except pyxb.PyXBException as e:
            raise PermanentDeliveryError(f"event cannot be written as valid ELMO "
                                         f"({e.__class__.__name__})") from None

    # --- shared pieces ----------------------------------------------------------------------

    def _learner(self, learner: dict | None):
        learner = learner or {}
        le = B.Learner()
        if _country(learner.get("citizenship")):
            le.citizenship = learner["citizenship"]
        for nid in learner.get("national_ids") or []:
            le.identifier.append(B.TypedToken(_tok(nid["value"]), type=_tok(nid["scheme"])))
        le.givenNames = _tok(learner.get("given_names") or "")
        le.familyName = _tok(learner.get("family_name") or "")
        if learner.get("birth_date"):
            le.bday = learner["birth_date"]
        if str(learner.get("gender")) in {"0", "1", "2", "9"}:
            le.gender = int(learner["gender"])
        return le

    @staticmethod
    def _issuer(org: dict):
        iss = B.Issuer()
        if _country(org.get("jurisdiction")):
            iss.country = org["jurisdiction"]
        t, v = _split_id(org["id"])
        iss.identifier.append(B.TypedToken(_tok(v), type=_tok(t)))
        iss.title.append(B.TokenWithOptionalLang(_tok(org.get("name") or org["id"])))
        iss.url = f"https://{v}/" if t == "schac" else ""
        return iss

    @staticmethod
    def _levels(loi, levels: list[dict], country: str | None) -> None:
        from connectors.eu_qdr.frameworks import national_framework
        national = national_framework(country)
        for lv in levels:
            fw = lv["framework"]
            if fw == "EQF":
                loi.level.append(_level("EQF", None, lv["code"]))
            elif national and fw == national:
                loi.level.append(_level("NQF", fw, lv["code"]))
            else:
                loi.level.append(_level(fw, None, lv["code"]))

    @staticmethod
    def _credit(loi, credits: dict | None) -> None:
        if credits:
            scheme = "ects" if credits["system"].upper() == "ECTS" else credits["system"]
            loi.credit.append(_credit(scheme, credits["value"]))

    def _los(self, *, ident: tuple[str, str] | None, title: str | None, los_type: str | None,
             isced: str | None):
        los = B.LearningOpportunitySpecification()
        if ident:
            los.identifier.append(B.TypedToken(_tok(ident[1]), type=_tok(ident[0])))
        los.title.append(B.TokenWithOptionalLang(_tok(title or "")))
        if los_type in LOS_TYPES:
            los.type = los_type
        if isced:
            los.iscedCode = _tok(isced)
        return los

    @staticmethod
    def _attach(los, loi) -> None:
        spec = pyxb.BIND(learningOpportunityInstance=loi)
        los.specifies = spec

    # --- CredentialIssued -------------------------------------------------------------------

    def _credential(self, ev: dict):
        issuer, q = ev["issuer"], ev["qualification"]
        country = issuer.get("jurisdiction")
        report = B.Report(issuer=self._issuer(issuer), issueDate=_dt(ev["header"]["recorded_at"]))
        parts = ev.get("parts") or []
        if q.get("qualification_type") == "Transcript of Records":
            for los in self._part_tree(parts, None, issuer["id"], country):
                report.learningOpportunitySpecification.append(los)
        else:
            los = self._los(ident=_split_id(q["id"], issuer["id"]), title=q.get("title"),
                            los_type=q.get("qualification_type"), isced=q.get("field_of_study"))
            loi = B.LearningOpportunityInstance()
            loi.identifier.append(B.TypedToken(ev["credential_id"], type="nqf-hub-credential"))
            loi.date = ev["awarded_on"]
            loi.status = "passed"
            if ev.get("grading_scheme"):
                loi.gradingSchemeLocalId = "g1"
            if ev.get("grade"):
                loi.resultLabel = _tok(ev["grade"])
            self._credit(loi, ev.get("credits_earned") or q.get("credits"))
            self._levels(loi, q.get("levels") or [], country)
            self._attach(los, loi)
            for child in self._part_tree(parts, None, issuer["id"], country):
                los.hasPart.append(pyxb.BIND(learningOpportunitySpecification=child))
            report.learningOpportunitySpecification.append(los)
        if ev.get("grading_scheme"):
            gs = B.GradingScheme(localId="g1")
            gs.description.append(B.StringWithOptionalLang(ev["grading_scheme"]))
            report.gradingScheme.append(gs)
        doc = B.elmo(generatedDate=_dt(ev["header"]["recorded_at"]),
                     learner=self._learner(ev.get("learner")))
        doc.report.append(report)
        return doc

    def _part_tree(self, parts: list[dict], parent: str | None, issuer_id: str, country):
        ids = {p["id"] for p in parts}
        for p in parts:
            p_parent = p.get("parent_id") if p.get("parent_id") in ids else None
            if p_parent != parent:
                continue
            los = self._los(ident=_split_id(p["id"], issuer_id) if p["id"].startswith("elmo-los:")
                            else ("nqf-hub-part", p["id"]),
                            title=p.get("title"), los_type=p.get("part_type"),
                            isced=p.get("field_of_study"))
            loi = B.LearningOpportunityInstance()
            if p.get("completed_on"):
                loi.date = p["completed_on"]
            if p.get("status") in STATUSES:
                loi.status = p["status"]
            if p.get("grade"):
                loi.resultLabel = _tok(p["grade"])
            self._credit(loi, p.get("credits"))
            self._levels(loi, p.get("levels") or [], country)
            self._attach(los, loi)
            for child in self._part_tree(parts, p["id"], issuer_id, country):
                los.hasPart.append(pyxb.BIND(learningOpportunitySpecification=child))
            yield los

    # --- RecognitionDecided -----------------------------------------------------------------

    def _recognition(self, ev: dict):
        hub_id = self.options.get("hub_id", "nqf-hub")
        hub = {"id": hub_id if ":" in hub_id else ("schac:" + hub_id if "." in hub_id else
                                                   "nqf-hub:" + hub_id),
               "name": self.options.get("hub_name", "nqf-hub recognition"),
               "jurisdiction": self.options.get("hub_country")}
        iss = self._issuer(hub)
        if self.options.get("hub_url"):
            iss.url = self.options["hub_url"]
        q = ev.get("qualification") or {}
        los = self._los(ident=("nqf-hub-credential", ev["credential_id"]) if not q else
                        _split_id(q["id"]),
                        title=q.get("title") or "Recognised credential",
                        los_type=q.get("qualification_type"), isced=q.get("field_of_study"))
        loi = B.LearningOpportunityInstance()
        loi.identifier.append(B.TypedToken(ev["decision_id"], type="nqf-hub-decision"))
        if q.get("credits"):
            self._credit(loi, q["credits"])
        for lv in ev.get("comparable_levels") or []:
            loi.level.append(_level(lv["framework"] if lv["framework"] != "EQF" else "EQF",
                                    None, lv["code"]))
        loi.extension = B.Extension()
        loi.extension.append(_decision_dom(ev))
        self._attach(los, loi)
        report = B.Report(issuer=iss, issueDate=_dt(ev["header"]["occurred_at"]))
        report.learningOpportunitySpecification.append(los)
        doc = B.elmo(generatedDate=_dt(ev["header"]["recorded_at"]),
                     learner=self._learner(ev.get("learner")))
        doc.report.append(report)
        return doc


def _level(level_type: str, description: str | None, value: str):
    lv = B.LearningOpportunityInstance._ElementMap[
        pyxb.namespace.ExpandedName(B.Namespace, "level")].elementBinding()()
    lv.type = level_type
    if description:
        lv.description = B.StringWithOptionalLang(description)
    lv.value_ = value
    return lv


def _credit(scheme: str, value: float):
    cr = B.LearningOpportunityInstance._ElementMap[
        pyxb.namespace.ExpandedName(B.Namespace, "credit")].elementBinding()()
    cr.scheme = scheme
    cr.value_ = f"{value:g}" if float(value).is_integer() else repr(float(value))
    return cr


def _decision_dom(ev: dict):
    """The recognition decision as a DOM element in RECOGNITION_NS (ELMO extension content)."""
    doc = minidom.Document()

    def el(name, text=None, **attrs):
        e = doc.createElementNS(RECOGNITION_NS, name)
        for k, v in attrs.items():
            if v is not None:
                e.setAttribute(k, str(v))
        if text is not None:
            e.appendChild(doc.createTextNode(str(text)))
        return e

    root = el("recognitionDecision", decisionId=ev["decision_id"], requestId=ev["request_id"],
              credentialId=ev["credential_id"])
    root.setAttribute("xmlns", RECOGNITION_NS)
    root.appendChild(el("outcome", ev["outcome"]))
    if ev.get("target_framework"):
        root.appendChild(el("targetFramework", ev["target_framework"]))
    for lv in ev.get("comparable_levels") or []:
        root.appendChild(el("comparableLevel", framework=lv["framework"], code=lv["code"]))
    for step in ev.get("path") or []:
        root.appendChild(el("pathStep", step))
    for r in ev.get("reasons") or []:
        root.appendChild(el("reason", r["message"], code=r["code"]))
    root.appendChild(el("requestingPartner", ev["requesting_partner"]))
    sig = ev.get("signature")
    if sig:
        root.appendChild(el("signature", sig["value"], alg=sig["alg"], keyId=sig["key_id"]))
    return root
