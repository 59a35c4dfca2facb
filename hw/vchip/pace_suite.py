"""The chip's PACE mathematics (ICAO Doc 9303-11 §4.4; BSI TR-03110-2 §3.2, TR-03110-3 §A.3).

A :class:`PaceSuite` is one PACEInfo: mapping (GM, IM or CAM), cipher and standardized
group. It gives the chip everything the four GENERAL AUTHENTICATE steps need:

* K_π = KDF(π, 3) and the encrypted nonce ``z = E(K_π, s)`` (§4.4.3.1, CBC with zero IV);
* Generic Mapping (§4.4.3.3.1): ``G' = s·G + H`` with ``H = SK_map,IC · PK_map,IFD``
  (EC), or ``g' = g^s · h mod p`` with ``h = PK_map,IFD^SK_map,IC`` (DH);
* Integrated Mapping (§4.4.3.3.2): ``G' = f_G(R_p(s, t))`` where ``R_p`` is the AES-based
  pseudo-random function and ``f_G`` the point encoding of Doc 9303-11 Appendix B
  (simplified SWU, needs p = 3 mod 4); for DH ``g' = R_p(s, t)^((p-1)/q) mod p``;
* key agreement on the mapped generator, the shared secret as the KDF input
  (x-coordinate, or the DH value, each as many bytes as p; TR-03111 §4.3.1), the
  authentication tokens over the public-key data object 7F49 (§4.4.3.4) and the
  PACE-CAM chip authentication data ``A_IC`` (§4.4.3.5.1).

The IM pseudo-random function is implemented for AES (the published Appendix H example
pins down AES-128; AES-192/256 follow the same text with the 256-bit constants); IM with
3DES is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from hw.vchip import ecpoint, symmetric
from hw.vchip.domains import DHGroup, ECCurve, group
from hw.vchip.iso7816 import tlv

__all__ = ["PaceSuite", "Public", "oid_bytes", "password_key"]

Public = tuple[int, int] | int  # an EC point or a DH group element

#: Curves OpenSSL computes with (through ``cryptography``): multiples of the standard generator
#: and ECDH x-coordinates come from there, the rest from :mod:`hw.vchip.ecpoint`.
_OPENSSL: dict[str, ec.EllipticCurve] = {
    "secp192r1": ec.SECP192R1(), "secp224r1": ec.SECP224R1(), "secp256r1": ec.SECP256R1(),
    "secp384r1": ec.SECP384R1(), "secp521r1": ec.SECP521R1(),
    "brainpoolP256r1": ec.BrainpoolP256R1(), "brainpoolP384r1": ec.BrainpoolP384R1(),
    "brainpoolP512r1": ec.BrainpoolP512R1(),
}
_MAPPINGS = {1: "DH-GM", 2: "ECDH-GM", 3: "DH-IM", 4: "ECDH-IM", 6: "ECDH-CAM"}
_CIPHER_ARCS = {1: "3DES", 2: "AES-128", 3: "AES-192", 4: "AES-256"}
_PACE_ARC = (0, 4, 0, 127, 0, 7, 2, 2, 4)  # id-PACE (BSI TR-03110-3 §A.1.1.1)
# IM pseudo-random function constants (Doc 9303-11 §4.4.3.3.2): 128 bits for AES-128,
# 256 bits for AES-192 and AES-256.
_PRF_CONSTANTS = {
    16: (bytes.fromhex("a668892a7c41e3ca739f40b057d85904"),
         bytes.fromhex("a4e136ac725f738b01c1f60217c188ad")),
    32: (bytes.fromhex("d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676"),
         bytes.fromhex("54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517")),
}


def oid_bytes(arcs: tuple[int, ...]) -> bytes:
    """DER content octets of an OBJECT IDENTIFIER (X.690 §8.19)."""
    out = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def password_key(password: bytes, ref: int) -> bytes:
    """π as the KDF sees it: SHA-1 of the MRZ information (ref 1) or the CAN (ref 2)."""
    if ref == 1:
        return hashlib.sha1(password).digest()  # noqa: S324 - mandated by Doc 9303-11 §9.7.3
    return password


@dataclass(frozen=True)
class PaceSuite:
    """One PACE variant: ``mapping`` ("ECDH-GM", ...), ``cipher`` and the group."""

    mapping: str
    cipher: str
    parameter_id: int

    @classmethod
    def from_oid(cls, oid: bytes, parameter_id: int) -> PaceSuite:
        """From DER content octets of a PACE OID (``...4.<mapping>.<cipher>``)."""
        prefix = oid_bytes(_PACE_ARC)
        if len(oid) != len(prefix) + 2 or not oid.startswith(prefix):
            raise ValueError("not a PACE protocol OID")
        mapping, cipher = _MAPPINGS.get(oid[-2]), _CIPHER_ARCS.get(oid[-1])
        if mapping is None or cipher is None:
            raise ValueError("unknown PACE mapping or cipher")
        return cls(mapping, cipher, parameter_id)

    @property
    def oid(self) -> bytes:
        mapping = {v: k for k, v in _MAPPINGS.items()}[self.mapping]
        cipher = {v: k for k, v in _CIPHER_ARCS.items()}[self.cipher]
        return oid_bytes((*_PACE_ARC, mapping, cipher))

    @property
    def domain(self) -> ECCurve | DHGroup:
        return group(self.parameter_id)

    @property
    def order(self) -> int:
        d = self.domain
        return d.n if isinstance(d, ECCurve) else d.q

    @property
    def nonce_length(self) -> int:
        """The nonce s: the key length rounded up to whole cipher blocks."""
        block = symmetric.block_size(self.cipher)
        return -(-symmetric.key_size(self.cipher) // block) * block

    # ------------------------------------------------------------------ group operations
    def generator(self) -> Public:
        d = self.domain
        return (d.gx, d.gy) if isinstance(d, ECCurve) else d.g

    def random_private(self) -> int:
        return 1 + secrets.randbelow(self.order - 1)

    def multiply(self, k: int, element: Public) -> Public:
        """``k·P`` (EC) or ``g^k mod p`` (DH); refuses the neutral element as a result.

        Multiples of a named curve's standard generator are computed by OpenSSL; any other
        point (the mapped generator, the terminal's keys) by :mod:`hw.vchip.ecpoint`.
        """
        d = self.domain
        if isinstance(d, ECCurve):
            assert isinstance(element, tuple)
            curve = _OPENSSL.get(d.name)
            if curve is not None and element == (d.gx, d.gy) and 0 < k < d.n:
                numbers = ec.derive_private_key(k, curve).public_key().public_numbers()
                return numbers.x, numbers.y
            out = ecpoint.multiply(d, k, element)
            if out is None:
                raise ValueError("scalar multiplication gave the point at infinity")
            return out
        assert isinstance(element, int)
        value = pow(element, k, d.p)
        if value in (0, 1):
            raise ValueError("DH gave a trivial value")
        return value

    def encode(self, element: Public) -> bytes:
        d = self.domain
        if isinstance(d, ECCurve):
            assert isinstance(element, tuple)
            return ecpoint.encode(d, element)
        assert isinstance(element, int)
        return element.to_bytes(d.size, "big")

    def decode(self, data: bytes) -> Public:
        """A public key of the terminal, validated (on the curve / in the subgroup)."""
        d = self.domain
        if isinstance(d, ECCurve):
            return ecpoint.decode(d, data)
        y = int.from_bytes(data, "big")
        if not 1 < y < d.p - 1 or pow(y, d.q, d.p) != 1:
            raise ValueError("DH public value outside the subgroup")
        return y

    def shared_secret(self, element: Public) -> bytes:
        """The KDF input: x-coordinate (EC) or the value (DH), as many bytes as p."""
        d = self.domain
        value = element[0] if isinstance(element, tuple) else element
        return value.to_bytes(d.size, "big")

    def agree(self, k: int, peer: Public) -> bytes:
        """The shared secret of ``k`` and the peer's key (TR-03111 §4.3.1: ECDH x-coordinate
        or the DH value); ECDH on a named curve goes through OpenSSL."""
        d = self.domain
        curve = _OPENSSL.get(d.name) if isinstance(d, ECCurve) else None
        if curve is not None and isinstance(peer, tuple) and 0 < k < self.order:
            public = ec.EllipticCurvePublicNumbers(peer[0], peer[1], curve).public_key()
            return ec.derive_private_key(k, curve).exchange(ec.ECDH(), public)
        return self.shared_secret(self.multiply(k, peer))

    # ------------------------------------------------------------------ mappings
    def map_generic(self, nonce: bytes, shared: Public) -> Public:
        s = int.from_bytes(nonce, "big")
        d = self.domain
        if isinstance(d, ECCurve):
            assert isinstance(shared, tuple)
            base = self.multiply(s, (d.gx, d.gy))
            assert isinstance(base, tuple)
            mapped = ecpoint.add(d, base, shared)
            if mapped is None:
                raise ValueError("generic mapping gave the point at infinity")
            return mapped
        assert isinstance(shared, int)
        return pow(d.g, s, d.p) * shared % d.p

    def pseudo_random(self, nonce: bytes, t: bytes) -> int:
        """R_p(s, t) of Doc 9303-11 §4.4.3.3.2 for the AES ciphers.

        key_1 = E(t, s); then x_i = E(key_i, c_1) and key_{i+1} = E(key_i, c_0) (truncated
        to the key length) until the x_i hold log2(p) + 64 bits; R = (x_1 || ...) mod p.
        E is the block cipher in CBC mode with a zero IV, as for the nonce.
        """
        size = symmetric.key_size(self.cipher)
        if self.cipher == "3DES" or len(t) != size or len(nonce) != self.nonce_length:
            raise ValueError("integrated mapping needs AES and nonces of the key length")
        c0, c1 = _PRF_CONSTANTS[16 if size == 16 else 32]
        p = self.domain.p
        blocks = -(-(p.bit_length() + 64) // (8 * len(c1)))
        key = symmetric.cbc_encrypt(self.cipher, t, nonce)[:size]
        out = b""
        for _ in range(blocks):
            out += symmetric.cbc_encrypt(self.cipher, key, c1)
            key = symmetric.cbc_encrypt(self.cipher, key, c0)[:size]
        return int.from_bytes(out, "big") % p

    def map_integrated(self, nonce: bytes, t: bytes) -> Public:
        r = self.pseudo_random(nonce, t)
        d = self.domain
        if isinstance(d, DHGroup):
            mapped = pow(r, (d.p - 1) // d.q, d.p)
            if mapped == 1:
                raise ValueError("integrated mapping gave the neutral element")
            return mapped
        point = point_encode(d, r)
        if d.h != 1:
            multiplied = ecpoint.multiply(d, d.h, point)
            if multiplied is None:
                raise ValueError("integrated mapping gave the point at infinity")
            return multiplied
        return point

    # ------------------------------------------------------------------ tokens, CAM
    def public_key_data(self, element: Public) -> bytes:
        """7F49 { 06 OID, 86 point | 84 value } (Doc 9303-11 §4.4.3.4; TR-03110-3 §D.3)."""
        tag = 0x86 if isinstance(element, tuple) else 0x84
        return tlv(0x7F49, tlv(0x06, self.oid) + tlv(tag, self.encode(element)))

    def token(self, ks_mac: bytes, element: Public) -> bytes:
        """T = MAC(KS_mac, public key data object of the *other* side's key)."""
        return symmetric.mac(self.cipher, ks_mac, self.public_key_data(element),
                             padded=self.cipher == "3DES")

    def encrypt_cam(self, ks_enc: bytes, ca_ic: int) -> bytes:
        """A_IC = E(KS_enc, CA_IC): AES-CBC, IV = E(KS_enc, 1...1), method-2 padding."""
        if self.cipher == "3DES":
            raise ValueError("PACE-CAM is defined for AES only")
        iv = symmetric.ecb_encrypt(self.cipher, ks_enc, b"\xff" * 16)
        plain = ca_ic.to_bytes((self.order.bit_length() + 7) // 8, "big")
        return symmetric.cbc_encrypt(self.cipher, ks_enc, symmetric.pad(plain, 16), iv)


def point_encode(c: ECCurve, t: int) -> tuple[int, int]:
    """f_G(t): the point encoding of Doc 9303-11 Appendix B (simplified SWU, p = 3 mod 4)."""
    p, a, b = c.p, c.a, c.b
    if p % 4 != 3 or a == 0:
        raise ValueError("point encoding needs p = 3 mod 4 and a != 0")
    alpha = -t * t % p
    x2 = -b * pow(a, -1, p) * (1 + pow(alpha + alpha * alpha, -1, p)) % p
    x3 = alpha * x2 % p
    h2 = (x2 * x2 * x2 + a * x2 + b) % p
    u = t * t * t * h2 % p
    root = pow(h2, p - 1 - (p + 1) // 4, p)
    if root * root * h2 % p == 1:
        x, y = x2, root * h2 % p
    else:
        x, y = x3, root * u % p
    if not c.on_curve(x, y):
        raise ValueError("point encoding left the curve")
    return x, y
