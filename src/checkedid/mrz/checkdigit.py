"""MRZ check digits and the character/code tables of the machine-readable zone.

ICAO Doc 9303-3 §4.9: each character gets a value (``0``-``9`` their digit, ``A``-``Z``
10-35, the filler ``<`` 0), the values are multiplied by the repeating weights 7, 3, 1
and the check digit is the sum modulo 10.

:func:`compute_checks` evaluates every check digit of a zone for its layout, including the
long document number of TD1/TD2 (:func:`document_number`).

The tables of state codes follow Doc 9303-3 §5 (ISO 3166-1 alpha-3 plus the codes ICAO
reserves: ``D`` for Germany, the British ``GB?`` codes, ``UN?`` for the United Nations,
``XX?`` for stateless persons and refugees, ``EUE`` for the European Union and others) and
include ``UTO``, the fictitious state "Utopia" of the Doc 9303 specimens.

>>> check_digit("L898902C3")
'6'
>>> check_digit("740812")
'2'
"""

from __future__ import annotations

from collections.abc import Sequence

from checkedid.mrz.model import CHECK_KEYS, Layout

__all__ = [
    "ALPHABET",
    "DIGITS",
    "FILLER",
    "LETTERS",
    "STATE_CODES",
    "char_value",
    "check_digit",
    "compute_checks",
    "document_number",
    "is_known_state",
    "verify_check_digit",
]

FILLER = "<"
DIGITS = frozenset("0123456789")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: The 37 characters that may appear in an MRZ (Doc 9303-3 §4.2).
ALPHABET = DIGITS | LETTERS | {FILLER}

_WEIGHTS = (7, 3, 1)


def char_value(ch: str) -> int:
    """The value of one MRZ character for the check-digit sum (Doc 9303-3 §4.9).

    Raises :class:`ValueError` for characters outside the MRZ alphabet; callers validate
    the text first (the parser raises :class:`checkedid.errors.MRZError`).
    """
    if ch in DIGITS:
        return ord(ch) - 48
    if ch in LETTERS:
        return ord(ch) - 55
    if ch == FILLER:
        return 0
    raise ValueError("character outside the MRZ alphabet")


def check_digit(text: str) -> str:
    """The check digit (``"0"``-``"9"``) over ``text`` (Doc 9303-3 §4.9)."""
    total = 0
    for i, ch in enumerate(text):
        total += char_value(ch) * _WEIGHTS[i % 3]
    return str(total % 10)


def verify_check_digit(text: str, digit: str) -> bool:
    """True when ``digit`` is the check digit of ``text``.

    A filler ``<`` in the check-digit position never verifies here; the few places where
    Doc 9303 allows it (an empty personal number in TD3, Doc 9303-4 §4.2.2; the long
    document number of TD1/TD2) are handled by :func:`compute_checks`.
    """
    return len(digit) == 1 and digit in DIGITS and check_digit(text) == digit


def document_number(lines: Sequence[str], layout: Layout) -> tuple[str, str, str]:
    """(document number, its check digit, optional data) with the long-number form resolved.

    TD1 and TD2 documents with a number longer than 9 characters put '<' in the check-digit
    position and continue the number in the optional data, ending it with the check digit
    (Doc 9303-5 §4.2.4, Doc 9303-6 §4.2.4).
    """
    number = layout.text(lines, "document_number")
    cd = layout.text(lines, "document_number_cd")
    optional = layout.text(lines, "optional_data")
    if layout.name in ("TD1", "TD2") and cd == FILLER and optional[:1] != FILLER:
        cont = optional.split(FILLER, 1)[0]
        if len(cont) >= 2:
            return number + cont[:-1], cont[-1], optional[len(cont):].strip(FILLER)
    return number.rstrip(FILLER), cd, optional.strip(FILLER)


def compute_checks(lines: Sequence[str], layout: Layout) -> dict[str, bool | None]:
    """Every check of :data:`CHECK_KEYS` for already validated lines (no conversion)."""
    checks: dict[str, bool | None] = dict.fromkeys(CHECK_KEYS)
    number, cd, _ = document_number(lines, layout)
    text = number if len(number) > 9 else layout.text(lines, "document_number")
    checks["document_number"] = verify_check_digit(text, cd)
    for key in ("birth_date", "expiry_date"):
        checks[key] = verify_check_digit(layout.text(lines, key), layout.text(lines, key + "_cd"))
    if "optional_data_cd" in layout.fields:
        opt, opt_cd = layout.text(lines, "optional_data"), layout.text(lines, "optional_data_cd")
        empty = opt.strip(FILLER) == "" and opt_cd in (FILLER, "0")
        checks["optional_data"] = empty or verify_check_digit(opt, opt_cd)
    if layout.composite:
        body = "".join(lines[s.line][s.start:s.end] for s in layout.composite)
        checks["composite"] = check_digit(body) == layout.text(lines, "composite_cd")
    return checks


# ISO 3166-1 alpha-3 (Doc 9303-3 §5, Appendix to §5).
_ISO3166 = """
ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA
BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN
CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU
EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB
GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL
ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO
LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR
MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER
PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM
SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK
TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM
VUT WLF WSM YEM ZAF ZMB ZWE
"""

# Codes ICAO assigns beyond ISO 3166-1 (Doc 9303-3 §5 and its notes).
_ICAO_SPECIAL = """
D GBD GBN GBO GBP GBS UNO UNA UNK XBA XIM XCC XCE XCO XEC XES XMP XOM XPO XXA XXB XXC
XXX EUE RKS UTO
"""

#: Every issuing-state / nationality code checkedid knows (fillers stripped).
STATE_CODES: frozenset[str] = frozenset((_ISO3166 + _ICAO_SPECIAL).split())


def is_known_state(code: str) -> bool:
    """True for a known state code; ``code`` may carry trailing fillers (``"D<<"``)."""
    return code.rstrip(FILLER) in STATE_CODES
