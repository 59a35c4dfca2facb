"""PACE scalar multiples through OpenSSL's ECDH (BSI TR-03111 §4.3.1) against the Python
group law of :mod:`checkedid.nfc.crypto.ecmath` (itself checked against published vectors)."""

from __future__ import annotations

import random

import pytest

from checkedid.nfc.access import pace_crypto as pc
from checkedid.nfc.crypto.domainparams import domain_parameters
from checkedid.nfc.crypto.ecmath import Curve
from checkedid.nfc.crypto.suites import Cipher, PaceMapping

#: Standardized PACE curves (TR-03110-3 Table 4) that OpenSSL knows, and two it does not.
KNOWN = (8, 10, 12, 13, 15, 16, 17, 18)
UNKNOWN = (9, 11, 14)


def _curve(parameter_id: int) -> Curve:
    curve = domain_parameters(parameter_id)
    assert isinstance(curve, Curve)
    return curve


@pytest.mark.parametrize("parameter_id", KNOWN)
def test_openssl_multiples_equal_the_python_group_law(parameter_id: int) -> None:
    curve = _curve(parameter_id)
    rng = random.Random(parameter_id)  # noqa: S311 - reproducible test scalars
    for _ in range(3):
        point = curve.mul(rng.randrange(1, curve.n), curve.generator)
        assert point is not None
        k = rng.randrange(1, curve.n)
        expected = curve.mul(k, point)
        assert expected is not None
        assert pc.mul_point(curve, k, point) == expected
        assert pc.ecdh_x(curve, k, point) == expected[0]
    # both signs of y occur among results, so the sign choice is exercised
    last = curve.mul(rng.randrange(1, curve.n), curve.generator)
    assert last is not None
    negated = curve.neg(last)
    assert negated is not None
    assert pc.mul_point(curve, 5, negated) == curve.mul(5, negated)


@pytest.mark.parametrize("parameter_id", UNKNOWN)
def test_curves_openssl_lacks_are_left_to_the_python_group_law(parameter_id: int) -> None:
    curve = _curve(parameter_id)
    point = curve.mul(12345, curve.generator)
    assert point is not None
    assert pc.mul_point(curve, 777, point) is None
    assert pc.ecdh_x(curve, 777, point) is None
    suite = pc.Suite("0.4.0.127.0.7.2.2.4.2.2", PaceMapping.ECDH_GM, Cipher.AES_128,
                     parameter_id, curve)
    assert suite.public(777, point) == curve.mul(777, point)
    expected = curve.mul(777, point)
    assert expected is not None
    assert suite.agree_secret(777, point) == expected[0].to_bytes(curve.size, "big")


def test_out_of_range_scalars_and_degenerate_sums_fall_back() -> None:
    curve = _curve(12)
    point = curve.mul(99, curve.generator)
    assert point is not None
    for k in (0, curve.n, curve.n + 5, -3):
        assert pc.mul_point(curve, k, point) is None
        assert pc.ecdh_x(curve, k, point) is None
    # P = -G: P + G is the point at infinity, so the sign cannot be settled by OpenSSL
    minus_g = curve.neg(curve.generator)
    assert minus_g is not None
    assert pc.mul_point(curve, 7, minus_g) is None
    suite = pc.Suite("0.4.0.127.0.7.2.2.4.2.2", PaceMapping.ECDH_GM, Cipher.AES_128,
                     12, curve)
    assert suite.public(7, minus_g) == curve.mul(7, minus_g)


def test_points_off_the_curve_are_refused_by_openssl() -> None:
    curve = _curve(13)
    assert pc.ecdh_x(curve, 3, (1, 1)) is None
    assert pc.mul_point(curve, 3, (1, 1)) is None


@pytest.mark.parametrize("parameter_id", (0, 12, 13, 11))
def test_agree_secret_is_the_shared_secret_of_agree(parameter_id: int) -> None:
    domain = domain_parameters(parameter_id)
    mapping = PaceMapping.ECDH_GM if isinstance(domain, Curve) else PaceMapping.DH_GM
    oid = "0.4.0.127.0.7.2.2.4.2.2" if isinstance(domain, Curve) else "0.4.0.127.0.7.2.2.4.1.2"
    suite = pc.Suite(oid, mapping, Cipher.AES_128, parameter_id, domain)
    rng = random.Random(parameter_id)  # noqa: S311 - reproducible test scalars
    other = suite.public(rng.randrange(2, suite.order), suite.generator())
    private = rng.randrange(2, suite.order)
    assert suite.agree_secret(private, other) == suite.shared_secret(suite.agree(private, other))
