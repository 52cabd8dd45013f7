"""Verifications per second of hub.verify, per proof type, against raw signature checks.

Builds the deterministic signed fixtures (tests/verify_fixtures.py, test keys) in a temporary
directory, then times, in this one process and one after the other:

* baselines: a raw Ed25519 verify and a raw ECDSA P-256 verify of 64 bytes (`cryptography`);
* `Verifier.check_json` on each signed credential kind: Data Integrity eddsa-jcs-2022,
  ecdsa-jcs-2019, eddsa-rdfc-2022, ecdsa-rdfc-2019 (small credential, local contexts), VC-JWT
  EdDSA and ES256 (an Open Badges 3.0 credential), JAdES/JWS JSON ES256 with an x5c certificate
  (a European Digital Credential), an unsigned credential (the cost of looking), and a revoked
  one (with the status-list lookup);
* ELMO XML-DSig (`hub.verify.xmldsig.check_elmo`, ECDSA-SHA256, on an already-parsed tree).

Each row: verifications/s and the ratio to the raw Ed25519 verify (how many raw verifies one
check costs). Numbers vary with machine load; rerun for your own.

    python benchmarks/verify_credentials.py                # ~2 s per row
    python benchmarks/verify_credentials.py --seconds 0.5  # quicker

The last line printed is one JSON object with every number.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rate(fn, seconds: float) -> float:
    """Calls per second of `fn` over about `seconds` (after one warm-up call)."""
    fn()
    n, t0 = 0, time.perf_counter()
    deadline = t0 + seconds
    batch = 1
    while True:
        for _ in range(batch):
            fn()
        n += batch
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - t0)
        batch = min(batch * 2, 256)


def fixtures_module():
    spec = importlib.util.spec_from_file_location("verify_fixtures", ROOT / "tests" / "verify_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time per row (default 2)")
    args = ap.parse_args(argv)

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from hub.verify import Verifier
    from hub.verify.contexts import ContextStore
    from hub.verify.status import StatusCache
    from hub.verify.trust import load_trust_registry
    from hub.verify.xmldsig import check_elmo

    fx = fixtures_module()
    with tempfile.TemporaryDirectory() as tmp:
        built = fx.build(tmp)
        keys = built["keys"]
        verifier = Verifier(load_trust_registry(built["trust"]), StatusCache(built["status"]),
                            ContextStore.load(built["trust"] / "contexts"), today=dt.date(2026, 6, 1))
        creds = built["credentials"]

        def load(name):
            text = (creds / name).read_text(encoding="utf-8")
            return text.strip() if name.endswith(".jwt") else json.loads(text)

        msg = b"x" * 64
        ed_sig = keys.web.sign(msg)
        ed_pub = keys.web.public_key()
        ec_sig = keys.p256.sign(msg, ec.ECDSA(hashes.SHA256()))
        ec_pub = keys.p256.public_key()
        rows: dict[str, dict] = {}
        raw_ed = rate(lambda: ed_pub.verify(ed_sig, msg), args.seconds)
        rows["baseline: raw Ed25519 verify"] = {"per_s": raw_ed}
        rows["baseline: raw ECDSA P-256 verify"] = {"per_s": rate(lambda: ec_pub.verify(ec_sig, msg, ec.ECDSA(hashes.SHA256())), args.seconds)}

        cases = [
            ("DataIntegrityProof eddsa-jcs-2022 (OB3)", "ob3-eddsa-jcs-good.json", "verified"),
            ("DataIntegrityProof ecdsa-jcs-2019 (OB3)", "ob3-ecdsa-jcs-good.json", "verified"),
            ("DataIntegrityProof eddsa-rdfc-2022 (small VC)", "rdf-eddsa-rdfc-good.json", "verified"),
            ("DataIntegrityProof ecdsa-rdfc-2019 (small VC)", "rdf-ecdsa-rdfc-good.json", "verified"),
            ("VC-JWT EdDSA (OB3)", "ob3-vc-jwt-good.jwt", "verified"),
            ("VC-JWT ES256 (OB3)", "ob3-vc-jwt-es256.jwt", "verified"),
            ("JAdES / JWS JSON ES256 x5c (EDC)", "edc-jades-good.json", "verified"),
            ("eddsa-jcs-2022 + Bitstring status list (revoked)", "ob3-revoked-bitstring.json", "invalid"),
            ("unsigned OB3 (nothing to check)", "ob3-unsigned.json", "unverified"),
        ]
        for label, name, want in cases:
            value = load(name)
            got = verifier.check_json(value).outcome.status
            assert got == want, (name, got)
            size = len((creds / name).read_bytes())
            rows[label] = {"per_s": rate(lambda v=value: verifier.check_json(v), args.seconds), "bytes": size}

        from hub.sdk.limits import DEFAULT_LIMITS
        from hub.sdk.xml import parse_document
        elmo_src = sorted((ROOT / "tests" / "data" / "elmo" / "good").glob("*.xml"))[0].read_bytes()
        signed_xml = fx.signed_elmo(keys, built["elmo_cert"], elmo_src)
        root = parse_document(signed_xml, DEFAULT_LIMITS, file="bench.xml")
        assert check_elmo(root, verifier).status == "verified"
        rows["XML-DSig ecdsa-sha256 (ELMO, parsed tree)"] = {
            "per_s": rate(lambda: check_elmo(root, verifier), args.seconds), "bytes": len(signed_xml)}

    width = max(map(len, rows))
    print(f"{'check':<{width}}  {'per second':>12}  {'x raw Ed25519':>13}")
    for label, r in rows.items():
        r["per_s"] = round(r["per_s"], 1)
        r["raw_ed25519_verifies_per_check"] = round(raw_ed / r["per_s"], 1)
        print(f"{label:<{width}}  {r['per_s']:>12,.0f}  {r['raw_ed25519_verifies_per_check']:>13,.1f}")
    print(json.dumps({"benchmark": "verify_credentials", "seconds_per_row": args.seconds,
                      "python": sys.version.split()[0], "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
