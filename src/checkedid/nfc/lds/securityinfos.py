"""SecurityInfos of EF.CardAccess and DG14 (ICAO Doc 9303-11 §9.2, BSI TR-03110-3 §A.1).

``SecurityInfos ::= SET OF SecurityInfo`` with
``SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY
OPTIONAL }``. The infos checkedid acts on are decoded into frozen dataclasses:

* :class:`PACEInfo` — ``id-PACE-*`` (0.4.0.127.0.7.2.2.4.m.c), version, parameterId
  (Doc 9303-11 §9.2.1); the mapping and cipher suite are read from the OID.
* :class:`PACEDomainParameterInfo` — explicit domain parameters (§9.2.2).
* :class:`ChipAuthenticationInfo` and :class:`ChipAuthenticationPublicKeyInfo` (§9.2.5,
  §9.2.6), as found in DG14 and, for PACE-CAM, in EF.CardAccess.
* :class:`ActiveAuthenticationInfo` and :class:`TerminalAuthenticationInfo` (§9.2.8, §9.2.4).

Anything else is kept as :class:`UnknownSecurityInfo` with its raw DER. Malformed input
raises :class:`~checkedid.errors.TLVError` (structure) or :class:`~checkedid.errors.ParseError`
(content) — never an ``IndexError``/``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from checkedid.errors import ParseError, TLVError
from checkedid.nfc.crypto.suites import Cipher, PaceMapping
from checkedid.nfc.iso7816 import tlv

__all__ = [
    "ActiveAuthenticationInfo",
    "CardAccess",
    "ChipAuthenticationInfo",
    "ChipAuthenticationPublicKeyInfo",
    "PACEDomainParameterInfo",
    "PACEInfo",
    "SecurityInfo",
    "SecurityInfos",
    "TerminalAuthenticationInfo",
    "UnknownSecurityInfo",
    "decode_oid",
    "encode_oid",
    "parse_security_infos",
]

BSI_DE = "0.4.0.127.0.7"
ID_PACE = BSI_DE + ".2.2.4"
ID_CA = BSI_DE + ".2.2.3"
ID_PK = BSI_DE + ".2.2.1"
ID_TA = BSI_DE + ".2.2.2"
ID_AA = "2.23.136.1.1.5"

#: Second-to-last arc of an id-PACE OID -> mapping (Doc 9303-11 §9.2.1, TR-03110-3 Table 2).
PACE_MAPPINGS = {1: PaceMapping.DH_GM, 2: PaceMapping.ECDH_GM, 3: PaceMapping.DH_IM,
                 4: PaceMapping.ECDH_IM, 6: PaceMapping.ECDH_CAM}
#: Last arc of an id-PACE / id-CA OID -> cipher suite.
CIPHER_SUITES = {1: Cipher.TDES, 2: Cipher.AES_128, 3: Cipher.AES_192, 4: Cipher.AES_256}

#: ANSI X9.62 / RFC 5758 ECDSA signature OIDs -> hash (ActiveAuthenticationInfo).
ECDSA_HASHES = {
    "1.2.840.10045.4.1": "sha1", "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256", "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}

_MAX_INT_BYTES = 8


@dataclass(frozen=True)
class PACEInfo:
    """One PACE protocol variant offered by the chip (Doc 9303-11 §9.2.1)."""

    oid: str
    version: int
    parameter_id: int | None
    mapping: PaceMapping
    cipher: Cipher

    def __post_init__(self) -> None:  # the names as text are accepted too ("ECDH-GM")
        object.__setattr__(self, "mapping", PaceMapping(self.mapping))
        object.__setattr__(self, "cipher", Cipher(self.cipher))


@dataclass(frozen=True)
class PACEDomainParameterInfo:
    """Explicit (proprietary) PACE domain parameters (Doc 9303-11 §9.2.2)."""

    oid: str
    domain_parameter: bytes  # DER AlgorithmIdentifier, kept as read
    parameter_id: int | None


@dataclass(frozen=True)
class ChipAuthenticationInfo:
    """Chip Authentication protocol variant (Doc 9303-11 §9.2.5)."""

    oid: str
    version: int
    key_id: int | None
    agreement: str  # "DH" or "ECDH"
    cipher: Cipher

    def __post_init__(self) -> None:  # the name as text is accepted too ("AES-128")
        object.__setattr__(self, "cipher", Cipher(self.cipher))

    @property
    def key_agreement(self) -> str:
        return self.agreement


@dataclass(frozen=True)
class ChipAuthenticationPublicKeyInfo:
    """The chip's static key for Chip Authentication / PACE-CAM (Doc 9303-11 §9.2.6)."""

    oid: str
    public_key: bytes  # DER SubjectPublicKeyInfo, kept as read
    key_id: int | None
    agreement: str  # "DH" or "ECDH"


