"""One QDR `qualification` record → a plain dict (`QualRecord`), from lxml or from pyxb.

Two extractors produce the same dict so that the mapping to the canonical event is shared and
the two binding paths can be compared (tests check they agree; the benchmark measures both):

- `from_lxml(element)`: the default; reads the streamed, schema-validated lxml subtree;
- `from_pyxb(element)`: binds the same subtree with the pyxb bindings generated from
  `_schema/loq_subset.xsd` and reads the typed objects (slower; see README for the numbers).
"""
from __future__ import annotations

from lxml import etree

NS = "http://data.europa.eu/snb/model/ap/loq-constraints/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
L = f"{{{NS}}}"


def _lang_pick(pairs: list[tuple[str | None, str]], prefer: str = "en") -> str | None:
    first = None
    for lang, text in pairs:
        text = " ".join((text or "").split())
        if not text:
            continue
        if (lang or "").lower().startswith(prefer):
            return text
        first = first or text
    return first


def _empty() -> dict:
    return {"id": None, "titles": [], "descriptions": [], "status": None, "modified": None,
            "isced": [], "volume": None, "credits": [], "languages": [], "awarding": [],
            "partial": None, "eqf": None, "nqf": [], "codes": [], "accreditations": [],
            "homepages": []}


def from_lxml(el) -> dict:
    r = _empty()
    r["id"] = el.get("id")
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(L):
            continue
        name = tag[len(L):]
        if name == "title":
            r["titles"].append((child.get("language"), child.text or ""))
        elif name == "description":
            r["descriptions"].append((child.get("language"), child.text or ""))
        elif name == "status":
            r["status"] = " ".join((child.text or "").split()) or None
        elif name == "modified":
            r["modified"] = (child.text or "").strip() or None
        elif name == "ISCEDFCode":
            r["isced"].append(child.get("uri"))
        elif name == "volumeOfLearning":
            r["volume"] = (child.text or "").strip() or None
        elif name == "creditPoint":
            fw, pt = child.find(L + "framework"), child.find(L + "point")
            r["credits"].append((fw.get("uri") if fw is not None else None,
                                 (pt.text or "").strip() if pt is not None else ""))
        elif name == "language":
            r["languages"].append(child.get("uri"))
        elif name == "awardingOpportunity":
            bodies = [b.get("idref") for b in child.iterchildren(L + "awardingBody")]
            temporal = child.find(L + "temporal")
            start = temporal.findtext(L + "startDate") if temporal is not None else None
            end = temporal.findtext(L + "endDate") if temporal is not None else None
            r["awarding"].append((bodies, (start or "").strip() or None, (end or "").strip() or None))
        elif name == "isPartialQualification":
            r["partial"] = (child.text or "").strip() in ("true", "1")
        elif name == "EQFLevel":
            r["eqf"] = child.get("uri")
        elif name == "NQFLevel":
            r["nqf"].append(child.get("uri"))
        elif name == "qualificationCode":
            r["codes"].append(child.findtext(f"{{{SKOS}}}notation") or child.get("uri"))
        elif name == "accreditation":
            r["accreditations"].append(child.get("idref"))
        elif name == "homepage":
            url = child.findtext(L + "contentUrl")
            if url:
                r["homepages"].append(url.strip())
    return r


def from_pyxb(el) -> dict:
    """Bind the record with pyxb (typed, validating) and read the same facts."""
    from connectors.eu_qdr._bindings import loq_v3

    q = loq_v3.CreateFromDocument(etree.tostring(el))
    r = _empty()
    r["id"] = str(q.id)
    r["titles"] = [(t.language, t.value()) for t in q.title]
    r["descriptions"] = [(t.language, t.value()) for t in q.description]
    r["status"] = " ".join(q.status.split()) or None if q.status is not None else None
    r["modified"] = q.modified.xsdLiteral() if q.modified is not None else None
    r["isced"] = [str(c.uri) for c in q.ISCEDFCode]
    r["volume"] = q.volumeOfLearning.xsdLiteral() if q.volumeOfLearning is not None else None
    r["credits"] = [(str(c.framework.uri), (c.point or "").strip()) for c in q.creditPoint]
    r["languages"] = [str(c.uri) for c in q.language]
    for ao in q.awardingOpportunity:
        t = ao.temporal
        r["awarding"].append(([str(b.idref) for b in ao.awardingBody],
                              t.startDate.xsdLiteral() if t is not None and t.startDate is not None else None,
                              t.endDate.xsdLiteral() if t is not None and t.endDate is not None else None))
    r["partial"] = bool(q.isPartialQualification) if q.isPartialQualification is not None else None
    r["eqf"] = str(q.EQFLevel.uri)
    r["nqf"] = [str(n.uri) for n in q.NQFLevel]
    for c in q.qualificationCode:
        notation = next((w for w in c.wildcardElements()
                         if getattr(w, "localName", None) == "notation"), None)
        r["codes"].append(_dom_text(notation) if notation is not None else str(c.uri))
    r["accreditations"] = [str(a.idref) for a in q.accreditation]
    for h in q.homepage:
        url = next((w for w in h.wildcardElements()
                    if getattr(w, "localName", None) == "contentUrl"), None)
        if url is not None and _dom_text(url):
            r["homepages"].append(_dom_text(url).strip())
    return r


def _dom_text(node) -> str:
    return "".join(c.data for c in node.childNodes if getattr(c, "nodeType", None) == 3)
