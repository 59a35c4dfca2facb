"""CSCA master lists (ICAO Doc 9303 Part 12, 9; BSI TR-03129 master list format).

A master list is a CMS ``SignedData`` (RFC 5652) whose encapsulated content
(``id-icao-cscaMasterList``, 2.23.136.1.1.2) is a ``CscaMasterList``: a version
and a set of CSCA certificates (self-signed roots and link certificates). It is
signed by a *master-list signer* whose certificate travels in the SignedData
and is itself issued by the publishing State's CSCA.

:func:`parse_master_list` checks the CMS signature (signed attributes, message
digest, signer certificate) and then whether the list may vouch for anything: a
master list never vouches for itself. Its signer's certificate must

* be issued by one of the ``anchors`` — CSCA certificates the operator pinned
  separately (a certificate file or directory), never a certificate carried in the
  list or the SignedData;
* carry the master-list signing purpose ``2.23.136.1.1.3`` in its extended key
  usage (Doc 9303-12 §7.1.1, id-icao-cscaMasterListSigningKey);
* be valid at the time of loading.

Otherwise :class:`~checkedid.errors.TrustStoreError` is raised: a list is trusted
entirely or not at all, never partially.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from asn1crypto import cms, core
from asn1crypto import x509 as asn1x509

from checkedid.errors import CertificateError, TrustStoreError
from checkedid.nfc.crypto.pubkey import hash_for_oid, load_public_key, verify_signature
from checkedid.nfc.lds.sod import der_length

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
    """A verified master list: the CSCA certificates, who signed them, and the pinned
    anchor (``anchor_subject``) that vouched for the signer."""

    certificates: tuple[asn1x509.Certificate, ...]
    signer: asn1x509.Certificate
    signer_subject: str
    anchor: asn1x509.Certificate
    anchor_subject: str

    @property
    def verified(self) -> bool:
        """Always True: an unverified list is never returned (kept for callers)."""
        return True

    @property
    def reason(self) -> str:
        return f"signer certificate verified by the pinned CSCA {self.anchor_subject}"


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


def _check_signer(signer: asn1x509.Certificate, anchors: tuple[asn1x509.Certificate, ...],
                  at: dt.datetime) -> asn1x509.Certificate:
    """The pinned anchor that issued ``signer``; TrustStoreError when none did, the
    master-list purpose is missing, or the signer is not valid at ``at``."""
    if not anchors:
        raise TrustStoreError("a master list needs the CSCA that signed it pinned separately: "
                              "give that CSCA's certificate file as trust too (a master list "
                              "never vouches for itself)")
    issuer = _find_issuer(signer, anchors)
    if issuer is None:
        raise TrustStoreError(f"the master-list signer ({signer.subject.human_friendly}) was "
                              "not issued by any pinned CSCA: pin the publishing State's CSCA "
                              "certificate (a CSCA inside the list itself does not count)")
    eku = signer.extended_key_usage_value
    if eku is None or ML_SIGNER_EKU not in [u.dotted for u in eku]:
        raise TrustStoreError("the master-list signer certificate lacks the master-list "
                              f"signing purpose ({ML_SIGNER_EKU}, Doc 9303-12 7.1.1)")
    validity = signer["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    if not start <= at <= end:
        raise TrustStoreError(f"the master-list signer certificate is not valid now (valid "
                              f"{start:%Y-%m-%d} to {end:%Y-%m-%d}): obtain a current list")
    return issuer


def parse_master_list(data: bytes, *, anchors: Iterable[asn1x509.Certificate] = (),
                      at: dt.datetime | None = None) -> MasterList:
    """Parse and verify a CSCA master list against the pinned ``anchors``.

    ``anchors``: CSCA certificates the operator pinned separately (never those added by
    another master list). ``at``: the time of the validity check (default now).
    Raises :class:`TrustStoreError` when the file is not a master list, its CMS
    signature does not verify, or its signer is not vouched for (see the module doc).
    """
    at = at or dt.datetime.now(dt.UTC)
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
        anchor = _check_signer(signer, tuple(anchors), at)
        return MasterList(certs, signer, signer.subject.human_friendly, anchor,
                          anchor.subject.human_friendly)
    except (TrustStoreError, CertificateError) as exc:
        if isinstance(exc, TrustStoreError):
            raise
        raise TrustStoreError(f"master list unusable: {exc}") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise TrustStoreError(f"master list is malformed ({type(exc).__name__}); obtain the "
                              "file again from the publisher") from None
