"""Chips that are not like ours, end to end over pcscd + vpcd: every quirk persona
(hw/vchip/quirks.py) is read and verified by the whole pipeline -- MRZ, PACE/BAC, the
files, PA, CA/AA and the face -- with the reader's fall-backs (ICAO Doc 9303-10 §3.11,
9303-11 §4.4; ISO/IEC 7816-4 §5.6, §11.3.3)."""

from __future__ import annotations

import itertools
import json
import time

import pytest
from hw.vchip.personas import spec
from hw.vchip.quirks import QUIRK_PERSONAS

from checkedid.cli import main as cli_main
from checkedid.cli.output import EXIT_CHIP
from checkedid.demo import run_demo
from checkedid.pipeline import ProgressEvent
from checkedid.result import Decision
from tests.chip.conftest import READER2, VPCD_PORT2, VChipFactory


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
    "quirk-slow-wtx": {"active": "PASSED", "chip": "PASSED"},
}


def test_slow_chip_progress_keeps_flowing() -> None:
    """The slow chip (about 6 s of waiting-time extensions: PACE, CA, AA, DG2 in 4 KB chunks):
    VERIFIED, and chip progress events arrive all along the read, DG2 in several steps."""
    events: list[tuple[float, ProgressEvent]] = []
    start = time.monotonic()
    result, _ = run_demo(persona="quirk-slow-wtx", port=VPCD_PORT2,
                         progress=lambda e: events.append((time.monotonic() - start, e)))
    assert result.decision is Decision.VERIFIED, result.reasons
    chip = [(t, e) for t, e in events if e.step == "chip"]
    dg2 = [(t, e.done) for t, e in chip if e.state == "progress" and e.file == "DG2"]
    assert len(dg2) >= 5 and [d for _, d in dg2] == sorted(d for _, d in dg2)
    assert dg2[-1][1] == max(e.total for _, e in chip if e.file == "DG2")
    read = [t for t, e in chip if e.state == "progress"]
    assert max(b - a for a, b in itertools.pairwise(read)) < 2.5  # never silent for long


def test_slow_chip_past_the_read_timeout_is_a_chip_timeout(
        vchip: VChipFactory, capsys: pytest.CaptureFixture[str]) -> None:
    """A chip slower than the configured deadline: PACE alone takes 1.6 s, the read may take
    1 s: ``read`` ends with ChipTimeout (exit code 3), not a verdict and not a hang."""
    vchip("quirk-slow-wtx", port=VPCD_PORT2)
    argv = ["read", "--reader", READER2, "--can", spec("quirk-slow-wtx").can,
            "--read-timeout", "1", "--no-fields", "--json"]
    start = time.monotonic()
    assert cli_main(argv) == EXIT_CHIP
    assert time.monotonic() - start < 6.0
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["kind"] == "ChipTimeout"
    assert "the time allowed for reading the chip has passed" in error["message"]
