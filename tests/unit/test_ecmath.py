"""Prime-curve and MODP group arithmetic (nfc.ecmath) and the TR-03110-3 Table 4 tables."""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from checkedid.errors import InputError, ProtocolError
from checkedid.nfc.crypto.domainparams import DOMAIN_PARAMETERS, domain_parameters
from checkedid.nfc.crypto.ecmath import Curve, DHGroup
from tests.fuzz import FUZZ

OPENSSL_CURVES: dict[int, ec.EllipticCurve] = {
    8: ec.SECP192R1(), 10: ec.SECP224R1(), 12: ec.SECP256R1(), 13: ec.BrainpoolP256R1(),
    15: ec.SECP384R1(), 16: ec.BrainpoolP384R1(), 17: ec.BrainpoolP512R1(), 18: ec.SECP521R1(),
}
CURVE_IDS = [pid for pid, d in DOMAIN_PARAMETERS.items() if isinstance(d, Curve)]


def _curve(pid: int) -> Curve:
    d = domain_parameters(pid)
    assert isinstance(d, Curve)
    return d


def test_table_covers_tr03110_ids() -> None:
    assert sorted(DOMAIN_PARAMETERS) == [0, 1, 2, *range(8, 19)]
    with pytest.raises(InputError, match="parameter id 5"):
        domain_parameters(5)


@pytest.mark.parametrize("pid", CURVE_IDS)
def test_curve_generator_has_order_n(pid: int) -> None:
    c = _curve(pid)
    assert c.contains(c.generator)
    assert c.mul(c.n, c.generator) is None
    assert c.mul(c.n + 1, c.generator) == c.generator
    assert c.mul(-1, c.generator) == c.neg(c.generator)


@pytest.mark.parametrize("pid", sorted(OPENSSL_CURVES))
def test_scalar_mult_matches_openssl(pid: int) -> None:
    c = _curve(pid)
    for _ in range(3):
        k = secrets.randbelow(c.n - 1) + 1
        key = ec.derive_private_key(k, OPENSSL_CURVES[pid])
        want = key.public_key().public_numbers()
        assert c.mul(k, c.generator) == (want.x, want.y)


@pytest.mark.parametrize("pid", CURVE_IDS)
def test_group_law(pid: int) -> None:
    c = _curve(pid)
    g = c.generator
    a, b = secrets.randbelow(c.n), secrets.randbelow(c.n)
    pa, pb = c.mul(a, g), c.mul(b, g)
    assert c.add(pa, pb) == c.mul(a + b, g)
    assert c.add(pa, pa) == c.mul(2 * a, g)
    assert c.add(pa, c.neg(pa)) is None
    assert c.add(None, pa) == pa
    assert c.decode(c.encode(pa)) == pa


def test_decode_rejects_off_curve_and_bad_encodings() -> None:
    c = _curve(13)
    good = c.encode(c.mul(7, c.generator))
    bad = bytearray(good)
    bad[-1] ^= 1
    with pytest.raises(ProtocolError, match="not on"):
        c.decode(bytes(bad))
    with pytest.raises(ProtocolError, match="04"):
        c.decode(b"\x02" + good[1:33])
    with pytest.raises(ProtocolError):
        c.decode(b"\x04" + b"\xff" * 64)  # coordinates >= p
    with pytest.raises(ProtocolError):
        c.encode(None)


@pytest.mark.parametrize("pid", [0, 1, 2])
def test_dh_groups_are_rfc5114_subgroups(pid: int) -> None:
    g = domain_parameters(pid)
    assert isinstance(g, DHGroup)
    assert (g.p - 1) % g.q == 0
    assert pow(g.g, g.q, g.p) == 1 and g.g != 1
    assert g.size * 8 == {0: 1024, 1: 2048, 2: 2048}[pid]
    assert g.q.bit_length() == {0: 160, 1: 224, 2: 256}[pid]
    y = pow(g.g, secrets.randbelow(g.q - 2) + 2, g.p)
    assert g.decode(g.encode(y)) == y
    for bad in (b"\x01", g.encode(g.p - 1), b"\x00" * (g.size + 1)):
        with pytest.raises(ProtocolError):
            g.decode(bad)


def test_sqrt_both_prime_shapes() -> None:
    for pid in (10, 13):  # P-224 has p = 1 mod 4 (Tonelli-Shanks), brainpool p = 3 mod 4
        c = _curve(pid)
        v = secrets.randbelow(c.p)
        r = c.sqrt(v * v)
        assert r is not None and r * r % c.p == v * v % c.p
        non_residue = next(x for x in range(2, 200) if pow(x, (c.p - 1) // 2, c.p) != 1)
        assert c.sqrt(non_residue) is None


@FUZZ
@given(st.binary(max_size=70))
def test_fuzz_decode_point(data: bytes) -> None:
    c = _curve(13)
    try:
        pt = c.decode(data)
    except ProtocolError:
        return
    assert c.contains(pt)


@pytest.mark.parametrize("pid", CURVE_IDS)
def test_mul_base_agrees_with_generic_mul(pid: int) -> None:
    c = _curve(pid)
    k = secrets.randbelow(c.n - 1) + 1
    assert c.mul_base(k) == c.mul(k, c.generator)
    with pytest.raises(ProtocolError):
        c.mul_base(0)
    with pytest.raises(ProtocolError):
        c.mul_base(c.n)