@dataclass(frozen=True)
class ActiveAuthenticationInfo:
    """The ECDSA signature algorithm for Active Authentication (Doc 9303-11 §9.2.8).

    Present (in DG14) when DG15 holds an EC key.
    """

    oid: str
    version: int
    signature_algorithm: str

    @property
    def hash_algorithm(self) -> str | None:
        """``"sha256"`` for ecdsa-with-SHA256 etc.; ``None`` for an unknown algorithm."""
        from checkedid.nfc.crypto.pubkey import hash_for_oid

        alg = self.signature_algorithm
        return ECDSA_HASHES.get(alg) or hash_for_oid(alg)


@dataclass(frozen=True)
class TerminalAuthenticationInfo:
    """Terminal Authentication (EAC) is supported (Doc 9303-11 §9.2.4)."""

    oid: str
    version: int


@dataclass(frozen=True)
class UnknownSecurityInfo:
    """A SecurityInfo checkedid does not interpret, kept with its DER encoding."""

    oid: str
    raw: bytes


SecurityInfo = (PACEInfo | PACEDomainParameterInfo | ChipAuthenticationInfo
                | ChipAuthenticationPublicKeyInfo | ActiveAuthenticationInfo
                | TerminalAuthenticationInfo | UnknownSecurityInfo)


@dataclass(frozen=True)
class SecurityInfos:
    """All SecurityInfo entries of EF.CardAccess or DG14, in file order, plus the raw bytes."""

    infos: tuple[SecurityInfo, ...]
    raw: bytes

    @property
    def pace(self) -> tuple[PACEInfo, ...]:
        return tuple(i for i in self.infos if isinstance(i, PACEInfo))

    @property
    def pace_domain_parameters(self) -> tuple[PACEDomainParameterInfo, ...]:
        return tuple(i for i in self.infos if isinstance(i, PACEDomainParameterInfo))

    @property
    def chip_authentication(self) -> tuple[ChipAuthenticationInfo, ...]:
        return tuple(i for i in self.infos if isinstance(i, ChipAuthenticationInfo))

    @property
    def chip_authentication_keys(self) -> tuple[ChipAuthenticationPublicKeyInfo, ...]:
        return tuple(i for i in self.infos if isinstance(i, ChipAuthenticationPublicKeyInfo))

    @property
    def active_authentication(self) -> ActiveAuthenticationInfo | None:
        return next((i for i in self.infos if isinstance(i, ActiveAuthenticationInfo)), None)


#: EF.CardAccess holds SecurityInfos (Doc 9303-11 §9.2.11).
CardAccess = SecurityInfos


# --------------------------------------------------------------------------- DER helpers
def encode_oid(dotted: str) -> bytes:
    """Content octets of an OBJECT IDENTIFIER (X.690 §8.19) from dotted text."""
    try:
        arcs = [int(x) for x in dotted.split(".")]
    except ValueError:
        raise ParseError("object identifier must be dotted decimal") from None
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39) or min(arcs) < 0:
        raise ParseError("object identifier has invalid first arcs")
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def decode_oid(content: bytes | bytearray | memoryview) -> str:
    """Dotted text of OBJECT IDENTIFIER content octets (X.690 §8.19), strictly minimal."""
    data = bytes(content)
    if not data or data[-1] & 0x80:
        raise ParseError("object identifier is empty or truncated")
    arcs: list[int] = []
    value = 0
    start = True
    for b in data:
        if start and b == 0x80:
            raise ParseError("object identifier arc is not minimally encoded")
        value = (value << 7) | (b & 0x7F)
        start = not b & 0x80
        if start:
            arcs.append(value)
            value = 0
        elif value.bit_length() > 64:
            raise ParseError("object identifier arc is too large")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


