"""The READ BINARY path under secure messaging (Doc 9303-11 §9.8.4-§9.8.6) gives the bytes
and the errors of the general path: the protected command is the one
:meth:`SMSession.protect_command_bytes` builds, and every damaged answer -- a tampered MAC,
a wrong send sequence counter, bad padding, no DO'99', a truncated answer -- raises the
same :class:`SecureMessagingError` with the same message."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from checkedid.errors import SecureMessagingError
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.apdu import Command, Response
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.nfc.sm.messaging import SecureTransport, SMSession, compute_mac, unpad
from checkedid.nfc.sm.messaging import pad as messaging_pad

CIPHERS = ["3DES", "AES-128", "AES-256"]


def _keys(cipher: str) -> tuple[bytes, bytes]:
    n = 32 if cipher == "AES-256" else 16
    return secrets.token_bytes(n), secrets.token_bytes(n)


@pytest.mark.parametrize("cipher", CIPHERS)
@pytest.mark.parametrize(("p1", "p2", "le"), [(0x81, 0x00, 0xDF), (0x00, 0xDF, 0xDF),
                                              (0x7F, 0xFF, 1), (0x12, 0x34, 256),
                                              (0x00, 0x00, 6)])
def test_read_binary_bytes_equal_the_general_protection(cipher: str, p1: int, p2: int,
                                                        le: int) -> None:
    enc, mac = _keys(cipher)
    fast, general, chip = (SMSession(cipher, enc, mac, 41) for _ in range(3))
    cmd = Command(0x00, 0xB0, p1, p2, b"", le)
    for _ in range(3):  # the SSC moves on identically
        raw = fast.protect_read_binary(p1, p2, le)
        assert raw == general.protect_command_bytes(cmd, False)
        assert chip.unprotect_command(Command.from_bytes(raw)) == cmd
        assert fast.ssc == general.ssc == chip.ssc


def _bad_padding(chip: SMSession, ssc: bytes, plain: Response) -> bytes:
    """DO'87' whose decrypted content has no ``80`` padding marker."""
    enc = chip._encryption()
    crypt = enc.encrypt(bytes(range(1, 1 + 2 * chip.block)), enc.sm_iv(ssc))
    return tlv.encode(0x87, b"\x01" + crypt) + tlv.encode(0x99, b"\x90\x00")


def _no_do99(chip: SMSession, ssc: bytes, plain: Response) -> bytes:
    return tlv.encode(0x87, b"\x01" + chip._encrypt(ssc, plain.data))


def _cut_in_do87(chip: SMSession, ssc: bytes, plain: Response) -> bytes:
    """DO'87' announcing more bytes than follow, re-MACed (the cut happened before the MAC)."""
    return tlv.encode(0x87, b"\x01" + chip._encrypt(ssc, plain.data))[:-5]


def _no_indicator(chip: SMSession, ssc: bytes, plain: Response) -> bytes:
    return tlv.encode(0x87, b"\x02" + chip._encrypt(ssc, plain.data)) + \
        tlv.encode(0x99, b"\x90\x00")


def _remac(build: Callable[[SMSession, bytes, Response], bytes]
           ) -> Callable[[SMSession, Response], bytes]:
    def answer(chip: SMSession, plain: Response) -> bytes:
        chip.ssc += 1
        ssc = chip.ssc.to_bytes(chip.block, "big")
        dos = build(chip, ssc, plain)
        return dos + b"\x8e\x08" + compute_mac(chip.cipher, chip._ks_mac or b"", ssc + dos)
    return answer


def _tampered_mac(chip: SMSession, plain: Response) -> bytes:
    data = bytearray(chip.protect_response(plain).data)
    data[-1] ^= 0x01
    return bytes(data)


def _wrong_ssc(chip: SMSession, plain: Response) -> bytes:
    chip.ssc += 1  # one response the terminal never saw
    return chip.protect_response(plain).data


def _truncated(chip: SMSession, plain: Response) -> bytes:
    return chip.protect_response(plain).data[:-3]


def _bare(chip: SMSession, plain: Response) -> bytes:
    chip.ssc += 1
    return b""


FAULTS = [
    (_tampered_mac, "response MAC does not verify"),
    (_wrong_ssc, "response MAC does not verify"),
    (_remac(_bad_padding), "bad padding"),
    (_remac(_no_indicator), "padding-content indicator"),
    (_remac(_no_do99), "DO'99'"),
    (_remac(_cut_in_do87), "malformed"),
    (_truncated, "no DO'8E' checksum"),
    (_bare, "unprotected status word"),
]


class _Card:
    """The chip side: unwraps each command, answers ``plain`` protected by ``fault``."""

    def __init__(self, chip: SMSession, fault: Callable[[SMSession, Response], bytes] | None,
                 plain: Response) -> None:
        self.chip, self.fault, self.plain = chip, fault, plain
        self.atr = b"\x3b\x00"
        self.seen: list[Command] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.seen.append(self.chip.unprotect_command(Command.from_bytes(apdu)))
        if self.fault is None:
            return self.chip.protect_response(self.plain).data + b"\x90\x00"
        return self.fault(self.chip, self.plain) + (b"\x6a\x82" if self.fault is _bare
                                                      else b"\x90\x00")


def _send(cipher: str, keys: tuple[bytes, bytes], fault: Callable[[SMSession, Response], bytes]
          | None, *, extended: bool | None, read: int = 0xDF
          ) -> tuple[Response | SecureMessagingError, int, _Card]:
    """One READ BINARY after two good ones; ``extended=True`` takes the general path."""
    plain = Response(bytes(i & 0xFF for i in range(read)), 0x9000)
    card = _Card(SMSession(cipher, *keys, 7), None, plain)
    term = SMSession(cipher, *keys, 7)
    conn = ApduConnection(card, extended=extended)  # type: ignore[arg-type]
    conn.install_sm(term)
    calls = [0]
    secure = conn._secure
    assert isinstance(secure, SecureTransport)
    fast = secure.read_binary

    def spy(p1: int, p2: int, le: int) -> Response:
        calls[0] += 1
        return fast(p1, p2, le)

    secure.read_binary = spy  # type: ignore[method-assign]
    cmd = Command(0x00, 0xB0, 0x00, 0x00, b"", read)
    for _ in range(2):
        assert conn.send(cmd) == plain
    card.fault = fault
    try:
        return conn.send(cmd), calls[0], card
    except SecureMessagingError as exc:
        return exc, calls[0], card


@pytest.mark.parametrize("cipher", CIPHERS)
@pytest.mark.parametrize(("fault", "message"), FAULTS)
def test_damaged_answer_raises_the_general_paths_error(
        cipher: str, fault: Callable[[SMSession, Response], bytes], message: str) -> None:
    keys = _keys(cipher)
    fast, fast_calls, _ = _send(cipher, keys, fault, extended=None)
    general, general_calls, _ = _send(cipher, keys, fault, extended=True)
    assert (fast_calls, general_calls) == (3, 0)
    assert isinstance(fast, SecureMessagingError) and isinstance(general, SecureMessagingError)
    assert str(fast) == str(general)
    assert message in str(fast)


@pytest.mark.parametrize("cipher", CIPHERS)
@pytest.mark.parametrize("read", [1, 15, 16, 0xDF, 256])
def test_good_answers_read_the_same_through_both_paths(cipher: str, read: int) -> None:
    keys = _keys(cipher)
    fast, fast_calls, card = _send(cipher, keys, None, extended=None, read=read)
    general, general_calls, _ = _send(cipher, keys, None, extended=True, read=read)
    assert fast == general == Response(bytes(range(read)), 0x9000)
    assert (fast_calls, general_calls) == (3, 0)
    assert card.seen[-1] == Command(0x00, 0xB0, 0x00, 0x00, b"", read)


def test_other_commands_and_long_reads_keep_the_general_path() -> None:
    keys = _keys("AES-128")
    _, calls, _ = _send("AES-128", keys, None, extended=None, read=0x1000)
    assert calls == 0


@pytest.mark.parametrize("cipher", CIPHERS)
@pytest.mark.parametrize("plain", [b"", b"\x00", b"\x00" * 40, b"\x80", b"\x80\x00\x00",
                                   bytes(range(223)), b"\x01" * 15 + b"\x80"])
def test_decrypt_unpad_is_decrypt_then_unpad(cipher: str, plain: bytes) -> None:
    enc_key, _ = _keys(cipher)
    sender, receiver = (SMSession(cipher, enc_key, enc_key, 3) for _ in range(2))
    enc = sender._encryption()
    iv = enc.sm_iv(b"\x00" * (sender.block - 1) + b"\x07")
    crypt = enc.encrypt(messaging_pad(plain, sender.block), iv)
    dec = receiver._encryption()
    assert dec.decrypt_unpad(crypt, iv) == unpad(dec.decrypt(crypt, iv)) == plain
    unpadded = enc.encrypt(plain + b"\x00" * ((-len(plain)) % sender.block or sender.block), iv)
    for fn in (lambda: dec.decrypt_unpad(unpadded, iv), lambda: unpad(dec.decrypt(unpadded, iv))):
        if (plain + b"\x00").rstrip(b"\x00").endswith(b"\x80"):
            continue  # a plaintext ending in 80 00.. reads as padded either way
        with pytest.raises(SecureMessagingError, match="bad padding"):
            fn()
