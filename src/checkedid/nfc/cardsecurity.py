"""EF.CardSecurity: the signed SecurityInfos of eID cards and PACE-CAM documents (BSI TR-03110-3
§A.1.2.2; ICAO Doc 9303-11 §9.2.11 for PACE-CAM, which requires it).

A CMS ``SignedData`` (RFC 5652) whose encapsulated content, type ``id-SecurityObject``
(0.4.0.127.0.7.3.2.1), is a DER ``SecurityInfos`` SET: the PACEInfos, ChipAuthenticationInfos
and — on German eID cards and passports with PACE-CAM — *several*
ChipAuthenticationPublicKeyInfos (one for PACE-CAM, keyId equal to the PACEInfo parameterId;
one for Chip Authentication, keyId equal to the ChipAuthenticationInfo keyId).
:func:`parse_card_security` returns those as a :class:`checkedid.nfc.lds.dg14.DG14` view, so CA
and PACE-CAM choose keys exactly as with DG14, plus the signed-data pieces a caller verifies
with the document signer (as for EF.SOD).

Malformed input raises :class:`~checkedid.errors.LDSError` naming EF.CardSecurity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asn1crypto import cms

from checkedid.errors import LDSError, ParseError
from checkedid.nfc.cardaccess import parse_security_infos
from checkedid.nfc.lds.dg14 import DG14, from_security_infos

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
        count = len(certs) if certs.native is not None else 0
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
    return CardSecurity(raw, from_security_infos(econtent, infos, _FILE), econtent, count)
