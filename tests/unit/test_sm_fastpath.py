"""The direct secure-messaging path (Doc 9303-11 §9.8) gives the bytes and answers of the
generic one: commands protected straight to bytes, the usual response layout split
without the general TLV parser, and plain 61xx/6Cxx answers still resolved."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from checkedid.errors import ParseError, ProtocolError, SecureMessagingError
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.apdu import Command, Response
from checkedid.nfc.sm import messaging
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.nfc.sm.messaging import SMSession, compute_mac


def _pair(cipher: str = "AES-128", n: int = 16) -> tuple[SMSession, SMSession, SMSession]:
    enc, mac = secrets.token_bytes(n), secrets.token_bytes(n)
    return tuple(SMSession(cipher, enc, mac, 5) for _ in range(3))  # type: ignore[return-value]


COMMANDS = [
    Command(0x00, 0xB0, 0x81, 0x00, le=0xDF),
    Command(0x00, 0xB0, 0x00, 0x10, le=256),
    Command(0x00, 0xB0, 0x00, 0x00, le=0x1000),
    Command(0x00, 0xB1, 0x00, 0x00, b"\x54\x02\x80\x00", 65536),
    Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e"),
    Command(0x00, 0x22, 0x41, 0xA4, bytes(300)),
    Command(0x00, 0x84, 0x00, 0x00, le=8),
    Command(0x00, 0x82, 0x00, 0x00),
]


@pytest.mark.parametrize("cipher", ["3DES", "AES-128"])
@pytest.mark.parametrize("extended", [False, True])
def test_protected_bytes_equal_the_encoded_protected_command(cipher: str,
                                                             extended: bool) -> None:
    a, b, chip = _pair(cipher)
    for cmd in COMMANDS:
        wrapped = a.protect_command(cmd)
        raw = b.protect_command_bytes(cmd, extended)
        assert raw == wrapped.to_bytes(extended or wrapped.needs_extended), cmd
        assert chip.unprotect_command(Command.from_bytes(raw)) == cmd


@pytest.mark.parametrize("size", [0, 1, 15, 16, 100, 0xDF, 0x1000])
@pytest.mark.parametrize("sw", [0x9000, 0x6282])
def test_usual_response_layout_is_split_like_the_tlv_parser(size: int, sw: int) -> None:
    term, _spare, chip = _pair()
    chip.ssc += 1
    plain = Response(secrets.token_bytes(size), sw)
    protected = chip.protect_response(plain)
    data = protected.data
    end = len(data) - 10
    objs = SMSession._objects(data[:end], "response")
    layout = messaging._usual_layout(data, end)
    assert layout is not None
    tag, off = layout
    assert objs[0x99] == data[end - 2:end]
    assert {t: v for t, v in objs.items() if t != 0x99} == ({tag: data[off:end - 4]} if tag else {})
    term.ssc += 1
    assert term.unprotect_response_bytes(protected.data, protected.sw) == plain


def _answer(chip: SMSession, dos: Callable[[bytes], bytes]) -> bytes:
    """A response with the DOs ``dos(cryptogram)``, MACed with the chip's next SSC."""
    ssc = (chip.ssc + 1).to_bytes(chip.block, "big")
    body = dos(b"\x01" + chip._encrypt(ssc, b"hidden-dg"))
    return body + b"\x8e\x08" + compute_mac(chip.cipher, chip._ks_mac or b"", ssc + body)


@pytest.mark.parametrize(("dos", "outcome"), [
    (lambda c: tlv.encode(0x99, b"\x90\x00") + tlv.encode(0x87, c), b"hidden-dg"),
    (lambda c: b"\x87\x81" + bytes([len(c)]) + c + tlv.encode(0x99, b"\x90\x00"),
     b"hidden-dg"),
    (lambda c: tlv.encode(0x87, c) + tlv.encode(0x87, c) + tlv.encode(0x99, b"\x90\x00"),
     "repeats"),
    (lambda c: tlv.encode(0x87, c) + tlv.encode(0x8E, b"x") + tlv.encode(0x99, b"\x90\x00"),
     "unexpected"),
    (lambda c: tlv.encode(0x87, c) + tlv.encode(0x99, b"\x90"), "DO'99'"),
    (lambda c: tlv.encode(0x87, c)[:-1] + tlv.encode(0x99, b"\x90\x00"), "malformed|DO'99'"),
])
def test_other_layouts_take_the_general_parser(dos: Callable[[bytes], bytes],
                                               outcome: bytes | str) -> None:
    """Another order, a non-minimal length, repeated or foreign DOs: the general parser
    decides, with its own errors, after the MAC was checked."""
    term, _spare, chip = _pair("3DES")
    data = _answer(chip, dos)
    assert messaging._usual_layout(data, len(data) - 10) is None
    if isinstance(outcome, str):
        with pytest.raises(SecureMessagingError, match=outcome):
            term.unprotect_response_bytes(data, 0x9000)
        return
    assert term.unprotect_response_bytes(data, 0x9000) == Response(outcome, 0x9000)


class _Chip:
    """Chip side of a session answering from a script of plain responses; ``GET RESPONSE``
    and the re-sent command are protected like any other command."""

    def __init__(self, chip: SMSession, answers: list[Response]) -> None:
        self.chip, self.answers = chip, answers
        self.seen: list[Command] = []
        self.atr = b"\x3b\x00"

    def transmit(self, apdu: bytes) -> bytes:
        self.seen.append(self.chip.unprotect_command(Command.from_bytes(apdu)))
        # the status word that matters is the protected one (DO'99'); outside it 9000
        return self.chip.protect_response(self.answers.pop(0)).data + b"\x90\x00"


def _connection(answers: list[Response], extended: bool | None = None
                ) -> tuple[ApduConnection, _Chip]:
    term, _spare, chip = _pair()
    card = _Chip(chip, answers)
    conn = ApduConnection(card, extended=extended)  # type: ignore[arg-type]
    conn.install_sm(term)
    return conn, card


def test_plain_wrong_le_under_sm_sends_the_command_again() -> None:
    conn, card = _connection([Response(b"", 0x6C10), Response(b"x" * 16, 0x9000)])
    resp = conn.send(Command(0x00, 0xB0, 0x00, 0x00, le=0xDF))
    assert resp == Response(b"x" * 16, 0x9000)
    assert [c.le for c in card.seen] == [0xDF, 0x10] and card.seen[1].ins == 0xB0


def test_plain_more_data_under_sm_is_fetched_with_get_response() -> None:
    conn, card = _connection([Response(b"ab", 0x6103), Response(b"cde", 0x9000)])
    resp = conn.send(Command(0x00, 0xB0, 0x00, 0x00, le=0xDF))
    assert resp == Response(b"abcde", 0x9000)
    assert [(c.ins, c.le) for c in card.seen] == [(0xB0, 0xDF), (0xC0, 3)]


def test_extended_command_without_extended_length_is_refused_before_sending() -> None:
    conn, card = _connection([], extended=False)
    with pytest.raises(ProtocolError, match="needs extended length"):
        conn.send(Command(0x00, 0xB0, 0x00, 0x00, le=0x1000))
    assert card.seen == []


def test_answer_without_status_word_is_a_parse_error() -> None:
    term, _spare, _chip = _pair()

    class Mute:
        atr = b""

        def transmit(self, apdu: bytes) -> bytes:
            return b"\x90"

    conn = ApduConnection(Mute())  # type: ignore[arg-type]
    conn.install_sm(term)
    with pytest.raises(ParseError, match="no status word"):
        conn.send(Command(0x00, 0xB0, 0x00, 0x00, le=4))
