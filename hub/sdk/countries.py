"""Country codes: ISO 3166-1 alpha-3 -> alpha-2, and the EU Publications Office country table.

EU exports (ELM/EDC JSON-LD, QDR/QMS XML) name countries by URIs of the EU Publications Office
authority table (`http://publications.europa.eu/resource/authority/country/DEU`), whose codes are
ISO 3166-1 alpha-3 for real countries; the hub uses alpha-2. The authority table also has codes of
its own outside ISO 3166-1 (`1A0` Kosovo, `FQ0` French Southern and Antarctic Lands, `EUR`,
`OP_DATPRO`, ...): `alpha2_from_authority` maps those only when the caller passes them as `extra`
(`EU_AUTHORITY_CODES` holds the ones that name a place with an alpha-2), else they give None.
Each connector states its own choice at its call site.
"""
from __future__ import annotations

from collections.abc import Mapping

AUTHORITY_COUNTRY = "http://publications.europa.eu/resource/authority/country/"

_PAIRS = """
AFG AF ALA AX ALB AL DZA DZ ASM AS AND AD AGO AO AIA AI ATA AQ ATG AG ARG AR ARM AM ABW AW AUS AU
AUT AT AZE AZ BHS BS BHR BH BGD BD BRB BB BLR BY BEL BE BLZ BZ BEN BJ BMU BM BTN BT BOL BO BES BQ
BIH BA BWA BW BVT BV BRA BR IOT IO BRN BN BGR BG BFA BF BDI BI CPV CV KHM KH CMR CM CAN CA CYM KY
CAF CF TCD TD CHL CL CHN CN CXR CX CCK CC COL CO COM KM COG CG COD CD COK CK CRI CR CIV CI HRV HR
CUB CU CUW CW CYP CY CZE CZ DNK DK DJI DJ DMA DM DOM DO ECU EC EGY EG SLV SV GNQ GQ ERI ER EST EE
SWZ SZ ETH ET FLK FK FRO FO FJI FJ FIN FI FRA FR GUF GF PYF PF ATF TF GAB GA GMB GM GEO GE DEU DE
GHA GH GIB GI GRC GR GRL GL GRD GD GLP GP GUM GU GTM GT GGY GG GIN GN GNB GW GUY GY HTI HT HMD HM
VAT VA HND HN HKG HK HUN HU ISL IS IND IN IDN ID IRN IR IRQ IQ IRL IE IMN IM ISR IL ITA IT JAM JM
JPN JP JEY JE JOR JO KAZ KZ KEN KE KIR KI PRK KP KOR KR KWT KW KGZ KG LAO LA LVA LV LBN LB LSO LS
LBR LR LBY LY LIE LI LTU LT LUX LU MAC MO MDG MG MWI MW MYS MY MDV MV MLI ML MLT MT MHL MH MTQ MQ
MRT MR MUS MU MYT YT MEX MX FSM FM MDA MD MCO MC MNG MN MNE ME MSR MS MAR MA MOZ MZ MMR MM NAM NA
NRU NR NPL NP NLD NL NCL NC NZL NZ NIC NI NER NE NGA NG NIU NU NFK NF MKD MK MNP MP NOR NO OMN OM
PAK PK PLW PW PSE PS PAN PA PNG PG PRY PY PER PE PHL PH PCN PN POL PL PRT PT PRI PR QAT QA REU RE
ROU RO RUS RU RWA RW BLM BL SHN SH KNA KN LCA LC MAF MF SPM PM VCT VC WSM WS SMR SM STP ST SAU SA
SEN SN SRB RS SYC SC SLE SL SGP SG SXM SX SVK SK SVN SI SLB SB SOM SO ZAF ZA SGS GS SSD SS ESP ES
LKA LK SDN SD SUR SR SJM SJ SWE SE CHE CH SYR SY TWN TW TJK TJ TZA TZ THA TH TLS TL TGO TG TKL TK
TON TO TTO TT TUN TN TUR TR TKM TM TCA TC TUV TV UGA UG UKR UA ARE AE GBR GB USA US UMI UM URY UY
UZB UZ VUT VU VEN VE VNM VN VGB VG VIR VI WLF WF ESH EH YEM YE ZMB ZM ZWE ZW
""".split()

ALPHA3_TO_ALPHA2: dict[str, str] = dict(zip(_PAIRS[0::2], _PAIRS[1::2]))
ALPHA2_TO_ALPHA3: dict[str, str] = {v: k for k, v in ALPHA3_TO_ALPHA2.items()}
#: authority-table codes outside ISO 3166-1 that name one place with an alpha-2 the hub uses
#: (`XK` is the user-assigned code for Kosovo)
EU_AUTHORITY_CODES: Mapping[str, str] = {"1A0": "XK", "FQ0": "TF"}
_NONE: Mapping[str, str] = {}


def alpha2_from_authority(uri_or_code: str | None, *, extra: Mapping[str, str] = _NONE,
                          lenient: bool = False) -> str | None:
    """'…/authority/country/DEU' or 'DEU' -> 'DE'; None when absent or not an ISO 3166-1 code.

    `extra` maps further authority codes (e.g. `EU_AUTHORITY_CODES`). `lenient` also accepts
    lower case and lets an ISO alpha-2 code ('DE') through as it is, for hand-written JSON-LD.
    """
    if not uri_or_code or not isinstance(uri_or_code, str):
        return None
    code = uri_or_code.rstrip("/").rsplit("/", 1)[-1]
    if lenient:
        code = code.upper()
        if len(code) == 2 and code in ALPHA2_TO_ALPHA3:
            return code
    return ALPHA3_TO_ALPHA2.get(code) or extra.get(code)


def authority_uri(alpha2: str) -> str | None:
    """'DE' (or 'GB-SCT', using the country part) -> the EU authority URI, None when unknown."""
    a3 = ALPHA2_TO_ALPHA3.get(alpha2.split("-")[0].upper())
    return AUTHORITY_COUNTRY + a3 if a3 else None
