"""Property tests: APDU parsing and secure-messaging unwrapping fail only with checkedid errors,
including bodies that carry a valid MAC over garbage (parsing after the MAC check)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from checkedid.errors import ParseError, SecureMessagingError
from checkedid.nfc.iso7816.apdu import Command, Response
from checkedid.nfc.sm.messaging import SMSession, compute_mac
from tests.fuzz import FUZZ

KEY_ENC = bytes(range(16))
KEY_MAC = bytes(range(16, 32))


@FUZZ
@given(st.binary(max_size=300))
def test_command_parsing(raw: bytes) -> None:
    try:
        cmd = Command.from_bytes(raw)
    except ParseError:
        return
    assert Command.from_bytes(cmd.to_bytes(extended=len(raw) > 5 and raw[4] == 0)) == cmd


@FUZZ
@given(st.sampled_from(["3DES", "AES-128"]), st.binary(max_size=120),
       st.integers(0, 0xFFFF), st.booleans())
def test_unwrap_garbage(cipher: str, body: bytes, sw: int, valid_mac: bool) -> None:
    term = SMSession(cipher, KEY_ENC, KEY_MAC, 7)
    chip = SMSession(cipher, KEY_ENC, KEY_MAC, 7)
    block = 8 if cipher == "3DES" else 16
    ssc = (8).to_bytes(block, "big")
    data = body + b"\x8e\x08" + (compute_mac(cipher, KEY_MAC, ssc + body) if valid_mac
                                 else bytes(8))
    try:
        out = term.unprotect_response(Response(data, sw))
    except SecureMessagingError:
        pass
    else:
        assert isinstance(out.data, bytes) and 0 <= out.sw <= 0xFFFF
    header = b"\x0c\xb0\x00\x00\x80" + bytes(block - 5)
    cdata = body + b"\x8e\x08" + (compute_mac(cipher, KEY_MAC, ssc + header + body)
                                  if valid_mac else bytes(8))
    try:
        chip.unprotect_command(Command(0x0C, 0xB0, 0, 0, cdata, 256))
    except (SecureMessagingError, ParseError):
        pass
