"""ECDSA verification and EC public keys on every BSI TR-03111 prime curve.

ICAO Doc 9303-12 §5.4 lets document signers, CSCAs and chips use ECDSA as specified in BSI
TR-03111 §4.2.1, on any curve of TR-03111 §2.2 (brainpoolP160r1 to P512r1 of RFC 5639, NIST
P-192 to P-521 of FIPS 186-4) or on explicit domain parameters (RFC 3279 ``specifiedCurve``).
OpenSSL (through ``cryptography``) knows only some of these curves; for the rest
(brainpoolP160r1, P192r1, P224r1, P320r1 and explicit parameters that name no standard curve)
this module verifies with the project's own arithmetic (:class:`checkedid.nfc.crypto.ecmath.Curve`).

:class:`CurvePublicKey` implements ``cryptography``'s ``EllipticCurvePublicKey`` interface, so
AA, CA, PACE-CAM and Passive Authentication handle it exactly like an OpenSSL key;
``key.verify`` raises ``InvalidSignature`` like OpenSSL does.

Only public data is processed here (public keys, signatures, signed data): the arithmetic over
Python integers is **not constant time**, which is acceptable for verification and for the
public-key validation of SEC 1 v2 §3.2.2.1, not for operations with private keys.
"""

from __future__ import annotations

import base64
import copy
import math
import textwrap
from dataclasses import replace
from typing import Any

from asn1crypto import keys
from Crypto.Math.Primality import COMPOSITE, test_probable_prime
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils

from checkedid.errors import CertificateError, ProtocolError
from checkedid.nfc.crypto.domainparams import DOMAIN_PARAMETERS
from checkedid.nfc.crypto.ecmath import Curve

__all__ = [
    "NAMED_CURVES",
    "CurvePublicKey",
    "PrimeCurve",
    "explicit_curve",
    "match_named",
    "public_key",
    "validate_domain",
    "verify_digest",
]

#: brainpoolP160r1 (RFC 5639 §3.1): in TR-03111 but not among TR-03110's standardized ids.
_BRAINPOOL_P160R1 = Curve(
    "brainpoolP160r1",
    0xE95E4A5F737059DC60DFC7AD95B3D8139515620F,
    0x340E7BE2A280EB74E2BE61BADA745D97E8F7C300,
    0x1E589A8595423412134FAA2DBDEC95C8D8675E58,
    0xBED5AF16EA3F6A4F62938C4631EB5AF7BDBCDBC3,
    0x1667CB477A1A8EC338F94741669C976316DA6321,
    0xE95E4A5F737059DC60DF5991D45029409E60FC09,
)


def _named() -> dict[str, Curve]:
    ids = {"secp192r1": 8, "brainpoolP192r1": 9, "secp224r1": 10, "brainpoolP224r1": 11,
           "secp256r1": 12, "brainpoolP256r1": 13, "brainpoolP320r1": 14, "secp384r1": 15,
           "brainpoolP384r1": 16, "brainpoolP512r1": 17, "secp521r1": 18}
    table = {"brainpoolP160r1": _BRAINPOOL_P160R1}
    for name, pid in ids.items():
        curve = DOMAIN_PARAMETERS[pid]
        assert isinstance(curve, Curve)
        table[name] = replace(curve, name=name)
    return table


#: Every prime curve of BSI TR-03111 §2.2, by the name ``cryptography`` / OpenSSL use.
NAMED_CURVES: dict[str, Curve] = _named()
_BY_LOWER = {name.lower(): curve for name, curve in NAMED_CURVES.items()}
_BY_PARAMS = {(c.p, c.a, c.b, c.gx, c.gy, c.n, c.h): c for c in NAMED_CURVES.values()}

MIN_BITS, MAX_BITS = 160, 521  # the range of TR-03111 §2.2 curves


def named_curve(name: str) -> Curve | None:
    """The TR-03111 curve called ``name`` (case-insensitive: ``brainpoolp224r1`` as asn1crypto
    spells it, ``brainpoolP224r1``, ``secp256r1``), else ``None``."""
    return _BY_LOWER.get(name.lower())


def match_named(curve: Curve) -> Curve | None:
    """The named curve with exactly these domain parameters (p, a, b, G, n, h), else ``None``."""
    return _BY_PARAMS.get((curve.p, curve.a, curve.b, curve.gx, curve.gy, curve.n, curve.h))


def _is_prime(v: int) -> bool:
    return v > 3 and test_probable_prime(v) != COMPOSITE


