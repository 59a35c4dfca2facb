"""EF.CardSecurity: the signed SecurityInfos of eID cards and PACE-CAM documents (BSI TR-03110-3
§A.1.2.2; ICAO Doc 9303-11 §9.2.11 for PACE-CAM, which requires it).

A CMS ``SignedData`` (RFC 5652) whose encapsulated content, type ``id-SecurityObject``
(0.4.0.127.0.7.3.2.1), is a DER ``SecurityInfos`` SET: the PACEInfos, ChipAuthenticationInfos
and — on German eID cards and passports with PACE-CAM — *several*
ChipAuthenticationPublicKeyInfos (one for PACE-CAM, keyId equal to the PACEInfo parameterId;
one for Chip Authentication, keyId equal to the ChipAuthenticationInfo keyId).
:func:`parse_card_security` returns those as a :class:`checkedid.nfc.lds.dg14.DG14` view, so CA
and PACE-CAM choose keys exactly as with DG14, and :meth:`CardSecurity.signature_verifies`
checks the document signer's signature over them (the signer's chain is checked as EF.SOD's).

Malformed input raises :class:`~checkedid.errors.LDSError` naming EF.CardSecurity.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from asn1crypto import cms
from asn1crypto import x509 as asn1x509

from checkedid.errors import CertificateError, LDSError, ParseError
from checkedid.nfc.crypto.pubkey import load_public_key, verify_signature
from checkedid.nfc.lds.dg14 import DG14, from_security_infos
from checkedid.nfc.lds.securityinfos import parse_security_infos
from checkedid.nfc.lds.sod import der_length, same_name

__all__ = ["SECURITY_OBJECT_OID", "CardSecurity", "parse_card_security"]

SECURITY_OBJECT_OID = "0.4.0.127.0.7.3.2.1"
_FILE = "EF.CardSecurity"


@dataclass(frozen=True)
class CardSecurity:
    """A parsed EF.CardSecurity: the SecurityInfos (as a DG14 view) and the signed content."""

    raw: bytes = field(repr=False)
    infos: DG14
    econtent: bytes = field(repr=False)
    signer_certificates: int
    signer_info: cms.SignerInfo = field(repr=False, compare=False)
    certificates: tuple[asn1x509.Certificate, ...] = field(repr=False, compare=False)

    def signer_certificate(self) -> asn1x509.Certificate | None:
        """The embedded document signer certificate the SignerInfo names (issuer and serial
        number compared as in EF.SOD, RDN order ignored; or the subject key identifier)."""
        sid = self.signer_info["sid"]
        if sid.name == "subject_key_identifier":
            ski = bytes(sid.chosen.native)
            return next((c for c in self.certificates if c.key_identifier == ski), None)
        issuer, serial = sid.chosen["issuer"].dump(), int(sid.chosen["serial_number"].native)
        return next((c for c in self.certificates if c.serial_number == serial
                     and same_name(c.issuer.dump(), issuer)), None)

    def signature_verifies(self) -> bool:
        """The document signer's signature over the SecurityInfos (RFC 5652 §5.4: the signed
        attributes, whose messageDigest must equal the hash of the content). ``False`` when
        no embedded certificate is named, the digest differs or the signature is wrong; the
        chain of the signer to a CSCA is checked like EF.SOD's (:mod:`checkedid.nfc.pki.pa`).
        Raises :class:`~checkedid.errors.CertificateError` for an unusable key or algorithm."""
        cert = self.signer_certificate()
        si = self.signer_info
        attrs = si["signed_attrs"]
        if cert is None or attrs.native is None:
            return False
        digest_name = si["digest_algorithm"]["algorithm"].native
        try:
            expected = hashlib.new(str(digest_name), self.econtent).digest()
        except ValueError:
            raise CertificateError(f"unsupported digest algorithm {digest_name}") from None
        digests = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
        types = [a["values"][0].dotted for a in attrs if a["type"].native == "content_type"]
        if digests != [expected] or types != [SECURITY_OBJECT_OID]:
            return False
        signed = b"\x31" + der_length(len(attrs.contents)) + attrs.contents
        return verify_signature(load_public_key(cert.public_key), bytes(si["signature"].native),
                                signed, si["signature_algorithm"], hash_hint=str(digest_name))


def parse_card_security(raw: bytes) -> CardSecurity:
    """Parse EF.CardSecurity (a DER ContentInfo with SignedData over SecurityInfos)."""
    raw = bytes(raw)
    try:
        info = cms.ContentInfo.load(raw, strict=True)
        if info["content_type"].dotted != "1.2.840.113549.1.7.2":
            raise LDSError("content is not CMS SignedData", file=_FILE)
        encap = info["content"]["encap_content_info"]
        if encap["content_type"].dotted != SECURITY_OBJECT_OID:
            raise LDSError(f"eContentType is {encap['content_type'].dotted}, not "
                           "id-SecurityObject", file=_FILE)
        content = encap["content"]
        if content.native is None:
            raise LDSError("SignedData has no encapsulated SecurityInfos", file=_FILE)
        econtent = bytes(content.native) if isinstance(content.native, bytes) \
            else bytes(content.contents)
        certs = info["content"]["certificates"]
        embedded = tuple(c.chosen for c in certs if c.name == "certificate") \
            if certs.native is not None else ()
        signers = info["content"]["signer_infos"]
        if len(signers) != 1:
            raise LDSError(f"expected one SignerInfo, found {len(signers)}", file=_FILE)
        signer = signers[0]
        signer.native  # noqa: B018 - parse the SignerInfo and the certificates fully now,
        for c in embedded:  # so that nothing malformed surfaces later as a bare ValueError
            c.native  # noqa: B018
            c.key_identifier  # noqa: B018
    except LDSError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise LDSError(f"malformed CMS structure ({type(exc).__name__})", file=_FILE) from None
    try:
        infos = parse_security_infos(econtent)
    except LDSError:
        raise
    except ParseError as exc:
        raise LDSError(str(exc), file=_FILE) from None
    return CardSecurity(raw, from_security_infos(econtent, infos, _FILE), econtent,
                        len(embedded), signer, embedded)
