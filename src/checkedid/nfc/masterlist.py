"""CSCA master lists (ICAO Doc 9303 Part 12, 9; BSI TR-03129 master list format).

A master list is a CMS ``SignedData`` (RFC 5652) whose encapsulated content
(``id-icao-cscaMasterList``, 2.23.136.1.1.2) is a ``CscaMasterList``: a version
and a set of CSCA certificates (self-signed roots and link certificates). It is
signed by a *master-list signer* whose certificate travels in the SignedData
and is itself issued by the publishing State's CSCA.

:func:`parse_master_list` checks the CMS signature (signed attributes, message
digest, signer certificate) and, when it can find it, the signer certificate's
own signature by its CSCA. A master list whose CMS signature does not verify is
refused (:class:`~checkedid.errors.TrustStoreError`); one whose signer cannot be
chained to a CSCA is returned with ``verified=False`` and a reason.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from asn1crypto import cms, core
from asn1crypto import x509 as asn1x509

from checkedid.errors import CertificateError, TrustStoreError
from checkedid.nfc.pubkey import hash_for_oid, load_public_key, verify_signature
from checkedid.nfc.sod import der_length

__all__ = ["MASTER_LIST_OID", "ML_SIGNER_EKU", "CscaMasterList", "MasterList", "parse_master_list",
           "verify_issued_by"]

MASTER_LIST_OID = "2.23.136.1.1.2"
ML_SIGNER_EKU = "2.23.136.1.1.3"  # id-icao-cscaMasterListSigningKey
_SIGNED_DATA = "1.2.840.113549.1.7.2"


class _CertSet(core.SetOf):  # type: ignore[misc]
    _child_spec = asn1x509.Certificate


class CscaMasterList(core.Sequence):  # type: ignore[misc]
    """``CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }``."""

    _fields = [("version", core.Integer), ("cert_list", _CertSet)]  # noqa: RUF012


@dataclass(frozen=True)
class MasterList:
    """A parsed master list: the CSCA certificates and who signed them."""

    certificates: tuple[asn1x509.Certificate, ...]
    signer: asn1x509.Certificate
    signer_subject: str
    verified: bool
    reason: str


def verify_issued_by(cert: asn1x509.Certificate, issuer: asn1x509.Certificate) -> bool:
    """True when ``issuer``'s key verifies ``cert``'s signature (names are not compared)."""
    try:
        key = load_public_key(issuer.public_key)
        return verify_signature(key, bytes(cert.signature),
                                cert["tbs_certificate"].dump(), cert["signature_algorithm"])
    except CertificateError:
        return False


def _find_issuer(cert: asn1x509.Certificate,
                 candidates: Iterable[asn1x509.Certificate]) -> asn1x509.Certificate | None:
    aki = cert.authority_key_identifier
    for c in candidates:
        if aki is not None and c.key_identifier is not None and c.key_identifier != aki:
            continue
        if aki is None and c.subject != cert.issuer:
            continue
        if verify_issued_by(cert, c):
            return c
    return None


def _signer_info_ok(si: cms.SignerInfo, econtent: bytes, signer: asn1x509.Certificate) -> bool:
    digest_name = si["digest_algorithm"]["algorithm"].native
    digest_name = digest_name if digest_name in ("sha1", "sha224", "sha256", "sha384", "sha512") \
        else hash_for_oid(si["digest_algorithm"]["algorithm"].dotted)
    if digest_name is None:
        raise CertificateError("master list uses an unsupported digest algorithm")
    attrs = si["signed_attrs"]
    key = load_public_key(signer.public_key)
    if isinstance(attrs, core.Void) or not len(attrs):
        return verify_signature(key, bytes(si["signature"].native), econtent,
                                si["signature_algorithm"], hash_hint=digest_name)
    digest = None
    for attr in attrs:
        if attr["type"].native == "message_digest":
            digest = bytes(attr["values"][0].native)
        elif attr["type"].native == "content_type" and attr["values"][0].dotted != MASTER_LIST_OID:
            return False
    expected = hashlib.new(digest_name, econtent).digest()
    if digest is None or not hmac.compare_digest(digest, expected):
        return False
    signed = b"\x31" + der_length(len(attrs.contents)) + attrs.contents
    return verify_signature(key, bytes(si["signature"].native), signed,
                            si["signature_algorithm"], hash_hint=digest_name)


def parse_master_list(data: bytes, *,
                      known: Iterable[asn1x509.Certificate] = ()) -> MasterList:
    """Parse and verify a CSCA master list.

    ``known``: CSCA certificates already trusted (searched for the signer's issuer
    before the certificates inside the list). Raises :class:`TrustStoreError` when
    the file is not a master list or its CMS signature does not verify.
    """
    try:
        info = cms.ContentInfo.load(bytes(data), strict=True)
        if info["content_type"].dotted != _SIGNED_DATA:
            raise TrustStoreError("not a master list: the content is not CMS SignedData")
        sd = info["content"]
        encap = sd["encap_content_info"]
        if encap["content_type"].dotted != MASTER_LIST_OID:
            raise TrustStoreError(f"not a master list: eContentType is "
                                  f"{encap['content_type'].dotted}, not {MASTER_LIST_OID}")
        econtent = bytes(encap["content"])
        ml = CscaMasterList.load(econtent, strict=True)
        certs = tuple(ml["cert_list"])
        for c in certs:
            c.key_identifier  # noqa: B018 - parse now, fail here rather than later
        embedded = tuple(c.chosen for c in sd["certificates"] if c.name == "certificate") \
            if sd["certificates"].native is not None else ()
        signers = sd["signer_infos"]
        if len(signers) != 1:
            raise TrustStoreError(f"master list has {len(signers)} signers, expected one")
        si = signers[0]
        sid = si["sid"]
        if sid.name == "subject_key_identifier":
            ski = bytes(sid.chosen.native)
            signer = next((c for c in embedded if c.key_identifier == ski), None)
        else:
            iss, serial = sid.chosen["issuer"], sid.chosen["serial_number"].native
            signer = next((c for c in embedded
                           if c.serial_number == serial and c.issuer == iss), None)
        if signer is None:
            raise TrustStoreError("master list does not carry its signer's certificate")
        if not _signer_info_ok(si, econtent, signer):
            raise TrustStoreError("master list signature does not verify: the file is damaged "
                                  "or forged; obtain it again from the publisher")
        subject = signer.subject.human_friendly
        known = tuple(known)
        issuer = _find_issuer(signer, known) or _find_issuer(
            signer, [c for c in embedded if c is not signer] + list(certs))
        if issuer is None:
            return MasterList(certs, signer, subject, False,
                              "the master-list signer's CSCA was not found; its certificate "
                              "is unverified")
        eku = signer.extended_key_usage_value
        if eku is None or ML_SIGNER_EKU not in [u.dotted for u in eku]:
            return MasterList(certs, signer, subject, False,
                              "the signer certificate lacks the master-list signing key "
                              f"purpose ({ML_SIGNER_EKU}, Doc 9303-12 7.1.1)")
        anchored = any(issuer.dump() == k.dump() for k in known)
        reason = ("signer certificate verified by an already trusted CSCA" if anchored else
                  "signer certificate verified by a CSCA carried in the list itself")
        return MasterList(certs, signer, subject, True, reason)
    except (TrustStoreError, CertificateError) as exc:
        if isinstance(exc, TrustStoreError):
            raise
        raise TrustStoreError(f"master list unusable: {exc}") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise TrustStoreError(f"master list is malformed ({type(exc).__name__}); obtain the "
                              "file again from the publisher") from None
