"""Active Authentication against the virtual chip, in process (ICAO Doc 9303-11 §6.1)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hw.pki.keys import ec_key, rsa_key
from hw.vchip import chip_aa, personas
from hw.vchip.chip import VirtualChip
from hw.vchip.secure_messaging import ChipSession

from checkedid.nfc.auth import aa
from checkedid.nfc.iso7816.apdu import Command, Response
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.lds.dg14 import parse_dg14
from checkedid.nfc.lds.dg15 import parse_dg15
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.nfc.sm.messaging import SMSession
from checkedid.verdict import Verdict


def open_chip(name: str) -> tuple[ApduConnection, VirtualChip, Any]:
    """A chip past access control with a fresh AES session on both sides."""
    persona = personas.build(name)
    chip = VirtualChip(persona)
    transport = InProcessTransport(chip)
    transport.connect()
    conn = ApduConnection(transport)
    ks_enc, ks_mac = secrets.token_bytes(16), secrets.token_bytes(16)
    chip.state.app_selected = True
    chip.state.authenticated = "PACE"
    chip.state.sm = ChipSession("AES-128", ks_enc, ks_mac, 0)
    conn.install_sm(SMSession("AES-128", ks_enc, ks_mac, 0))
    dg14 = parse_dg14(persona.files[0x010E]) if 0x010E in persona.files else None
    return conn, chip, (parse_dg15(persona.files[0x010F]), dg14)


@pytest.mark.parametrize("name", ["utopia-passport-bac", "utopia-id-pace-gm"])
def test_genuine_chip_passes(name: str) -> None:
    conn, chip, (dg15, dg14) = open_chip(name)
    g = aa.active_authenticate(conn, dg15, dg14)
    assert g.name == "active"
    assert g.verdict is Verdict.PASSED, g.reason
    assert chip.state.sm is not None  # still under secure messaging
    if dg15.key_type == "rsa":
        assert g.details["scheme"] == "ISO/IEC 9796-2 scheme 1"
        assert g.details["hash_algorithm"] == "sha1"
    else:
        assert g.details["scheme"] == "ECDSA (plain)"


def test_cloned_chip_fails() -> None:
    conn, _chip, (dg15, dg14) = open_chip("fault-cloned-chip")
    g = aa.active_authenticate(conn, dg15, dg14)
    assert g.verdict is Verdict.FAILED
    assert "possible clone" in g.reason


def test_no_dg15_is_not_supported() -> None:
    g = aa.active_authenticate(object(), None, None)
    assert g.verdict is Verdict.NOT_SUPPORTED


def test_dg15_of_another_document_fails() -> None:
    conn, _chip, (_dg15, dg14) = open_chip("utopia-passport-bac")
    other = type("DG15", (), {"public_key": rsa_key("other-document", 2048).public_key()})()
    assert aa.active_authenticate(conn, other, dg14).verdict is Verdict.FAILED


class ScriptedConn:
    """Answers INTERNAL AUTHENTICATE with a function of the challenge."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.sent: list[Command] = []

    def send(self, cmd: Command, *, step: str = "") -> Response:
        self.sent.append(cmd)
        resp: Response = self.answer(cmd.data)
        return resp


def _9796(key: rsa.RSAPrivateKey, challenge: bytes, hash_name: str, trailer: bytes) -> bytes:
    n, d = key.public_key().public_numbers().n, key.private_numbers().d
    k = (n.bit_length() + 7) // 8
    size = hashlib.new(hash_name).digest_size
    m1 = secrets.token_bytes(k - size - len(trailer) - 1)
    rep = b"\x6a" + m1 + hashlib.new(hash_name, m1 + challenge).digest() + trailer
    return pow(int.from_bytes(rep, "big"), d, n).to_bytes(k, "big")


@pytest.mark.parametrize(("hash_name", "trailer"), [
    ("sha1", b"\xbc"), ("sha1", b"\x33\xcc"), ("sha256", b"\x34\xcc"),
    ("sha384", b"\x36\xcc"), ("sha512", b"\x35\xcc"), ("sha224", b"\x38\xcc")])
def test_rsa_trailers(hash_name: str, trailer: bytes) -> None:
    key = rsa_key("aa-trailers", 2048)
    conn = ScriptedConn(lambda c: Response(_9796(key, c, hash_name, trailer), 0x9000))
    dg15 = type("DG15", (), {"public_key": key.public_key()})()
    g = aa.active_authenticate(conn, dg15, None)
    assert g.verdict is Verdict.PASSED, g.reason
    assert g.details["hash_algorithm"] == hash_name
    cmd = conn.sent[0]
    assert (cmd.cla, cmd.ins, cmd.p1, cmd.p2, len(cmd.data)) == (0, 0x88, 0, 0, 8)