def validate_domain(curve: Curve) -> None:
    """Validate explicit domain parameters (SEC 1 v2 §3.1.1.2.1; BSI TR-03111 §2.2.1).

    Checks: p an odd prime of 160..521 bits; a, b in [0, p) with 4a³ + 27b² ≠ 0; G on the
    curve; n prime with n·G = O; h·n within the Hasse interval; the curve is neither anomalous
    (n ≠ p) nor weak against MOV (p^k ≠ 1 mod n for k ≤ 100). Raises
    :class:`~checkedid.errors.CertificateError` naming the first violated condition.
    """
    p, a, b, n, h = curve.p, curve.a, curve.b, curve.n, curve.h
    if not MIN_BITS <= p.bit_length() <= MAX_BITS or not _is_prime(p):
        raise CertificateError("explicit EC parameters: the field size p is not a prime of "
                               f"{MIN_BITS}..{MAX_BITS} bits")
    if not (0 <= a < p and 0 <= b < p) or (4 * a ** 3 + 27 * b ** 2) % p == 0:
        raise CertificateError("explicit EC parameters: a, b do not define an elliptic curve")
    if not curve.contains(curve.generator):
        raise CertificateError("explicit EC parameters: the base point is not on the curve")
    if not _is_prime(n) or n == p or h < 1:
        raise CertificateError("explicit EC parameters: the order n is not a usable prime")
    isqrt_p = math.isqrt(4 * p)  # |p + 1 - h·n| <= 2·sqrt(p)   (Hasse)
    if abs(p + 1 - h * n) > isqrt_p + 1:
        raise CertificateError("explicit EC parameters: h·n is not the order of the curve")
    if any(pow(p, k, n) == 1 for k in range(1, 101)):
        raise CertificateError("explicit EC parameters: the curve is weak (MOV condition)")
    if curve.mul(n, curve.generator) is not None:
        raise CertificateError("explicit EC parameters: n·G is not the point at infinity")


def explicit_curve(params: Any) -> Curve:
    """The :class:`Curve` of an RFC 3279 ``SpecifiedECDomain`` (asn1crypto): the named curve
    when the parameters are exactly a TR-03111 curve, else the validated explicit curve.

    Raises :class:`~checkedid.errors.CertificateError` for malformed or invalid parameters.
    """
    try:
        if params["field_id"]["field_type"].native != "prime_field":
            raise CertificateError("explicit EC parameters: only prime fields are supported")
        p = int(params["field_id"]["parameters"].native)
        a = int.from_bytes(params["curve"]["a"].native, "big")
        b = int.from_bytes(params["curve"]["b"].native, "big")
        n = int(params["order"].native)
        h_native = params["cofactor"].native
        h = int(h_native) if h_native is not None else 1
        base = bytes(params["base"].native)
    except CertificateError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise CertificateError(f"explicit EC domain parameters are malformed "
                               f"({type(exc).__name__})") from None
    if not 0 < p.bit_length() <= MAX_BITS or not 0 < n.bit_length() <= MAX_BITS + 1 or \
            not 0 < h < 1 << 16:
        raise CertificateError("explicit EC parameters are out of range")
    shell = Curve("explicit", p, a % p, b % p, 0, 0, n, h)
    try:
        gx, gy = shell.decode_any(base)
    except ProtocolError:
        raise CertificateError("explicit EC parameters: the base point is not on the "
                               "curve") from None
    curve = replace(shell, gx=gx, gy=gy, name=f"explicit {p.bit_length()}-bit curve")
    named = match_named(curve)
    if named is not None:
        return named
    validate_domain(curve)
    return curve


def verify_digest(curve: Curve, point: tuple[int, int], digest: bytes, r: int, s: int) -> bool:
    """ECDSA verification (BSI TR-03111 §4.2.1.2; FIPS 186-4 §6.4.2) of ``(r, s)`` over a hash
    value, with the public point ``point`` (validated by the caller). Not constant time."""
    n = curve.n
    if not (0 < r < n and 0 < s < n):
        return False
    e = int.from_bytes(digest, "big")
    excess = 8 * len(digest) - n.bit_length()
    if excess > 0:
        e >>= excess  # the leftmost bit-length-of-n bits (TR-03111 §4.2.1.1, step 3)
    w = pow(s, -1, n)
    pt = curve.mul_add(e * w % n, curve.generator, r * w % n, point)
    return pt is not None and pt[0] % n == r


