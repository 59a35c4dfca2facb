"""The virtual chip's own cryptography (hw/vchip): parameters, point arithmetic, MACs and SM.

Cross-checks against an independent source for each piece: the curves and scalar
multiplication against ``cryptography`` (OpenSSL), AES-CMAC against RFC 4493, and the
chip's secure messaging against the library's terminal side for every cipher.
"""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hw.vchip import ecpoint, symmetric
from hw.vchip.domains import CURVE_NAMES, DHGroup, ECCurve, group
from hw.vchip.iso7816 import SW, Command, Response, TlvError, tlv, tlv_items, tlv_one
from hw.vchip.pace_suite import PaceSuite, point_encode
from hw.vchip.secure_messaging import ChipSession, SMError

from checkedid.nfc.iso7816 import apdu
from checkedid.nfc.sm.messaging import SMSession

RNG = random.Random(9303)  # noqa: S311 - reproducible test data, not keys
EC_IDS = sorted(CURVE_NAMES)
_OPENSSL_CURVES: dict[str, ec.EllipticCurve] = {
    "secp192r1": ec.SECP192R1(), "secp224r1": ec.SECP224R1(), "secp256r1": ec.SECP256R1(),
    "secp384r1": ec.SECP384R1(), "secp521r1": ec.SECP521R1(),
    "brainpoolP256r1": ec.BrainpoolP256R1(), "brainpoolP384r1": ec.BrainpoolP384R1(),
    "brainpoolP512r1": ec.BrainpoolP512R1(),
}


def _curve(pid: int) -> ECCurve:
    c = group(pid)
    assert isinstance(c, ECCurve)
    return c


@pytest.mark.parametrize("pid", EC_IDS)
def test_curve_generator_has_order_n(pid: int) -> None:
    c = _curve(pid)
    g = (c.gx, c.gy)
    assert c.on_curve(*g)
    assert ecpoint.multiply(c, c.n, g) is None
    assert ecpoint.multiply(c, c.n - 1, g) == ecpoint.negate(c, g)


@pytest.mark.parametrize("pid", [p for p in EC_IDS if CURVE_NAMES[p] in _OPENSSL_CURVES])
def test_scalar_multiplication_agrees_with_openssl(pid: int) -> None:
    c = _curve(pid)
    curve = _OPENSSL_CURVES[c.name]
    one = ec.derive_private_key(1, curve).public_key().public_numbers()
    assert (one.x, one.y) == (c.gx, c.gy)
    for _ in range(3):
        k = RNG.randrange(1, c.n)
        pub = ec.derive_private_key(k, curve).public_key().public_numbers()
        assert ecpoint.multiply(c, k, (c.gx, c.gy)) == (pub.x, pub.y)


def test_point_addition_laws() -> None:
    c = _curve(13)
    g = (c.gx, c.gy)
    p = ecpoint.multiply(c, 12345, g)
    q = ecpoint.multiply(c, 67890, g)
    assert ecpoint.add(c, p, q) == ecpoint.multiply(c, 12345 + 67890, g)
    assert ecpoint.add(c, p, p) == ecpoint.multiply(c, 2 * 12345, g)
    assert ecpoint.add(c, p, ecpoint.negate(c, p)) is None
    assert ecpoint.add(c, p, None) == p and ecpoint.add(c, None, q) == q
    assert ecpoint.multiply(c, -3, g) == ecpoint.negate(c, ecpoint.multiply(c, 3, g))


def test_point_decoding_refuses_bad_points() -> None:
    c = _curve(12)
    good = ecpoint.encode(c, (c.gx, c.gy))
    assert ecpoint.decode(c, good) == (c.gx, c.gy)
    off = good[:-1] + bytes([good[-1] ^ 1])
    for bad in (off, b"\x02" + good[1:], good[:-1], b"\x00"):
        with pytest.raises(ValueError):
            ecpoint.decode(c, bad)
    with pytest.raises(ValueError):
        ecpoint.encode(c, None)


@pytest.mark.parametrize("pid", [0, 1, 2])
def test_modp_groups(pid: int) -> None:
    g = group(pid)
    assert isinstance(g, DHGroup)
    assert (g.p - 1) % g.q == 0 and pow(g.g, g.q, g.p) == 1
    assert (g.p.bit_length(), g.q.bit_length()) == {0: (1024, 160), 1: (2048, 224),
                                                    2: (2048, 256)}[pid]


def test_dh_public_values_outside_the_subgroup_are_refused() -> None:
    suite = PaceSuite("DH-GM", "AES-128", 0)
    d = suite.domain
    assert isinstance(d, DHGroup)
    for bad in (1, d.p - 1, 2):  # 2 is not in the order-q subgroup of RFC 5114 §2.1
        with pytest.raises(ValueError):
            suite.decode(bad.to_bytes(d.size, "big"))
    assert suite.decode(d.g.to_bytes(d.size, "big")) == d.g


