"""EF.SOD: the Document Security Object (ICAO Doc 9303 Part 10, 4.6.2; Part 11, 5.1).

EF.SOD is an application tag ``0x77`` wrapping a CMS ``SignedData`` (RFC 5652)
whose encapsulated content (type ``id-icao-mrtd-security-ldsSecurityObject``,
2.23.136.1.1.1) is the ``LDSSecurityObject``: the hash algorithm and one hash per
data group. Some issuers label the content ``id-data`` (1.2.840.113549.1.7.1) or with
the legacy OID 1.3.27.1.1.1; like mature readers, :func:`parse_sod` accepts those when
the content parses as an LDSSecurityObject and records a warning (``SOD.warnings``).
:func:`parse_sod` accepts the file with or without the 0x77 wrapper
and returns a :class:`SOD` whose fields keep the bytes exactly as read, so that
signature checks hash what the issuer signed, never a re-encoding.

Malformed input raises :class:`checkedid.errors.LDSError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1x509

from checkedid.errors import LDSError

__all__ = [
    "HASH_SIZES",
    "LDS_SECURITY_OBJECT_OID",
    "OTHER_CONTENT_TYPES",
    "SOD",
    "DataGroupHash",
    "LDSSecurityObject",
    "SignerIdentifier",
    "covered_dgs",
    "der_length",
    "hashed_dgs",
    "parse_sod",
    "same_name",
    "unwrap_77",
]

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"
#: eContentTypes seen on issued documents instead of id-icao-mrtd-security-ldsSecurityObject:
#: accepted when the content parses as an LDSSecurityObject, with a warning.
OTHER_CONTENT_TYPES = {
    "1.2.840.113549.1.7.1": "id-data (RFC 5652 §4)",
    "1.3.27.1.1.1": "the legacy pre-ICAO LDS security object OID",
}
HASH_SIZES = {"sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64}
_FILE = "EF.SOD"


class DataGroupHash(core.Sequence):  # type: ignore[misc]
    """``SEQUENCE { dataGroupNumber INTEGER, dataGroupHashValue OCTET STRING }``."""

    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]  # noqa: RUF012


class DataGroupHashes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = DataGroupHash


class LDSVersionInfo(core.Sequence):  # type: ignore[misc]
    _fields = [("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]  # noqa: RUF012


class LDSSecurityObject(core.Sequence):  # type: ignore[misc]
    """Doc 9303 Part 10, 4.6.2.2 (``ldsVersionInfo`` only in version 1, LDS 1.8)."""

    _fields = [  # noqa: RUF012 - asn1crypto schema
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashes),
        ("lds_version_info", LDSVersionInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class SignerIdentifier:
    """CMS ``SignerIdentifier``: issuer (DER Name) + serial number, or a subject key identifier."""

    issuer: bytes | None = None
    serial: int | None = None
    ski: bytes | None = None

    def matches(self, cert: asn1x509.Certificate) -> bool:
        """True when ``cert`` is the one named: same subject key identifier, or same serial
        number and an issuer name equal as a *set* of attributes (:func:`same_name`)."""
        if self.ski is not None:
            return bool(cert.key_identifier == self.ski)
        if cert.serial_number != self.serial or self.issuer is None:
            return False
        return cert.issuer.dump() == self.issuer or same_name(cert.issuer.dump(), self.issuer)

    def describe(self) -> str:
        if self.ski is not None:
            return f"subject key identifier {self.ski.hex()}"
        return f"issuer and serial number {self.serial:#x}" if self.serial is not None else "?"


def _name_attributes(der: bytes) -> frozenset[tuple[str, str]] | None:
    try:
        name = asn1x509.Name.load(der, strict=True)
        out = set()
        for rdn in name.chosen:
            for atv in rdn:
                out.add((atv["type"].dotted, str(atv.prepped_value)))
        return frozenset(out)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def same_name(a: bytes, b: bytes) -> bool:
    """Two DER Names equal as sets of (attribute type, RFC 5280 §7.1 prepared value): some
    issuers write the SignerInfo issuer with its RDNs in another order than the certificate."""
    left, right = _name_attributes(a), _name_attributes(b)
    return left is not None and left == right


@dataclass(frozen=True, eq=False)
class SOD:
    """A parsed EF.SOD. ``signed_attrs`` is the DER ``SET OF Attribute`` that was signed."""

    raw: bytes
    version: int
    hash_algorithm: str
    dg_hashes: MappingProxyType[int, bytes]
    lds_version: str | None
    econtent: bytes
    econtent_type: str
    digest_algorithm: str
    signed_attrs: bytes | None
    message_digest: bytes | None
    content_type_attr: str | None
    signing_time: dt.datetime | None
    signature_algorithm: algos.SignedDigestAlgorithm
    signature: bytes
    sid: SignerIdentifier
    certificates: tuple[asn1x509.Certificate, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = ()

    @property
    def signed_data(self) -> bytes:
        """The bytes the document signer's signature covers (RFC 5652, 5.4)."""
        return self.signed_attrs if self.signed_attrs is not None else self.econtent

    def signer_certificate(self) -> asn1x509.Certificate | None:
        """The embedded certificate named by the signer identifier, if the SOD carries it."""
        return next((c for c in self.certificates if self.sid.matches(c)), None)


