"""`Verifier`: unwrap a signed credential and decide verified / unverified / invalid, offline.

Inbound connectors call `check_json(value)` once per record (a JSON credential with or without an
embedded Data Integrity `proof`, a JWS JSON serialisation / JAdES envelope, or a compact VC-JWT
string) and get `Checked(credential, outcome)`: the credential to map and the header outcome.
A signature or proof that is checked and does not match raises `SignatureInvalid` (the runtime
dead-letters the original bytes); an envelope that cannot be read raises `DecodeError`.

Trust: the key must be one the trust registry holds for the credential's issuer (or the issuer's
own did:key), listed as an assertion method, and an authority must vouch for the issuer on the
credential's issue date. A signature that matches a key the registry does not vouch for is
`unverified`; revocation or suspension in a cached status list is `invalid`.
Thread-safe after construction except for the status cache's read-through dictionary (benign).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.errors import DecodeError, SignatureInvalid
from hub.verify import integrity, jose, status
from hub.verify.contexts import ContextStore
from hub.verify.integrity import ProofMismatch, Unsupported
from hub.verify.outcome import INVALID, UNVERIFIED, VERIFIED, Outcome, unverified
from hub.verify.status import StatusCache
from hub.verify.trust import TrustRegistry, empty_registry

VC11 = "https://www.w3.org/2018/credentials/v1"
VC20 = "https://www.w3.org/ns/credentials/v2"


@dataclass
class Checked:
    credential: dict
    outcome: Outcome


class _Unresolved(Exception):
    """No key to check with; the message is the unverified reason."""


def data_model(doc) -> str | None:
    ctx = doc.get("@context") if isinstance(doc, dict) else None
    first = ctx[0] if isinstance(ctx, list) and ctx else ctx
    return {VC11: "VC 1.1", VC20: "VC 2.0"}.get(first) if isinstance(first, str) else None


def issuer_id(doc: dict) -> str | None:
    iss = doc.get("issuer")
    if isinstance(iss, dict):
        iss = iss.get("id")
    return iss if isinstance(iss, str) else None


def _issued_on(doc: dict, today: dt.date) -> dt.date:
    for k in ("validFrom", "issuanceDate", "issued"):
        v = doc.get(k)
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v[:10])
            except ValueError:
                pass
    return today


def credential_from_jwt_claims(payload: dict) -> dict:
    """A VC-JWT payload -> the credential. VC-JOSE-COSE (VC 2.0) payloads are the credential
    itself; VC-JWT 1.1 keeps it under `vc` with registered claims standing in for properties."""
    vc = payload.get("vc")
    if not isinstance(vc, dict):
        return payload
    cred = dict(vc)
    if "issuer" not in cred and isinstance(payload.get("iss"), str):
        cred["issuer"] = payload["iss"]
    if "id" not in cred and isinstance(payload.get("jti"), str):
        cred["id"] = payload["jti"]
    for claim, prop in (("nbf", "issuanceDate"), ("exp", "expirationDate")):
        if prop not in cred and isinstance(payload.get(claim), (int, float)):
            cred[prop] = dt.datetime.fromtimestamp(payload[claim], dt.timezone.utc) \
                .strftime("%Y-%m-%dT%H:%M:%SZ")
    subject = cred.get("credentialSubject")
    if isinstance(subject, dict) and "id" not in subject and isinstance(payload.get("sub"), str):
        cred["credentialSubject"] = {**subject, "id": payload["sub"]}
    return cred


class Verifier:
    def __init__(self, registry: TrustRegistry | None = None, status_cache: StatusCache | None = None,
                 contexts: ContextStore | None = None, today: dt.date | None = None):
        self.registry = registry or empty_registry()
        self.status_cache = status_cache or StatusCache(None)
        self.contexts = contexts or ContextStore()
        self.today = today
        self._lists_checked: dict[tuple, str | None] = {}   # (list URL, cached copy) -> problem or None

    # ---- entry point ------------------------------------------------------------------------
    def check_json(self, value) -> Checked:
        if jose.is_envelope(value):
            return self._check_jws(value)
        if not isinstance(value, dict):
            raise DecodeError("must be a JSON object (one credential) or a JWS", field="(root)")
        if "proof" in value:
            return Checked(value, self._check_proofs(value))
        return Checked(value, unverified("the credential carries no signature or proof",
                                         issuer=issuer_id(value), data_model=data_model(value)))

    # ---- JWS / VC-JWT / JAdES -------------------------------------------------------------------
    def _check_jws(self, value) -> Checked:
        try:
            env = jose.parse(value)
            payload = env.payload()
        except jose.EnvelopeProblem as e:
            raise DecodeError(str(e), field="(root)" if isinstance(value, str) else "signatures") from None
        cred = credential_from_jwt_claims(payload)
        iss = issuer_id(cred)
        claimed = payload.get("iss")
        if isinstance(claimed, str) and iss and claimed != iss:
            raise SignatureInvalid("the JWT iss claim and the credential issuer differ", field="issuer")
        outcomes = []
        for i, signer in enumerate(env.signers):
            kind = "jades" if signer.jades else ("vc-jwt" if env.form == "compact" else "jws-json")
            label = f"{kind}/{signer.alg}"
            field = "(root)" if env.form == "compact" else f"signatures[{i}]"
            outcomes.append(self._one_jws(env, signer, cred, iss, label, field))
        return Checked(cred, self._best(outcomes).with_(data_model=data_model(cred)))

    def _one_jws(self, env, signer, cred, iss, label, field) -> Outcome:
        try:
            key, issuer, key_id = self._jws_key(signer, iss)
        except _Unresolved as e:
            return unverified(str(e), proof=label, issuer=iss, key_id=signer.kid)
        try:
            jose.verify(env, signer, key)
        except Unsupported as e:
            return unverified(str(e), proof=label, issuer=iss, key_id=key_id)
        except ProofMismatch as e:
            raise SignatureInvalid(str(e), field=field) from None
        return self._trusted(cred, issuer, iss, key_id, label)

    def _jws_key(self, signer, iss):
        cert = jose.certificate_key(signer)
        fingerprint = cert[0] if cert else jose.thumbprint(signer)
        if fingerprint:
            held = self.registry.certificates.get(fingerprint)
            if held is None:
                if cert is None:
                    raise _Unresolved("the signing certificate is not in the trust registry")
                # not trusted, but still checked: a seal broken since signing is a forgery either way
                from cryptography import x509
                try:
                    key = x509.load_der_x509_certificate(cert[1]).public_key()
                except ValueError:
                    raise DecodeError("x5c[0] is not an X.509 certificate", field="signatures") from None
                return key, None, f"x509-sha256:{fingerprint}"
            cert_issuer, key = held
            if cert_issuer != iss:
                raise _Unresolved("the signing certificate is registered for another issuer")
            return key, self.registry.issuer(iss), f"x509-sha256:{fingerprint}"
        return self._key(iss, signer.kid)

    # ---- Data Integrity ---------------------------------------------------------------------
    def _check_proofs(self, doc: dict) -> Outcome:
        proofs = doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]
        iss = issuer_id(doc)
        outcomes = []
        for i, proof in enumerate(proofs):
            field = "proof" if not isinstance(doc["proof"], list) else f"proof[{i}]"
            if not isinstance(proof, dict):
                raise DecodeError("must be a proof object", field=field)
            label = f"{proof.get('type')}/{proof.get('cryptosuite')}" if proof.get("cryptosuite") \
                else str(proof.get("type"))
            method = proof.get("verificationMethod")
            method = method.get("id") if isinstance(method, dict) else method
            try:
                key, issuer, key_id = self._key(iss, method if isinstance(method, str) else None)
                integrity.check(doc, proof, key, self.contexts)
            except _Unresolved as e:
                outcomes.append(unverified(str(e), proof=label, issuer=iss, key_id=method))
                continue
            except Unsupported as e:
                outcomes.append(unverified(str(e), proof=label, issuer=iss, key_id=method))
                continue
            except ProofMismatch as e:
                raise SignatureInvalid(str(e), field=field) from None
            outcomes.append(self._trusted(doc, issuer, iss, key_id, label))
        return self._best(outcomes).with_(data_model=data_model(doc))

    # ---- shared -----------------------------------------------------------------------------
    def _key(self, iss: str | None, key_id: str | None):
        """(public key, registry Issuer or None, key id) for a signature by `key_id` for `iss`."""
        if not iss:
            raise _Unresolved("the credential names no issuer id")
        issuer = self.registry.issuer(iss)
        if issuer is not None:
            key = self.registry.key(issuer, key_id)
            if key is None:
                raise _Unresolved(f"key {key_id} is not among the keys the trust registry holds "
                                  f"for issuer {iss}")
            return key, issuer, key_id
        if key_id and iss.startswith("did:key:") and key_id.split("#", 1)[0] == iss:
            from hub.verify.multikey import KeyProblem, did_key_public_key
            try:
                return did_key_public_key(key_id), None, key_id
            except KeyProblem as e:
                raise _Unresolved(f"the did:key cannot be used ({e})") from None
        raise _Unresolved(f"issuer {iss} is not in the trust registry (no key held)")

    def _trusted(self, cred: dict, issuer, iss: str | None, key_id: str | None, label: str) -> Outcome:
        base = dict(proof=label, issuer=iss, key_id=key_id)
        st = status.check(cred, self.status_cache, self._list_problem)
        if st is not None and st.state in ("revoked", "suspended"):
            return Outcome(INVALID, st.reason, vouched_by=issuer.authority if issuer else None, **base)
        if issuer is None:
            return unverified(f"signature verified, but issuer {iss} is not vouched for by any "
                              "authority in the trust registry", **base)
        today = self.today or dt.date.today()
        if not issuer.active(_issued_on(cred, today)):
            return unverified(f"signature verified, but authority {issuer.authority} did not vouch "
                              f"for issuer {iss} on the issue date", vouched_by=issuer.authority, **base)
        if key_id and not self.registry.may_assert(issuer, key_id):
            return unverified(f"key {key_id} is not an assertion method of issuer {iss}",
                              vouched_by=issuer.authority, **base)
        if st is not None and st.state == "unknown":
            return unverified(f"signature verified; {st.reason}", vouched_by=issuer.authority, **base)
        tail = f"; {st.reason}" if st is not None else ""
        return Outcome(VERIFIED, f"signature verified with a key of issuer {iss}, vouched for by "
                       f"{issuer.authority}{tail}", vouched_by=issuer.authority, **base)

    def _list_problem(self, url: str, listed: dict) -> str | None:
        """None when a cached status list may be used: unsigned (the operator vouched for the copy
        by caching it) or signed with a proof that verifies. Checked once per list URL."""
        memo = self._lists_checked
        copy = (url, self.status_cache.version(url))
        if copy not in memo:
            memo[copy] = None
            if "proof" in listed:
                try:      # the list's own status entries are not followed (no cache: no recursion)
                    Verifier(self.registry, StatusCache(None), self.contexts, self.today)._check_proofs(listed)
                except (SignatureInvalid, DecodeError):
                    memo[copy] = f"cached status list {url} has a proof that does not verify; not used"
        return memo[copy]

    @staticmethod
    def _best(outcomes: list[Outcome]) -> Outcome:
        """Invalid (revoked) wins; then verified; else the first unverified reason."""
        for wanted in (INVALID, VERIFIED, UNVERIFIED):
            for o in outcomes:
                if o.status == wanted:
                    return o
        return unverified("no signature could be checked")
