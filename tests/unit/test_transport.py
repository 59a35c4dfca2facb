"""ApduConnection (ISO/IEC 7816-4 §10.2 chaining, 6Cxx), status-word errors, InProcessTransport."""

from __future__ import annotations

import logging

import pytest
from hw.vchip.chip import VirtualChip, make_atr
from hw.vchip.personas import build

from checkedid.errors import (
    AccessDenied,
    FileNotFound,
    ProtocolError,
    SecureMessagingError,
    StatusWordError,
    TransportError,
)
from checkedid.nfc.iso7816.apdu import Command, Response
from checkedid.nfc.iso7816.transport import InProcessTransport, Transport, atr_supports_extended
from checkedid.nfc.sm.connection import ApduConnection


class Scripted:
    """Answers from a list; records what was sent."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = [bytes.fromhex(a) for a in answers]
        self.sent: list[str] = []
        self.atr = make_atr(False)

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu.hex().upper())
        return self.answers.pop(0)


def test_get_response_chain() -> None:
    # 61 04 -> GET RESPONSE Le=4; 61 FF -> Le=255; the last answer ends with 9000
    card = Scripted(["01026104", "030461FF", "05069000"])
    resp = ApduConnection(card).send(Command(0, 0xB0, 0, 0, le=0))
    assert resp == Response(bytes.fromhex("010203040506"), 0x9000)
    assert card.sent == ["00B0000000", "00C0000004", "00C00000FF"]


def test_wrong_le_is_retried_with_the_right_one() -> None:
    card = Scripted(["6C10", "00" * 16 + "9000"])
    resp = ApduConnection(card).send(Command(0, 0x84, 0, 0, le=8))
    assert len(resp.data) == 16 and resp.ok
    assert card.sent == ["0084000008", "0084000010"]


def test_endless_chain_is_bounded() -> None:
    card = Scripted(["6101"] * 200)
    with pytest.raises(ProtocolError, match="GET RESPONSE"):
        ApduConnection(card).send(Command(0, 0xB0, 0, 0, le=1), step="READ")


def test_missing_status_word() -> None:
    with pytest.raises(ProtocolError, match="status word"):
        ApduConnection(Scripted(["90"])).send(Command(0, 0xB0, 0, 0, le=1), step="READ")


@pytest.mark.parametrize(("sw", "cls"), [(0x6982, AccessDenied), (0x6985, AccessDenied),
                                         (0x6A82, FileNotFound), (0x6700, StatusWordError)])
def test_check_maps_status_words(sw: int, cls: type[StatusWordError]) -> None:
    with pytest.raises(cls) as info:
        ApduConnection.check(Response(b"", sw), "READ BINARY EF.DG2")
    assert info.value.sw == sw and info.value.step == "READ BINARY EF.DG2"
    assert f"{sw:04X}" in str(info.value) and "READ BINARY EF.DG2" in str(info.value)
    assert ApduConnection.check(Response(b"", 0x6282), allow=(0x9000, 0x6282)).sw == 0x6282


def test_extended_modes() -> None:
    cmd = Command(0, 0xB0, 0, 0, le=0x1000)
    with pytest.raises(ProtocolError):
        ApduConnection(Scripted([]), extended=False).send(cmd)
    card = Scripted(["9000", "9000"])
    ApduConnection(card, extended=True).send(Command(0, 0x84, 0, 0, le=8))
    ApduConnection(card).send(cmd)
    assert card.sent == ["00840000000008", "00B00000001000"]
    assert ApduConnection(card).supports_extended is False
    assert ApduConnection(card, extended=True).supports_extended is True


def test_atr_parsing() -> None:
    assert atr_supports_extended(make_atr(True)) is True
    assert atr_supports_extended(make_atr(False)) is False
    assert atr_supports_extended(b"") is False
    assert atr_supports_extended(bytes.fromhex("3B8F8001")) is False  # truncated


def test_in_process_transport_against_the_virtual_chip(caplog: pytest.LogCaptureFixture) -> None:
    t = InProcessTransport(VirtualChip(build("utopia-id-pace-gm")))
    assert isinstance(t, Transport)
    with pytest.raises(TransportError):
        t.transmit(b"\x00\xa4\x04\x0c")
    with t, caplog.at_level(1, logger="checkedid.nfc.sm.connection"):
        assert t.supports_extended
        conn = ApduConnection(t)
        assert conn.supports_extended
        conn.call(Command(0, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471001")), step="SELECT")
        with pytest.raises(AccessDenied):
            conn.call(Command(0, 0xB0, 0x9E, 0, le=4), step="READ EF.COM")
    assert "A0000002471001" not in caplog.text.upper() and "SW 6982" in caplog.text
    assert not t.connected


def test_logs_nothing_under_sm(caplog: pytest.LogCaptureFixture) -> None:
    from checkedid.nfc.sm.messaging import SMSession

    card = Scripted(["9000"])
    conn = ApduConnection(card)
    conn.install_sm(SMSession("AES-128", bytes(16), bytes(16), 0))
    card.transmit = lambda apdu: b"\x69\x87"  # type: ignore[method-assign]
    with caplog.at_level(logging.NOTSET, logger="checkedid.nfc.sm.connection"), \
            pytest.raises(SecureMessagingError, match="ended the session"):
        conn.send(Command(0, 0xB0, 0, 0, le=1))  # a plain 6987 ends secure messaging
    assert caplog.text == ""
