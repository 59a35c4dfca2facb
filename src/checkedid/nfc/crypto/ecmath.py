"""Prime-curve and prime-field group arithmetic for PACE (TR-03110-3 §A.2, Doc 9303-11 §4.4).

The PACE mappings (Doc 9303-11 §4.4.3.3) produce a *new* generator G' = s·G + H (Generic
Mapping) or a point encoded from a pseudo-random field element (Integrated Mapping); the key
agreement then runs on (p, a, b, G', n). No library offers Diffie-Hellman on a custom
generator, so this module does the arithmetic over Python integers:

* :class:`Curve` — short Weierstrass curve y² = x³ + ax + b over GF(p): affine points as
  ``(x, y)`` tuples, ``None`` for the point at infinity, Jacobian coordinates inside
  :meth:`Curve.mul`; uncompressed encoding ``04 || X || Y`` (BSI TR-03111 §3.2.1).
* :class:`DHGroup` — a prime-order subgroup of GF(p)* (RFC 5114): public values are
  big-endian integers padded to the length of p; exponentiation runs on pycryptodome's
  modular exponentiation (:func:`powmod`).
The standardized domain parameters (BSI TR-03110-3 Table 4) are in
:mod:`checkedid.nfc.crypto.domainparams`.

Multiples of the *standard* generator go through OpenSSL (``cryptography``) where it knows
the curve (:meth:`Curve.mul_base`); ``cryptography``'s ECDH cannot serve the rest, because the
Generic Mapping needs the full point H (not only its x-coordinate) and the key agreement runs
on the mapped generator. Python integers are not constant-time: acceptable for the ephemeral
PACE keys of a terminal (each used once) and for the virtual chip, not meant for long-term
private keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from Crypto.Math.Numbers import Integer
from cryptography.hazmat.primitives.asymmetric import ec

from checkedid.errors import ProtocolError

__all__ = ["Curve", "DHGroup", "Point", "powmod"]

#: An affine point ``(x, y)``; ``None`` is the point at infinity.
Point = tuple[int, int] | None

_Jacobian = tuple[int, int, int]  # (X, Y, Z) with x = X/Z², y = Y/Z³; Z == 0 is infinity

_WNAF_WIDTH = 5
_WNAF_TABLE = 1 << (_WNAF_WIDTH - 2)  # odd multiples 1, 3, ..., 2^(w-1) - 1


def _wnaf(k: int) -> list[int]:
    """The width-w non-adjacent form of ``k >= 0``, least significant digit first: digits
    are 0 or odd with |d| < 2^(w-1), and any w consecutive digits hold at most one non-zero."""
    out: list[int] = []
    full, half = 1 << _WNAF_WIDTH, 1 << (_WNAF_WIDTH - 1)
    while k:
        d = 0
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        out.append(d)
        k >>= 1
    return out


@dataclass(frozen=True)
class Curve:
    """A prime curve y² = x³ + ax + b (mod p) with base point (gx, gy) of order n, cofactor h."""

    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int
    h: int = 1

    @property
    def size(self) -> int:
        """Length in bytes of a field element (and of each coordinate in an encoding)."""
        return (self.p.bit_length() + 7) // 8

    @property
    def generator(self) -> tuple[int, int]:
        return (self.gx, self.gy)

    def contains(self, pt: Point) -> bool:
        """True when ``pt`` is a finite point on the curve with coordinates in [0, p)."""
        if pt is None:
            return False
        x, y = pt
        if not (0 <= x < self.p and 0 <= y < self.p):
            return False
        return (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    # -- group law -----------------------------------------------------------------
    def neg(self, pt: Point) -> Point:
        if pt is None:
            return None
        return (pt[0], (-pt[1]) % self.p)

    def add(self, p1: Point, p2: Point) -> Point:
        """P1 + P2 in affine coordinates (one field inversion)."""
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        p = self.p
        x1, y1 = p1
        x2, y2 = p2
        if x1 == x2:
            if (y1 + y2) % p == 0:
                return None
            lam = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, p) % p
        else:
            lam = (y2 - y1) * pow(x2 - x1, -1, p) % p
        x3 = (lam * lam - x1 - x2) % p
        return (x3, (lam * (x1 - x3) - y1) % p)

    def _jdouble(self, pt: _Jacobian) -> _Jacobian:
        x, y, z = pt
        p = self.p
        if z == 0 or y == 0:
            return (1, 1, 0)
        yy = y * y % p
        s = 4 * x * yy % p
        zz = z * z % p
        m = (3 * x * x + self.a * zz * zz) % p
        x3 = (m * m - 2 * s) % p
        y3 = (m * (s - x3) - 8 * yy * yy) % p
        z3 = 2 * y * z % p
        return (x3, y3, z3)

    def _jadd_affine(self, pt: _Jacobian, q: tuple[int, int]) -> _Jacobian:
        """Jacobian + affine (mixed addition)."""
        x1, y1, z1 = pt
        p = self.p
        if z1 == 0:
            return (q[0], q[1], 1)
        z1z1 = z1 * z1 % p
        u2 = q[0] * z1z1 % p
        s2 = q[1] * z1 * z1z1 % p
        hh = (u2 - x1) % p
        r = (s2 - y1) % p
        if hh == 0:
            if r == 0:
                return self._jdouble(pt)
            return (1, 1, 0)
        h2 = hh * hh % p
        h3 = hh * h2 % p
        v = x1 * h2 % p
        x3 = (r * r - h3 - 2 * v) % p
        y3 = (r * (v - x3) - y1 * h3) % p
        z3 = z1 * hh % p
        return (x3, y3, z3)

    def _to_affine(self, pt: _Jacobian) -> Point:
        x, y, z = pt
        if z == 0:
            return None
        p = self.p
        zi = pow(z, -1, p)
        zi2 = zi * zi % p
        return (x * zi2 % p, y * zi2 * zi % p)

    def mul_base(self, k: int) -> tuple[int, int]:
        """k·G for the standard generator, through OpenSSL (``cryptography``) where it knows
        the curve (constant time, fast), else with :meth:`mul`. Requires 0 < k < n."""
        if not 0 < k < self.n:
            raise ProtocolError("scalar out of range for the base point", step="PACE")
        known = _OPENSSL_CURVES.get(self.name)
        if known is not None:
            numbers = ec.derive_private_key(k, known).public_key().public_numbers()
            return (numbers.x, numbers.y)
        pt = self.mul(k, self.generator)
        assert pt is not None  # k is not a multiple of the prime order n
        return pt

    def mul(self, k: int, pt: Point) -> Point:
        """Scalar multiplication k·P: width-5 NAF (BSI TR-03111 §4.1.1 notes windowed
        methods; Hankerson-Menezes-Vanstone Alg. 3.36) over the affine odd multiples
        P, 3P, ..., 15P, with Jacobian doubling and mixed addition."""
        if pt is None:
            return None
        if k < 0:
            return self.mul(-k, self.neg(pt))
        table = self._odd_multiples(pt)
        if table is None:  # a point of small order: plain double-and-add
            return self._mul_binary(k, pt)
        p = self.p
        acc: _Jacobian = (1, 1, 0)
        for d in reversed(_wnaf(k)):
            acc = self._jdouble(acc)
            if d > 0:
                acc = self._jadd_affine(acc, table[d >> 1])
            elif d < 0:
                x, y = table[(-d) >> 1]
                acc = self._jadd_affine(acc, (x, p - y))
        return self._to_affine(acc)

    def _odd_multiples(self, pt: tuple[int, int]) -> list[tuple[int, int]] | None:
        """P, 3P, ..., (2^(w-1) - 1)P in affine coordinates; ``None`` if one is infinite."""
        twice = self.add(pt, pt)
        if twice is None:
            return None
        table = [pt]
        for _ in range(_WNAF_TABLE - 1):
            nxt = self.add(table[-1], twice)
            if nxt is None:
                return None
            table.append(nxt)
        return table

    def _mul_binary(self, k: int, pt: tuple[int, int]) -> Point:
        """k·P, left-to-right double-and-add (any point, k >= 0)."""
        acc: _Jacobian = (1, 1, 0)
        for bit in bin(k)[2:]:
            acc = self._jdouble(acc)
            if bit == "1":
                acc = self._jadd_affine(acc, pt)
        return self._to_affine(acc)

    def mul_add(self, k1: int, p1: tuple[int, int], k2: int, p2: tuple[int, int]) -> Point:
        """k1·P1 + k2·P2 in one pass (Shamir's trick, BSI TR-03111 §4.1.1 footnote on
        simultaneous multiplication); ``k1, k2 >= 0``. Used to verify ECDSA signatures, whose
        inputs are public: the running time depends on the scalars (not constant time)."""
        both = self.add(p1, p2)
        acc: _Jacobian = (1, 1, 0)
        for i in range(max(k1.bit_length(), k2.bit_length()) - 1, -1, -1):
            acc = self._jdouble(acc)
            b1, b2 = (k1 >> i) & 1, (k2 >> i) & 1
            if b1 and b2:
                if both is not None:
                    acc = self._jadd_affine(acc, both)
            elif b1:
                acc = self._jadd_affine(acc, p1)
            elif b2:
                acc = self._jadd_affine(acc, p2)
        return self._to_affine(acc)

    # -- encoding (BSI TR-03111 §3.2.1) -------------------------------------------------
    def encode(self, pt: Point) -> bytes:
        """Uncompressed encoding ``04 || X || Y`` of a finite point."""
        if pt is None:
            raise ProtocolError("the point at infinity has no encoding", step="PACE")
        n = self.size
        return b"\x04" + pt[0].to_bytes(n, "big") + pt[1].to_bytes(n, "big")

    def decode(self, data: bytes | bytearray) -> tuple[int, int]:
        """Parse an uncompressed point and check that it lies on the curve.

        Raises :class:`~checkedid.errors.ProtocolError` for a wrong length, a compressed or
        hybrid encoding, or a point that is not on the curve (invalid-curve attacks).
        """
        n = self.size
        if len(data) != 1 + 2 * n or data[0] != 0x04:
            raise ProtocolError(f"EC point on {self.name} must be 04||X||Y of {1 + 2 * n} bytes, "
                                f"got {len(data)} bytes", step="PACE")
        pt = (int.from_bytes(data[1:1 + n], "big"), int.from_bytes(data[1 + n:], "big"))
        if not self.contains(pt):
            raise ProtocolError(f"EC point is not on {self.name}", step="PACE")
        return pt

    def decode_any(self, data: bytes | bytearray) -> tuple[int, int]:
        """Parse an uncompressed (``04``) or compressed (``02``/``03``) point (BSI TR-03111
        §3.2.1, X9.62 §4.3.6) and check that it lies on the curve; as :meth:`decode`."""
        n = self.size
        if len(data) == 1 + n and data[0] in (0x02, 0x03):
            x = int.from_bytes(data[1:], "big")
            y = self.sqrt((x * x * x + self.a * x + self.b) % self.p) if x < self.p else None
            if y is None:
                raise ProtocolError(f"compressed EC point is not on {self.name}", step="PACE")
            if (y & 1) != (data[0] & 1):
                y = (self.p - y) % self.p
            return (x, y)
        return self.decode(data)

    def sqrt(self, v: int) -> int | None:
        """A square root of v mod p, or None (Tonelli-Shanks; fast path for p ≡ 3 mod 4)."""
        p = self.p
        v %= p
        if v == 0:
            return 0
        if pow(v, (p - 1) // 2, p) != 1:
            return None
        if p % 4 == 3:
            return pow(v, (p + 1) // 4, p)
        q, s = p - 1, 0
        while q % 2 == 0:
            q //= 2
            s += 1
        z = 2
        while pow(z, (p - 1) // 2, p) != p - 1:
            z += 1
        m, c, t, r = s, pow(z, q, p), pow(v, q, p), pow(v, (q + 1) // 2, p)
        while t != 1:
            i, t2 = 0, t
            while t2 != 1:
                t2 = t2 * t2 % p
                i += 1
            b = pow(c, 1 << (m - i - 1), p)
            m, c, t, r = i, b * b % p, t * b * b % p, r * b % p
        return r


_OPENSSL_CURVES: dict[str, ec.EllipticCurve] = {
    "NIST P-192": ec.SECP192R1(), "NIST P-224": ec.SECP224R1(), "NIST P-256": ec.SECP256R1(),
    "NIST P-384": ec.SECP384R1(), "NIST P-521": ec.SECP521R1(),
    "brainpoolP256r1": ec.BrainpoolP256R1(), "brainpoolP384r1": ec.BrainpoolP384R1(),
    "brainpoolP512r1": ec.BrainpoolP512R1(),
}


def powmod(base: int, exponent: int, modulus: int) -> int:
    """``base ** exponent mod modulus`` for an odd ``modulus`` and ``exponent >= 0``,
    through pycryptodome's Montgomery exponentiation in C (five times Python's ``pow``
    for a 1024-bit prime, more for 2048 bits)."""
    return int(pow(Integer(base), exponent, modulus))


@dataclass(frozen=True)
class DHGroup:
    """A subgroup of order q of GF(p)* generated by g (RFC 5114; TR-03110-3 §A.2.1.1)."""

    name: str
    p: int
    g: int
    q: int

    @property
    def size(self) -> int:
        """Length in bytes of p (public values are padded to it)."""
        return (self.p.bit_length() + 7) // 8

    def contains(self, y: int) -> bool:
        """True when 1 < y < p-1 and y lies in the order-q subgroup."""
        return 1 < y < self.p - 1 and powmod(y, self.q, self.p) == 1

    def exp(self, base: int, exponent: int) -> int:
        """``base ** exponent mod p`` (``exponent >= 0``)."""
        return powmod(base, exponent, self.p)

    def encode(self, y: int) -> bytes:
        return y.to_bytes(self.size, "big")

    def decode(self, data: bytes | bytearray) -> int:
        """Parse a public value and check subgroup membership (Doc 9303-11 §4.4.3.4)."""
        if not data or len(data) > self.size:
            raise ProtocolError(f"DH public value must be 1..{self.size} bytes, got {len(data)}",
                                step="PACE")
        y = int.from_bytes(data, "big")
        if not self.contains(y):
            raise ProtocolError(f"DH public value is not in the {self.name} subgroup", step="PACE")
        return y