def der_length(n: int) -> bytes:
    """DER definite length octets for ``n``."""
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def unwrap_77(data: bytes) -> bytes:
    """Strip the EF.SOD application tag 0x77 if present; return the ContentInfo DER."""
    if not data:
        raise LDSError("the file is empty; read EF.SOD again", file=_FILE)
    if data[0] != 0x77:
        return data
    if len(data) < 2:
        raise LDSError("truncated 0x77 header; read EF.SOD again", file=_FILE)
    first, pos = data[1], 2
    if first < 0x80:
        length = first
    elif 0x81 <= first <= 0x84:
        n = first & 0x7F
        if len(data) < 2 + n:
            raise LDSError("truncated 0x77 length; read EF.SOD again", file=_FILE)
        length, pos = int.from_bytes(data[2:2 + n], "big"), 2 + n
    else:
        raise LDSError("unsupported 0x77 length encoding; read EF.SOD again", file=_FILE)
    if pos + length > len(data):
        raise LDSError(f"0x77 says {length} bytes but only {len(data) - pos} follow; "
                       "the file was read incompletely", file=_FILE)
    return data[pos:pos + length]


def _hash_name(alg: algos.DigestAlgorithm) -> str:
    name = alg["algorithm"].native
    if name not in HASH_SIZES:
        raise LDSError(f"unsupported hash algorithm {alg['algorithm'].dotted}", file=_FILE)
    return str(name)


def _signer_id(sid: cms.SignerIdentifier) -> SignerIdentifier:
    if sid.name == "issuer_and_serial_number":
        return SignerIdentifier(issuer=sid.chosen["issuer"].dump(),
                                serial=int(sid.chosen["serial_number"].native))
    return SignerIdentifier(ski=bytes(sid.chosen.native))


def _attrs(si: cms.SignerInfo) -> tuple[bytes | None, bytes | None, str | None, Any]:
    raw = si["signed_attrs"]
    if isinstance(raw, core.Void) or raw.contents is None:
        return None, None, None, None
    signed = b"\x31" + der_length(len(raw.contents)) + raw.contents
    digest = ctype = stime = None
    for attr in raw:
        kind = attr["type"].native
        values = attr["values"]
        if len(values) != 1:
            raise LDSError(f"signed attribute {kind} must have exactly one value", file=_FILE)
        if kind == "message_digest":
            digest = bytes(values[0].native)
        elif kind == "content_type":
            ctype = values[0].dotted
        elif kind == "signing_time":
            stime = values[0].native
    return signed, digest, ctype, stime


_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


def _encapsulated(sd: cms.SignedData) -> tuple[str, bytes, tuple[str, ...]]:
    """eContentType, eContent and warnings of the SignedData's EncapsulatedContentInfo
    (RFC 5652 §5.2): the LDSSecurityObject type, or a known generic type with a warning
    (Doc 9303-10 §4.6.2)."""
    encap = sd["encap_content_info"]
    econtent_type = encap["content_type"].dotted
    if encap["content"].native is None and not encap["content"].contents:
        raise LDSError("SignedData has no encapsulated LDSSecurityObject", file=_FILE)
    econtent = bytes(encap["content"])
    warnings: tuple[str, ...] = ()
    if econtent_type != LDS_SECURITY_OBJECT_OID:
        if econtent_type not in OTHER_CONTENT_TYPES:
            raise LDSError(f"eContentType is {econtent_type}, not the LDSSecurityObject",
                           file=_FILE)
        warnings = (f"EF.SOD eContentType is {OTHER_CONTENT_TYPES[econtent_type]}, not "
                    f"id-icao-mrtd-security-ldsSecurityObject (Doc 9303-10 §4.6.2); "
                    "accepted because the content is an LDSSecurityObject",)
    return econtent_type, econtent, warnings


def _security_object(econtent: bytes, strict_parse: bool) -> LDSSecurityObject:
    """The LDSSecurityObject (Doc 9303-10 §4.6.2.2) in ``econtent``; every field is parsed
    up front when ``strict_parse`` (the eContentType did not already say what it is)."""
    try:
        lso: LDSSecurityObject = LDSSecurityObject.load(econtent, strict=True)
        if strict_parse:  # another eContentType: make sure this is an LDSSecurityObject
            lso.native  # noqa: B018 - parse every field now
    except _MALFORMED:
        raise LDSError("the encapsulated content is not an LDSSecurityObject",
                       file=_FILE) from None
    return lso


