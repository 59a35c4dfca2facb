"""EF.DG14: SecurityInfos for Chip Authentication, PACE and Active Authentication.

ICAO Doc 9303-10 §4.7.14, Doc 9303-11 §9.2 and BSI TR-03110-3 §A.1.1::

    6E  DG14 template
        31  SecurityInfos ::= SET OF SecurityInfo
            SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER,
                                        requiredData ANY, optionalData ANY OPTIONAL }

Recognised entries (by protocol OID):

* ``ChipAuthenticationInfo`` (id-CA-DH-* / id-CA-ECDH-*, 0.4.0.127.0.7.2.2.3.x.y):
  version INTEGER, keyId INTEGER OPTIONAL;
* ``ChipAuthenticationPublicKeyInfo`` (id-PK-DH / id-PK-ECDH, 0.4.0.127.0.7.2.2.1.x):
  SubjectPublicKeyInfo, keyId INTEGER OPTIONAL;
* ``PACEInfo`` (id-PACE-*, 0.4.0.127.0.7.2.2.4.x.y): version, parameterId OPTIONAL;
* ``ActiveAuthenticationInfo`` (2.23.136.1.1.5): version, signatureAlgorithm OID.

Every entry (recognised or not) is also kept as a :class:`SecurityInfo`. EC keys
may use explicit domain parameters; DH keys (``dhpublicnumber``, ANSI X9.42) are
returned as :class:`DHPublicKey` (p, g, q, y).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asn1crypto import keys
from cryptography.hazmat.primitives.asymmetric import ec

from checkedid.errors import LDSError
from checkedid.nfc.lds.dg15 import public_key_from_spki
from checkedid.nfc.lds.template import Element, children, unwrap

__all__ = [
    "AA_OID", "CA_OID_PREFIX", "DG14", "PACE_OID_PREFIX", "PK_OID_PREFIX",
    "ActiveAuthenticationInfo", "ChipAuthenticationInfo", "ChipAuthenticationPublicKeyInfo",
    "DHPublicKey", "PACEInfo", "SecurityInfo", "decode_oid", "parse_dg14", "parse_security_infos",
]

_FILE = "EF.DG14"
CA_OID_PREFIX = "0.4.0.127.0.7.2.2.3."
PK_OID_PREFIX = "0.4.0.127.0.7.2.2.1."
PACE_OID_PREFIX = "0.4.0.127.0.7.2.2.4."
AA_OID = "2.23.136.1.1.5"
_CIPHERS = {1: "3DES", 2: "AES-128", 3: "AES-192", 4: "AES-256"}
_AGREEMENTS = {1: "DH", 2: "ECDH"}
#: ANSI X9.62 / RFC 5758 ECDSA signature OIDs -> hash (for ActiveAuthenticationInfo).
ECDSA_HASHES = {
    "1.2.840.10045.4.1": "sha1", "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256", "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}
MAX_DH_BITS = 8192


@dataclass(frozen=True)
class DHPublicKey:
    """A Diffie-Hellman public key: group (p, g, subgroup order q if given) and value y.

    Plain integers: ``cryptography`` deprecates finite-field DH, and the CA/PACE code
    does its modular arithmetic itself (:class:`checkedid.nfc.ecmath.DHGroup`).
    """

    p: int
    g: int
    q: int | None
    y: int

    @property
    def size(self) -> int:
        """Length in bytes of p."""
        return (self.p.bit_length() + 7) // 8


CAPublicKey = ec.EllipticCurvePublicKey | DHPublicKey


@dataclass(frozen=True)
class SecurityInfo:
    """One SecurityInfo as read: protocol OID, the DER of requiredData / optionalData."""

    protocol: str
    required_data: bytes
    optional_data: bytes | None
    raw: bytes = field(repr=False)


@dataclass(frozen=True)
class ChipAuthenticationInfo:
    """Doc 9303-11 §9.2.5 / TR-03110-3 §A.1.1.2."""

    oid: str
    version: int
    key_id: int | None = None

    @property
    def key_agreement(self) -> str:
        """``"DH"`` or ``"ECDH"``."""
        return _AGREEMENTS.get(_arc(self.oid, -2), "unknown")

    @property
    def cipher(self) -> str:
        """``"3DES"``, ``"AES-128"``, ``"AES-192"`` or ``"AES-256"``."""
        return _CIPHERS.get(_arc(self.oid, -1), "unknown")


@dataclass(frozen=True)
class ChipAuthenticationPublicKeyInfo:
    """Doc 9303-11 §9.2.6: the chip's static CA key (``spki`` exactly as read)."""

    oid: str
    spki: bytes = field(repr=False)
    public_key: CAPublicKey
    key_id: int | None = None

    @property
    def key_agreement(self) -> str:
        return _AGREEMENTS.get(_arc(self.oid, -1), "unknown")


