"""One ISO table (hub.sdk.countries), two connector treatments of the EU authority's own codes."""
from __future__ import annotations

from connectors.elm_edc.mapping import authority_country
from connectors.eu_qdr.countries import alpha2
from hub.sdk.countries import AUTHORITY_COUNTRY, authority_uri


def test_qdr_and_qms_map_the_authority_codes_for_kosovo_and_the_french_southern_lands():
    assert alpha2(AUTHORITY_COUNTRY + "DEU") == "DE"
    assert alpha2(AUTHORITY_COUNTRY + "1A0") == "XK"
    assert alpha2("FQ0") == "TF"
    assert alpha2(AUTHORITY_COUNTRY + "EUR") is None
    assert alpha2("deu") is None and alpha2("DE") is None     # authority codes only, as written


def test_elm_treats_codes_outside_iso_as_unknown_and_reads_loosely():
    assert authority_country(AUTHORITY_COUNTRY + "DEU/") == "DE"
    assert authority_country(AUTHORITY_COUNTRY + "1A0") is None
    assert authority_country("FQ0") is None
    assert authority_country("deu") == "DE" and authority_country("de") == "DE"
    assert authority_country(None) is None and authority_country(42) is None


def test_authority_uri_is_the_inverse_for_iso_countries():
    assert authority_uri("GB-SCT") == AUTHORITY_COUNTRY + "GBR"
    assert authority_uri("XK") is None
