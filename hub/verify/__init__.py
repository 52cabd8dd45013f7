"""Verification of signed credentials at ingest (issue 13): envelopes, proofs, trust, status.

    verifier.Verifier      check_json(value) -> Checked(credential, Outcome); raises SignatureInvalid
    xmldsig.check_elmo     XML-DSig (enveloped) of an ELMO document -> Outcome
    trust                  the trust registry under mappings/trust/ (authorities -> issuers -> keys)
    contexts               JSON-LD contexts held locally (pyld document loader, never the network)
    status                 Bitstring Status List / 1EdTech revocation list from the status cache
    integrity, jose        Data Integrity cryptosuites; JWS compact / JSON (JAdES) via joserfc

Connectors call `verifier_for(ctx)`; the runtime never opens a network connection for any of
this. The outcome goes to `header.verification`; `Verifier` is built once per process from
settings (`trust_dir`, `status_cache_dir`) unless the DecodeContext carries one.
"""
from __future__ import annotations

from functools import lru_cache

from hub.verify.outcome import INVALID, UNVERIFIED, VERIFIED, Outcome
from hub.verify.verifier import Checked, Verifier

__all__ = ["INVALID", "UNVERIFIED", "VERIFIED", "Checked", "Outcome", "Verifier", "build_verifier",
           "default_verifier", "verifier_for"]


def build_verifier(settings) -> Verifier:
    from hub.verify.contexts import ContextStore
    from hub.verify.status import StatusCache
    from hub.verify.trust import load_trust_registry
    trust = settings.trust_path
    return Verifier(load_trust_registry(trust), StatusCache(settings.status_cache_path),
                    ContextStore.load(trust / "contexts"))


@lru_cache(maxsize=1)
def default_verifier() -> Verifier:
    """The process-wide verifier from settings (loaded on first use; MappingFileError if the
    trust registry is invalid)."""
    from hub.config import load_settings
    return build_verifier(load_settings())


def verifier_for(ctx) -> Verifier:
    """The verifier a DecodeContext carries, else the process default."""
    v = getattr(ctx, "verifier", None)
    return v if v is not None else default_verifier()
