"""The CSCA trust store: directories, master lists, CRLs, caching (ICAO Doc 9303-12)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1x509
from hw.pki import TestPKI, get_pki

from checkedid.errors import CertificateError, TrustStoreError
from checkedid.nfc.pki.masterlist import parse_master_list
from checkedid.nfc.pki.trust import TrustStore
from tests.conftest import data_path


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return get_pki()


@pytest.fixture
def exported(pki: TestPKI, tmp_path: Path) -> Path:
    pki.export(tmp_path)
    return tmp_path


def test_load_directory(exported: Path, pki: TestPKI) -> None:
    store = TrustStore.load(exported)
    # csca-rsa, csca-ec, csca-edl, the link certificate (PEM and DER deduplicated)
    assert len(store) == 4
    assert store.crl_count == 4
    kinds = sorted(s.kind for s in store.sources)
    assert kinds.count("master_list") == 1 and kinds.count("crl") == 4
    ml = next(s for s in store.sources if s.kind == "master_list")
    assert ml.verified is True and ml.signer is not None and "ml-signer" in ml.signer
    assert "pinned CSCA" in ml.reason and ml.anchor is not None and "RSA" in ml.anchor


def test_find_issuers_by_key_id_and_name(exported: Path, pki: TestPKI) -> None:
    store = TrustStore.load(exported)
    ds = asn1x509.Certificate.load(pki.signer("ds-ec").der)
    issuers = store.find_issuers(ds)
    assert [c.subject.native["common_name"] for c in issuers] == ["checkedid Test CSCA EC"]
    assert store.verifies(issuers[0], ds)
    linked = store.find_issuers(pki.signer("ds-linked").der)
    assert linked and linked[0].self_signed == "no"  # the link certificate
    assert store.find_issuers(pki.signer("ds-unknown").der) == []


def test_load_is_cached_by_path_and_mtime(exported: Path) -> None:
    a = TrustStore.load(exported)
    assert TrustStore.load(str(exported)) is a
    assert TrustStore.load([exported]) is a  # Session passes a list
    crl = exported / "csca-ec.crl"
    st = crl.stat()
    os.utime(crl, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    assert TrustStore.load(exported) is not a


def test_load_several_paths(exported: Path) -> None:
    store = TrustStore.load(exported / "csca-ec.pem", exported / "csca-ec.crl",
                            [exported / "csca-rsa.der"])
    assert len(store) == 2 and store.crl_count == 1


def test_missing_path_and_garbage(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError, match="does not exist"):
        TrustStore.load(tmp_path / "nope")
    with pytest.raises(TrustStoreError, match="no trust material"):
        TrustStore.load(tmp_path)
    (tmp_path / "bad.der").write_bytes(b"\x30\x03\x02\x01\x01")
    with pytest.raises(TrustStoreError, match=r"bad\.der"):
        TrustStore.load(tmp_path)


def test_add_certificate_rejects_garbage() -> None:
    with pytest.raises(CertificateError):
        TrustStore().add_certificate(b"not a certificate")
    with pytest.raises(CertificateError):
        TrustStore().add_crl(b"\x30\x00")


def test_forged_master_list_is_refused(pki: TestPKI, tmp_path: Path) -> None:
    ml = bytearray(pki.master_list)
    ml[len(ml) // 2] ^= 0x01  # inside the certificate list: the signed digest no longer matches
    path = tmp_path / "forged.ml"
    path.write_bytes(bytes(ml))
    with pytest.raises(TrustStoreError):
        TrustStore.load(path)


def test_master_list_without_a_pinned_csca_is_refused(pki: TestPKI) -> None:
    with pytest.raises(TrustStoreError, match="never vouches for itself"):
        parse_master_list(pki.master_list)
    ml = parse_master_list(pki.master_list,
                           anchors=[asn1x509.Certificate.load(pki.csca("csca-rsa").der)])
    assert ml.verified is True and "pinned CSCA" in ml.reason
    assert len(ml.certificates) == 4  # csca-rsa, csca-ec, csca-edl, the link certificate


def test_not_a_master_list(pki: TestPKI) -> None:
    with pytest.raises(TrustStoreError, match="eContentType"):
        parse_master_list(pki.sign_sod({1: b"\x61\x00"}, wrap_77=False))


def test_real_german_master_list() -> None:
    ml_path = data_path("pki", "DE_masterlist_2026-05-28.ml")
    csca_path = data_path("pki", "DE_CSCA07.cer")
    store = TrustStore()
    store.add_file(csca_path)
    source = store.add_file(ml_path)
    assert source.kind == "master_list"
    assert source.certificates == 588
    assert len(store) >= 500  # distinct certificates (the CSCA file is also in the list)
    assert source.verified is True and "pinned CSCA" in source.reason
    assert source.anchor is not None and "csca-germany" in source.anchor
    assert source.signer is not None and "Master List Signer" in source.signer
    # Every German CSCA certificate in the list must be findable and usable as an issuer.
    de = [c for c in store.certificates if c.subject.native.get("country_name") == "DE"]
    assert de
    for cert in de:
        assert store.public_key(cert) is not None
        if cert.self_signed == "yes":
            assert store.verifies(cert, cert)


def test_real_master_list_keys_with_explicit_parameters() -> None:
    """Most EC CSCAs in the German list use explicit domain parameters (RFC 3279)."""
    ml_path = data_path("pki", "DE_masterlist_2026-05-28.ml")
    store = TrustStore.load(data_path("pki", "DE_CSCA07.cer"), ml_path)
    explicit = [c for c in store.certificates if c.public_key.algorithm == "ec"
                and c.public_key["algorithm"]["parameters"].name == "specified"]
    assert len(explicit) > 100
    loaded = 0
    for cert in explicit:
        try:
            store.public_key(cert)
            loaded += 1
        except CertificateError:
            pass
    assert loaded == len(explicit)


def test_master_list_signed_without_the_signer_purpose(pki: TestPKI) -> None:
    """A document signer's key may not sign master lists (Doc 9303-12 7.1.1)."""
    from hw.pki.sod import sign_cms

    from checkedid.nfc.pki.masterlist import MASTER_LIST_OID, CscaMasterList

    body = CscaMasterList({"version": 0, "cert_list": [
        asn1x509.Certificate.load(pki.csca("csca-ec").der)]}).dump()
    with pytest.raises(TrustStoreError, match=r"2\.23\.136\.1\.1\.3"):
        parse_master_list(sign_cms(MASTER_LIST_OID, body, pki.signer("ds-rsa")),
                          anchors=[asn1x509.Certificate.load(pki.csca("csca-rsa").der)])
