"""Certificate roles and link certificates in Passive Authentication (Doc 9303-12 §5.2,
§7.1.1): a DS is no CA and signs with digitalSignature, a CSCA has keyCertSign, a DS
documentTypeList is honoured, and a self-signed CSCA is preferred over a link certificate
so that an expired old root reached over the link does not fail a genuine document."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID, ObjectIdentifier
from hw.pki.ca import CertifiedKey
from hw.pki.sod import sign_sod_with
from hw.vchip import lds_build
from hw.vchip.personas import mrz_td1, mrz_td3

from checkedid.nfc.pki import pa
from checkedid.nfc.pki.trust import TrustStore
from checkedid.verdict import Verdict

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
PAST = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2010, 1, 1, tzinfo=dt.UTC))
CURRENT = (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2040, 1, 1, tzinfo=dt.UTC))
DOC_TYPES = ObjectIdentifier("2.23.136.1.1.6.2")
PASSPORT = {1: lds_build.dg1(mrz_td3("L898902C3"))}


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "UT"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(cn: str, key: ec.EllipticCurvePrivateKey, issuer_cn: str,
          issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool, usage: str,
          period: tuple[dt.datetime, dt.datetime] = CURRENT,
          extra: x509.ExtensionType | None = None) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(issuer_cn))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(period[0]).not_valid_after(period[1])
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer_key.public_key()), False)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
         .add_extension(x509.KeyUsage(usage == "sign", False, False, False, False,
                                      usage == "cert", usage == "cert", False, False), True))
    if extra is not None:
        b = b.add_extension(extra, False)
    return b.sign(issuer_key, hashes.SHA256())


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


KEYS = {n: ec.generate_private_key(ec.SECP256R1()) for n in ("old", "new", "ds")}


def _root(label: str, **kw: object) -> x509.Certificate:
    return _cert(f"CSCA {label}", KEYS[label], f"CSCA {label}", KEYS[label], ca=True,
                 usage=str(kw.pop("usage", "cert")), **kw)  # type: ignore[arg-type]


def _passive(ds: x509.Certificate, *trusted: x509.Certificate,
             dgs: dict[int, bytes] = PASSPORT) -> tuple[Verdict, Verdict, str]:
    store = TrustStore()
    for c in trusted:
        store.add_certificate(_der(c))
    sod = sign_sod_with(CertifiedKey("ds", KEYS["ds"], ds, "csca", "ecdsa"), dgs)
    g = pa.passive_authenticate(sod, dgs, store, at=NOW)
    chain, validity = g.check("csca_chain"), g.check("validity")
    assert chain is not None and validity is not None
    return chain.verdict, validity.verdict, chain.reason + " | " + validity.reason


def _ds(**kw: object) -> x509.Certificate:
    return _cert("DS", KEYS["ds"], "CSCA new", KEYS["new"], **{"ca": False, "usage": "sign",
                                                             **kw})  # type: ignore[arg-type]


def test_self_signed_root_is_preferred_over_a_link_to_an_expired_old_root() -> None:
    link = _cert("CSCA new", KEYS["new"], "CSCA old", KEYS["old"], ca=True, usage="cert")
    old_root = _root("old", period=PAST)
    for order in ((link, old_root, _root("new")), (_root("new"), old_root, link)):
        chain, validity, why = _passive(_ds(), *order)
        assert (chain, validity) == (Verdict.PASSED, Verdict.PASSED), why
        assert "via a link" not in why


def test_link_as_the_anchor_does_not_need_the_expired_old_root() -> None:
    link = _cert("CSCA new", KEYS["new"], "CSCA old", KEYS["old"], ca=True, usage="cert")
    chain, validity, why = _passive(_ds(), link, _root("old", period=PAST))
    assert (chain, validity) == (Verdict.PASSED, Verdict.PASSED), why


@pytest.mark.parametrize(("ds", "csca_usage", "reason"), [
    ({"ca": True}, "cert", "is a CA certificate"),
    ({"usage": "cert"}, "cert", "digitalSignature"),
    ({}, "sign", "keyCertSign"),
])
def test_certificate_roles(ds: dict[str, object], csca_usage: str, reason: str) -> None:
    chain, _, why = _passive(_ds(**ds), _root("new", usage=csca_usage))
    assert chain is Verdict.FAILED and reason in why


def _type_list(*types: str) -> x509.UnrecognizedExtension:
    from asn1crypto import core

    body = core.Sequence(contents=core.Integer(0).dump() + core.SetOf(
        contents=b"".join(core.PrintableString(t).dump() for t in types)).dump())
    return x509.UnrecognizedExtension(DOC_TYPES, body.dump())


def test_document_type_list_is_honoured() -> None:
    only_ids = _ds(extra=_type_list("ID", "I"))
    chain, _, why = _passive(only_ids, _root("new"))
    assert chain is Verdict.FAILED and "document types ID, I" in why and "not P" in why
    card = {1: lds_build.dg1(mrz_td1("D23145890"))}
    assert _passive(only_ids, _root("new"), dgs=card)[0] is Verdict.PASSED
    assert _passive(_ds(extra=_type_list("P")), _root("new"))[0] is Verdict.PASSED


def test_sha1_as_cms_digest_algorithm_is_warned() -> None:
    from hw.pki import get_pki

    pki = get_pki()
    dgs = {1: PASSPORT[1]}
    # DG hashes SHA-256, CMS digest (messageDigest) SHA-1
    weak = sign_sod_with(pki.signer("ds-rsa"), dgs, hash_alg="sha256",
                         sig_hash="sha256", cms_hash="sha1")
    warnings = pa.passive_authenticate(weak, dgs, None).details.get("warnings", [])
    assert "EF.SOD's CMS digest algorithm is SHA-1 (weak)" in warnings
    strong = pa.passive_authenticate(sign_sod_with(pki.signer("ds-rsa"), dgs), dgs, None)
    assert not any("SHA-1" in w for w in strong.details.get("warnings", []))
