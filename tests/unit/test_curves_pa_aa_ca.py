"""PA, AA and CA with keys on the TR-03111 curves OpenSSL lacks (brainpoolP160r1/P192r1/P224r1/
P320r1; ICAO Doc 9303-12 §5.4, Doc 9303-11 §6.1/§6.2).

The signing side is the test PKI's separate implementation (:mod:`hw.pki.brainpool`), so the
library's arithmetic is never checked against itself.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hw.pki import get_pki
from hw.pki.brainpool import SIGNERS, BrainpoolKey, _mul, brainpool_key
from hw.vchip import lds_build

from checkedid.nfc.auth import aa, ca
from checkedid.nfc.crypto.ecdsa import CurvePublicKey
from checkedid.nfc.iso7816.apdu import INS, Command, Response
from checkedid.nfc.iso7816.tlv import encode
from checkedid.nfc.lds.dg14 import parse_dg14
from checkedid.nfc.lds.dg15 import parse_dg15
from checkedid.nfc.lds.template import children
from checkedid.nfc.pki.pa import passive_authenticate
from checkedid.nfc.pki.trust import TrustStore
from checkedid.nfc.sm import kdf
from checkedid.nfc.sm.messaging import SMSession
from checkedid.verdict import Verdict

CURVES = sorted(set(SIGNERS.values()))
DGS = {1: b"\x61\x05\x5f\x1f\x02AB", 2: b"\x75\x03\x7f\x61\x00"}


def _trust() -> TrustStore:
    store = TrustStore()
    for der in get_pki().trusted_certificates.values():
        store.add_certificate(der)
    return store


@pytest.mark.parametrize("label", sorted(SIGNERS))
def test_document_signer_on_every_brainpool_curve_is_checked(label: str) -> None:
    pki = get_pki()
    group = passive_authenticate(pki.sign_sod(DGS, signer=label), DGS, _trust())
    signature = group.check("ds_signature")
    assert signature is not None and signature.verdict is Verdict.PASSED, signature
    assert group.details["ds_key"] == f"EC {SIGNERS[label]}"
    chain = group.check("csca_chain")
    assert chain is not None and chain.verdict is Verdict.PASSED
    tampered = passive_authenticate(pki.sign_sod(DGS, signer=label, tamper="signature"), DGS,
                                    _trust())
    bad = tampered.check("ds_signature")
    assert bad is not None and bad.verdict is Verdict.FAILED
    assert tampered.verdict is Verdict.FAILED


class _AAChip:
    """Answers INTERNAL AUTHENTICATE with a TR-03111 plain signature by ``key``."""

    supports_extended = False

    def __init__(self, key: BrainpoolKey, hash_name: str) -> None:
        self.key, self.hash_name = key, hash_name

    def send(self, cmd: Command, step: str = "") -> Response:
        assert cmd.ins == INS.INTERNAL_AUTHENTICATE
        return Response(self.key.sign_plain(bytes(cmd.data), self.hash_name))


@pytest.mark.parametrize("curve", CURVES)
def test_active_authentication_with_brainpool_key(curve: str) -> None:
    key = brainpool_key("aa", curve)
    dg15 = parse_dg15(encode(0x6F, key.spki()))
    assert isinstance(dg15.public_key, CurvePublicKey)
    dg14 = parse_dg14(encode(0x6E, lds_build.card_access([lds_build.aa_info("sha224")])))
    group = aa.active_authenticate(_AAChip(key, "sha224"), dg15, dg14)
    assert group.verdict is Verdict.PASSED, group.reason
    assert group.details["hash_algorithm"] == "sha224"
    clone = aa.active_authenticate(_AAChip(brainpool_key("other", curve), "sha224"), dg15, dg14)
    assert clone.verdict is Verdict.FAILED


class _CAChip:
    """Takes MSE:Set AT + GENERAL AUTHENTICATE and derives the session keys itself."""

    def __init__(self, key: BrainpoolKey) -> None:
        self.key = key
        self.keys: tuple[bytes, bytes] | None = None

    def send(self, cmd: Command, step: str = "") -> Response:
        if cmd.ins == INS.GENERAL_AUTHENTICATE:
            outer = children(bytes(cmd.data))
            assert outer[0][0] == 0x7C
            point = children(outer[0][1])[0][1]  # 7C { 80 ephemeral public key }
            size = self.key.size
            eph = (int.from_bytes(point[1:1 + size], "big"),
                   int.from_bytes(point[1 + size:], "big"))
            shared = _mul(self.key.params, self.key.d, eph)
            assert shared is not None
            secret = shared[0].to_bytes(size, "big")
            self.keys = (kdf.derive(secret, kdf.ENC, "AES-128"),
                         kdf.derive(secret, kdf.MAC, "AES-128"))
            return Response(b"\x7c\x00")
        return Response(b"")


@pytest.mark.parametrize("curve", CURVES)
def test_chip_authentication_with_brainpool_key(curve: str) -> None:
    key = brainpool_key("ca", curve)
    oid = "0.4.0.127.0.7.2.2.3.2.2"  # id-CA-ECDH-AES-CBC-CMAC-128
    pk_info = encode(0x30, lds_build._oid("0.4.0.127.0.7.2.2.1.2") + key.spki())
    dg14 = parse_dg14(encode(0x6E, lds_build.card_access([lds_build.ca_info(oid), pk_info])))
    chip = _CAChip(key)
    result = ca.chip_authenticate(chip, dg14)
    assert result.pending, result.check.reason
    assert result.check.details["curve"] == curve
    assert chip.keys is not None and result.session is not None
    expected = SMSession("AES-128", chip.keys[0], chip.keys[1], 0)
    probe = Command(0x00, 0xB0, 0x00, 0x00, b"", 4)
    assert result.session.protect_command(probe) == expected.protect_command(probe)


def test_ecdh_shared_secret_is_x_of_d_times_ephemeral() -> None:
    """The ECDH secret the library derives (``ca._agree``) matches the chip's computation."""
    key = brainpool_key("ecdh", "brainpoolP320r1")
    spki: Any = key.spki()
    from checkedid.nfc.crypto.pubkey import load_public_key

    chip_key = load_public_key(spki)
    public, secret = ca._agree(chip_key)
    size = key.size
    eph = (int.from_bytes(public[1:1 + size], "big"), int.from_bytes(public[1 + size:], "big"))
    shared = _mul(key.params, key.d, eph)
    assert shared is not None
    assert bytes(secret) == shared[0].to_bytes(size, "big")
    assert hashlib.sha256(secret).digest() != hashlib.sha256(b"").digest()


