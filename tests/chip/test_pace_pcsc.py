"""PACE end to end: pyscard -> pcscd -> vpcd -> virtual chip, then a DG1 read under the
PACE session (ICAO Doc 9303-11 §4.4, §9.8)."""

from __future__ import annotations

import pytest
from hw.vchip.personas import spec

from checkedid.errors import AccessDenied
from checkedid.nfc.access.pace import PacePassword, authenticate
from checkedid.nfc.iso7816.apdu import Command
from checkedid.nfc.iso7816.pcsc import PcscTransport
from checkedid.nfc.lds.securityinfos import CardAccess, parse_security_infos
from checkedid.nfc.sm.connection import ApduConnection
from tests.chip.conftest import READER, VChipFactory

SELECT_APP = Command(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471001"))


def _card_access(conn: ApduConnection) -> CardAccess:
    data = conn.call(Command(0x00, 0xB0, 0x9C, 0x00, le=256), step="READ EF.CardAccess",
                     allow=(0x9000, 0x6282)).data
    return parse_security_infos(data)


def _dg1(conn: ApduConnection) -> bytes:
    conn.call(SELECT_APP, step="SELECT eMRTD")
    return conn.call(Command(0x00, 0xB0, 0x81, 0x00, le=256), step="READ DG1",
                     allow=(0x9000, 0x6282)).data


@pytest.mark.parametrize(("persona", "kind", "extended"), [
    ("utopia-id-pace-gm", "CAN", None),
    ("utopia-id-pace-gm", "MRZ", None),
    ("utopia-id-pace-dh", "MRZ", False),  # 1024-bit DH keys in short APDUs
    ("utopia-id-pace-cam", "CAN", None),
])
def test_pace_and_secure_read_over_pcsc(vchip: VChipFactory, persona: str, kind: str,
                                        extended: bool | None) -> None:
    vchip(persona)
    s = spec(persona)
    with PcscTransport(READER, timeout=5) as t:
        assert t.supports_extended is s.extended_length
        conn = ApduConnection(t, extended=extended)
        with pytest.raises(AccessDenied):
            _dg1(conn)  # nothing readable before PACE
        password = PacePassword.mrz(s.mrz_information.encode()) if kind == "MRZ" \
            else PacePassword.can(s.can)
        result = authenticate(conn, password, _card_access(conn))
        assert s.pace is not None and result.mapping == s.pace.mapping
        conn.install_sm(result.session)
        dg1 = _dg1(conn)
        assert dg1[0] == 0x61 and s.document_number.encode() in dg1
        conn.clear_sm()


def test_wrong_can_is_refused_over_pcsc(vchip: VChipFactory) -> None:
    persona = "utopia-id-pace-dh"
    vchip(persona)
    wrong = "999999" if spec(persona).can != "999999" else "888888"
    with PcscTransport(READER, timeout=5) as t:
        conn = ApduConnection(t, extended=False)
        with pytest.raises(AccessDenied, match="CAN printed on the card") as info:
            authenticate(conn, PacePassword.can(wrong), _card_access(conn))
        assert info.value.sw == 0x6300
        assert wrong not in str(info.value)
        assert not conn.sm_active
