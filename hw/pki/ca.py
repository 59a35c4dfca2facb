"""The test PKI: CSCAs, document signers, a link certificate, CRLs, a master list.

TEST-ONLY. All keys are derived from public labels (:mod:`hw.pki.keys`), all
dates and serial numbers are fixed, and EC signatures use RFC 6979
deterministic nonces, so every process builds byte-identical certificates.
The layout follows ICAO Doc 9303 Part 12 (PKI for MRTDs):

==================  ===========================================================
``csca-rsa``        CSCA, RSA 4096, self-signed (trusted, exported)
``csca-ec``         CSCA, ECDSA brainpoolP384r1, self-signed (trusted, exported)
``csca-rsa-2``      new CSCA key, RSA 3072; only its *link certificate*
                    (issued by ``csca-rsa``) is exported, so trusting
                    ``ds-linked`` needs the link (Part 12, 5.2)
``csca-unknown``    CSCA, ECDSA P-384, never exported (for "unknown CSCA")
``ds-rsa``          DS, RSA 2048, PKCS#1 v1.5, under ``csca-rsa``
``ds-rsa-pss``      DS, RSA 2048, RSASSA-PSS, under ``csca-rsa``
``ds-ec``           DS, ECDSA brainpoolP256r1, under ``csca-ec``
``ds-p256``         DS, ECDSA P-256, under ``csca-ec``
``ds-linked``       DS, ECDSA brainpoolP256r1, under ``csca-rsa-2``
``ds-revoked``      DS, RSA 2048, under ``csca-rsa``, listed on its CRL
``ds-expired``      DS, ECDSA brainpoolP256r1, under ``csca-ec``, expired 2020
``ds-unknown``      DS, ECDSA brainpoolP256r1, under ``csca-unknown``
``ml-signer``       master-list signer, RSA 2048, under ``csca-rsa``
``ds-weak``         DS, RSA 1024 (weak: PA passes with a warning), under ``csca-rsa``
``ml-signer-no-eku``   master-list signer without the 2.23.136.1.1.3 purpose, ``csca-rsa``
``ml-signer-expired``  master-list signer, expired 2020, under ``csca-rsa``
``ml-signer-rogue``    master-list signer under ``csca-unknown`` (never pinned)
``csca-edl``        CSCA of driving licences ("eDL CSCA"), ECDSA P-384, self-signed (trusted)
``ds-edl``          DS of driving licences, ECDSA P-256, under ``csca-edl``
==================  ===========================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from hw.pki.keys import ec_key, rsa_key

__all__ = ["CertifiedKey", "PrivateKey", "build_hierarchy", "name"]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

ML_SIGNER_EKU = ObjectIdentifier("2.23.136.1.1.3")  # id-icao-cscaMasterListSigningKey

CSCA_FROM = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
CSCA_UNTIL = dt.datetime(2044, 1, 1, tzinfo=dt.UTC)
DS_FROM = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
DS_UNTIL = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
EXPIRED_FROM = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
EXPIRED_UNTIL = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
CRL_THIS = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
CRL_NEXT = dt.datetime(2045, 1, 1, tzinfo=dt.UTC)


def name(cn: str, country: str = "UT") -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "checkedid test PKI"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "TEST ONLY - not for production"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


@dataclass(frozen=True)
class CertifiedKey:
    """A test private key with its certificate (and the signature scheme it uses)."""

    label: str
    key: PrivateKey
    cert: x509.Certificate
    issuer: str
    scheme: str = "pkcs1"  # "pkcs1", "pss" or "ecdsa"

    @property
    def der(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.cert.public_bytes(Encoding.DER)


@dataclass
class Hierarchy:
    cscas: dict[str, CertifiedKey] = field(default_factory=dict)
    signers: dict[str, CertifiedKey] = field(default_factory=dict)
    links: list[x509.Certificate] = field(default_factory=list)
    crls: dict[str, x509.CertificateRevocationList] = field(default_factory=dict)


def _sign(builder: x509.CertificateBuilder, key: PrivateKey) -> x509.Certificate:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = hashes.SHA384() if key.curve.key_size >= 384 else hashes.SHA256()
        return builder.sign(key, alg, ecdsa_deterministic=True)
    return builder.sign(key, hashes.SHA256(), rsa_padding=padding.PKCS1v15())


def _ski(key: PrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def _cert(subject: str, key: PrivateKey, issuer: str, issuer_key: PrivateKey, serial: int, *,
          ca: bool, start: dt.datetime, end: dt.datetime, ml_signer: bool = False,
          ) -> x509.Certificate:
    b = (x509.CertificateBuilder()
         .subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(start).not_valid_after(end)
         .add_extension(_ski(key), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer_key.public_key()), critical=False))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                          False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                          False), critical=True)
    if ml_signer:
        b = b.add_extension(x509.ExtendedKeyUsage([ML_SIGNER_EKU]), critical=False)
    return _sign(b, issuer_key)


def _crl(issuer: str, key: PrivateKey, revoked: list[int]) -> x509.CertificateRevocationList:
    b = (x509.CertificateRevocationListBuilder().issuer_name(name(issuer))
         .last_update(CRL_THIS).next_update(CRL_NEXT)
         .add_extension(x509.CRLNumber(1), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                        critical=False))
    for serial in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(CRL_THIS).build())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return b.sign(key, hashes.SHA384(), ecdsa_deterministic=True)
    return b.sign(key, hashes.SHA256(), rsa_padding=padding.PKCS1v15())


def build_hierarchy() -> Hierarchy:
    """Build every CSCA, DS, the link certificate and the CRLs (about two seconds)."""
    h = Hierarchy()
    csca_keys: dict[str, tuple[str, PrivateKey]] = {
        "csca-rsa": ("checkedid Test CSCA RSA", rsa_key("csca-rsa", 4096)),
        "csca-ec": ("checkedid Test CSCA EC", ec_key("csca-ec", "brainpoolP384r1")),
        "csca-rsa-2": ("checkedid Test CSCA RSA 2", rsa_key("csca-rsa-2", 3072)),
        "csca-unknown": ("checkedid Unknown CSCA", ec_key("csca-unknown", "secp384r1")),
        "csca-edl": ("checkedid Test CSCA eDL", ec_key("csca-edl", "secp384r1")),
    }
    for serial, (label, (cn, key)) in enumerate(csca_keys.items(), start=1):
        cert = _cert(cn, key, cn, key, serial, ca=True, start=CSCA_FROM, end=CSCA_UNTIL)
        h.cscas[label] = CertifiedKey(label, key, cert, label,
                                      "ecdsa" if isinstance(key, ec.EllipticCurvePrivateKey)
                                      else "pkcs1")
    old, new = h.cscas["csca-rsa"], h.cscas["csca-rsa-2"]
    h.links.append(_cert(csca_keys["csca-rsa-2"][0], new.key, csca_keys["csca-rsa"][0], old.key,
                         100, ca=True, start=CSCA_FROM, end=CSCA_UNTIL))

    signers: list[tuple[str, str, PrivateKey, str]] = [
        ("ds-rsa", "csca-rsa", rsa_key("ds-rsa", 2048), "pkcs1"),
        ("ds-rsa-pss", "csca-rsa", rsa_key("ds-rsa-pss", 2048), "pss"),
        ("ds-ec", "csca-ec", ec_key("ds-ec", "brainpoolP256r1"), "ecdsa"),
        ("ds-p256", "csca-ec", ec_key("ds-p256", "secp256r1"), "ecdsa"),
        ("ds-linked", "csca-rsa-2", ec_key("ds-linked", "brainpoolP256r1"), "ecdsa"),
        ("ds-revoked", "csca-rsa", rsa_key("ds-revoked", 2048), "pkcs1"),
        ("ds-expired", "csca-ec", ec_key("ds-expired", "brainpoolP256r1"), "ecdsa"),
        ("ds-unknown", "csca-unknown", ec_key("ds-unknown", "brainpoolP256r1"), "ecdsa"),
        ("ml-signer", "csca-rsa", rsa_key("ml-signer", 2048), "pkcs1"),
        ("ds-weak", "csca-rsa", rsa_key("ds-weak", 1024), "pkcs1"),  # appended: serials stay
        ("ml-signer-no-eku", "csca-rsa", ec_key("ml-signer-no-eku", "secp256r1"), "ecdsa"),
        ("ml-signer-expired", "csca-rsa", ec_key("ml-signer-expired", "secp256r1"), "ecdsa"),
        ("ml-signer-rogue", "csca-unknown", ec_key("ml-signer-rogue", "secp256r1"), "ecdsa"),
        ("ds-edl", "csca-edl", ec_key("ds-edl", "secp256r1"), "ecdsa"),
    ]
    for serial, (label, issuer, key, scheme) in enumerate(signers, start=0x1001):
        expired = label in ("ds-expired", "ml-signer-expired")
        start, end = (EXPIRED_FROM, EXPIRED_UNTIL) if expired else (DS_FROM, DS_UNTIL)
        cert = _cert(f"checkedid Test {label}", key, csca_keys[issuer][0], h.cscas[issuer].key,
                     serial, ca=False, start=start, end=end,
                     ml_signer=label.startswith("ml-signer") and label != "ml-signer-no-eku")
        h.signers[label] = CertifiedKey(label, key, cert, issuer, scheme)

    revoked = h.signers["ds-revoked"].cert.serial_number
    for label in ("csca-rsa", "csca-ec", "csca-rsa-2", "csca-edl"):
        h.crls[label] = _crl(csca_keys[label][0], h.cscas[label].key,
                             [revoked] if label == "csca-rsa" else [])
    return h