def _int(obj: tlv.TLV, what: str) -> int:
    if obj.tag != 0x02:
        raise ParseError(f"{what} must be an INTEGER (tag 02), found tag {obj.tag:X}")
    raw = bytes(obj.value)
    if not raw or len(raw) > _MAX_INT_BYTES or raw[0] & 0x80:
        raise ParseError(f"{what} must be a non-negative INTEGER of at most {_MAX_INT_BYTES} "
                         "bytes")
    return int.from_bytes(raw, "big")


def _one(buf: bytes | memoryview, offset: int) -> tlv.TLV:
    return tlv.decode_one(buf, offset)


# --------------------------------------------------------------------------- parsing
#: One kind of SecurityInfo: (oid, its arcs, the fields after the OID, the SEQUENCE content)
#: -> the decoded info, or None when the OID or field count is not this kind.
_Decoder = Callable[[str, list[str], list[tlv.TLV], bytes], SecurityInfo | None]


def _pace_info(oid: str, arcs: list[str], rest: list[tlv.TLV], raw: bytes) -> PACEInfo | None:
    """``PACEInfo ::= SEQUENCE { protocol, version INTEGER, parameterId INTEGER OPTIONAL }``
    with protocol id-PACE-<mapping>-<cipher> (Doc 9303-11 §9.2.1)."""
    if ".".join(arcs[:-2]) != ID_PACE or len(rest) > 2:
        return None
    mapping = PACE_MAPPINGS.get(int(arcs[-2]))
    cipher = CIPHER_SUITES.get(int(arcs[-1]))
    if not (mapping and cipher):
        return None
    pid = _int(rest[1], "PACEInfo.parameterId") if len(rest) == 2 else None
    return PACEInfo(oid, _int(rest[0], "PACEInfo.version"), pid, mapping, cipher)


def _pace_domain(oid: str, arcs: list[str], rest: list[tlv.TLV],
                 raw: bytes) -> PACEDomainParameterInfo | None:
    """``PACEDomainParameterInfo ::= SEQUENCE { protocol, domainParameter
    AlgorithmIdentifier, parameterId INTEGER OPTIONAL }`` (Doc 9303-11 §9.2.2)."""
    if ".".join(arcs[:-1]) != ID_PACE or int(arcs[-1]) not in PACE_MAPPINGS or len(rest) > 2:
        return None
    if rest[0].tag != 0x30:
        raise ParseError("PACEDomainParameterInfo.domainParameter must be a SEQUENCE")
    pid = _int(rest[1], "PACEDomainParameterInfo.parameterId") if len(rest) == 2 else None
    return PACEDomainParameterInfo(oid, raw[_offset_of(raw, 1):_offset_of(raw, 2)], pid)


def _ca_info(oid: str, arcs: list[str], rest: list[tlv.TLV],
             raw: bytes) -> ChipAuthenticationInfo | None:
    """``ChipAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER, keyId INTEGER
    OPTIONAL }`` with protocol id-CA-{DH,ECDH}-<cipher> (Doc 9303-11 §9.2.5)."""
    if ".".join(arcs[:-2]) != ID_CA or arcs[-2] not in ("1", "2") \
            or int(arcs[-1]) not in CIPHER_SUITES or len(rest) > 2:
        return None
    key_id = _int(rest[1], "ChipAuthenticationInfo.keyId") if len(rest) == 2 else None
    return ChipAuthenticationInfo(oid, _int(rest[0], "ChipAuthenticationInfo.version"),
                                  key_id, "DH" if arcs[-2] == "1" else "ECDH",
                                  CIPHER_SUITES[int(arcs[-1])])


def _ca_key(oid: str, arcs: list[str], rest: list[tlv.TLV],
            raw: bytes) -> ChipAuthenticationPublicKeyInfo | None:
    """``ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol, chipAuthenticationPublicKey
    SubjectPublicKeyInfo, keyId INTEGER OPTIONAL }`` with protocol id-PK-{DH,ECDH}
    (Doc 9303-11 §9.2.6)."""
    last = int(arcs[-1])
    if ".".join(arcs[:-1]) != ID_PK or last not in (1, 2) or len(rest) > 2:
        return None
    if rest[0].tag != 0x30:
        raise ParseError("ChipAuthenticationPublicKeyInfo key must be a SubjectPublicKeyInfo")
    key_id = _int(rest[1], "ChipAuthenticationPublicKeyInfo.keyId") \
        if len(rest) == 2 else None
    spki = raw[_offset_of(raw, 1):_offset_of(raw, 2)]
    return ChipAuthenticationPublicKeyInfo(oid, spki, key_id, "DH" if last == 1 else "ECDH")