class PrimeCurve(ec.EllipticCurve):
    """A :class:`Curve` seen through ``cryptography``'s ``EllipticCurve`` interface."""

    def __init__(self, curve: Curve) -> None:
        self.params = curve

    @property
    def name(self) -> str:
        return self.params.name

    @property
    def key_size(self) -> int:
        return self.params.p.bit_length()

    @property
    def group_order(self) -> int:
        return self.params.n


class CurvePublicKey(ec.EllipticCurvePublicKey):
    """A validated EC public key verified with the project's arithmetic (not constant time:
    public data only). Build it with :func:`public_key`."""

    def __init__(self, curve: Curve, point: tuple[int, int]) -> None:
        self._curve = PrimeCurve(curve)
        self.point = point

    @property
    def params(self) -> Curve:
        return self._curve.params

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._curve

    @property
    def key_size(self) -> int:
        return self._curve.key_size

    def public_numbers(self) -> ec.EllipticCurvePublicNumbers:
        return ec.EllipticCurvePublicNumbers(self.point[0], self.point[1], self._curve)

    def public_bytes(self, encoding: serialization.Encoding,
                     format: serialization.PublicFormat) -> bytes:
        curve = self.params
        if encoding is serialization.Encoding.X962:
            if format is serialization.PublicFormat.UncompressedPoint:
                return curve.encode(self.point)
            if format is serialization.PublicFormat.CompressedPoint:
                return bytes([2 | (self.point[1] & 1)]) + self.point[0].to_bytes(curve.size, "big")
        if format is serialization.PublicFormat.SubjectPublicKeyInfo and \
                encoding in (serialization.Encoding.DER, serialization.Encoding.PEM):
            der: bytes = self._spki().dump()
            if encoding is serialization.Encoding.DER:
                return der
            body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
            return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n".encode()
        raise ValueError("unsupported encoding/format for this EC public key")

    def _spki(self) -> keys.PublicKeyInfo:
        curve = self.params
        size = curve.size
        if match_named(curve) is not None:
            params = keys.ECDomainParameters(name="named", value=curve.name.lower())
        else:
            params = keys.ECDomainParameters(name="specified", value={
                "version": "ecdpVer1",
                "field_id": {"field_type": "prime_field", "parameters": curve.p},
                "curve": {"a": curve.a.to_bytes(size, "big"), "b": curve.b.to_bytes(size, "big")},
                "base": curve.encode(curve.generator), "order": curve.n, "cofactor": curve.h})
        return keys.PublicKeyInfo({
            "algorithm": {"algorithm": "ec", "parameters": params},
            "public_key": curve.encode(self.point)})

    def verify(self, signature: bytes | bytearray | memoryview,
               data: bytes | bytearray | memoryview,
               signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> None:
        """Verify a DER ``ECDSA-Sig-Value``; raises ``InvalidSignature`` when it does not."""
        if not isinstance(signature_algorithm, ec.ECDSA):
            raise TypeError("only ECDSA is supported")
        algorithm = signature_algorithm.algorithm
        if isinstance(algorithm, asym_utils.Prehashed):
            digest = bytes(data)
        else:
            h = hashes.Hash(algorithm)
            h.update(bytes(data))
            digest = h.finalize()
        try:
            r, s = asym_utils.decode_dss_signature(bytes(signature))
        except ValueError:
            raise InvalidSignature from None
        if not verify_digest(self.params, self.point, digest, r, s):
            raise InvalidSignature

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CurvePublicKey) and other.params == self.params and \
            other.point == self.point

    def __hash__(self) -> int:
        return hash((self.params, self.point))

    def __copy__(self) -> CurvePublicKey:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, Any]) -> CurvePublicKey:
        return copy.copy(self)


def public_key(curve: Curve, encoded: bytes) -> CurvePublicKey:
    """Load and validate an encoded point as a public key on ``curve`` (SEC 1 v2 §3.2.2.1:
    on the curve, not the point at infinity, coordinates in [0, p), and n·Q = O when the
    cofactor is not 1 — for h = 1 every finite curve point has order n).

    Raises :class:`~checkedid.errors.CertificateError` for an invalid point.
    """
    try:
        point = curve.decode_any(bytes(encoded))
    except ProtocolError as exc:
        raise CertificateError(f"EC public key: {str(exc).removeprefix('PACE: ')}") from None
    if curve.h != 1 and curve.mul(curve.n, point) is not None:
        raise CertificateError(f"EC public key is not in the order-n subgroup of {curve.name}")
    return CurvePublicKey(curve, point)
