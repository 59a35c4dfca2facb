"""EF.SOD as some countries issue it (ICAO Doc 9303-10 §4.6.2, RFC 5652 §5.3/§11.1).

* eContentType id-data (1.2.840.113549.1.7.1) or the legacy 1.3.27.1.1.1 instead of
  id-icao-mrtd-security-ldsSecurityObject: accepted with a warning when the content is an
  LDSSecurityObject, refused otherwise.
* a SignerInfo that names the issuer with its RDNs in another order than the certificate:
  matched as a set of attributes; and a SignerInfo naming no embedded certificate at all:
  the single embedded certificate whose key verifies the signature is used.
"""

from __future__ import annotations

import hashlib

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1x509
from hw.pki import TestPKI, get_pki
from hw.pki.sod import build_lds_security_object, sign_cms, wrap_77

from checkedid.errors import LDSError
from checkedid.nfc.lds.sod import parse_sod, same_name
from checkedid.nfc.pki.pa import passive_authenticate
from checkedid.nfc.pki.trust import TrustStore
from checkedid.verdict import Verdict

DGS = {1: b"\x61\x03abc", 2: b"\x75\x02xy"}


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return get_pki()


@pytest.fixture(scope="module")
def trust(pki: TestPKI) -> TrustStore:
    store = TrustStore()
    for der in pki.trusted_certificates.values():
        store.add_certificate(der)
    return store


def _lso() -> bytes:
    return build_lds_security_object(
        {n: hashlib.sha256(v).digest() for n, v in DGS.items()}, "sha256", None)


@pytest.mark.parametrize(("oid", "label"), [("1.2.840.113549.1.7.1", "id-data"),
                                            ("1.3.27.1.1.1", "legacy")])
def test_other_content_types_are_accepted_with_a_warning(pki: TestPKI, trust: TrustStore,
                                                         oid: str, label: str) -> None:
    raw = wrap_77(sign_cms(oid, _lso(), pki.signer("ds-ec")))
    sod = parse_sod(raw)
    assert sod.econtent_type == oid
    assert len(sod.warnings) == 1 and label in sod.warnings[0]
    group = passive_authenticate(raw, DGS, trust)
    for name in ("dg_hashes", "signed_attributes", "ds_signature", "csca_chain"):
        check = group.check(name)
        assert check is not None and check.verdict is Verdict.PASSED, check
    assert any(label in w for w in group.details["warnings"])


def test_id_data_without_an_lds_security_object_is_refused(pki: TestPKI) -> None:
    raw = sign_cms("1.2.840.113549.1.7.1", b"\x04\x03abc", pki.signer("ds-ec"))
    with pytest.raises(LDSError, match="not an LDSSecurityObject"):
        parse_sod(raw)


def test_ldssecurityobject_oid_gives_no_warning(pki: TestPKI) -> None:
    assert parse_sod(pki.sign_sod(DGS, signer="ds-ec")).warnings == ()


def _rewrite_sid(raw: bytes, *, reverse: bool = False, serial_delta: int = 0) -> bytes:
    info = cms.ContentInfo.load(raw)
    si = info["content"]["signer_infos"][0]
    ias = si["sid"].chosen
    issuer = ias["issuer"]
    if reverse:
        rdns = list(issuer.chosen)[::-1]
        issuer = asn1x509.Name(name="", value=asn1x509.RDNSequence(rdns))
    si["sid"] = cms.SignerIdentifier({"issuer_and_serial_number": {
        "issuer": issuer, "serial_number": int(ias["serial_number"].native) + serial_delta}})
    return bytes(info.dump(force=True))


def test_issuer_rdns_in_another_order_match(pki: TestPKI, trust: TrustStore) -> None:
    raw = _rewrite_sid(pki.sign_sod(DGS, signer="ds-rsa", wrap_77=False), reverse=True)
    sod = parse_sod(raw)
    cert = sod.certificates[0]
    assert sod.sid.issuer != cert.issuer.dump()
    assert same_name(sod.sid.issuer or b"", cert.issuer.dump())
    assert sod.signer_certificate() is cert
    group = passive_authenticate(raw, DGS, trust)
    check = group.check("ds_signature")
    assert check is not None and check.verdict is Verdict.PASSED
    assert group.details["ds_certificate"] == "embedded in EF.SOD"


def test_names_with_other_attributes_differ(pki: TestPKI) -> None:
    a = pki.signer("ds-rsa").cert
    b = pki.signer("ds-ec").cert
    a_issuer = asn1x509.Certificate.load(pki.signer("ds-rsa").der).issuer.dump()
    b_issuer = asn1x509.Certificate.load(pki.signer("ds-ec").der).issuer.dump()
    assert a.issuer != b.issuer and not same_name(a_issuer, b_issuer)
    assert not same_name(a_issuer, b"\x30\x03\x02\x01\x00")


def test_unnamed_signer_falls_back_to_the_certificate_that_verifies(pki: TestPKI,
                                                                     trust: TrustStore) -> None:
    raw = _rewrite_sid(pki.sign_sod(DGS, signer="ds-ec", wrap_77=False), serial_delta=1)
    sod = parse_sod(raw)
    assert sod.signer_certificate() is None
    group = passive_authenticate(raw, DGS, trust)
    check = group.check("ds_signature")
    assert check is not None and check.verdict is Verdict.PASSED
    assert "only one whose key verifies" in group.details["ds_certificate"]


def test_fallback_never_picks_a_certificate_that_does_not_verify(pki: TestPKI,
                                                                 trust: TrustStore) -> None:
    raw = _rewrite_sid(pki.sign_sod(DGS, signer="ds-ec", wrap_77=False, tamper="signature"),
                       serial_delta=1)
    group = passive_authenticate(raw, DGS, trust)
    check = group.check("ds_signature")
    assert check is not None and check.verdict is Verdict.NOT_CHECKED
    assert group.verdict is not Verdict.PASSED
