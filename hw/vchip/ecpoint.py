"""Elliptic-curve point arithmetic of the virtual chip (short Weierstrass curves over GF(p)).

PACE's mappings need operations ``cryptography`` does not offer: adding two points and
multiplying a point that is not the curve's generator (the mapped generator G' of ICAO
Doc 9303-11 §4.4.3.3). This module does them in Jacobian coordinates (X, Y, Z) standing for
the affine point (X/Z^2, Y/Z^3), with the general doubling formula (``a`` is not -3 on the
brainpool curves) and a fixed 4-bit window for scalar multiplication. Results are affine
``(x, y)`` tuples; the point at infinity is ``None``.

Point encoding follows BSI TR-03111 §3.2.1 (uncompressed: ``04 || x || y``, each coordinate
as many bytes as p). :func:`decode` refuses anything that is not a finite point on the curve.
"""

from __future__ import annotations

from hw.vchip.domains import ECCurve

__all__ = ["Point", "add", "decode", "encode", "multiply", "negate"]

Point = tuple[int, int] | None
_Jacobian = tuple[int, int, int]  # Z == 0: the point at infinity
_INFINITY: _Jacobian = (1, 1, 0)
_WINDOW = 4


def _double(c: ECCurve, pt: _Jacobian) -> _Jacobian:
    x, y, z = pt
    p = c.p
    if z == 0 or y == 0:
        return _INFINITY
    yy = y * y % p
    s = 4 * x * yy % p
    zz = z * z % p
    m = (3 * x * x + c.a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    y3 = (m * (s - x3) - 8 * yy * yy) % p
    z3 = 2 * y * z % p
    return x3, y3, z3


def _add(c: ECCurve, p1: _Jacobian, p2: _Jacobian) -> _Jacobian:
    if p1[2] == 0:
        return p2
    if p2[2] == 0:
        return p1
    p = c.p
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    u2 = x2 * z1z1 % p
    s1 = y1 * z2 * z2z2 % p
    s2 = y2 * z1 * z1z1 % p
    if u1 == u2:
        return _double(c, p1) if s1 == s2 else _INFINITY
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - s1 * hhh) % p
    z3 = z1 * z2 * h % p
    return x3, y3, z3


def _to_jacobian(pt: Point) -> _Jacobian:
    return _INFINITY if pt is None else (pt[0], pt[1], 1)


def _to_affine(c: ECCurve, pt: _Jacobian) -> Point:
    x, y, z = pt
    if z == 0:
        return None
    zi = pow(z, -1, c.p)
    zi2 = zi * zi % c.p
    return x * zi2 % c.p, y * zi2 * zi % c.p


def add(c: ECCurve, a: Point, b: Point) -> Point:
    """``a + b`` on curve ``c``."""
    return _to_affine(c, _add(c, _to_jacobian(a), _to_jacobian(b)))


def negate(c: ECCurve, a: Point) -> Point:
    return None if a is None else (a[0], (-a[1]) % c.p)


def multiply(c: ECCurve, k: int, a: Point) -> Point:
    """``k · a`` (left-to-right, 4-bit fixed window; ``k`` reduced modulo nothing)."""
    if a is None or k == 0:
        return None
    if k < 0:
        return multiply(c, -k, negate(c, a))
    base = _to_jacobian(a)
    table = [_INFINITY, base]
    for _ in range(2, 1 << _WINDOW):
        table.append(_add(c, table[-1], base))
    acc = _INFINITY
    digits = (k.bit_length() + _WINDOW - 1) // _WINDOW
    for i in range(digits - 1, -1, -1):
        for _ in range(_WINDOW):
            acc = _double(c, acc)
        digit = (k >> (i * _WINDOW)) & ((1 << _WINDOW) - 1)
        if digit:
            acc = _add(c, acc, table[digit])
    return _to_affine(c, acc)


def encode(c: ECCurve, a: Point) -> bytes:
    """Uncompressed encoding ``04 || x || y`` (TR-03111 §3.2.1)."""
    if a is None:
        raise ValueError("the point at infinity has no uncompressed encoding")
    return b"\x04" + a[0].to_bytes(c.size, "big") + a[1].to_bytes(c.size, "big")


def decode(c: ECCurve, data: bytes | bytearray) -> tuple[int, int]:
    """A finite curve point from its uncompressed encoding; ``ValueError`` otherwise."""
    raw = bytes(data)
    if len(raw) != 1 + 2 * c.size or raw[0] != 0x04:
        raise ValueError("not an uncompressed point of this curve")
    x = int.from_bytes(raw[1:1 + c.size], "big")
    y = int.from_bytes(raw[1 + c.size:], "big")
    if not c.on_curve(x, y):
        raise ValueError("point is not on the curve")
    return x, y
