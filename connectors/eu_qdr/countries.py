"""How the EU QDR and QMS exports' country URIs become ISO 3166-1 alpha-2.

The exports name countries by EU Publications Office authority URIs such as
`http://publications.europa.eu/resource/authority/country/DEU`. These connectors read them with
the ISO table of `hub.sdk.countries` plus the authority's own codes for Kosovo (`1A0` → `XK`, the
user-assigned code the hub uses) and the French Southern and Antarctic Lands (`FQ0` → `TF`);
codes without a country (`EUR`, `OP_DATPRO`) and lower-case or alpha-2 codes give None.
"""
from __future__ import annotations

from hub.sdk.countries import EU_AUTHORITY_CODES, alpha2_from_authority


def alpha2(uri_or_code: str | None) -> str | None:
    """`…/country/DEU` → `DE`, `…/country/1A0` → `XK`; None for regions such as `EUR` or unknown codes."""
    return alpha2_from_authority(uri_or_code, extra=EU_AUTHORITY_CODES)
