"""EF.SOD parser (ICAO Doc 9303-10 4.6.2) over SODs made by the test PKI."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hw.pki import TestPKI, get_pki
from hw.pki.sod import sign_cms

from checkedid.errors import LDSError
from checkedid.nfc.lds.sod import (
    LDSSecurityObject,
    covered_dgs,
    der_length,
    hashed_dgs,
    parse_sod,
    unwrap_77,
)

DGS = {1: b"\x61\x03abc", 2: b"\x75\x02xy", 15: b"\x6f\x01\x00"}


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return get_pki()


@pytest.mark.parametrize("hash_alg", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_fields(pki: TestPKI, hash_alg: str) -> None:
    raw = pki.sign_sod(DGS, signer="ds-ec", hash_alg=hash_alg, lds_version="0108")
    sod = parse_sod(raw)
    assert sod.raw == raw
    assert sod.hash_algorithm == hash_alg == sod.digest_algorithm
    assert dict(sod.dg_hashes) == {n: hashlib.new(hash_alg, b).digest() for n, b in DGS.items()}
    assert sod.version == 1 and sod.lds_version == "0108"
    assert sod.signed_attrs is not None and sod.signed_attrs[0] == 0x31
    assert sod.message_digest == hashlib.new(hash_alg, sod.econtent).digest()
    assert sod.signing_time is not None and sod.signing_time.year == 2025
    assert sod.signer_certificate() is not None
    assert covered_dgs(raw) == {1, 2, 15}


def test_variants(pki: TestPKI) -> None:
    plain = parse_sod(pki.sign_sod(DGS, wrap_77=False, signed_attrs=False, sid_ski=True))
    assert plain.signed_attrs is None and plain.signed_data == plain.econtent
    assert plain.sid.ski is not None and plain.signer_certificate() is not None
    assert plain.version == 0 and plain.lds_version is None
    bare = parse_sod(pki.sign_sod(DGS, embed_cert=False))
    assert bare.certificates == () and bare.signer_certificate() is None
    assert bare.sid.serial == pki.signer("ds-rsa").cert.serial_number


def test_unwrap_77() -> None:
    assert unwrap_77(b"\x77\x02\x30\x00") == b"\x30\x00"
    assert unwrap_77(b"\x30\x00") == b"\x30\x00"
    body = bytes(300)
    assert unwrap_77(b"\x77" + der_length(300) + body) == body
    for bad in (b"", b"\x77", b"\x77\x82\x01", b"\x77\x05\x00", b"\x77\x80"):
        with pytest.raises(LDSError):
            unwrap_77(bad)


def _lso(numbers: list[int], size: int = 32) -> bytes:
    return bytes(LDSSecurityObject({
        "version": 0, "hash_algorithm": {"algorithm": "sha256"},
        "data_group_hash_values": [{"data_group_number": n, "data_group_hash_value": bytes(size)}
                                   for n in numbers]}).dump())


@pytest.mark.parametrize(("lso", "message"), [
    (_lso([1, 1]), "repeated"), (_lso([0]), "invalid"), (_lso([17]), "invalid"),
    (_lso([1], size=20), "needs 32"),
])
def test_bad_security_objects(pki: TestPKI, lso: bytes, message: str) -> None:
    der = sign_cms("2.23.136.1.1.1", lso, pki.signer("ds-rsa"))
    with pytest.raises(LDSError, match=message):
        parse_sod(der)
    with pytest.raises(LDSError, match=message):
        hashed_dgs(der)


def test_hashed_dgs_reads_only_the_security_object(pki: TestPKI) -> None:
    """The reader's hint: the same numbers as the full parse, and still there when the
    signer's certificate is damaged (Passive Authentication reports that, from parse_sod)."""
    raw = pki.sign_sod(DGS, wrap_77=False)
    assert hashed_dgs(raw) == covered_dgs(raw) == {1, 2, 15}
    cert = pki.signer("ds-rsa").cert.public_bytes(Encoding.DER)
    pos = raw.find(cert)
    assert pos > 0
    damaged = raw[:pos + 20] + bytes([raw[pos + 20] ^ 0xFF]) + raw[pos + 21:]
    with pytest.raises(LDSError):
        parse_sod(damaged)
    assert hashed_dgs(damaged) == {1, 2, 15}
    with pytest.raises(LDSError, match="eContentType"):
        hashed_dgs(pki.master_list)


def test_wrong_content_type(pki: TestPKI) -> None:
    with pytest.raises(LDSError, match="eContentType"):
        parse_sod(pki.master_list)


@pytest.mark.parametrize("cut", [1, 10, 100, 500])
def test_truncated(pki: TestPKI, cut: int) -> None:
    raw = pki.sign_sod(DGS)
    with pytest.raises(LDSError):
        parse_sod(raw[:-cut])
    with pytest.raises(LDSError):
        hashed_dgs(raw[:-cut])