def _aa_info(oid: str, arcs: list[str], rest: list[tlv.TLV],
             raw: bytes) -> ActiveAuthenticationInfo | None:
    """``ActiveAuthenticationInfo ::= SEQUENCE { protocol id-AA, version INTEGER,
    signatureAlgorithm OBJECT IDENTIFIER }`` (Doc 9303-11 §9.2.8)."""
    if oid != ID_AA or len(rest) != 2:
        return None
    if rest[1].tag != 0x06:
        raise ParseError("ActiveAuthenticationInfo.signatureAlgorithm must be an OID")
    return ActiveAuthenticationInfo(oid, _int(rest[0], "ActiveAuthenticationInfo.version"),
                                    decode_oid(rest[1].value))


def _ta_info(oid: str, arcs: list[str], rest: list[tlv.TLV],
             raw: bytes) -> TerminalAuthenticationInfo | None:
    """``TerminalAuthenticationInfo ::= SEQUENCE { protocol id-TA, version INTEGER }``
    (Doc 9303-11 §9.2.4)."""
    if oid != ID_TA or len(rest) != 1:
        return None
    return TerminalAuthenticationInfo(oid, _int(rest[0], "TerminalAuthenticationInfo.version"))


#: Tried in this order; the first that recognises the OID decodes the info.
_DECODERS: tuple[_Decoder, ...] = (_pace_info, _pace_domain, _ca_info, _ca_key, _aa_info,
                                   _ta_info)


def _parse_info(raw: bytes) -> SecurityInfo:
    """One ``SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY,
    optionalData ANY OPTIONAL }`` (Doc 9303-11 §9.2), from the SEQUENCE's content; an
    unrecognised protocol is kept as :class:`UnknownSecurityInfo`."""
    fields = list(tlv.iter_tlv(raw))
    if not fields or fields[0].tag != 0x06:
        raise ParseError("SecurityInfo must start with its protocol OBJECT IDENTIFIER")
    if len(fields) < 2:
        raise ParseError("SecurityInfo has no requiredData")
    oid = decode_oid(fields[0].value)
    rest = fields[1:]
    arcs = oid.split(".")
    for decode in _DECODERS:
        info = decode(oid, arcs, rest, raw)
        if info is not None:
            return info
    return UnknownSecurityInfo(oid, tlv.encode(0x30, raw))


def _offset_of(raw: bytes, index: int) -> int:
    """Byte offset of field ``index`` within a SEQUENCE's content (len(raw) past the end)."""
    offset = 0
    for _ in range(index):
        if offset >= len(raw):
            return len(raw)
        offset = _one(raw, offset).next_offset
    return offset


def parse_security_infos(data: bytes | bytearray | memoryview) -> SecurityInfos:
    """Parse a DER ``SecurityInfos`` SET (EF.CardAccess, or the content of DG14's tag 6E).

    Trailing bytes after the SET (card file padding) are ignored only when they are 00/FF.
    """
    raw = bytes(data)
    if not raw:
        raise ParseError("SecurityInfos is empty")
    top = tlv.decode_one(raw, 0)
    if top.tag != 0x31:
        raise TLVError(f"SecurityInfos must be a SET (tag 31), found tag {top.tag:X}", offset=0)
    if any(b not in (0x00, 0xFF) for b in raw[top.next_offset:]):
        raise TLVError("unexpected data after the SecurityInfos SET", offset=top.next_offset)
    infos: list[SecurityInfo] = []
    for item in tlv.iter_tlv(top.value):
        if item.tag != 0x30:
            raise ParseError(f"SecurityInfo must be a SEQUENCE (tag 30), found tag {item.tag:X}")
        infos.append(_parse_info(bytes(item.value)))
    if not infos:
        raise ParseError("SecurityInfos holds no SecurityInfo")
    return SecurityInfos(tuple(infos), raw[:top.next_offset])
