"""The trust registry: which issuers each authority vouches for, and their keys (mappings/trust/).

One YAML file per authority (`<id>.yaml`, validated by mappings/trust/trust.schema.json), each
listing issuer ids (did:web, did:key, https URL) with the key material held locally: a DID
document, a JWKS, X.509 certificates. `load_trust_registry(directory)` is called once when a
connector first verifies (and by `nqf-hub trust`); it reports every problem of every file at
once (MappingFileError). Lookups (`issuer`, `key`, `issuer_for_certificate`) are dictionary
reads, cheap on the per-record path. Nothing is ever fetched: a did:web whose document is not
held here cannot be verified (the outcome is `unverified`, never a network call).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from hub.config import PROJECT_ROOT
from hub.errors import MappingFileError
from hub.routing.policy._yamlfiles import FAILED, load_schema, read_yaml, validate
from hub.verify.multikey import KeyProblem, did_key_public_key, public_key_from_multikey

TRUST_SCHEMA = PROJECT_ROOT / "mappings" / "trust" / "trust.schema.json"


@dataclass
class Issuer:
    """One issuer an authority vouches for, with its keys by verification-method id / kid."""

    id: str
    authority: str
    name: str | None = None
    keys: dict[str, object] = field(default_factory=dict)           # method id or kid -> public key
    assertion_methods: frozenset[str] | None = None                  # None: every key may assert
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def active(self, on: dt.date) -> bool:
        return (self.valid_from is None or on >= self.valid_from) and \
               (self.valid_until is None or on <= self.valid_until)


@dataclass
class TrustRegistry:
    directory: Path | None
    authorities: dict[str, dict] = field(default_factory=dict)      # id -> {name, jurisdiction, source}
    issuers: dict[str, Issuer] = field(default_factory=dict)
    certificates: dict[str, tuple[str, object]] = field(default_factory=dict)   # sha256 hex -> (issuer id, key)

    def issuer(self, issuer_id: str | None) -> Issuer | None:
        return self.issuers.get(issuer_id) if issuer_id else None

    def key(self, issuer: Issuer, key_id: str | None):
        """The public key `key_id` of `issuer`, or None when the registry does not hold it.

        A did:key method is derived from the DID itself; it belongs to the issuer only when the
        issuer *is* that did:key."""
        if not key_id:         # no kid: usable only when the issuer has exactly one key
            distinct = {id(k): k for k in issuer.keys.values()}
            return next(iter(distinct.values())) if len(distinct) == 1 else None
        if key_id.startswith("#"):
            key_id = issuer.id + key_id
        if key_id in issuer.keys:
            return issuer.keys[key_id]
        if issuer.id.startswith("did:key:") and key_id.split("#", 1)[0] == issuer.id:
            try:
                return did_key_public_key(key_id)
            except KeyProblem:
                return None
        return None

    def may_assert(self, issuer: Issuer, key_id: str) -> bool:
        if key_id.startswith("#"):
            key_id = issuer.id + key_id
        return issuer.assertion_methods is None or key_id in issuer.assertion_methods

    def issuer_for_certificate(self, der: bytes) -> tuple[str, object] | None:
        return self.certificates.get(hashlib.sha256(der).hexdigest())


def empty_registry() -> TrustRegistry:
    return TrustRegistry(directory=None)


def load_trust_registry(directory: Path | str) -> TrustRegistry:
    """Every `*.yaml` authority in `directory`. A missing directory is an empty registry (every
    credential is then `unverified`); an invalid file raises MappingFileError with all problems."""
    directory = Path(directory)
    reg = TrustRegistry(directory=directory)
    if not directory.is_dir():
        return reg
    validator = load_schema(TRUST_SCHEMA)
    problems: list[str] = []
    for path in sorted(p for p in directory.iterdir()
                       if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")):
        doc = read_yaml(path, problems)
        if doc is FAILED or not validate(validator, doc, path.name, problems):
            continue
        aid = doc["id"]
        if path.stem != aid:
            problems.append(f"{path.name}: id: file must be named {aid}.yaml")
        if aid in reg.authorities:
            problems.append(f"{path.name}: id: duplicate authority id {aid}")
            continue
        reg.authorities[aid] = {"name": doc["name"], "jurisdiction": doc["jurisdiction"],
                                "source": doc["source"]}
        for i, entry in enumerate(doc["issuers"]):
            where = f"{path.name}: issuers[{i}]"
            if entry["id"] in reg.issuers:
                problems.append(f"{where}.id: issuer already vouched for by authority "
                                f"{reg.issuers[entry['id']].authority} (one authority per issuer)")
                continue
            issuer = _issuer(entry, aid, directory, where, problems, reg)
            if issuer is not None:
                reg.issuers[issuer.id] = issuer
    if problems:
        raise MappingFileError(f"{len(problems)} problem(s) in trust registry files under {directory}",
                               problems)
    return reg


def _issuer(entry: dict, aid: str, directory: Path, where: str, problems: list[str],
            reg: TrustRegistry) -> Issuer | None:
    iid = entry["id"]
    issuer = Issuer(id=iid, authority=aid, name=entry.get("name"),
                    valid_from=_date(entry.get("valid_from")), valid_until=_date(entry.get("valid_until")))
    if iid.startswith("did:key:"):
        try:
            k = did_key_public_key(iid)
        except KeyProblem as e:
            problems.append(f"{where}.id: {e}")
            return None
        frag = iid[len("did:key:"):]
        issuer.keys[f"{iid}#{frag}"] = k
    elif iid.startswith("did:web:") and "did_document" not in entry and "jwks" not in entry \
            and "certificates" not in entry:
        problems.append(f"{where}: a did:web issuer needs its did_document (or jwks / certificates) "
                        "held locally; the hub never fetches it")
        return None
    if "did_document" in entry:
        doc = _material(entry["did_document"], directory, f"{where}.did_document", problems)
        if doc is not None:
            _did_document(doc, issuer, f"{where}.did_document", problems)
    if "jwks" in entry:
        jwks = _material(entry["jwks"], directory, f"{where}.jwks", problems)
        if jwks is not None:
            _jwks(jwks, issuer, f"{where}.jwks", problems)
    for j, rel in enumerate(entry.get("certificates", ())):
        p = _inside(directory, rel, f"{where}.certificates[{j}]", problems)
        if p is None:
            continue
        try:
            cert = x509.load_pem_x509_certificate(p.read_bytes())
        except (OSError, ValueError) as e:
            problems.append(f"{where}.certificates[{j}]: not a PEM certificate ({e.__class__.__name__})")
            continue
        from cryptography.hazmat.primitives.serialization import Encoding
        fp = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
        reg.certificates[fp] = (iid, cert.public_key())
        issuer.keys[f"x509-sha256:{fp}"] = cert.public_key()
    return issuer


def _date(s):
    return dt.date.fromisoformat(s) if s else None


def _inside(directory: Path, rel: str, where: str, problems: list[str]) -> Path | None:
    p = (directory / rel).resolve()
    if directory.resolve() not in p.parents:
        problems.append(f"{where}: path must stay inside the trust directory")
        return None
    if not p.is_file():
        problems.append(f"{where}: file not found")
        return None
    return p


def _material(value, directory: Path, where: str, problems: list[str]):
    if isinstance(value, dict):
        return value
    p = _inside(directory, value, where, problems)
    if p is None:
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        problems.append(f"{where}: not readable JSON ({e.__class__.__name__})")
        return None


def jwk_public_key(jwk: dict):
    """A public JWK (OKP Ed25519, EC P-256/P-384, RSA) -> `cryptography` key; KeyProblem otherwise."""
    from joserfc.errors import JoseError
    from joserfc.jwk import JWKRegistry
    if not isinstance(jwk, dict) or "d" in jwk:
        raise KeyProblem("a JWK must be a public key object (no private part)")
    try:
        key = JWKRegistry.import_key(jwk)
    except (JoseError, ValueError, KeyError, TypeError):
        raise KeyProblem("not a usable public JWK") from None
    return key.public_key


def _did_document(doc, issuer: Issuer, where: str, problems: list[str]) -> None:
    if not isinstance(doc, dict) or doc.get("id") != issuer.id:
        problems.append(f"{where}: DID document id must equal the issuer id")
        return
    methods = doc.get("verificationMethod") or []
    if not isinstance(methods, list) or not methods:
        problems.append(f"{where}: verificationMethod must list at least one key")
        return

    def absolute(ref: str) -> str:
        return issuer.id + ref if ref.startswith("#") else ref

    for k, m in enumerate(methods):
        if not isinstance(m, dict) or not isinstance(m.get("id"), str):
            problems.append(f"{where}: verificationMethod[{k}]: needs an id")
            continue
        try:
            if "publicKeyMultibase" in m:
                key = public_key_from_multikey(m["publicKeyMultibase"])
            elif "publicKeyJwk" in m:
                key = jwk_public_key(m["publicKeyJwk"])
            else:
                raise KeyProblem("needs publicKeyMultibase or publicKeyJwk")
        except KeyProblem as e:
            problems.append(f"{where}: verificationMethod[{k}]: {e}")
            continue
        mid = absolute(m["id"])
        issuer.keys[mid] = key
        jwk_kid = (m.get("publicKeyJwk") or {}).get("kid")
        if jwk_kid:
            issuer.keys.setdefault(jwk_kid, key)
    am = doc.get("assertionMethod")
    if isinstance(am, list):
        ids = {absolute(a if isinstance(a, str) else a.get("id", "")) for a in am}
        issuer.assertion_methods = frozenset(ids | {k for k, v in issuer.keys.items()
                                                    if any(v is issuer.keys.get(i) for i in ids)})


def _jwks(jwks, issuer: Issuer, where: str, problems: list[str]) -> None:
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        problems.append(f"{where}: must be a JWKS with a non-empty 'keys' list")
        return
    for k, jwk in enumerate(keys):
        try:
            key = jwk_public_key(jwk)
        except KeyProblem as e:
            problems.append(f"{where}.keys[{k}]: {e}")
            continue
        kid = jwk.get("kid")
        if not kid:
            problems.append(f"{where}.keys[{k}]: needs a kid")
            continue
        issuer.keys[kid] = key
        if not kid.startswith(("did:", "http")):
            issuer.keys.setdefault(f"{issuer.id}#{kid}", key)
