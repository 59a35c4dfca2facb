"""Chips that are not like ours, end to end over pcscd + vpcd: every quirk persona
(hw/vchip/quirks.py) is read and verified by the whole pipeline -- MRZ, PACE/BAC, the
files, PA, CA/AA and the face -- with the reader's fall-backs (ICAO Doc 9303-10 §3.11,
9303-11 §4.4; ISO/IEC 7816-4 §5.6, §11.3.3)."""

from __future__ import annotations

import pytest
from hw.vchip.quirks import QUIRK_PERSONAS

from checkedid.demo import run_demo
from checkedid.result import Decision
from tests.chip.conftest import VPCD_PORT2


@pytest.fixture(autouse=True)
def _bed(pcscd: None) -> None:
    """The demo starts its own chip; it only needs pcscd with vpcd."""


@pytest.mark.parametrize("persona", [f"quirk-{q}" for q, _base, _text in QUIRK_PERSONAS])
def test_quirk_persona_is_verified(persona: str) -> None:
    result, info = run_demo(persona=persona, port=VPCD_PORT2)
    assert result.decision is Decision.VERIFIED, result.reasons
    assert info["persona"] == persona
    assert {name: g.verdict.value for name, g in result.checks.items()} == {
        "mrz": "PASSED", "access": "PASSED", "passive": "PASSED", "consistency": "PASSED",
        "face": "PASSED", "document_portrait": "PASSED", **EXPECTED[persona]}


#: Active (DG15) and Chip Authentication (DG14) as the base persona offers them.
EXPECTED = {
    "quirk-no-sfi": {"active": "PASSED", "chip": "NOT_SUPPORTED"},
    "quirk-eof-6282": {"active": "PASSED", "chip": "NOT_SUPPORTED"},
    "quirk-short-apdu-only": {"active": "PASSED", "chip": "PASSED"},
    "quirk-multi-paceinfo": {"active": "PASSED", "chip": "PASSED"},
    "quirk-t0-chaining": {"active": "PASSED", "chip": "PASSED"},
    "quirk-select-mf-first": {"active": "NOT_SUPPORTED", "chip": "PASSED"},
}