@dataclass(frozen=True)
class PACEInfo:
    """Doc 9303-11 §9.2.1: protocol OID, version, standardized domain parameter id."""

    oid: str
    version: int
    parameter_id: int | None = None


@dataclass(frozen=True)
class ActiveAuthenticationInfo:
    """Doc 9303-11 §9.2.8: present when the AA key in DG15 is an EC key."""

    oid: str
    version: int
    signature_algorithm: str

    @property
    def hash_algorithm(self) -> str | None:
        """``"sha256"`` for ecdsa-with-SHA256, etc.; ``None`` for an unknown algorithm."""
        from checkedid.nfc.pubkey import hash_for_oid

        return ECDSA_HASHES.get(self.signature_algorithm) or hash_for_oid(self.signature_algorithm)


@dataclass(frozen=True)
class DG14:
    """Parsed DG14: ``raw`` as read, every SecurityInfo and the recognised ones by kind."""

    raw: bytes = field(repr=False)
    security_infos: list[SecurityInfo]
    ca_infos: list[ChipAuthenticationInfo]
    ca_public_keys: list[ChipAuthenticationPublicKeyInfo]
    aa_info: ActiveAuthenticationInfo | None
    pace_infos: list[PACEInfo]

    def ca_public_key(self, info: ChipAuthenticationInfo) -> ChipAuthenticationPublicKeyInfo | None:
        """The CA public key that goes with ``info`` (by keyId; the only one when unnamed)."""
        if info.key_id is not None:
            return next((k for k in self.ca_public_keys if k.key_id == info.key_id), None)
        matching = [k for k in self.ca_public_keys if k.key_agreement == info.key_agreement]
        return matching[0] if len(matching) == 1 else None

    @classmethod
    def from_bytes(cls, raw: bytes) -> DG14:
        return parse_dg14(raw)


def _arc(oid: str, index: int) -> int:
    try:
        return int(oid.split(".")[index])
    except (ValueError, IndexError):
        return -1


def decode_oid(value: bytes, file: str = _FILE) -> str:
    """Dotted text of a DER OBJECT IDENTIFIER's content (ITU-T X.690 §8.19)."""
    if not value or value[-1] & 0x80:
        raise LDSError("object identifier is truncated", file=file)
    arcs: list[int] = []
    acc = 0
    for b in value:
        if acc == 0 and b == 0x80:
            raise LDSError("object identifier has a padded arc", file=file)
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
        if acc.bit_length() > 64:
            raise LDSError("object identifier arc is too large", file=file)
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def _uint(tag: int, value: bytes, what: str, file: str) -> int:
    if tag != 0x02 or not value or len(value) > 32:
        raise LDSError(f"{what} must be an INTEGER", file=file)
    if value[0] & 0x80:
        raise LDSError(f"{what} must not be negative", file=file)
    return int.from_bytes(value, "big")


def _dh_key(spki: bytes, file: str) -> DHPublicKey:
    """A DH key from an X9.42 ``dhpublicnumber`` SubjectPublicKeyInfo (RFC 3279 §2.3.3)."""
    try:
        info = keys.PublicKeyInfo.load(spki, strict=True)
        if info["algorithm"]["algorithm"].native != "dh":
            raise LDSError("DH key must use the dhpublicnumber algorithm", file=file)
        params: Any = info["algorithm"]["parameters"]
        p, g = int(params["p"].native), int(params["g"].native)
        q_native = params["q"].native
        q = int(q_native) if q_native is not None else None
        y = int(info["public_key"].parsed.native)
    except LDSError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise LDSError(f"DH public key unusable ({type(exc).__name__})", file=file) from None
    if not 256 <= p.bit_length() <= MAX_DH_BITS or p % 2 == 0:
        raise LDSError("DH modulus has an unusable size", file=file)
    if not 1 < g < p - 1 or not 1 < y < p - 1 or (q is not None and not 1 < q < p):
        raise LDSError("DH parameters are out of range", file=file)
    return DHPublicKey(p, g, q, y)


