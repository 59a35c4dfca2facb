"""EF.DG14: SecurityInfos for Chip Authentication, PACE and Active Authentication.

ICAO Doc 9303-10 §4.7.14, Doc 9303-11 §9.2 and BSI TR-03110-3 §A.1.1::

    6E  DG14 template
        31  SecurityInfos ::= SET OF SecurityInfo
            SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER,
                                        requiredData ANY, optionalData ANY OPTIONAL }

The SET is decoded by :func:`checkedid.nfc.lds.securityinfos.parse_security_infos` (the same
parser as EF.CardAccess). On top of it DG14 loads the Chip Authentication public keys
(``ChipAuthenticationPublicKeyInfo``, id-PK-DH / id-PK-ECDH): EC keys — named or with
explicit domain parameters or standardized domain parameters by id (TR-03110-3 §A.2.1.1)
— become ``cryptography`` EC keys (:class:`checkedid.nfc.crypto.ecdsa.CurvePublicKey` on curves
OpenSSL lacks), DH keys (ANSI X9.42 ``dhpublicnumber`` or a standardized group) a
:class:`DHPublicKey` of plain integers. A key that cannot be used is skipped with a warning
(``DG14.warnings``) as long as another one loads; when none does DG14 is unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asn1crypto import core, keys
from cryptography.hazmat.primitives.asymmetric import ec

from checkedid.errors import CertificateError, InputError, LDSError, ParseError
from checkedid.nfc.crypto.domainparams import domain_parameters
from checkedid.nfc.crypto.ecdsa import match_named
from checkedid.nfc.crypto.ecmath import Curve, DHGroup
from checkedid.nfc.crypto.pubkey import ec_public_key
from checkedid.nfc.lds import securityinfos as cardaccess
from checkedid.nfc.lds.dg15 import public_key_from_spki
from checkedid.nfc.lds.securityinfos import (
    ActiveAuthenticationInfo,
    ChipAuthenticationInfo,
    PACEInfo,
    SecurityInfos,
)
from checkedid.nfc.lds.template import unwrap

__all__ = [
    "DG14",
    "ActiveAuthenticationInfo",
    "CAPublicKey",
    "ChipAuthenticationInfo",
    "ChipAuthenticationPublicKeyInfo",
    "DHPublicKey",
    "PACEInfo",
    "SecurityInfos",
    "from_security_infos",
    "parse",
    "parse_dg14",
]

_FILE = "EF.DG14"
STANDARDIZED_DOMAIN_PARAMETERS = "0.4.0.127.0.7.1.2"
MAX_DH_BITS = 8192


@dataclass(frozen=True)
class DHPublicKey:
    """A Diffie-Hellman public key: group (p, g, subgroup order q if given) and value y.

    Plain integers: ``cryptography`` deprecates finite-field DH, and the CA/PACE code
    does its modular arithmetic itself (:class:`checkedid.nfc.crypto.ecmath.DHGroup`).
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
class ChipAuthenticationPublicKeyInfo:
    """Doc 9303-11 §9.2.6: the chip's static CA key, loaded (``spki`` exactly as read)."""

    oid: str
    spki: bytes = field(repr=False)
    public_key: CAPublicKey
    key_id: int | None
    agreement: str  # "DH" or "ECDH"

    @property
    def key_agreement(self) -> str:
        return self.agreement


