"""The deterministic test PKI (hw.pki): hierarchy, faults, export."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from asn1crypto import crl as asn1crl
from asn1crypto import x509 as asn1x509
from hw.pki import TestPKI, get_pki

from checkedid.nfc.pki.masterlist import parse_master_list, verify_issued_by

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return get_pki()


def cert(der: bytes) -> asn1x509.Certificate:
    return asn1x509.Certificate.load(der)


@pytest.mark.parametrize("label", ["ds-rsa", "ds-rsa-pss", "ds-ec", "ds-p256", "ds-revoked",
                                   "ds-expired", "ds-unknown", "ml-signer"])
def test_signers_are_issued_by_their_csca(pki: TestPKI, label: str) -> None:
    signer = pki.signer(label)
    issuer = pki.csca(signer.issuer)
    assert verify_issued_by(cert(signer.der), cert(issuer.der))
    assert not cert(signer.der).ca


def test_link_certificate(pki: TestPKI) -> None:
    link = cert(pki.link_certificates[0])
    assert link.ca and link.self_signed == "no"
    assert verify_issued_by(link, cert(pki.csca("csca-rsa").der))
    assert verify_issued_by(cert(pki.signer("ds-linked").der), link)
    assert "csca-rsa-2" not in pki.trusted_certificates  # only reachable through the link


def test_fault_signers(pki: TestPKI) -> None:
    expired = cert(pki.signer("ds-expired").der)
    assert expired["tbs_certificate"]["validity"]["not_after"].native.year == 2020
    revoked = cert(pki.signer("ds-revoked").der).serial_number
    crl = asn1crl.CertificateList.load(pki.crls["csca-rsa"])
    assert [e["user_certificate"].native for e in crl["tbs_cert_list"]["revoked_certificates"]] \
        == [revoked]
    trusted = {cert(d).subject.human_friendly for d in pki.trusted_certificates.values()}
    assert cert(pki.csca("csca-unknown").der).subject.human_friendly not in trusted


def test_master_list(pki: TestPKI) -> None:
    ml = parse_master_list(pki.master_list, anchors=[cert(pki.csca("csca-rsa").der)])
    assert ml.verified and "csca" in ml.anchor_subject.lower()
    assert {c.dump() for c in ml.certificates} == set(pki.trusted_certificates.values())
    eku = cert(pki.signer("ml-signer").der).extended_key_usage_value
    assert eku is not None and "2.23.136.1.1.3" in [u.dotted for u in eku]


def test_unknown_tamper_is_refused(pki: TestPKI) -> None:
    with pytest.raises(ValueError, match="unknown tamper"):
        pki.sign_sod({1: b"x"}, tamper="nonsense")
    with pytest.raises(ValueError, match="DG2"):
        pki.sign_sod({1: b"x"}, tamper="dg2")


def test_export_is_deterministic_across_processes(pki: TestPKI, tmp_path: Path) -> None:
    here = {p.name: p.read_bytes() for p in pki.export(tmp_path / "a")}
    out = subprocess.run([sys.executable, "-m", "hw.pki", "export", str(tmp_path / "b")],  # noqa: S603
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert len(out.stdout.splitlines()) == len(here)
    there = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert there == here
    for data in here.values():
        assert b"PRIVATE KEY" not in data
