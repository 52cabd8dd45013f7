"""Fictional European Digital Credentials for tests and benchmarks.

`sample_edcs(n, seed)` maps the openbadges3 sample credentials to canonical events and renders
them with `ElmOutbound`, so every sample is valid against the EBSI EDC schema (tested) and
carries EQF / national-framework levels, ECTS credits and ISCED-F fields where the source has them.
"""
from __future__ import annotations

from collections.abc import Iterator

from connectors.elm_edc.outbound import ElmOutbound
from connectors.openbadges3.inbound import OpenBadges3Inbound
from connectors.openbadges3.mapping import to_credential_issued
from connectors.openbadges3.samples import sample_credentials
from hub.sdk.inbound import DecodeContext


def sample_edcs(n: int, seed: int = 0, jurisdictions=("ZA", "DE", "IN", "GB", "NL")) -> Iterator[dict]:
    enc = ElmOutbound()
    ctx = DecodeContext("samples", OpenBadges3Inbound.defaults)
    for doc in sample_credentials(n, seed=seed, jurisdictions=jurisdictions):
        yield enc.credential(to_credential_issued(doc, ctx))