def test_weak_rsa_key_and_sha1_are_reported() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa as rsa_gen

    key = rsa_gen.generate_private_key(65537, 1024)  # noqa: S505 - the weak key under test
    conn = ScriptedConn(lambda c: Response(_9796(key, c, "sha1", b"\xbc"), 0x9000))
    dg15 = type("DG15", (), {"public_key": key.public_key()})()
    g = aa.active_authenticate(conn, dg15, None)
    assert g.verdict is Verdict.PASSED, g.reason
    assert g.details["warnings"] == ["Active Authentication uses SHA-1 (weak)",
                                     "Active Authentication key is RSA-1024 (< 2048 bits, weak)"]


def test_rsa_signature_over_another_challenge_fails() -> None:
    key = rsa_key("aa-trailers", 2048)
    conn = ScriptedConn(lambda c: Response(_9796(key, bytes(8), "sha256", b"\x34\xcc"), 0x9000))
    dg15 = type("DG15", (), {"public_key": key.public_key()})()
    assert aa.active_authenticate(conn, dg15, None).verdict is Verdict.FAILED


def test_challenges_are_fresh() -> None:
    key = rsa_key("aa-trailers", 2048)
    conn = ScriptedConn(lambda c: Response(_9796(key, c, "sha1", b"\xbc"), 0x9000))
    dg15 = type("DG15", (), {"public_key": key.public_key()})()
    for _ in range(3):
        aa.active_authenticate(conn, dg15, None)
    assert len({c.data for c in conn.sent}) == 3


@pytest.mark.parametrize("answer", [b"", b"\x00", bytes(256), b"\xff" * 256, b"\x30\x02\x00\x00"])
@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_garbage_answers_fail(answer: bytes, kind: str) -> None:
    key: Any = rsa_key("aa-trailers", 2048) if kind == "rsa" else \
        ec_key("aa-ec", "brainpoolP256r1")
    conn = ScriptedConn(lambda c: Response(answer, 0x9000))
    dg15 = type("DG15", (), {"public_key": key.public_key()})()
    assert aa.active_authenticate(conn, dg15, None).verdict is Verdict.FAILED


def test_refusal_fails() -> None:
    key = ec_key("aa-ec", "brainpoolP256r1")
    conn = ScriptedConn(lambda c: Response(b"", 0x6982))
    dg15 = type("DG15", (), {"public_key": key.public_key()})()
    g = aa.active_authenticate(conn, dg15, None)
    assert g.verdict is Verdict.FAILED and "6982" in g.reason


@pytest.mark.parametrize("curve", ["brainpoolP256r1", "secp256r1", "brainpoolP384r1"])
def test_ecdsa_without_aa_info_tries_hashes(curve: str) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = ec_key("aa-ec", curve)
    size = (key.curve.key_size + 7) // 8

    def sign(c: bytes) -> Response:
        r, s = decode_dss_signature(key.sign(c, ec.ECDSA(hashes.SHA384())))
        return Response(r.to_bytes(size, "big") + s.to_bytes(size, "big"), 0x9000)

    dg15 = type("DG15", (), {"public_key": key.public_key()})()
    g = aa.active_authenticate(ScriptedConn(sign), dg15, None)
    assert g.verdict is Verdict.PASSED
    assert g.details["hash_algorithm"] == "sha384" and g.details["warnings"]


def test_ecdsa_der_signature_is_accepted() -> None:
    from cryptography.hazmat.primitives import hashes

    key = ec_key("aa-ec", "secp256r1")
    conn = ScriptedConn(lambda c: Response(key.sign(c, ec.ECDSA(hashes.SHA256())), 0x9000))
    dg15 = type("DG15", (), {"public_key": key.public_key()})()
    dg14 = type("DG14", (), {"aa_info": type("Info", (), {"hash_algorithm": "sha256"})()})()
    g = aa.active_authenticate(conn, dg15, dg14)
    assert g.verdict is Verdict.PASSED and "warnings" not in g.details


def test_chip_side_9796_2_round_trip() -> None:
    key = rsa_key("aa-trailers", 2048)
    challenge = secrets.token_bytes(8)
    sig = chip_aa.sign_9796_2(key, challenge)
    assert aa.verify_rsa(sig, challenge, key.public_key()) == (True, "sha1")
    assert aa.verify_rsa(sig, challenge[::-1], key.public_key())[0] is False
