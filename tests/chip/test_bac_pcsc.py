"""BAC end to end: pyscard -> pcscd -> vpcd -> virtual chip, then EF.COM under 3DES SM
with short APDUs (ICAO Doc 9303-11 §4.3, §9.8)."""

from __future__ import annotations

import pytest
from hw.vchip.personas import spec

from checkedid.errors import AccessDenied
from checkedid.nfc.access.bac import REJECTED, BACError, authenticate
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.apdu import Command
from checkedid.nfc.iso7816.pcsc import PcscTransport
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.secret import Secret
from tests.chip.conftest import READER, VChipFactory

PERSONA = "utopia-passport-bac"
SELECT_APP = Command(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471001"))
MAX_READ = 0xDF


def _read_ef_com(conn: ApduConnection) -> bytes:
    head = conn.call(Command(0x00, 0xB0, 0x9E, 0x00, le=4), step="READ EF.COM").data
    _tag, hlen, vlen = tlv.header_length(head)
    out = bytearray(head)
    while len(out) < hlen + vlen:
        n = min(MAX_READ, hlen + vlen - len(out))
        out += conn.call(Command(0x00, 0xB0, len(out) >> 8, len(out) & 0xFF, le=n),
                         step="READ EF.COM").data
    return bytes(out)


def test_bac_and_secure_read_over_pcsc(vchip: VChipFactory) -> None:
    vchip(PERSONA)
    with PcscTransport(READER, timeout=5) as t:
        assert t.supports_extended is False
        conn = ApduConnection(t, extended=False)
        conn.call(SELECT_APP, step="SELECT eMRTD")
        with pytest.raises(AccessDenied):
            conn.call(Command(0x00, 0xB0, 0x9E, 0x00, le=4), step="READ EF.COM")
        result = authenticate(conn, Secret(spec(PERSONA).mrz_information.encode()))
        conn.install_sm(result.session)
        com = _read_ef_com(conn)
        assert com[0] == 0x60
        item = tlv.decode_one(com)
        assert item.next_offset == len(com)
        assert tlv.find(item.value, 0x5C) is not None  # the data-group list
        conn.clear_sm()


def test_wrong_mrz_is_refused_over_pcsc(vchip: VChipFactory) -> None:
    vchip(PERSONA)
    wrong = spec(PERSONA).mrz_information.replace("L898902C3", "L898902C4")
    with PcscTransport(READER, timeout=5) as t:
        conn = ApduConnection(t, extended=False)
        conn.call(SELECT_APP, step="SELECT eMRTD")
        with pytest.raises(BACError, match="check the MRZ photo") as info:
            authenticate(conn, wrong.encode())
        assert REJECTED in str(info.value) and info.value.sw == 0x6300
        assert "L898902" not in str(info.value)
        assert not conn.sm_active