def test_document_signer_outside_tr03111_fails_not_unchecked() -> None:
    """A curve Doc 9303-12 §5.4 does not permit (secp256k1) is a FAILED signature check, never
    NOT_CHECKED: no EC document signer leaves PA undecided."""
    import datetime as dt

    from cryptography.hazmat.primitives.asymmetric import ec
    from hw.pki.ca import CertifiedKey, _cert
    from hw.pki.sod import build_lds_security_object, sign_cms

    pki = get_pki()
    issuer = pki.csca("csca-ec")
    key = ec.derive_private_key(0x1234567, ec.SECP256K1())
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    cert = _cert("checkedid Test ds-k1", key, "checkedid Test CSCA EC", issuer.key, 0x2001,
                 ca=False, start=start, end=start.replace(year=2040))
    signer = CertifiedKey("ds-k1", key, cert, "csca-ec", "ecdsa")
    lso = build_lds_security_object({n: hashlib.sha256(v).digest() for n, v in DGS.items()},
                                    "sha256", None)
    group = passive_authenticate(sign_cms("2.23.136.1.1.1", lso, signer), DGS, _trust())
    check = group.check("ds_signature")
    assert check is not None and check.verdict is Verdict.FAILED
    assert "not a curve of BSI TR-03111" in check.reason
