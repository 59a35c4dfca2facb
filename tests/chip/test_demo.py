"""``checkedid demo`` end to end: the README's first command and its two rejections."""

from __future__ import annotations

from typing import Any

import pytest

from checkedid.demo import run_demo
from checkedid.result import Decision
from tests.chip.conftest import READER, VPCD_PORT


@pytest.fixture(autouse=True)
def _bed(pcscd: None) -> None:
    """The demo starts its own chip; it only needs pcscd with vpcd."""


def _run(**kwargs: Any) -> Any:
    events: list[Any] = []
    result, info = run_demo(progress=events.append, port=VPCD_PORT, **kwargs)
    return result, info, events


def test_demo_verifies_and_reports_every_step() -> None:
    result, info, events = _run()
    assert result.decision is Decision.VERIFIED, result.reasons
    assert {name: g.verdict.value for name, g in result.checks.items()} == {
        "mrz": "PASSED", "access": "PASSED", "passive": "PASSED", "active": "PASSED",
        "chip": "PASSED", "consistency": "PASSED", "face": "PASSED",
        "document_portrait": "PASSED"}  # the persona's portrait printed on the generated page
    assert result.document_portrait is not None and result.document_portrait.is_match
    assert set(result.timings) >= {"mrz", "chip", "authentication", "face"}
    assert result.protocol and result.protocol.startswith("PACE")
    assert any(e.state == "progress" and e.file for e in events)  # bytes of files as read
    assert info["wiped_objects"] >= 0 and info["reader"] == READER


def test_demo_with_another_persons_selfie_is_rejected() -> None:
    result, _, _ = _run(impostor=True)
    assert result.decision is Decision.REJECTED
    assert result.checks["face"].verdict.value == "FAILED"
    assert result.checks["passive"].verdict.value == "PASSED"


@pytest.mark.parametrize("persona", ["fault-tampered-dg1", "fault-tampered-dg2"])
def test_demo_with_a_tampered_chip_is_rejected_naming_pa(persona: str) -> None:
    result, _, _ = _run(persona=persona)
    assert result.decision is Decision.REJECTED
    assert result.checks["passive"].verdict.value == "FAILED"
    assert any(r.startswith("passive") for r in result.reasons)


def test_demo_with_a_csca_missing_from_the_trust_store_is_incomplete() -> None:
    """An unknown CSCA cannot be told from a genuine one: INCOMPLETE naming the country."""
    result, _, _ = _run(persona="fault-unknown-csca")
    assert result.decision is Decision.INCOMPLETE, result.reasons
    passive = result.checks["passive"]
    assert passive.verdict.value == "NOT_CHECKED"
    assert any("no CSCA of UT in the trust store" in r for r in result.reasons), result.reasons
