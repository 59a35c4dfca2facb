"""The PC/SC chain itself: reader listing, card presence, SELECT through pcscd and vpcd."""

from __future__ import annotations

import json

import pytest

from checkedid.cli import main as cli_main
from checkedid.errors import NoCardError, NoReaderError
from checkedid.nfc.iso7816.pcsc import PcscTransport, list_readers
from tests.chip.conftest import READER, READER2

EMRTD_SELECT = bytes.fromhex("00A4040C07A0000002471001")


def test_readers_json_lists_vpcd_with_card(vchip, capsys: pytest.CaptureFixture[str]) -> None:
    chip = vchip("utopia-id-pace-gm")
    assert cli_main(["readers", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    slot0 = next(r for r in out["readers"] if r["name"] == READER)
    assert slot0["card_present"] is True
    assert slot0["atr"].startswith("3B")
    chip.stop()


def test_select_emrtd_aid_over_pcscd(vchip) -> None:
    vchip("utopia-passport-bac")
    with PcscTransport(READER, timeout=5) as t:
        assert t.transmit(EMRTD_SELECT) == b"\x90\x00"
        # unknown AID -> file not found, LDS file before BAC -> security status not satisfied
        assert t.transmit(bytes.fromhex("00A4040C07A0000002471002"))[-2:] == b"\x6a\x82"
        assert t.transmit(EMRTD_SELECT) == b"\x90\x00"
        assert t.transmit(bytes.fromhex("00B0810004"))[-2:] == b"\x69\x82"
        assert t.supports_extended is False


def test_extended_length_announced_in_atr(vchip) -> None:
    vchip("utopia-id-pace-gm")
    with PcscTransport(READER) as t:
        assert t.supports_extended is True
        assert t.max_response == 65536


def test_no_card_and_unknown_reader_are_actionable(pcscd: None) -> None:
    if any(r.name == READER2 and r.card_present for r in list_readers()):
        pytest.skip("slot 1 unexpectedly has a card")
    with pytest.raises(NoCardError, match="place the document"):
        PcscTransport(READER2, timeout=0.2).connect()
    with pytest.raises(NoReaderError, match="checkedid readers"):
        PcscTransport("no such reader").connect()
