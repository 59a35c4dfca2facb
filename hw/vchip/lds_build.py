"""Encoders for the virtual chip's LDS files (ICAO Doc 9303-10 §4.6-4.7; 9303-11 §9.2).

The inverse of the library's LDS parsers: EF.COM, DG1 (TD1/TD2/TD3), DG2 (ISO/IEC
19794-5:2005 face records with JPEG or JPEG 2000), DG11, DG12, DG14 (Chip
Authentication, PACE and Active Authentication SecurityInfos), DG15, EF.CardAccess
and EF.SOD (signed by :mod:`hw.pki`). TEST-ONLY: nothing here is used by the library.

EC keys can be encoded with *explicit* domain parameters (``explicit=True``), as
many real chips do; the parameters come from :mod:`hw.vchip.domains`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import core, keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hw.vchip.domains import DHGroup, ECCurve, group
from hw.vchip.iso7816 import tlv as encode

__all__ = [
    "AA_OID", "DG_TAG", "DHPrivateKey", "DHPublicKey", "aa_info", "ca_info", "ca_oid",
    "ca_public_key_info",
    "card_access", "card_security", "com", "dg1", "dg2", "dg11", "dg12", "dg14", "dg15",
    "face_record",
    "pace_info", "sod", "spki",
]

#: Data-group number -> template tag (Doc 9303-10 Table 34).
DG_TAG = {1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67, 8: 0x68, 9: 0x69,
          10: 0x6A, 11: 0x6B, 12: 0x6C, 13: 0x6D, 14: 0x6E, 15: 0x6F, 16: 0x70}
AA_OID = "2.23.136.1.1.5"
ECDSA_WITH = {"sha1": "1.2.840.10045.4.1", "sha224": "1.2.840.10045.4.3.1",
              "sha256": "1.2.840.10045.4.3.2", "sha384": "1.2.840.10045.4.3.3",
              "sha512": "1.2.840.10045.4.3.4"}
_CIPHER_ARC = {"3DES": 1, "AES-128": 2, "AES-192": 3, "AES-256": 4}
#: cryptography curve name -> standardized domain parameter id (BSI TR-03110-3 Table 4).
CURVE_IDS = {"secp192r1": 8, "brainpoolP192r1": 9, "secp224r1": 10, "brainpoolP224r1": 11,
             "secp256r1": 12, "brainpoolP256r1": 13, "brainpoolP320r1": 14, "secp384r1": 15,
             "brainpoolP384r1": 16, "brainpoolP512r1": 17, "secp521r1": 18}


@dataclass(frozen=True)
class DHPublicKey:
    """A DH public key in a standardized group (TEST-ONLY): p, g, q and y = g^x mod p."""

    p: int
    g: int
    q: int
    y: int

    @property
    def size(self) -> int:
        return (self.p.bit_length() + 7) // 8


def _is_dh(key: Any) -> bool:
    """DH keys are plain-integer records (ours, or any object with p, g and y)."""
    return all(hasattr(key, name) for name in ("p", "g", "y")) or isinstance(key, DHPrivateKey)


@dataclass(frozen=True)
class DHPrivateKey:
    """A DH key pair in a standardized group (TEST-ONLY; TR-03110-3 Table 4 ids 0-2)."""

    p: int
    g: int
    q: int
    x: int = field(repr=False)

    @classmethod
    def generate(cls, parameter_id: int = 0) -> DHPrivateKey:
        params = group(parameter_id)
        if not isinstance(params, DHGroup):
            raise ValueError(f"domain parameter id {parameter_id} is not a DH group")
        return cls(params.p, params.g, params.q, 1 + secrets.randbelow(params.q - 1))

    def public_key(self) -> DHPublicKey:
        return DHPublicKey(self.p, self.g, self.q, pow(self.g, self.x, self.p))


def _oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


def _int(value: int) -> bytes:
    return bytes(core.Integer(value).dump())


def _text(value: str) -> bytes:
    return value.encode("utf-8")


# --------------------------------------------------------------------------- EF.COM, DG1
def com(dgs: Iterable[int], *, lds_version: str = "0107", unicode_version: str = "040000",
        ) -> bytes:
    """EF.COM (Doc 9303-10 §4.6.1) listing ``dgs``."""
    return encode(0x60, encode(0x5F01, lds_version.encode("ascii"))
                  + encode(0x5F36, unicode_version.encode("ascii"))
                  + encode(0x5C, bytes(DG_TAG[n] for n in dgs)))


def dg1(mrz: str | Sequence[str]) -> bytes:
    """DG1 (§4.7.1): the MRZ lines concatenated (``mrz`` as text with newlines, or lines)."""
    lines = mrz.split("\n") if isinstance(mrz, str) else list(mrz)
    return encode(0x61, encode(0x5F1F, "".join(lines).encode("ascii")))


# --------------------------------------------------------------------------- DG2
def face_record(image: bytes, fmt: str, width: int, height: int, *, gender: int = 2,
                eye_colour: int = 0, hair_colour: int = 0, expression: int = 1,
                image_type: int = 1, colour_space: int = 1, source_type: int = 2,
                feature_points: Sequence[tuple[int, int, int, int]] = ()) -> bytes:
    """One ISO/IEC 19794-5:2005 face record (general header + one face).

    ``fmt`` is ``"jpeg"`` (image data type 0) or ``"jp2"``/``"j2k"`` (JPEG 2000, 1);
    feature points are ``(type, code, x, y)``.
    """
    points = b"".join(bytes([t, c]) + x.to_bytes(2, "big") + y.to_bytes(2, "big") + b"\x00\x00"
                      for t, c, x, y in feature_points)
    image_info = (bytes([image_type, 0 if fmt == "jpeg" else 1]) + width.to_bytes(2, "big")
                  + height.to_bytes(2, "big") + bytes([colour_space, source_type])
                  + b"\x00\x00" + b"\x00\x00")
    length = 20 + len(points) + len(image_info) + len(image)
    facial = (length.to_bytes(4, "big") + len(feature_points).to_bytes(2, "big")
              + bytes([gender, eye_colour, hair_colour]) + b"\x00\x00\x00"
              + expression.to_bytes(2, "big") + b"\x00\x00\x00" + b"\x00\x00\x00")
    block = facial + points + image_info + image
    return b"FAC\x00010\x00" + (14 + len(block)).to_bytes(4, "big") + b"\x00\x01" + block


def dg2(records: Sequence[bytes]) -> bytes:
    """DG2 (§4.7.2): one biometric information template per face record."""
    header = encode(0xA1, encode(0x80, b"\x01\x01") + encode(0x81, b"\x02")
                    + encode(0x87, b"\x01\x01") + encode(0x88, b"\x00\x08"))
    bits = b"".join(encode(0x7F60, header + encode(0x5F2E, r)) for r in records)
    return encode(0x75, encode(0x7F61, encode(0x02, bytes([len(records)])) + bits))


# --------------------------------------------------------------------------- DG11, DG12
def _with_tag_list(tag: int, objects: list[tuple[int, bytes]]) -> bytes:
    tags = b"".join(t.to_bytes(2 if t > 0xFF else 1, "big") for t, _ in objects)
    return encode(tag, encode(0x5C, tags) + b"".join(encode(t, v) for t, v in objects))


def _counted(name_tag: int, names: Sequence[str]) -> bytes:
    return encode(0x02, bytes([len(names)])) + b"".join(encode(name_tag, _text(n)) for n in names)


def dg11(*, full_name: str | None = None, other_names: Sequence[str] = (),
         personal_number: str | None = None, full_date_of_birth: str | None = None,
         place_of_birth: str | None = None, address: str | None = None,
         telephone: str | None = None, profession: str | None = None, title: str | None = None,
         personal_summary: str | None = None, proof_of_citizenship: bytes | None = None,
         other_travel_document_numbers: Sequence[str] = (),
         custody_information: str | None = None) -> bytes:
    """DG11 (§4.7.11) with the given fields and their tag list."""
    objs: list[tuple[int, bytes]] = []
    for tag, value in ((0x5F0E, full_name), (0x5F10, personal_number),
                       (0x5F2B, full_date_of_birth), (0x5F11, place_of_birth),
                       (0x5F42, address), (0x5F12, telephone), (0x5F13, profession),
                       (0x5F14, title), (0x5F15, personal_summary)):
        if value is not None:
            objs.append((tag, _text(value)))
    if other_names:
        objs.append((0xA0, _counted(0x5F0F, other_names)))
    if proof_of_citizenship is not None:
        objs.append((0x5F16, proof_of_citizenship))
    objs.extend((0x5F17, _text(n)) for n in other_travel_document_numbers)
    if custody_information is not None:
        objs.append((0x5F18, _text(custody_information)))
    return _with_tag_list(0x6B, objs)


def dg12(*, issuing_authority: str | None = None, date_of_issue: str | None = None,
         other_persons: Sequence[str] = (), endorsements: str | None = None,
         tax_exit_requirements: str | None = None, image_front: bytes | None = None,
         image_rear: bytes | None = None, personalisation_time: str | None = None,
         personalisation_device_serial: str | None = None) -> bytes:
    """DG12 (§4.7.12) with the given fields and their tag list."""
    objs: list[tuple[int, bytes]] = []
    for tag, value in ((0x5F19, issuing_authority), (0x5F26, date_of_issue)):
        if value is not None:
            objs.append((tag, _text(value)))
    if other_persons:
        objs.append((0xA0, _counted(0x5F1A, other_persons)))
    for tag, value in ((0x5F1B, endorsements), (0x5F1C, tax_exit_requirements),
                       (0x5F55, personalisation_time), (0x5F56, personalisation_device_serial)):
        if value is not None:
            objs.append((tag, _text(value)))
    for tag, image in ((0x5F1D, image_front), (0x5F1E, image_rear)):
        if image is not None:
            objs.append((tag, image))
    return _with_tag_list(0x6C, objs)


# --------------------------------------------------------------------------- keys
def _curve_params(curve: ec.EllipticCurve) -> ECCurve:
    params = group(CURVE_IDS[curve.name])
    assert isinstance(params, ECCurve)
    return params


def spki(public_key: Any, *, explicit: bool = False) -> bytes:
    """DER SubjectPublicKeyInfo of an RSA, EC or DH public key.

    With ``explicit``, an EC key carries its domain parameters (RFC 3279
    ``specifiedCurve``) instead of the named-curve OID; DH keys are encoded as
    ANSI X9.42 ``dhpublicnumber`` with p, g, q.
    """
    if _is_dh(public_key):
        info = keys.PublicKeyInfo({
            "algorithm": {"algorithm": "dh",
                          "parameters": {"p": public_key.p, "g": public_key.g,
                                         "q": public_key.q}},
            "public_key": core.Integer(public_key.y),
        })
        return bytes(info.dump())
    if isinstance(public_key, ec.EllipticCurvePublicKey) and explicit:
        c = _curve_params(public_key.curve)
        size = c.size
        domain = keys.SpecifiedECDomain({
            "version": "ecdpVer1",
            "field_id": {"field_type": "prime_field", "parameters": core.Integer(c.p)},
            "curve": {"a": c.a.to_bytes(size, "big"), "b": c.b.to_bytes(size, "big")},
            "base": b"\x04" + c.gx.to_bytes(size, "big") + c.gy.to_bytes(size, "big"),
            "order": c.n,
            "cofactor": c.h,
        })
        point = public_key.public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
        info = keys.PublicKeyInfo({
            "algorithm": {"algorithm": "ec",
                          "parameters": keys.ECDomainParameters(name="specified", value=domain)},
            "public_key": point,
        })
        return bytes(info.dump())
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise TypeError(f"cannot encode a {type(public_key).__name__}")
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def dg15(public_key: Any, *, explicit: bool = False) -> bytes:
    """DG15 (§4.7.15): the Active Authentication public key."""
    return encode(0x6F, spki(public_key, explicit=explicit))


# --------------------------------------------------------------------------- SecurityInfos
def ca_oid(public_key: Any, cipher: str = "AES-128") -> str:
    """id-CA-(EC)DH-<cipher> (BSI TR-03110-3 §A.1.1.2) for a CA key."""
    agreement = 1 if _is_dh(public_key) else 2
    return f"0.4.0.127.0.7.2.2.3.{agreement}.{_CIPHER_ARC[cipher]}"


def ca_info(oid: str, *, version: int = 1, key_id: int | None = None) -> bytes:
    """ChipAuthenticationInfo ::= SEQUENCE { protocol, version, keyId OPTIONAL }."""
    body = _oid(oid) + _int(version) + (_int(key_id) if key_id is not None else b"")
    return encode(0x30, body)


def ca_public_key_info(public_key: Any, *, key_id: int | None = None,
                       explicit: bool = False) -> bytes:
    """ChipAuthenticationPublicKeyInfo ::= SEQUENCE { id-PK-(EC)DH, SPKI, keyId OPTIONAL }."""
    agreement = 1 if _is_dh(public_key) else 2
    body = (_oid(f"0.4.0.127.0.7.2.2.1.{agreement}") + spki(public_key, explicit=explicit)
            + (_int(key_id) if key_id is not None else b""))
    return encode(0x30, body)


def aa_info(hash_alg: str = "sha256") -> bytes:
    """ActiveAuthenticationInfo (Doc 9303-11 §9.2.8) for an ECDSA AA key."""
    return encode(0x30, _oid(AA_OID) + _int(1) + _oid(ECDSA_WITH[hash_alg]))


def pace_info(oid: str, parameter_id: int, *, version: int = 2) -> bytes:
    """PACEInfo ::= SEQUENCE { protocol, version, parameterId } (Doc 9303-11 §9.2.1)."""
    return encode(0x30, _oid(oid) + _int(version) + _int(parameter_id))


def card_access(infos: Sequence[bytes]) -> bytes:
    """EF.CardAccess: SecurityInfos SET of the given entries (Doc 9303-11 §9.2)."""
    return encode(0x31, b"".join(infos))


def dg14(*, ca_key: Any = None, ca_cipher: str = "AES-128", key_id: int | None = None,
         aa_key: Any = None, aa_hash: str = "sha256", pace: Sequence[tuple[str, int]] = (),
         explicit: bool = False) -> bytes:
    """DG14 (§4.7.14): CA info + CA public key (``ca_key``, EC or DH, public or private),
    ActiveAuthenticationInfo when ``aa_key`` is EC, and a PACEInfo per ``(oid, paramId)``."""
    infos: list[bytes] = []
    if ca_key is not None:
        pub = ca_key.public_key() if hasattr(ca_key, "public_key") else ca_key
        infos.append(ca_info(ca_oid(pub, ca_cipher), key_id=key_id))
        infos.append(ca_public_key_info(pub, key_id=key_id, explicit=explicit))
    if isinstance(aa_key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        infos.append(aa_info(aa_hash))
    infos.extend(pace_info(oid, param) for oid, param in pace)
    return encode(0x6E, card_access(infos))


def card_security(infos: Sequence[bytes], *, signer: str = "ds-rsa",
                  hash_alg: str = "sha256") -> bytes:
    """EF.CardSecurity (BSI TR-03110-3 §A.1.2.2): CMS SignedData over the SecurityInfos SET of
    ``infos``, eContentType id-SecurityObject, signed by a document signer of the test PKI."""
    from hw.pki import get_pki
    from hw.pki.sod import sign_cms

    return sign_cms(SECURITY_OBJECT_OID, card_access(infos), get_pki().signer(signer),
                    hash_alg=hash_alg)


#: id-SecurityObject (BSI TR-03110-3 §A.1.2.2): eContentType of EF.CardSecurity
SECURITY_OBJECT_OID = "0.4.0.127.0.7.3.2.1"


# --------------------------------------------------------------------------- EF.SOD
def sod(dgs: Mapping[int, bytes], *, signer: str = "ds-rsa", hash_alg: str = "sha256",
        tamper: str | None = None) -> bytes:
    """EF.SOD over the DG files ``dgs``, signed by a document signer of the test PKI."""
    from hw.pki import get_pki

    return get_pki().sign_sod(dgs, signer=signer, hash_alg=hash_alg, tamper=tamper)
