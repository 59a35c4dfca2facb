"""Property tests for the parsers of real-country formats and of keys on every TR-03111 curve:
malformed input raises a specific checkedid error (never IndexError, ValueError ...), and
ECDSA verification of garbage is a clean ``False`` / ``InvalidSignature``.

Parsers covered: the ISO/IEC 39794-5 face block (through ``parse_dg2``), DG14 with
standardized-domain-parameter keys and several keys, EF.CardSecurity, EF.SOD with id-data /
legacy eContentType, SubjectPublicKeyInfo with explicit domain parameters and Brainpool points.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from asn1crypto import keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hw.pki import get_pki
from hw.pki.brainpool import brainpool_key
from hw.pki.sod import build_lds_security_object, sign_cms, wrap_77
from hw.vchip import lds_build
from hypothesis import given
from hypothesis import strategies as st

from checkedid.errors import CertificateError, LDSError, ParseError
from checkedid.nfc.crypto.ecdsa import NAMED_CURVES, CurvePublicKey
from checkedid.nfc.crypto.pubkey import load_public_key
from checkedid.nfc.iso7816.tlv import encode
from checkedid.nfc.lds.cardsecurity import parse_card_security
from checkedid.nfc.lds.dg2 import parse_dg2
from checkedid.nfc.lds.dg14 import parse_dg14
from checkedid.nfc.lds.sod import parse_sod
from tests.fuzz import FUZZ
from tests.unit.test_lds_fuzz import mutated, tlv_tree

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def _std_pk(pid: int, point: bytes, key_id: int) -> bytes:
    alg = encode(0x30, lds_build._oid("0.4.0.127.0.7.1.2") + bytes([0x02, 0x01, pid]))
    spki = encode(0x30, alg + encode(0x03, b"\x00" + point))
    return encode(0x30, lds_build._oid("0.4.0.127.0.7.2.2.1.2") + spki
                  + bytes([0x02, 0x01, key_id]))


@cache
def _dg14_seeds() -> list[bytes]:
    bp = brainpool_key("fuzz", "brainpoolP224r1")
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    from cryptography.hazmat.primitives import serialization

    point = p256.public_bytes(serialization.Encoding.X962,
                              serialization.PublicFormat.UncompressedPoint)
    return [encode(0x6E, lds_build.card_access([
        lds_build.ca_info("0.4.0.127.0.7.2.2.3.2.2", key_id=11),
        _std_pk(11, bp.encoded_point(), 11),
        _std_pk(12, point, 12), encode(0x30, lds_build._oid("0.4.0.127.0.7.2.2.1.2")
                                       + bp.spki() + b"\x02\x01\x05")]))]


@cache
def _dg2_seeds() -> list[bytes]:
    return [(SAMPLES / "ICAO_39794_5_AP_DG2_MandFields.dat").read_bytes()]


@cache
def _sod_seeds() -> list[bytes]:
    lso = build_lds_security_object({1: hashlib.sha256(b"x").digest()}, "sha256", None)
    signer = get_pki().signer("ds-bp224")
    return [wrap_77(sign_cms("1.2.840.113549.1.7.1", lso, signer)),
            sign_cms("1.3.27.1.1.1", lso, get_pki().signer("ds-ec"))]


def _spki_explicit(name: str) -> bytes:
    c = NAMED_CURVES[name]
    params = keys.ECDomainParameters(name="specified", value={
        "version": "ecdpVer1", "field_id": {"field_type": "prime_field", "parameters": c.p},
        "curve": {"a": c.a.to_bytes(c.size, "big"), "b": c.b.to_bytes(c.size, "big")},
        "base": c.encode(c.generator), "order": c.n, "cofactor": 1})
    return bytes(keys.PublicKeyInfo({"algorithm": {"algorithm": "ec", "parameters": params},
                                     "public_key": c.encode(c.generator)}).dump())


_SPKI_SEEDS = [_spki_explicit("brainpoolP224r1"), _spki_explicit("brainpoolP192r1"),
               brainpool_key("fuzz", "brainpoolP320r1").spki()]


@FUZZ
@given(st.one_of(st.deferred(lambda: mutated(_dg2_seeds())), tlv_tree(0x75)))
def test_dg2_39794_fuzz(data: bytes) -> None:
    try:
        parse_dg2(data, decode=False)
    except (LDSError, ParseError):
        pass


@FUZZ
@given(st.one_of(st.deferred(lambda: mutated(_dg14_seeds())), tlv_tree(0x6E)))
def test_dg14_several_keys_fuzz(data: bytes) -> None:
    try:
        parse_dg14(data)
    except (LDSError, ParseError):
        pass


@FUZZ
@given(st.deferred(lambda: mutated(_sod_seeds())))
def test_sod_content_types_fuzz(data: bytes) -> None:
    try:
        parse_sod(data)
    except LDSError:
        pass


@FUZZ
@given(mutated([(SAMPLES / "gmrtd" / "EF_CardSecurity_DE.bin").read_bytes()]))
def test_card_security_fuzz(data: bytes) -> None:
    try:
        parsed = parse_card_security(data)
    except LDSError:
        return
    try:
        parsed.signature_verifies()
    except CertificateError:
        pass


@FUZZ
@given(mutated(_SPKI_SEEDS))
def test_explicit_and_brainpool_keys_fuzz(data: bytes) -> None:
    try:
        load_public_key(data)
    except CertificateError:
        pass


@FUZZ
@given(st.sampled_from(sorted(NAMED_CURVES)), st.binary(max_size=140), st.binary(max_size=40))
def test_verify_garbage_signatures(name: str, signature: bytes, data: bytes) -> None:
    c = NAMED_CURVES[name]
    key = CurvePublicKey(c, c.generator)
    try:
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return
    raise AssertionError("a random signature verified")