@pytest.mark.parametrize("pid", [p for p in EC_IDS if _curve(p).p % 4 == 3])
def test_integrated_mapping_point_encoding_lands_on_the_curve(pid: int) -> None:
    c = _curve(pid)
    for _ in range(4):
        x, y = point_encode(c, RNG.randrange(1, c.p))
        assert c.on_curve(x, y)


def test_aes_cmac_rfc4493() -> None:
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    msg = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    assert symmetric.mac("AES-128", key, msg, padded=False) == bytes.fromhex("070a16b46b4d4144")
    assert symmetric.mac("AES-128", key, b"", padded=False) == bytes.fromhex("bb1d6929e9593728")


def test_padding() -> None:
    assert symmetric.pad(b"\x01", 8) == b"\x01\x80" + bytes(6)
    assert symmetric.pad(bytes(8), 8) == bytes(8) + b"\x80" + bytes(7)
    assert symmetric.unpad(b"\x01\x80\x00\x00") == b"\x01"
    with pytest.raises(ValueError):
        symmetric.unpad(bytes(8))


def test_tlv() -> None:
    assert tlv(0x7F49, b"\x01") == b"\x7f\x49\x01\x01"
    assert tlv(0x53, bytes(300))[:4] == b"\x53\x82\x01\x2c"
    assert tlv_items(b"\x80\x01\x01\x5f\x1f\x00") == {0x80: b"\x01", 0x5F1F: b""}
    assert tlv_one(b"\x7c\x02\x80\x00", 0x7C) == b"\x80\x00"
    for bad in (b"\x80\x02\x01", b"\x80\x01\x01\x80\x01\x02", b"\x80"):
        with pytest.raises(TlvError):
            tlv_items(bad)


@pytest.mark.parametrize("raw", ["00B0000000", "00B00000000000", "00A4040C07A0000002471001",
                                 "0086000002 7C00 00", "00B0000000FFFF",
                                 "00B0000000 0000"])
def test_apdu_parsing_agrees_with_the_library(raw: str) -> None:
    data = bytes.fromhex(raw.replace(" ", ""))
    ours, theirs = Command.from_bytes(data), apdu.Command.from_bytes(data)
    assert (ours.cla, ours.ins, ours.p1, ours.p2, ours.data, ours.le) == \
        (theirs.cla, theirs.ins, theirs.p1, theirs.p2, theirs.data, theirs.le)


# --------------------------------------------------------------------------- secure messaging
CASES = [
    apdu.Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e"),
    apdu.Command(0x00, 0xB0, 0x81, 0x00, b"", 256),
    apdu.Command(0x00, 0xB1, 0x00, 0x00, b"\x54\x02\x80\x00", 1000),
    apdu.Command(0x00, 0xB0, 0x00, 0x00, b"", 65536),
    apdu.Command(0x10, 0x86, 0x00, 0x00, b"\x7c\x00", 256),
]


@pytest.mark.parametrize("cipher", ["3DES", "AES-128", "AES-192", "AES-256"])
def test_chip_session_talks_to_the_library_terminal(cipher: str) -> None:
    size = symmetric.key_size(cipher)
    enc, mac = bytes(RNG.randrange(256) for _ in range(size)), bytes(range(size))
    start = RNG.randrange(1 << 32)
    terminal = SMSession(cipher, enc, mac, start)
    chip = ChipSession(cipher, enc, mac, start)
    for i, cmd in enumerate(CASES):
        protected = terminal.protect_command(cmd).to_bytes(extended=True)
        plain = chip.unwrap_command(Command.from_bytes(protected))
        assert (plain.cla, plain.ins, plain.p1, plain.p2, plain.data, plain.le) == \
            (cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, cmd.le)
        body = bytes([i]) * (17 * i) if i % 2 == 0 else b""
        answer = chip.wrap_response(Response(body, SW.OK if i != 3 else SW.END_OF_FILE), plain.ins)
        back = terminal.unprotect_response(apdu.Response.from_bytes(answer.to_bytes()))
        assert (back.data, back.sw) == (body, 0x9000 if i != 3 else 0x6282)
    assert chip.ssc == terminal.ssc


def test_chip_session_refuses_tampering() -> None:
    enc, mac = bytes(range(16)), bytes(range(16, 32))
    terminal = SMSession("AES-128", enc, mac, 0)
    protected = bytearray(terminal.protect_command(CASES[0]).to_bytes())
    protected[-3] ^= 1  # inside DO'8E'
    with pytest.raises(SMError) as err:
        ChipSession("AES-128", enc, mac, 0).unwrap_command(Command.from_bytes(bytes(protected)))
    assert not err.value.missing
    no_mac = Command(0x0C, 0xB0, 0, 0, tlv(0x97, b"\x00"))
    with pytest.raises(SMError) as err:
        ChipSession("AES-128", enc, mac, 0).unwrap_command(no_mac)
    assert err.value.missing
    # the terminal's own next command does not verify after a skipped SSC step
    chip = ChipSession("AES-128", enc, mac, 0)
    chip.ssc += 1
    terminal = SMSession("AES-128", enc, mac, 0)
    with pytest.raises(SMError):
        chip.unwrap_command(Command.from_bytes(terminal.protect_command(CASES[1]).to_bytes()))
