"""BAC (ICAO Doc 9303-11 §4.3): the Appendix D exchange byte for byte, and against the
virtual chip in process (SM reads afterwards, wrong MRZ refused)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import build, spec

from checkedid.errors import AccessDenied, StatusWordError
from checkedid.nfc.access.bac import REJECTED, BACError, authenticate
from checkedid.nfc.iso7816.apdu import Command
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.nfc.sm.messaging import SecureTransport
from checkedid.secret import Secret
from tests.conftest import data_path

PERSONA = "utopia-passport-bac"
SELECT_APP = Command(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471001"))


@pytest.fixture(scope="module")
def vec() -> dict[str, Any]:
    return json.loads(data_path("vectors", "icao9303.json").read_text())["bac_appendix_D"]  # type: ignore[no-any-return]


class ScriptedCard:
    """Answers GET CHALLENGE and EXTERNAL AUTHENTICATE with the Appendix D values."""

    def __init__(self, vec: dict[str, Any]) -> None:
        self.vec = vec
        self.sent: list[str] = []
        self.atr = b"\x3b\x00"

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu.hex().upper())
        if apdu == bytes.fromhex(self.vec["get_challenge_apdu"]):
            return bytes.fromhex(self.vec["rnd_ic"]) + b"\x90\x00"
        if apdu == bytes.fromhex(self.vec["external_authenticate_apdu"]):
            return bytes.fromhex(self.vec["external_authenticate_resp_data"]) + b"\x90\x00"
        return b"\x63\x00"


def _rng(vec: dict[str, Any]) -> Iterator[bytes]:
    yield bytes.fromhex(vec["rnd_ifd"])
    yield bytes.fromhex(vec["k_ifd"])


def test_appendix_d_exchange(vec: dict[str, Any]) -> None:
    card = ScriptedCard(vec)
    values = _rng(vec)
    result = authenticate(ApduConnection(card), vec["mrz_information_ascii"].encode(),
                          rng=lambda n: next(values))
    assert card.sent == [vec["get_challenge_apdu"], vec["external_authenticate_apdu"]]
    s = result.session
    assert result.cipher == "3DES" and s.ssc == int(vec["ssc"], 16)
    assert bytes(s._ks_enc or b"").hex().upper() == vec["ks_enc"]
    assert bytes(s._ks_mac or b"").hex().upper() == vec["ks_mac"]


def test_forged_chip_answer_is_refused(vec: dict[str, Any]) -> None:
    card = ScriptedCard(vec)
    good = vec["external_authenticate_resp_data"]
    vec = dict(vec, external_authenticate_resp_data=good[:-2] + ("00" if good[-2:] != "00"
                                                                 else "01"))
    card.vec = vec
    values = _rng(vec)
    with pytest.raises(BACError, match="wrong MAC"):
        authenticate(ApduConnection(card), vec["mrz_information_ascii"].encode(),
                     rng=lambda n: next(values))


@pytest.fixture
def conn() -> Iterator[ApduConnection]:
    transport = InProcessTransport(VirtualChip(build(PERSONA)))
    transport.connect()
    c = ApduConnection(transport)
    c.call(SELECT_APP, step="SELECT eMRTD")
    yield c
    transport.disconnect()


def test_bac_then_read_ef_com_under_sm(conn: ApduConnection) -> None:
    with pytest.raises(AccessDenied):  # LDS files need BAC first
        conn.call(Command(0x00, 0xB0, 0x9E, 0x00, le=4), step="READ EF.COM")
    info = Secret(spec(PERSONA).mrz_information.encode())
    result = authenticate(conn, info)
    conn.install_sm(result.session)
    assert conn.sm_active and isinstance(conn.transport, SecureTransport)
    head = conn.call(Command(0x00, 0xB0, 0x9E, 0x00, le=4), step="READ EF.COM").data
    assert head[0] == 0x60
    total = 2 + head[1] if head[1] < 0x80 else 2 + (head[1] & 0x7F) + int.from_bytes(
        head[2:2 + (head[1] & 0x7F)], "big")
    body = bytearray(head)
    while len(body) < total:
        n = min(0xDF, total - len(body))
        body += conn.call(Command(0x00, 0xB0, len(body) >> 8, len(body) & 0xFF, le=n),
                          step="READ EF.COM").data
    assert len(body) == total and body[0] == 0x60
    # a missing file is reported through SM with its real status word
    with pytest.raises(StatusWordError) as info_err:
        conn.call(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x10"), step="SELECT EF.DG16")
    assert info_err.value.sw == 0x6A82
    conn.clear_sm()
    assert result.session.wiped


def test_wrong_mrz_is_refused(conn: ApduConnection) -> None:
    wrong = spec(PERSONA).mrz_information.replace("L898902C3", "L898902C4").encode()
    with pytest.raises(BACError) as info:
        authenticate(conn, wrong)
    assert str(info.value).startswith("BAC EXTERNAL AUTHENTICATE: " + REJECTED)
    assert info.value.sw == 0x6300 and isinstance(info.value, AccessDenied)
    assert "L898902" not in str(info.value)
    # the right key still works afterwards (a fresh challenge)
    result = authenticate(conn, spec(PERSONA).mrz_information.encode())
    conn.install_sm(result.session)
    assert conn.call(Command(0x00, 0xB0, 0x9E, 0x00, le=1)).data == b"\x60"


def test_rebac_replaces_session(conn: ApduConnection) -> None:
    info = spec(PERSONA).mrz_information.encode()
    first = authenticate(conn, info)
    conn.install_sm(first.session)
    second = authenticate(conn, info)
    assert first.session.wiped  # authenticate dropped the old channel
    conn.install_sm(second.session)
    assert conn.call(Command(0x00, 0xB0, 0x9E, 0x00, le=1)).data == b"\x60"
