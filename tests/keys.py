"""Fixed test keys: the same key pairs in every run, so fuzz seeds and fixtures are reproducible.

TEST ONLY: the private values are derived from public labels.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

from Crypto.PublicKey import RSA
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hw.vchip import lds_build


def _stream(label: str) -> Callable[[int], bytes]:
    """A deterministic byte source: SHA-512 of ``label`` and a block counter, read in order."""
    buf = bytearray()
    counter = 0

    def read(n: int) -> bytes:
        nonlocal counter
        while len(buf) < n:
            buf.extend(hashlib.sha512(f"{label}/{counter}".encode()).digest())
            counter += 1
        out = bytes(buf[:n])
        del buf[:n]
        return out

    return read


def _scalar(label: str, order: int) -> int:
    return 1 + int.from_bytes(hashlib.sha512(label.encode()).digest(), "big") % (order - 1)


def ec_key(label: str, curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    """An EC private key (default brainpoolP256r1) whose scalar is derived from ``label``."""
    curve = curve or ec.BrainpoolP256R1()
    order = {"brainpoolP256r1":
             0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
             "secp256r1":
             0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551}[curve.name]
    return ec.derive_private_key(_scalar(label, order), curve)


@functools.cache
def rsa_key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """An RSA private key generated from a deterministic random source seeded by ``label``."""
    pem = RSA.generate(bits, randfunc=_stream(f"{label}/{bits}")).export_key("DER")
    key = serialization.load_der_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def dh_key(label: str, parameter_id: int = 0) -> lds_build.DHPrivateKey:
    """A DH key pair in standardized group ``parameter_id`` with a private value from ``label``."""
    group = lds_build.DHPrivateKey.generate(parameter_id)
    return lds_build.DHPrivateKey(group.p, group.g, group.q, _scalar(label, group.q))
