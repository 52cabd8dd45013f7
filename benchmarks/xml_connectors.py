"""Throughput and peak memory of the XML connectors, and pyxb against streaming lxml.

    .venv/bin/python benchmarks/xml_connectors.py              # all cases (~2-4 min)
    .venv/bin/python benchmarks/xml_connectors.py --quick      # small sizes
    .venv/bin/python benchmarks/xml_connectors.py --case qdr-lxml --n 200000

Every case runs in its own child process, so its peak RSS (`ru_maxrss`) is its own. Inputs are
generated from the project's fixtures under $TMPDIR/nqfhub-bench (never committed) and reused.
Connector cases decode through `hub.ingest.decoding.decode_sources` (connector + Avro encoding of
every event, as `nqf-hub convert` does). The binding cases compare, on the same records:

- `qdr-lxml` / `qdr-pyxb`: the eu-qdr connector with `binding=lxml` (default) or `binding=pyxb`
  (each streamed record bound by the generated pyxb module, same events);
- `qdr-pyxb-document`: pyxb's own `CreateFromDocument` on the whole export (no streaming);
- `elmo-pyxb-bind`: pyxb binding of whole ELMO files, against `elmo` (lxml) on the same files.

The last line printed is JSON: per case records/s and peak RSS (MiB), and the lxml/pyxb ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data"
WORK = Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "nqfhub-bench"
LOQ = "http://data.europa.eu/snb/model/ap/loq-constraints/"
AMS = "http://data.europa.eu/snb/model/ap/ams-constraints/"
EWP = ("https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tors/blob/stable-v2/"
       "endpoints/get-response.xsd")
NQF = ["c_218a7e54", "c_12a84182", "c_060f2f91", "c_021f233f", "c_045fd11d"]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---- inputs (generated from the fixtures' shapes) ----------------------------------------------

def qdr_input(n: int) -> Path:
    path = WORK / f"qdr-{n}.xml"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'<Courses xmlns="{LOQ}" xmlns:skos="http://www.w3.org/2004/02/skos/core#">'
                "<learningAchievementSpecificationReferences>\n")
        for i in range(n):
            f.write(
                f'<qualification id="http://q.example.org/{i}"><title language="en">Qualification {i}'
                f'</title><description language="en">Generated entry {i}</description>'
                "<status>released</status><modified>2024-05-01T09:00:00Z</modified>"
                f'<ISCEDFCode uri="http://data.europa.eu/snb/isced-f/0{610 + i % 9}"/>'
                "<volumeOfLearning>P3Y</volumeOfLearning><creditPoint><framework "
                'uri="http://data.europa.eu/snb/education-credit/6fcec5c5af"/><point>180</point>'
                '</creditPoint><language uri="http://publications.europa.eu/resource/authority/'
                'language/ENG"/><awardingOpportunity>'
                f'<awardingBody idref="http://org.example.org/{i % 100}"/><learningAchievementSpecification '
                f'idref="http://q.example.org/{i}"/></awardingOpportunity>'
                f'<EQFLevel uri="http://data.europa.eu/snb/eqf/{1 + i % 8}"/>'
                f'<NQFLevel uri="http://data.europa.eu/snb/qdr/{NQF[i % len(NQF)]}"/>'
                "</qualification>\n")
        f.write("</learningAchievementSpecificationReferences><agentReferences>\n")
        for o in range(100):
            f.write(f'<organisation id="http://org.example.org/{o}"><legalName language="en">Body {o}'
                    f'</legalName><location idref="http://loc.example.org/{o % 5}"/></organisation>\n')
        f.write("</agentReferences><locationReferences>\n")
        for o, c in enumerate(["IRL", "DEU", "NLD", "POL", "NOR"]):
            f.write(f'<location id="http://loc.example.org/{o}"><address><countryCode '
                    f'uri="http://publications.europa.eu/resource/authority/country/{c}"/>'
                    "</address></location>\n")
        f.write("</locationReferences></Courses>\n")
    return path


def qms_input(n: int) -> Path:
    path = WORK / f"qms-{n}.xml"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'<Accreditations xmlns="{AMS}"><accreditationReferences>\n')
        for i in range(n):
            f.write(
                f'<accreditation id="http://acc.example.org/{i}"><type '
                'uri="http://data.europa.eu/snb/accreditation/820101cba6"/>'
                f'<title language="en">Programme accreditation {i}</title>'
                f'<organisation idref="http://org.example.org/{i % 100}"/>'
                '<limitField uri="http://data.europa.eu/snb/isced-f/0613"/>'
                '<limitEQFLevel uri="http://data.europa.eu/snb/eqf/7"/>'
                '<accreditingAgent idref="http://org.example.org/agency"/>'
                "<issued>2024-01-01T00:00:00Z</issued><expiryDate>2030-01-01T00:00:00Z</expiryDate>"
                "</accreditation>\n")
        f.write("</accreditationReferences><agentReferences>\n")
        for o in [*range(100), "agency"]:
            f.write(f'<organisation id="http://org.example.org/{o}"><legalName language="en">Org {o}'
                    '</legalName><location idref="http://loc.example.org/nl"/></organisation>\n')
        f.write('</agentReferences><locationReferences><location id="http://loc.example.org/nl">'
                '<address><countryCode uri="http://publications.europa.eu/resource/authority/country/NLD"/>'
                "</address></location></locationReferences></Accreditations>\n")
    return path


def _elmo_doc(i: int, courses: int) -> str:
    parts = "".join(
        f"<hasPart><learningOpportunitySpecification><identifier type=\"local\">C{i}-{c}</identifier>"
        f"<title xml:lang=\"en\">Course {c}</title><type>Course</type><specifies>"
        "<learningOpportunityInstance><date>2024-01-15</date><status>passed</status>"
        "<resultLabel>B</resultLabel><credit><scheme>ects</scheme><value>5</value></credit>"
        "<level><type>EQF</type><value>7</value></level></learningOpportunityInstance></specifies>"
        "</learningOpportunitySpecification></hasPart>" for c in range(courses))
    return (
        '<elmo xmlns="https://github.com/emrex-eu/elmo-schemas/tree/v1">'
        "<generatedDate>2024-06-30T10:00:00Z</generatedDate><learner>"
        f'<identifier type="esi">urn:schac:personalUniqueCode:int:esi:uio.no:BENCH{i}</identifier>'
        f"<givenNames>Given {i}</givenNames><familyName>Family {i}</familyName><bday>1999-01-01</bday>"
        "</learner><report><issuer><country>NO</country><identifier type=\"schac\">uio.no</identifier>"
        "<title xml:lang=\"en\">University of Oslo</title><url>https://www.uio.no/</url></issuer>"
        f"<learningOpportunitySpecification><identifier type=\"local\">P{i}</identifier>"
        "<title xml:lang=\"en\">Master</title><type>Degree Programme</type><specifies>"
        "<learningOpportunityInstance><date>2024-06-14</date><status>passed</status>"
        "<level><type>EQF</type><value>7</value></level><level><type>NQF</type><value>7</value></level>"
        f"</learningOpportunityInstance></specifies>{parts}</learningOpportunitySpecification>"
        "<issueDate>2024-06-30T10:00:00Z</issueDate></report></elmo>")


def elmo_input(files: int, courses: int = 20) -> Path:
    d = WORK / f"elmo-{files}x{courses}"
    if not d.exists():
        d.mkdir(parents=True)
        for i in range(files):
            (d / f"elmo-{i:06d}.xml").write_text(_elmo_doc(i, courses), encoding="utf-8")
    return d


def ewp_input(n: int) -> Path:
    path = WORK / f"ewp-{n}.xml"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'<imobility-tors-get-response xmlns="{EWP}">\n')
            for i in range(n):
                f.write(f"<tor><omobility-id>OM-{i}</omobility-id>{_elmo_doc(i, 3)}</tor>\n")
            f.write("</imobility-tors-get-response>\n")
    return path


def xhs_input(files: int) -> Path:
    d = WORK / f"xhs-{files}"
    if not d.exists():
        d.mkdir(parents=True)
        src = (DATA / "xhochschule" / "good" / "hochschulabschlusszeugnis.xml").read_text("utf-8")
        for i in range(files):
            (d / f"z-{i:06d}.xml").write_text(src.replace("FIXT-778899", f"B-{i}"), "utf-8")
    return d


# ---- cases ---------------------------------------------------------------------------------------

def run_connector(name: str, paths: list[Path], options: dict | None = None) -> dict:
    from hub.errors import DecodeError
    from hub.ingest.decoding import decode_sources, make_context, sources_for
    from hub.sdk import registry
    conn = registry.inbound(name)
    ctx = make_context(conn, options=options)
    t0 = time.perf_counter()
    events = errors = 0
    for item, _ in decode_sources(conn, sources_for(conn, paths), ctx):
        if isinstance(item, DecodeError):
            errors += 1
        else:
            events += 1
    dt = time.perf_counter() - t0
    return {"records": events, "errors": errors, "seconds": round(dt, 3),
            "records_per_s": round(events / dt, 1)}


def case(name: str, n: int) -> dict:
    if name == "baseline":
        import connectors.eu_qdr, connectors.elmo, hub.ingest.decoding  # noqa: E401,F401
        return {"records": 0}
    if name == "qdr-lxml":
        return run_connector("eu-qdr", [qdr_input(n)])
    if name == "qdr-pyxb":
        return run_connector("eu-qdr", [qdr_input(n)], {"binding": "pyxb"})
    if name == "qdr-pyxb-document":
        import connectors.eu_qdr._bindings  # noqa: F401
        from connectors.eu_qdr._bindings import loq_v3
        data = qdr_input(n).read_bytes()
        t0 = time.perf_counter()
        doc = loq_v3.CreateFromDocument(data)
        k = len(doc.learningAchievementSpecificationReferences.qualification)
        dt = time.perf_counter() - t0
        return {"records": k, "seconds": round(dt, 3), "records_per_s": round(k / dt, 1)}
    if name == "qms-lxml":
        return run_connector("eu-qms", [qms_input(n)])
    if name == "elmo":
        return run_connector("elmo", [elmo_input(n)])
    if name == "elmo-pyxb-bind":
        import connectors.elmo._bindings  # noqa: F401
        from connectors.elmo._bindings import elmo_v1
        files = sorted(elmo_input(n).iterdir())
        t0 = time.perf_counter()
        for p in files:
            elmo_v1.CreateFromDocument(p.read_bytes())
        dt = time.perf_counter() - t0
        return {"records": len(files), "seconds": round(dt, 3),
                "records_per_s": round(len(files) / dt, 1), "unit": "documents bound"}
    if name == "ewp-tor":
        return run_connector("ewp-tor", [ewp_input(n)])
    if name == "xhochschule":
        return run_connector("xhochschule", [xhs_input(n)])
    raise SystemExit(f"unknown case {name}")


SIZES = {   # case -> (full, quick)
    "baseline": (0, 0), "qdr-lxml": (50_000, 5_000), "qdr-pyxb": (5_000, 500),
    "qdr-pyxb-document": (5_000, 500), "qms-lxml": (50_000, 5_000), "elmo": (1_000, 100),
    "elmo-pyxb-bind": (1_000, 100), "ewp-tor": (5_000, 500), "xhochschule": (1_000, 100),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case")
    ap.add_argument("--n", type=int)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        out = case(a.case, a.n)
        out["peak_rss_mib"] = round(peak_rss_mib(), 1)
        print(json.dumps(out))
        return
    results = {}
    for name, sizes in SIZES.items():
        if a.case and name != a.case:
            continue
        n = a.n if a.n is not None else sizes[1 if a.quick else 0]
        p = subprocess.run([sys.executable, __file__, "--child", "--case", name, "--n", str(n)],
                           capture_output=True, text=True, check=True)
        results[name] = {"n": n, **json.loads(p.stdout.strip().splitlines()[-1])}
        print(f"{name:20s} n={n:<7d} {results[name]}", flush=True)
    summary = {"cases": results}
    r = results
    if "qdr-lxml" in r and "qdr-pyxb" in r:
        summary["qdr_lxml_over_pyxb_records_per_s"] = round(
            r["qdr-lxml"]["records_per_s"] / r["qdr-pyxb"]["records_per_s"], 1)
    if "qdr-lxml" in r and "qdr-pyxb-document" in r:
        summary["qdr_rss_pyxb_document_over_lxml_stream"] = round(
            r["qdr-pyxb-document"]["peak_rss_mib"] / r["qdr-lxml"]["peak_rss_mib"], 2)
    if "elmo" in r and "elmo-pyxb-bind" in r:
        summary["elmo_docs_per_s_lxml_connector_over_pyxb_bind_only"] = round(
            r["elmo"]["records_per_s"] / r["elmo-pyxb-bind"]["records_per_s"], 1)   # 1 event per file
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
