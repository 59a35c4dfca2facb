"""ECDSA verification and EC keys on every BSI TR-03111 curve (nfc.ecdsa) against vectors.

Data in tests/data/vectors (sources in its README): Wycheproof ECDSA verification vectors for
brainpoolP224r1..P512r1 and NIST P-192..P-521, NIST CAVP SigVer vectors for P-256/384/521,
Wycheproof ECDH vectors for the brainpool curves, and signatures made by an independent
implementation for brainpoolP160r1/P192r1 (no published ECDSA vectors exist for those two).
Every vector is checked with the project's own arithmetic, also on curves OpenSSL knows, and
through :func:`load_public_key`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from checkedid.errors import CertificateError
from checkedid.nfc.crypto import ecdsa
from checkedid.nfc.crypto.ecdsa import NAMED_CURVES, CurvePublicKey
from checkedid.nfc.crypto.pubkey import load_public_key

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"
HASHES = {"SHA-1": hashes.SHA1, "SHA-224": hashes.SHA224, "SHA-256": hashes.SHA256,
          "SHA-384": hashes.SHA384, "SHA-512": hashes.SHA512}


def _groups(name: str) -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return list(data["groups"])


ECDSA_GROUPS = _groups("wycheproof_ecdsa.json") + _groups("generated_ecdsa_brainpool.json")


def _ids(groups: list[dict[str, Any]]) -> list[str]:
    return [f"{g['curve']}-{g['sha']}-{i}" for i, g in enumerate(groups)]


def test_every_tr03111_curve_has_vectors() -> None:
    assert {g["curve"] for g in ECDSA_GROUPS} == set(NAMED_CURVES)


@pytest.mark.parametrize("name", sorted(NAMED_CURVES))
def test_named_curve_parameters_are_valid(name: str) -> None:
    """RFC 5639 / FIPS 186-4 parameters: G on the curve, n prime with n·G = O, Hasse bound."""
    curve = NAMED_CURVES[name]
    ecdsa.validate_domain(curve)
    assert ecdsa.match_named(curve) is curve


@pytest.mark.parametrize("group", ECDSA_GROUPS, ids=_ids(ECDSA_GROUPS))
def test_ecdsa_vectors_with_own_arithmetic(group: dict[str, Any]) -> None:
    curve = NAMED_CURVES[group["curve"]]
    key = ecdsa.public_key(curve, bytes.fromhex(group["key"]))
    algorithm = ec.ECDSA(HASHES[group["sha"]]())
    outcomes = []
    for test in group["tests"]:
        try:
            key.verify(bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]), algorithm)
            outcomes.append((test["tcId"], "valid"))
        except InvalidSignature:
            outcomes.append((test["tcId"], "invalid"))
    assert outcomes == [(t["tcId"], t["result"]) for t in group["tests"]]
    assert any(t["result"] == "valid" for t in group["tests"])
    assert any(t["result"] == "invalid" for t in group["tests"])


@pytest.mark.parametrize("group", [g for g in ECDSA_GROUPS if "keyDer" in g],
                         ids=_ids([g for g in ECDSA_GROUPS if "keyDer" in g]))
def test_ecdsa_vectors_through_load_public_key(group: dict[str, Any]) -> None:
    key = load_public_key(bytes.fromhex(group["keyDer"]))
    assert key.curve.name == group["curve"]
    openssl = group["curve"] not in ("brainpoolP224r1", "brainpoolP320r1")
    assert isinstance(key, CurvePublicKey) is not openssl
    algorithm = ec.ECDSA(HASHES[group["sha"]]())
    for test in group["tests"]:
        ok = True
        try:
            key.verify(bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]), algorithm)
        except InvalidSignature:
            ok = False
        assert ok is (test["result"] == "valid"), test["tcId"]


CAVP = _groups("cavp_ecdsa_sigver.json")


@pytest.mark.parametrize("group", CAVP, ids=_ids(CAVP))
def test_cavp_sigver_with_own_arithmetic(group: dict[str, Any]) -> None:
    """NIST CAVP SigVer (FIPS 186-3): changed message, key, r or s must fail; the rest pass.
    Keys whose point was changed off the curve must already fail to load."""
    curve = NAMED_CURVES[group["curve"]]
    algorithm = ec.ECDSA(HASHES[group["sha"]]())
    for test in group["tests"]:
        x, y = int(test["qx"], 16), int(test["qy"], 16)
        encoded = curve.encode((x, y)) if x < curve.p and y < curve.p else b"\x04"
        try:
            key = ecdsa.public_key(curve, encoded)
        except CertificateError:
            assert test["result"] == "invalid"
            continue
        signature = encode_dss_signature(int(test["r"], 16), int(test["s"], 16))
        try:
            key.verify(signature, bytes.fromhex(test["msg"]), algorithm)
            ok = True
        except InvalidSignature:
            ok = False
        assert ok is (test["result"] == "valid"), test


def _ecdh_tests() -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads((VECTORS / "wycheproof_ecdh_brainpool.json").read_text())
    return list(data["tests"])


ECDH = _ecdh_tests()


@pytest.mark.parametrize("test", ECDH, ids=[f"{t['curve']}-{t['tcId']}" for t in ECDH])
def test_ecdh_vectors(test: dict[str, Any]) -> None:
    """Key loading/validation and x(d·Q) (the CA shared secret, Doc 9303-11 §9.7.1)."""
    curve = NAMED_CURVES[test["curve"]]
    # Wycheproof "acceptable": compressed points must work here; keys with a modified unused
    # parameter (UnusedParam) or explicit parameters may be refused, never give another secret.
    must_load = test["result"] == "valid" or "CompressedPoint" in test["flags"]
    try:
        key = load_public_key(bytes.fromhex(test["public"]))
        numbers = key.public_numbers()  # type: ignore[union-attr]
        if key.curve.name != test["curve"]:
            raise CertificateError("the public key is on another curve")
    except CertificateError:
        assert not must_load, test["comment"]
        return
    point = curve.mul(int(test["private"], 16), (numbers.x, numbers.y))
    assert point is not None
    shared = point[0].to_bytes(curve.size, "big").hex()
    assert (shared == test["shared"]) is (test["result"] != "invalid"), test["comment"]


def _spki_explicit(name: str, point: bytes, **change: int) -> bytes:
    c = NAMED_CURVES[name]
    p, a, b, n, h = (change.get(k, getattr(c, k)) for k in ("p", "a", "b", "n", "h"))
    size = c.size
    params = keys.ECDomainParameters(name="specified", value={
        "version": "ecdpVer1", "field_id": {"field_type": "prime_field", "parameters": p},
        "curve": {"a": a.to_bytes(size, "big"), "b": b.to_bytes(size, "big")},
        "base": c.encode(c.generator), "order": n, "cofactor": h})
    return bytes(keys.PublicKeyInfo({"algorithm": {"algorithm": "ec", "parameters": params},
                                     "public_key": point}).dump())


def _sign(curve: ecdsa.Curve, d: int, digest: bytes) -> tuple[int, int]:
    """Test-only ECDSA signer (deterministic nonce from the digest)."""
    k = int.from_bytes(hashlib.sha512(digest + d.to_bytes(80, "big")).digest(), "big") % curve.n
    r = curve.mul(k, curve.generator)[0] % curve.n  # type: ignore[index]
    e = int.from_bytes(digest, "big") >> max(0, 8 * len(digest) - curve.n.bit_length())
    return r, pow(k, -1, curve.n) * (e + r * d) % curve.n


def test_explicit_parameters_equal_to_named_curve_load_as_named() -> None:
    group = next(g for g in ECDSA_GROUPS if g["curve"] == "brainpoolP320r1")
    key = load_public_key(_spki_explicit("brainpoolP320r1", bytes.fromhex(group["key"])))
    assert key.curve.name == "brainpoolP320r1"
    test = next(t for t in group["tests"] if t["result"] == "valid")
    key.verify(bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]), ec.ECDSA(hashes.SHA384()))


def test_explicit_parameters_of_an_unnamed_curve_are_validated_and_used() -> None:
    # brainpoolP224t1 (RFC 5639 §3.3, the twisted curve): a valid curve TR-03111 does not name.
    t1 = NAMED_CURVES["brainpoolP224r1"]
    z = 0x2DF271E14427A346910CF7A2E6CFA7B3F484E5C2CCE1C8B730E28B3F
    a, b = (t1.p - 3), 0x4B337D934104CD7BEF271BF60CED1ED20DA14C08B3BB64F18A60888D
    gx = 0x6AB1E344CE25FF3896424E7FFE14762ECB49F8928AC0C76029B4D580
    gy = 0x0374E9F5143E568CD23F3F4D7C0D4B1E41C8CC0D1C6ABD5F1A46DB4C
    curve = ecdsa.Curve("t1", t1.p, a, b, gx, gy, t1.n)
    assert z  # the isomorphism factor Z of RFC 5639 (documentation of where a, b come from)
    d = 0x1234567890ABCDEF
    q = curve.mul(d, curve.generator)
    assert q is not None
    size = curve.size
    params = keys.ECDomainParameters(name="specified", value={
        "version": "ecdpVer1", "field_id": {"field_type": "prime_field", "parameters": curve.p},
        "curve": {"a": a.to_bytes(size, "big"), "b": b.to_bytes(size, "big")},
        "base": curve.encode(curve.generator), "order": curve.n, "cofactor": 1})
    spki = keys.PublicKeyInfo({"algorithm": {"algorithm": "ec", "parameters": params},
                               "public_key": curve.encode(q)}).dump()
    key = load_public_key(spki)
    assert isinstance(key, CurvePublicKey)
    assert key.curve.name == "explicit 224-bit curve"
    digest = hashlib.sha224(b"document").digest()
    r, s = _sign(curve, d, digest)
    assert ecdsa.verify_digest(key.params, key.point, digest, r, s)
    assert not ecdsa.verify_digest(key.params, key.point, digest, r, s + 1)


@pytest.mark.parametrize(("change", "message"), [
    ({"b": 5}, "base point is not on the curve"),
    ({"n": NAMED_CURVES["brainpoolP224r1"].n + 2}, "order n is not a usable prime|n·G"),
    ({"h": 4}, "h·n is not the order"),
    ({"p": NAMED_CURVES["brainpoolP224r1"].p + 2}, "not a prime|not on the curve"),
])
def test_invalid_explicit_parameters_are_rejected(change: dict[str, int], message: str) -> None:
    c = NAMED_CURVES["brainpoolP224r1"]
    with pytest.raises(CertificateError, match=message):
        load_public_key(_spki_explicit("brainpoolP224r1", c.encode(c.generator), **change))


@pytest.mark.parametrize("name", ["brainpoolP160r1", "brainpoolP192r1", "brainpoolP224r1",
                                  "brainpoolP320r1"])
def test_invalid_points_are_rejected(name: str) -> None:
    c = NAMED_CURVES[name]
    gx, gy = c.generator
    bad = [b"\x00", c.encode((gx, gy))[:-1], b"\x04" + gx.to_bytes(c.size, "big")
           + ((gy + 1) % c.p).to_bytes(c.size, "big"),
           b"\x04" + c.p.to_bytes(c.size, "big") + gy.to_bytes(c.size, "big")]
    for point in bad:
        with pytest.raises(CertificateError, match="EC"):
            ecdsa.public_key(c, point)
    compressed = bytes([2 | (gy & 1)]) + gx.to_bytes(c.size, "big")
    assert ecdsa.public_key(c, compressed).point == (gx, gy)


def test_curve_outside_tr03111_is_an_error_not_unsupported() -> None:
    key = ec.generate_private_key(ec.SECP256K1()).public_key()
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(CertificateError, match="not a curve of BSI TR-03111") as info:
        load_public_key(der)
    assert type(info.value) is CertificateError


@pytest.mark.parametrize("name", sorted(NAMED_CURVES))
def test_curve_key_round_trips_through_spki(name: str) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    c = NAMED_CURVES[name]
    key = CurvePublicKey(c, c.mul(7, c.generator))  # type: ignore[arg-type]
    der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    again = load_public_key(der)
    assert again.public_numbers().x == key.point[0]  # type: ignore[union-attr]
    assert key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint) == \
        c.encode(key.point)
    assert key.key_size == c.p.bit_length()
