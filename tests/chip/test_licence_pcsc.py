"""Driving licences end to end over pcscd + vpcd: BAP, PACE with the MRZ and with the CAN
(the licence number), ``checkedid read`` and the demo of both licence personas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hw.vchip.personas import spec

from checkedid.cli import main as cli_main
from checkedid.demo import run_demo
from checkedid.mrz.licence import parse_licence
from checkedid.nfc.application import LICENCE
from checkedid.nfc.iso7816.pcsc import PcscTransport
from checkedid.nfc.reader import ChipReader
from checkedid.result import Decision
from checkedid.verdict import Verdict
from tests.chip.conftest import READER, VPCD_PORT, VChipFactory

BAP, PACE = "nl-driving-licence-bap", "nl-driving-licence-pace"


@pytest.mark.parametrize(("persona", "kind"), [(BAP, "MRZ"), (PACE, "MRZ"), (PACE, "CAN")])
def test_licence_read_over_pcsc(vchip: VChipFactory, persona: str, kind: str) -> None:
    vchip(persona)
    s = spec(persona)
    access = parse_licence(s.mrz).access_key() if kind == "MRZ" else s.can
    with PcscTransport(READER, timeout=5) as t:
        data = ChipReader(t, application=LICENCE).read(access)
    assert data.application == "eDL"
    assert data.protocol == ("BAP" if persona == BAP else "PACE ECDH-GM brainpoolP256r1 AES-128")
    assert data.dg1.licence.licence_number == s.document_number
    assert [c.category for c in data.dg1.licence.categories] == ["AM", "B", "BE"]
    assert data.face_image is not None
    assert data.active.verdict is Verdict.PASSED
    assert data.chip.verdict is (Verdict.NOT_SUPPORTED if persona == BAP else Verdict.PASSED)


def test_read_command_with_licence_mrz_and_licence_number(
        vchip: VChipFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hw.pki import get_pki

    get_pki().export(tmp_path)
    vchip(PACE)
    s = spec(PACE)
    for key in (["--mrz", s.mrz], ["--can", s.can]):
        argv = ["read", "--reader", READER, *key, "--json", "--trust", str(tmp_path)]
        assert cli_main(argv) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["verified"] is True and out["application"] == "eDL"
        assert out["dg1"]["licence_number"] == s.document_number
        assert out["authentication"]["active"]["verdict"] == "PASSED"
        assert out["authentication"]["chip"]["verdict"] == "PASSED"
        assert sorted(out["files"]) == ["COM", "DG1", "DG13", "DG14", "DG6", "SOD"]


@pytest.mark.parametrize("persona", [BAP, PACE])
def test_demo_verifies_a_licence(pcscd: None, persona: str) -> None:
    result, info = run_demo(persona=persona, port=VPCD_PORT,
                            fields=("surname", "document_number", "licence_categories"))
    assert result.decision is Decision.VERIFIED, result.reasons
    verdicts = {name: g.verdict.value for name, g in result.checks.items()}
    assert verdicts == {"mrz": "PASSED", "access": "PASSED", "passive": "PASSED",
                        "active": "PASSED",
                        "chip": "NOT_SUPPORTED" if persona == BAP else "PASSED",
                        "consistency": "PASSED", "face": "PASSED"}
    assert result.protocol == ("BAP" if persona == BAP else
                               "PACE ECDH-GM brainpoolP256r1 AES-128")
    assert result.fields["document_number"] == spec(persona).document_number
    assert [c["category"] for c in result.fields["licence_categories"]] == ["AM", "B", "BE"]
    assert info["document_photo"]["format"] == "DL1"
