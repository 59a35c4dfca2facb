"""The virtual chip in process: file system, access control, READ BINARY variants, faults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hw.vchip.chip import VirtualChip, make_atr
from hw.vchip.faults import make_fault
from hw.vchip.personas import build, check_digit, mrz_td3, spec, specs
from hw.vchip.vpcd import CardRemoved

SELECT_APP = bytes.fromhex("00A4040C07A0000002471001")


def run(chip: VirtualChip, hexapdu: str) -> tuple[bytes, int]:
    out = chip.process(bytes.fromhex(hexapdu))
    return out[:-2], int.from_bytes(out[-2:], "big")


@pytest.fixture(scope="module")
def gm() -> VirtualChip:
    chip = VirtualChip(build("utopia-id-pace-gm"))
    chip.power_on()
    return chip


def test_icao_specimen_check_digits() -> None:
    # Doc 9303-4 Appendix: the Utopia specimen with its original 2012 expiry.
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    line2 = mrz_td3("L898902C3").split("\n")[1]
    assert len(line2) == 44 and line2.startswith("L898902C36UTO7408122F310415")
    assert spec("utopia-passport-bac").mrz_information == "L898902C3674081223104150"


def test_atr_announces_extended_length() -> None:
    from checkedid.nfc.iso7816.pcsc import atr_supports_extended

    assert atr_supports_extended(make_atr(True))
    assert not atr_supports_extended(make_atr(False))
    assert not atr_supports_extended(bytes.fromhex("3B8F8001804F0CA0000003060300030000000068"))


def test_mf_files_readable_before_authentication(gm: VirtualChip) -> None:
    assert run(gm, "00A4020C02011C") == (b"", 0x9000)
    data, sw = run(gm, "00B0000000")
    assert sw == 0x6282 and data[0] == 0x31 and len(data) == data[1] + 2
    data, sw = run(gm, "00B09C0004")  # short EF identifier 1C, offset 0
    assert sw == 0x9000 and data == gm.state.persona.mf_files[0x011C][:4]


def test_lds_files_need_authentication_and_dg3_never(gm: VirtualChip) -> None:
    assert run(gm, SELECT_APP.hex())[1] == 0x9000
    assert run(gm, "00A4020C020101")[1] == 0x9000
    assert run(gm, "00B0000004")[1] == 0x6982
    assert run(gm, "00A4020C020103")[1] == 0x6A82  # DG3 not personalised
    assert run(gm, "00A4020C020199")[1] == 0x6A82


def test_select_with_fcp_and_unknown_aid(gm: VirtualChip) -> None:
    data, sw = run(gm, "00A4000002011C")
    assert sw == 0x9000 and data[0] == 0x62 and data[4:6] == len(
        gm.state.persona.mf_files[0x011C]).to_bytes(2, "big")
    assert run(gm, "00A4040C07A0000002471002")[1] == 0x6A82
    assert run(gm, "00A4020702011C")[1] == 0x6A86


def test_read_binary_offsets_end_of_file_and_odd_ins(gm: VirtualChip) -> None:
    content = gm.state.persona.mf_files[0x011C]
    run(gm, "00A4020C02011C")
    data, sw = run(gm, "00B0000510")
    assert data == content[5:21] and sw == 0x9000
    assert run(gm, f"00B000{len(content):02X}01")[1] == 0x6B00
    data, sw = run(gm, "00B10000045402000500")
    assert sw == 0x6282 and data[0] == 0x53 and data[2:] == content[5:]
    assert run(gm, "00B10000035401")[1] in (0x6A80, 0x6700)


def test_get_challenge_and_unknown_ins(gm: VirtualChip) -> None:
    a, sw = run(gm, "0084000008")
    b, _ = run(gm, "0084000008")
    assert sw == 0x9000 and len(a) == 8 and a != b and gm.state.challenge == b
    assert run(gm, "00CA000000")[1] == 0x6D00


def test_short_persona_rejects_extended_apdus() -> None:
    chip = VirtualChip(build("utopia-passport-bac"))
    chip.power_on()
    assert run(chip, "00A4040C07A0000002471001")[1] == 0x9000
    assert run(chip, "00B000000000FF")[1] == 0x6700


def test_protected_command_without_sm_is_refused(gm: VirtualChip) -> None:
    assert run(gm, "0CB0000004")[1] == 0x6882


def test_dg2_photo_is_realistic(gm: VirtualChip) -> None:
    for name in ("utopia-id-pace-gm", "utopia-passport-bac", "utopia-id-pace-im"):
        dg2 = build(name).files[0x0102]
        assert 15_000 <= len(dg2) <= 31_000, (name, len(dg2))
    assert b"\xff\x4f\xff\x51" in build("utopia-id-pace-gm").files[0x0102]  # JPEG 2000
    assert b"\xff\xd8\xff" in build("utopia-passport-bac").files[0x0102]  # JPEG


def test_fault_card_removed_mid_read() -> None:
    persona = build("utopia-id-pace-gm")
    chip = VirtualChip(persona, fault=make_fault("card-removed-mid-read:10"))
    chip.power_on()
    run(chip, "00A4020C02011C")
    run(chip, "00B0000008")
    with pytest.raises(CardRemoved):
        chip.process(bytes.fromhex("00B0000808"))


def test_fault_parsing() -> None:
    assert make_fault(None) is None
    assert make_fault("slow-chip:5").delay == pytest.approx(0.005)  # type: ignore[union-attr]
    with pytest.raises(KeyError):
        make_fault("no-such-fault")


def test_list_personas_json_contract() -> None:
    out = subprocess.run([sys.executable, "-m", "hw.vchip", "--list-personas", "--json"],
                         capture_output=True, text=True, check=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    personas = json.loads(out.stdout)["personas"]
    names = {p["name"] for p in personas}
    assert len(names) == len(specs()) >= 13
    for p in personas:
        assert set(p) >= {"name", "document_number", "birth_date", "expiry_date", "mrz", "can",
                          "protocols", "fault"}
        assert len(p["birth_date"]) == 6 and len(p["expiry_date"]) == 6
        assert p["expiry_date"] > "260101"
        assert p["protocols"] and set(p["protocols"]) <= {"PACE", "BAC"}
    faults = {p["fault"] for p in personas if p["fault"]}
    assert {"tampered-dg1", "unknown-csca", "cloned-chip", "ca-key-mismatch"} <= faults
    bac = next(p for p in personas if p["name"] == "utopia-passport-bac")
    assert bac["protocols"] == ["BAC"] and bac["mrz"].count("\n") == 1