@dataclass(frozen=True)
class DG14:
    """Parsed DG14: ``raw`` as read, every SecurityInfo and the recognised ones by kind."""

    raw: bytes = field(repr=False)
    security_infos: SecurityInfos
    ca_infos: list[ChipAuthenticationInfo]
    ca_public_keys: list[ChipAuthenticationPublicKeyInfo]
    aa_info: ActiveAuthenticationInfo | None
    pace_infos: list[PACEInfo]
    warnings: tuple[str, ...] = ()

    def ca_public_key(self, info: ChipAuthenticationInfo) -> ChipAuthenticationPublicKeyInfo | None:
        """The CA public key that goes with ``info``: same keyId, or the only key of its
        agreement when keyIds are absent (Doc 9303-11 §9.2.5)."""
        if info.key_id is not None:
            return next((k for k in self.ca_public_keys if k.key_id == info.key_id), None)
        matching = [k for k in self.ca_public_keys if k.agreement == info.agreement]
        return matching[0] if len(matching) == 1 else None

    def cam_keys(self, parameter_id: int | None) -> list[ec.EllipticCurvePublicKey]:
        """The EC keys PACE-CAM may have used, most likely first (Doc 9303-11 §4.4.3.5.2,
        BSI TR-03110-3 §A.1.1.2): the key whose keyId equals the PACEInfo parameterId, then
        keys on the PACE curve (standardized domain parameters ``parameter_id``), then any
        other EC key. The chip proves possession of exactly one; trying the others cannot
        make a wrong key pass."""
        ec_keys = [k for k in self.ca_public_keys
                   if isinstance(k.public_key, ec.EllipticCurvePublicKey)]
        curve = None
        if parameter_id is not None:
            try:
                params = domain_parameters(parameter_id)
                curve = match_named(params) if isinstance(params, Curve) else None
            except InputError:
                curve = None

        def rank(k: ChipAuthenticationPublicKeyInfo) -> tuple[bool, bool]:
            on_curve = curve is not None and isinstance(k.public_key, ec.EllipticCurvePublicKey) \
                and k.public_key.curve.name == curve.name
            return (k.key_id is None or k.key_id != parameter_id, not on_curve)

        return [k.public_key for k in sorted(ec_keys, key=rank)
                if isinstance(k.public_key, ec.EllipticCurvePublicKey)]

    @property
    def aa_hash_algorithm(self) -> str | None:
        """Hash of the ECDSA Active Authentication signature (``"sha256"`` …), if announced."""
        return self.aa_info.hash_algorithm if self.aa_info is not None else None

    @classmethod
    def from_bytes(cls, raw: bytes) -> DG14:
        return parse_dg14(raw)


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
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError) as exc:
        # IndexError: asn1crypto on a BIT STRING without its unused-bits octet (03 00)
        raise LDSError(f"DH public key unusable ({type(exc).__name__})", file=file) from None
    if not 256 <= p.bit_length() <= MAX_DH_BITS or p % 2 == 0:
        raise LDSError("DH modulus has an unusable size", file=file)
    if not 1 < g < p - 1 or not 1 < y < p - 1 or (q is not None and not 1 < q < p):
        raise LDSError("DH parameters are out of range", file=file)
    return DHPublicKey(p, g, q, y)


class _StandardizedAlgorithm(core.Sequence):  # type: ignore[misc]
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Integer)]  # noqa: RUF012


class _StandardizedSPKI(core.Sequence):  # type: ignore[misc]
    _fields = [("algorithm", _StandardizedAlgorithm), ("public_key", core.BitString)]  # noqa: RUF012


def _standardized_id(spki: bytes) -> tuple[int, bytes] | None:
    """(parameter id, public key bits) when the key names standardized domain parameters
    (BSI TR-03110-3 §A.2.1.1: ``standardizedDomainParameters`` 0.4.0.127.0.7.1.2 with an
    INTEGER id), else ``None``."""
    try:
        parsed = _StandardizedSPKI.load(spki, strict=True)
        if parsed["algorithm"]["algorithm"].dotted != STANDARDIZED_DOMAIN_PARAMETERS:
            return None
        return int(parsed["algorithm"]["parameters"].native), \
            bytes(parsed["public_key"].cast(core.OctetBitString).native)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return None


