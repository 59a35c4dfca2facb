"""Property tests: EF.SOD, master lists, certificates and CRLs from outside never make
anything but checkedid errors (or a FAILED verdict from passive_authenticate) escape."""

from __future__ import annotations

import datetime as dt
from functools import cache

from asn1crypto import x509 as asn1x509
from hw.pki import TestPKI, get_pki
from hw.pki.keys import ec_key, rsa_key
from hypothesis import given, settings
from hypothesis import strategies as st

from checkedid.errors import CertificateError, CheckedIDError, TrustStoreError
from checkedid.nfc.auth.aa import verify_ecdsa, verify_rsa
from checkedid.nfc.pki import pa
from checkedid.nfc.pki.masterlist import parse_master_list
from checkedid.nfc.pki.trust import TrustStore
from checkedid.verdict import Verdict
from tests.fuzz import EXAMPLES, FUZZ

#: For properties whose every example verifies signatures: a fifth of the budget.
FUZZ_SLOW = settings(FUZZ, max_examples=max(100, EXAMPLES // 5))

DGS = {1: b"\x61\x03abc", 2: b"\x75\x02xy", 14: b"\x6e\x00", 15: b"\x6f\x01\x00"}
AT = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@cache
def pki() -> TestPKI:
    return get_pki()


@cache
def trust() -> TrustStore:
    store = TrustStore()
    for der in pki().trusted_certificates.values():
        store.add_certificate(der)
    for crl in pki().crls.values():
        store.add_crl(crl)
    return store


@cache
def sod(signer: str) -> bytes:
    return pki().sign_sod(DGS, signer=signer)


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Apply (kind, position, value) edits: 0 overwrite, 1 insert, 2 delete, 3 truncate."""
    out = bytearray(data)
    for kind, pos, value in edits:
        if not out:
            break
        i = pos % len(out)
        if kind == 0:
            out[i] = value
        elif kind == 1:
            out.insert(i, value)
        elif kind == 2:
            del out[i]
        else:
            del out[i:]
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.integers(0, 255)),
                 min_size=1, max_size=4)
SIGNERS = st.sampled_from(["ds-rsa", "ds-rsa-pss", "ds-ec", "ds-linked"])


@FUZZ_SLOW
@given(st.binary(max_size=2048))
def test_random_sod_is_failed_never_raises(blob: bytes) -> None:
    g = pa.passive_authenticate(blob, DGS, trust(), at=AT)
    assert g.verdict is not Verdict.PASSED
    assert [c.name for c in g.checks] == list(pa.CHECKS)
    assert isinstance(pa.covered_dgs(blob), set)


@FUZZ
@given(SIGNERS, EDITS)
def test_mutated_sod_never_raises(signer: str, edits: list[tuple[int, int, int]]) -> None:
    original = sod(signer)
    blob = mutate(original, edits)
    g = pa.passive_authenticate(blob, DGS, trust(), at=AT)
    assert [c.name for c in g.checks] == list(pa.CHECKS)
    if g.verdict is Verdict.PASSED:
        # Only bytes outside what is signed and hashed may change without detection
        # (e.g. SignedData.version): the signed LDSSecurityObject must be the original.
        from checkedid.nfc.lds.sod import parse_sod

        assert parse_sod(blob).econtent == parse_sod(original).econtent


@FUZZ_SLOW
@given(st.sampled_from(sorted(DGS)), EDITS)
def test_any_change_to_a_dg_fails(dg: int, edits: list[tuple[int, int, int]]) -> None:
    changed = dict(DGS)
    changed[dg] = mutate(DGS[dg], edits)
    g = pa.passive_authenticate(sod("ds-ec"), changed, trust(), at=AT)
    if changed[dg] != DGS[dg]:
        assert g.check("dg_hashes").verdict is Verdict.FAILED  # type: ignore[union-attr]
        assert g.verdict is Verdict.FAILED


@FUZZ_SLOW
@given(st.one_of(st.binary(max_size=1024), EDITS.map(lambda e: mutate(pki().master_list, e))))
def test_master_list_parser(blob: bytes) -> None:
    try:
        ml = parse_master_list(blob, anchors=[asn1x509.Certificate.load(
            pki().csca("csca-rsa").der)])
    except TrustStoreError:
        return
    assert ml.signer is not None


@FUZZ_SLOW
@given(st.sampled_from(["ds-rsa", "ds-ec", "ml-signer"]), EDITS)
def test_certificates_and_crls(label: str, edits: list[tuple[int, int, int]]) -> None:
    store = TrustStore()
    try:
        cert = store.add_certificate(mutate(pki().signer(label).der, edits))
        store.find_issuers(cert)
        store.public_key(cert)
        store.verifies(cert, cert)
    except CertificateError:
        pass
    try:
        store.add_crl(mutate(pki().crls["csca-rsa"], edits))
    except CertificateError:
        pass


@FUZZ
@given(st.binary(max_size=300), st.binary(min_size=8, max_size=8))
def test_aa_rsa_verification_never_raises(signature: bytes, challenge: bytes) -> None:
    ok, _ = verify_rsa(signature, challenge, rsa_key("aa-fuzz", 1024).public_key())
    assert ok is False


@FUZZ
@given(st.one_of(st.binary(max_size=140), st.binary(max_size=70).map(lambda b: b"\x30" + b)))
def test_aa_ecdsa_verification_never_raises(signature: bytes) -> None:
    key = ec_key("aa-fuzz", "brainpoolP256r1").public_key()
    assert verify_ecdsa(signature, bytes(8), key, ["sha256", "sha1"]) is None


@FUZZ_SLOW
@given(EDITS)
def test_trust_store_file_loading(edits: list[tuple[int, int, int]]) -> None:
    store = TrustStore()
    pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    for name, data in (("x.ml", pki().master_list), ("x.crl", pki().crls["csca-ec"]),
                       ("x.pem", pem)):
        try:
            store._add_bytes(mutate(data, edits), name, name[1:])
        except CheckedIDError:
            pass