def _ca_public_key(spki: bytes, oid: str, file: str) -> CAPublicKey:
    if _arc(oid, -1) == 1:
        return _dh_key(spki, file)
    key = public_key_from_spki(spki, file)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise LDSError("id-PK-ECDH key is not an EC key", file=file)
    return key


def _entries(set_value: bytes, file: str) -> list[tuple[SecurityInfo, list[Element]]]:
    out: list[tuple[SecurityInfo, list[Element]]] = []
    for tag, value, raw in children(set_value):
        if tag != 0x30:
            raise LDSError("SecurityInfo must be a SEQUENCE", file=file)
        items = children(value)
        if len(items) not in (2, 3) or items[0][0] != 0x06:
            raise LDSError("SecurityInfo needs a protocol OID and its data", file=file)
        optional = items[2][2] if len(items) == 3 else None
        out.append((SecurityInfo(decode_oid(items[0][1], file), items[1][2], optional, raw),
                    items[1:]))
    return out


def parse_security_infos(set_value: bytes, file: str = _FILE) -> list[SecurityInfo]:
    """The SecurityInfo entries of a SecurityInfos SET's content."""
    return [si for si, _ in _entries(set_value, file)]


def parse_dg14(raw: bytes) -> DG14:
    """Parse DG14 (tag ``6E``); malformed content raises :class:`LDSError` / ``TLVError``."""
    raw = bytes(raw)
    sets = children(unwrap(raw, 0x6E, _FILE))
    if len(sets) != 1 or sets[0][0] != 0x31:
        raise LDSError("expected one SecurityInfos SET", file=_FILE)
    entries = _entries(sets[0][1], _FILE)
    ca: list[ChipAuthenticationInfo] = []
    pks: list[ChipAuthenticationPublicKeyInfo] = []
    pace: list[PACEInfo] = []
    aa: ActiveAuthenticationInfo | None = None
    for si, fields in entries:
        oid = si.protocol
        if oid.startswith(CA_OID_PREFIX) and oid.count(".") == 10:
            version = _uint(fields[0][0], fields[0][1], "CA version", _FILE)
            key_id = _uint(fields[1][0], fields[1][1], "CA keyId", _FILE) \
                if len(fields) > 1 else None
            ca.append(ChipAuthenticationInfo(oid, version, key_id))
        elif oid.startswith(PK_OID_PREFIX) and oid.count(".") == 9:
            if fields[0][0] != 0x30:
                raise LDSError("CA public key must be a SubjectPublicKeyInfo", file=_FILE)
            key_id = _uint(fields[1][0], fields[1][1], "CA keyId", _FILE) \
                if len(fields) > 1 else None
            spki = fields[0][2]
            pks.append(ChipAuthenticationPublicKeyInfo(oid, spki, _ca_public_key(spki, oid, _FILE),
                                                       key_id))
        elif oid.startswith(PACE_OID_PREFIX) and oid.count(".") == 10:
            version = _uint(fields[0][0], fields[0][1], "PACE version", _FILE)
            param = _uint(fields[1][0], fields[1][1], "PACE parameterId", _FILE) \
                if len(fields) > 1 else None
            pace.append(PACEInfo(oid, version, param))
        elif oid == AA_OID:
            if aa is not None:
                raise LDSError("more than one ActiveAuthenticationInfo", file=_FILE)
            if len(fields) != 2 or fields[1][0] != 0x06:
                raise LDSError("ActiveAuthenticationInfo needs version and signatureAlgorithm",
                               file=_FILE)
            version = _uint(fields[0][0], fields[0][1], "AA version", _FILE)
            aa = ActiveAuthenticationInfo(oid, version, decode_oid(fields[1][1]))
    return DG14(raw, [si for si, _ in entries], ca, pks, aa, pace)