def _dg_hashes(lso: LDSSecurityObject, hash_alg: str) -> dict[int, bytes]:
    """DataGroupHash values by data group number (Doc 9303-10 §4.6.2.2): numbers 1-16, each
    once, each hash the size ``hash_alg`` produces."""
    hashes: dict[int, bytes] = {}
    for item in lso["data_group_hash_values"]:
        number = int(item["data_group_number"].native)
        value = bytes(item["data_group_hash_value"].native)
        if not 1 <= number <= 16 or number in hashes:
            raise LDSError(f"invalid or repeated data group number {number}", file=_FILE)
        if len(value) != HASH_SIZES[hash_alg]:
            raise LDSError(f"DG{number} hash has {len(value)} bytes, {hash_alg} needs "
                           f"{HASH_SIZES[hash_alg]}", file=_FILE)
        hashes[number] = value
    return hashes


def _certificates(sd: cms.SignedData) -> tuple[asn1x509.Certificate, ...]:
    """The X.509 certificates carried in SignedData.certificates (RFC 5652 §5.1; the DS
    certificate, Doc 9303-10 §4.6.2), each parsed now so damage shows here."""
    certs = tuple(c.chosen for c in sd["certificates"] if c.name == "certificate") \
        if sd["certificates"].native is not None else ()
    for c in certs:
        c.serial_number  # noqa: B018 - force parsing of the embedded certificates
    return certs


def _signed_data(data: bytes, der: bytes) -> SOD:
    """The SOD from the ContentInfo DER ``der`` of EF.SOD ``data`` (RFC 5652 §3, §5;
    Doc 9303-10 §4.6.2); asn1crypto's lazy parsing may raise anything in :data:`_MALFORMED`."""
    info = cms.ContentInfo.load(der, strict=True)
    if info["content_type"].dotted != "1.2.840.113549.1.7.2":
        raise LDSError("content is not CMS SignedData", file=_FILE)
    sd = info["content"]
    econtent_type, econtent, warnings = _encapsulated(sd)
    lso = _security_object(econtent, bool(warnings))
    hash_alg = _hash_name(lso["hash_algorithm"])
    hashes = _dg_hashes(lso, hash_alg)
    lds_info = lso["lds_version_info"]
    lds_version = None if lds_info.native is None else str(lds_info["lds_version"].native)
    signers = sd["signer_infos"]
    if len(signers) != 1:
        raise LDSError(f"expected one SignerInfo, found {len(signers)}", file=_FILE)
    si = signers[0]
    signed, digest, ctype, stime = _attrs(si)
    certs = _certificates(sd)
    sig_alg = si["signature_algorithm"]
    sig_alg["algorithm"].dotted  # noqa: B018
    return SOD(
        raw=bytes(data), version=int(lso["version"].native), hash_algorithm=hash_alg,
        dg_hashes=MappingProxyType(hashes), lds_version=lds_version, econtent=econtent,
        econtent_type=econtent_type, digest_algorithm=_hash_name(si["digest_algorithm"]),
        signed_attrs=signed, message_digest=digest, content_type_attr=ctype,
        signing_time=stime if isinstance(stime, dt.datetime) else None,
        signature_algorithm=sig_alg, signature=bytes(si["signature"].native),
        sid=_signer_id(si["sid"]), certificates=certs, warnings=warnings)


def parse_sod(data: bytes) -> SOD:
    """Parse EF.SOD (with or without the 0x77 wrapper).

    Raises :class:`LDSError` when the structure is not a CMS SignedData holding an
    LDSSecurityObject with exactly one signer.
    """
    der = unwrap_77(bytes(data))
    try:
        return _signed_data(data, der)
    except LDSError:
        raise
    except _MALFORMED as exc:
        raise LDSError(f"malformed CMS structure ({type(exc).__name__}); the file is damaged "
                       "or not an EF.SOD", file=_FILE) from None


def covered_dgs(sod: bytes | SOD) -> set[int]:
    """Data-group numbers that EF.SOD holds a hash for."""
    parsed = sod if isinstance(sod, SOD) else parse_sod(sod)
    return set(parsed.dg_hashes)


def hashed_dgs(data: bytes) -> set[int]:
    """Data-group numbers of the LDSSecurityObject in EF.SOD ``data`` (Doc 9303-10
    §4.6.2.2), parsing only the path to it: not the signer's attributes nor its
    certificates, which :func:`parse_sod` checks for Passive Authentication. The reader
    uses this to learn which data groups to read. Raises :class:`LDSError` like
    :func:`parse_sod` for a damaged path."""
    der = unwrap_77(bytes(data))
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].dotted != "1.2.840.113549.1.7.2":
            raise LDSError("content is not CMS SignedData", file=_FILE)
        _type, econtent, warnings = _encapsulated(info["content"])
        lso = _security_object(econtent, bool(warnings))
        return set(_dg_hashes(lso, _hash_name(lso["hash_algorithm"])))
    except LDSError:
        raise
    except _MALFORMED as exc:
        raise LDSError(f"malformed CMS structure ({type(exc).__name__}); the file is damaged "
                       "or not an EF.SOD", file=_FILE) from None