def _standardized_key(parameter_id: int, data: bytes, agreement: str, file: str) -> CAPublicKey:
    """A CA key on standardized domain parameters: an EC point (id-PK-ECDH) or a DH value
    (id-PK-DH; the BIT STRING holds ``DHPublicKey ::= INTEGER``, RFC 3279 §2.3.3)."""
    try:
        params = domain_parameters(parameter_id)
    except InputError as exc:
        raise LDSError(str(exc), file=file) from None
    if agreement == "ECDH":
        if not isinstance(params, Curve):
            raise LDSError(f"id-PK-ECDH key names DH domain parameters (id {parameter_id})",
                           file=file)
        try:
            return ec_public_key(params, data)
        except CertificateError as exc:
            raise LDSError(f"public key unusable: {exc}", file=file) from None
    if not isinstance(params, DHGroup):
        raise LDSError(f"id-PK-DH key names EC domain parameters (id {parameter_id})", file=file)
    try:
        y = int(core.Integer.load(data, strict=True).native)
    except (ValueError, TypeError):
        y = int.from_bytes(data, "big")
    if not params.contains(y):
        raise LDSError("DH public value is not in the standardized group", file=file)
    return DHPublicKey(params.p, params.g, params.q, y)


def load_ca_public_key(info: cardaccess.ChipAuthenticationPublicKeyInfo,
                       file: str = _FILE) -> ChipAuthenticationPublicKeyInfo:
    """Load the key of a ChipAuthenticationPublicKeyInfo (from DG14 or EF.CardAccess):
    X.509 SubjectPublicKeyInfo (named or explicit parameters) or standardized domain
    parameters by id (BSI TR-03110-3 Table 4)."""
    key: CAPublicKey
    standardized = _standardized_id(info.public_key)
    if standardized is not None:
        key = _standardized_key(*standardized, info.agreement, file)
    elif info.agreement == "DH":
        key = _dh_key(info.public_key, file)
    else:
        loaded = public_key_from_spki(info.public_key, file)
        if not isinstance(loaded, ec.EllipticCurvePublicKey):
            raise LDSError("id-PK-ECDH key is not an EC key", file=file)
        key = loaded
    return ChipAuthenticationPublicKeyInfo(info.oid, info.public_key, key, info.key_id,
                                           info.agreement)


def parse_dg14(raw: bytes) -> DG14:
    """Parse DG14 (tag ``6E``); malformed content raises :class:`LDSError` / ``TLVError``."""
    raw = bytes(raw)
    value = unwrap(raw, 0x6E, _FILE)
    try:
        infos = cardaccess.parse_security_infos(value)
    except LDSError:
        raise
    except ParseError as exc:  # TLVError too: name the file
        raise LDSError(str(exc), file=_FILE) from None
    return from_security_infos(raw, infos, _FILE)


def from_security_infos(raw: bytes, infos: SecurityInfos, file: str) -> DG14:
    """The DG14 view (keys loaded, unusable ones skipped) of SecurityInfos read from ``file``
    (DG14, or the SecurityInfos that EF.CardSecurity signs)."""
    aa = [i for i in infos.infos if isinstance(i, ActiveAuthenticationInfo)]
    if len(aa) > 1:
        raise LDSError("more than one ActiveAuthenticationInfo", file=file)
    ca = list(infos.chip_authentication)
    loaded: list[ChipAuthenticationPublicKeyInfo] = []
    warnings: list[str] = []
    for info in infos.chip_authentication_keys:
        try:
            loaded.append(load_ca_public_key(info, file))
        except (LDSError, ParseError) as exc:  # CertificateError is a ParseError
            warnings.append(f"Chip Authentication key {_describe(info)} skipped: {exc}")
    if warnings and not loaded:  # nothing usable: the chip cannot be authenticated with it
        raise LDSError("; ".join(warnings), file=file)
    return DG14(raw, infos, ca, loaded, aa[0] if aa else None, list(infos.pace),
                tuple(warnings))


def _describe(info: cardaccess.ChipAuthenticationPublicKeyInfo) -> str:
    return f"keyId {info.key_id}" if info.key_id is not None else f"({info.agreement})"


#: Uniform name across the LDS parser modules (``dg2.parse(raw)``).
parse = parse_dg14
