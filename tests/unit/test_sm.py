"""Secure messaging (ICAO Doc 9303-11 §9.8): Appendix D.4 bytes, AES round trips, tampering."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from checkedid.errors import InputError, SecureMessagingError
from checkedid.nfc.iso7816.apdu import Command, Response
from checkedid.nfc.sm.messaging import SecureTransport, SMSession, compute_mac, pad, unpad
from tests.conftest import data_path


@pytest.fixture(scope="module")
def d4() -> dict[str, Any]:
    return json.loads(data_path("vectors", "icao9303.json").read_text())["bac_sm_appendix_D4"]  # type: ignore[no-any-return]


def _session(v: dict[str, Any]) -> SMSession:
    return SMSession("3DES", bytes.fromhex(v["ks_enc"]), bytes.fromhex(v["ks_mac"]),
                     int(v["ssc_start"], 16))


def test_appendix_d4_terminal_side(d4: dict[str, Any]) -> None:
    sm = _session(d4)
    for step in d4["steps"]:
        wrapped = sm.protect_command(Command.from_bytes(bytes.fromhex(step["unprotected_apdu"])))
        assert wrapped.to_bytes().hex().upper() == step["protected_apdu"], step["name"]
        assert sm.ssc == int(step["ssc_cmd"], 16)
        raw = bytes.fromhex(step["protected_response"])
        plain = sm.unprotect_response(Response.from_bytes(raw))
        assert plain.sw == 0x9000 and plain.data.hex().upper() == step["plain_data"]
        assert sm.ssc == int(step["ssc_resp"], 16)
    assert sm.ssc == int(d4["ssc_end"], 16)


def test_appendix_d4_chip_side(d4: dict[str, Any]) -> None:
    chip = _session(d4)
    for step in d4["steps"]:
        cmd = chip.unprotect_command(Command.from_bytes(bytes.fromhex(step["protected_apdu"])))
        assert cmd.to_bytes().hex().upper() == step["unprotected_apdu"]
        resp = chip.protect_response(Response(bytes.fromhex(step["plain_data"]), 0x9000))
        assert resp.to_bytes().hex().upper() == step["protected_response"]


def _pair(cipher: str, n: int) -> tuple[SMSession, SMSession]:
    enc, mac = secrets.token_bytes(n), secrets.token_bytes(n)
    ssc = 0 if cipher == "3DES" else (1 << 128) - 2  # also exercises the wrap-around
    return SMSession(cipher, enc, mac, ssc), SMSession(cipher, enc, mac, ssc)


@pytest.mark.parametrize(("cipher", "n"), [("3DES", 16), ("AES-128", 16), ("AES-192", 24),
                                           ("AES-256", 32)])
def test_round_trips_chip_and_terminal(cipher: str, n: int) -> None:
    term, chip = _pair(cipher, n)
    cases = [
        (Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e"), Response(b"", 0x9000)),
        (Command(0x00, 0xB0, 0x00, 0x00, le=0xDF), Response(bytes(range(0xDF)), 0x9000)),
        (Command(0x00, 0xB1, 0x00, 0x00, b"\x54\x02\x80\x00", 65536),
         Response(b"\x53\x82\x10\x00" + secrets.token_bytes(0x1000), 0x9000)),
        (Command(0x00, 0xB0, 0x80, 0x00, le=256), Response(b"", 0x6A82)),
        (Command(0x00, 0x22, 0x41, 0xA4, bytes(300)), Response(b"abc", 0x6282)),
    ]
    for cmd, resp in cases:
        wrapped = term.protect_command(cmd)
        assert wrapped.cla == 0x0C and wrapped.data[-10:-8] == b"\x8e\x08"
        assert Command.from_bytes(wrapped.to_bytes()) == wrapped
        assert chip.unprotect_command(wrapped) == cmd
        out = term.unprotect_response(chip.protect_response(resp))
        assert out == resp
        assert term.ssc == chip.ssc
    assert b"\x85" == term.protect_command(cases[2][0]).data[:1]  # odd INS uses DO'85'


def test_extended_le_in_do97() -> None:
    term, chip = _pair("AES-128", 16)
    wrapped = term.protect_command(Command(0, 0xB0, 0, 0, le=0x1000))
    assert wrapped.data.startswith(b"\x97\x02\x10\x00") and wrapped.le == 65536
    assert wrapped.to_bytes()[4] == 0  # extended encoding
    assert chip.unprotect_command(wrapped).le == 0x1000


def test_tampered_response_rejected_before_parsing() -> None:
    term, chip = _pair("AES-256", 32)
    term.protect_command(Command(0, 0xB0, 0, 0, le=16))
    good = chip.protect_response(Response(b"secret-dg-bytes!", 0x9000)).to_bytes()
    for i in (0, 3, len(good) - 11, len(good) - 4):
        bad = bytearray(good)
        bad[i] ^= 0x01
        t2 = SMSession("AES-256", term._ks_enc or b"", term._ks_mac or b"", term.ssc)
        with pytest.raises(SecureMessagingError, match=r"MAC|DO'8E'") as info:
            t2.unprotect_response(Response.from_bytes(bytes(bad)))
        assert "secret" not in str(info.value)


def test_missing_mac_and_bad_structure() -> None:
    term, _chip = _pair("3DES", 16)
    with pytest.raises(SecureMessagingError, match="DO'8E'"):
        term.unprotect_response(Response(b"\x99\x02\x90\x00", 0x9000))
    # under SM only 6987/6988 may come unprotected, and they end the session
    for sw in (0x6987, 0x6988):
        with pytest.raises(SecureMessagingError, match=f"ended the session .SW {sw:04X}"):
            term.unprotect_response(Response(b"", sw))


@pytest.mark.parametrize("sw", [0x9000, 0x6282, 0x6A82, 0x6982, 0x6300])
def test_any_other_unprotected_status_word_is_an_sm_error(sw: int) -> None:
    """An on-path attacker cannot inject a plain 6A82 (a hidden DG) or 6282 (a success)."""
    term, _chip = _pair("AES-128", 16)
    with pytest.raises(SecureMessagingError, match=f"unprotected status word {sw:04X}"):
        term.unprotect_response(Response(b"", sw))


def test_bad_padding_after_valid_mac() -> None:
    term, chip = _pair("3DES", 16)
    ssc = chip.ssc
    # build a response whose cryptogram decrypts to data without padding method 2
    from checkedid.nfc.iso7816 import tlv
    from checkedid.nfc.sm import messaging as smmod
    chip.ssc = ssc + 1
    ks_enc, ks_mac = bytes(chip._ks_enc or b""), bytes(chip._ks_mac or b"")
    crypt = smmod.cbc_encrypt("3DES", ks_enc, bytes(8))  # all zeros: no 80 marker
    dos = tlv.encode(0x87, b"\x01" + crypt) + tlv.encode(0x99, b"\x90\x00")
    mac = compute_mac("3DES", ks_mac, (ssc + 2).to_bytes(8, "big") + dos)
    term.ssc = ssc + 1
    with pytest.raises(SecureMessagingError, match="padding"):
        term.unprotect_response(Response(dos + b"\x8e\x08" + mac, 0x9000))


def test_chip_side_rejects_bad_command_mac() -> None:
    term, chip = _pair("AES-128", 16)
    wrapped = term.protect_command(Command(0, 0xB0, 0, 0, le=4))
    bad = Command(wrapped.cla, wrapped.ins, wrapped.p1 ^ 1, wrapped.p2, wrapped.data, wrapped.le)
    with pytest.raises(SecureMessagingError, match="command MAC"):
        chip.unprotect_command(bad)


def test_padding_helpers() -> None:
    assert pad(b"", 8) == bytes.fromhex("8000000000000000")
    assert pad(bytes(8), 8) == bytes(8) + bytes.fromhex("8000000000000000")
    assert unpad(pad(b"abc", 16)) == b"abc"
    with pytest.raises(SecureMessagingError):
        unpad(bytes(16))
    with pytest.raises(SecureMessagingError):
        unpad(b"abc\x81" + bytes(4))
    with pytest.raises(SecureMessagingError):
        unpad(b"")
    for block in (8, 16):
        for n in range(3 * block):
            data = bytes(range(1, n + 1))
            padded = pad(data, block)
            # ISO/IEC 9797-1 method 2: 80 then the fewest zeros to a whole block
            assert len(padded) % block == 0 and len(padded) - n <= block
            assert padded == data + b"\x80" + bytes(len(padded) - n - 1)
            assert unpad(padded) == data
            assert unpad(b"\x00" + data + b"\x80") == b"\x00" + data


def test_wipe_and_key_checks() -> None:
    term, _ = _pair("AES-128", 16)
    keys = [term._ks_enc, term._ks_mac]
    term.wipe()
    assert term.wiped and all(k is not None and not any(k) for k in keys)
    with pytest.raises(SecureMessagingError, match="wiped"):
        term.protect_command(Command(0, 0xB0, 0, 0, le=1))
    with pytest.raises(InputError):
        SMSession("AES-128", bytes(15), bytes(16), 0)
    assert "wiped" in repr(term)


@pytest.mark.parametrize(("cipher", "n"), [("3DES", 16), ("AES-128", 16)])
def test_wipe_after_use_drops_the_cipher_objects(cipher: str, n: int) -> None:
    term, chip = _pair(cipher, n)
    read = Command(0, 0xB0, 0, 0, le=4)
    chip.unprotect_command(term.protect_command(read))
    term.unprotect_response(chip.protect_response(Response(b"abcd", 0x9000)))
    assert term._enc is not None and term._mac_fn is not None
    term.wipe()
    assert term._enc is None and term._mac_fn is None
    with pytest.raises(SecureMessagingError, match="wiped"):
        term.protect_command(Command(0, 0xD6, 0, 0, b"x"))


def test_retail_mac_matches_single_des_reference() -> None:
    """ISO/IEC 9797-1 MAC algorithm 3 built from single DES, block by block."""
    from Crypto.Cipher import DES

    key = bytes.fromhex("7962D9ECE03D1ACD4C76089DCE131543")
    for n in (0, 1, 7, 8, 9, 15, 16, 63, 240):
        data = bytes((i * 37 + n) & 0xFF for i in range(n))
        padded = pad(data, 8)
        h = bytes(8)
        for i in range(0, len(padded), 8):
            block = bytes(a ^ b for a, b in zip(padded[i:i + 8], h, strict=True))
            h = DES.new(key[:8], DES.MODE_ECB).encrypt(block)  # noqa: S304
        h = DES.new(key[8:], DES.MODE_ECB).decrypt(h)  # noqa: S304
        assert compute_mac("3DES", key, data) == DES.new(key[:8], DES.MODE_ECB).encrypt(h)  # noqa: S304


def test_one_retail_mac_serves_many_messages() -> None:
    """A session's MAC object, reused across messages of one and of many blocks, gives
    the MAC a fresh object gives for each."""
    from checkedid.nfc.sm.ciphers import RetailMac

    key = bytes.fromhex("7962D9ECE03D1ACD4C76089DCE131543")
    mac = RetailMac(key)
    for n in (0, 240, 0, 7, 0, 0, 15, 8, 63, 1):
        data = bytes((i * 11 + n) & 0xFF for i in range(n))
        assert mac.compute(pad(data, 8)) == compute_mac("3DES", key, data), n


@pytest.mark.parametrize(("cipher", "n"), [("3DES", 16), ("AES-128", 16), ("AES-256", 32)])
def test_session_cipher_matches_one_shot_cbc_across_messages(cipher: str, n: int) -> None:
    """One Encryption serves many messages, each under its own IV, as fresh CBC would."""
    from Crypto.Cipher import AES, DES3

    from checkedid.nfc.sm.ciphers import Encryption

    key = bytes((7 * i + 1) & 0xFF for i in range(n))
    enc = Encryption(cipher, key)
    block = 8 if cipher == "3DES" else 16

    def fresh(iv: bytes) -> Any:
        if cipher == "3DES":
            return DES3.new(key, DES3.MODE_CBC, iv=iv)
        return AES.new(key, AES.MODE_CBC, iv=iv)

    for i, size in enumerate((1, 3, 1, 14, 2)):
        data = bytes((i * 31 + j) & 0xFF for j in range(size * block))
        iv = bytes(block) if i % 2 else bytes((i + j) & 0xFF for j in range(block))
        crypt = enc.encrypt(data, iv)
        assert crypt == fresh(iv).encrypt(data)
        assert enc.decrypt(crypt[::-1], iv) == fresh(iv).decrypt(crypt[::-1])
        assert enc.decrypt(crypt, iv) == data


def test_degenerate_3des_session_key_is_refused() -> None:
    sm = SMSession("3DES", bytes(range(8)) * 2, bytes(16), 0)
    with pytest.raises(SecureMessagingError, match="unusable 3DES key"):
        sm.protect_command(Command(0, 0xD6, 0, 0, b"x"))


class _Loopback:
    """A transport that hands protected commands to a chip-side session and a plain 'card'."""

    def __init__(self, chip: SMSession, chunk: int | None = None) -> None:
        self.chip, self.chunk, self.pending = chip, chunk, b""
        self.atr = b"\x3b\x00"

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    def transmit(self, apdu: bytes) -> bytes:
        cmd = Command.from_bytes(apdu)
        if cmd.ins == 0xC0:
            out, self.pending = self.pending[:cmd.le or 256], self.pending[cmd.le or 256:]
            return out + (bytes([0x61, min(len(self.pending), 256) & 0xFF]) if self.pending
                          else b"\x90\x00")
        plain = self.chip.unprotect_command(cmd)
        raw = self.chip.protect_response(Response(plain.data[::-1], 0x9000)).to_bytes()
        if self.chunk is None:
            return raw
        body = raw[:-2]
        self.pending = body[self.chunk:]
        return body[:self.chunk] + bytes([0x61, min(len(self.pending), 256) & 0xFF])


@pytest.mark.parametrize("chunk", [None, 16])
def test_secure_transport(chunk: int | None) -> None:
    term, chip = _pair("AES-128", 16)
    st = SecureTransport(_Loopback(chip, chunk), term)
    out = st.transmit(Command(0, 0x88, 0, 0, b"0123456789", 256).to_bytes())
    assert out == b"9876543210\x90\x00"
    assert st.atr == b"\x3b\x00"
