"""Deterministic test keys for the checkedid test PKI.

TEST-ONLY KEY MATERIAL. Every key here is derived from a fixed, public label,
so anyone can recompute it: never use them for anything but tests. Keys are
derived, not stored, so every process (the test runner, the virtual chip, a
``python -m hw.pki export``) gets the very same keys without a file on disk.

* EC private scalars are ``SHAKE-256(label) mod (n - 1) + 1``.
* RSA keys come from pycryptodome's ``RSA.generate`` fed by a SHAKE-256 based
  deterministic byte stream (seeded with the label). Prime search in Python
  costs seconds per key, and every virtual-chip process needs the keys, so
  :func:`rsa_key` caches them per process and in a per-user cache directory
  (``$CHECKEDID_PKI_CACHE``, default ``~/.cache/checkedid/test-pki``), one file per
  derivation (its name is a hash of the seed, label and size). A file that does not
  load as an RSA key of the expected size is ignored and the key is derived again.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from Crypto.PublicKey import RSA
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = ["EC_CURVES", "DeterministicStream", "ec_key", "rsa_key"]

_SEED = b"checkedid test PKI v1 -- public test keys, never trust them"

EC_CURVES: dict[str, ec.EllipticCurve] = {
    "brainpoolP256r1": ec.BrainpoolP256R1(),
    "brainpoolP384r1": ec.BrainpoolP384R1(),
    "brainpoolP512r1": ec.BrainpoolP512R1(),
    "secp256r1": ec.SECP256R1(),
    "secp384r1": ec.SECP384R1(),
}

_ORDERS = {
    "brainpoolP256r1": 0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
    "brainpoolP384r1": int(
        "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7"
        "CF3AB6AF6B7FC3103B883202E9046565", 16),
    "brainpoolP512r1": int(
        "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870"
        "553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069", 16),
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
        "581A0DB248B0A77AECEC196ACCC52973", 16),
}


class DeterministicStream:
    """A reproducible byte stream (SHAKE-256 in counter mode) used as ``randfunc``.

    Only for deriving public test keys: it is predictable by design.
    """

    def __init__(self, label: str) -> None:
        self._key = hashlib.sha256(_SEED + label.encode()).digest()
        self._counter = 0
        self._buf = bytearray()

    def __call__(self, n: int) -> bytes:
        while len(self._buf) < n:
            block = self._key + self._counter.to_bytes(8, "big")
            self._buf += hashlib.shake_256(block).digest(136)
            self._counter += 1
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out


def _cache_dir() -> Path:
    default = Path.home() / ".cache" / "checkedid" / "test-pki"
    return Path(os.environ.get("CHECKEDID_PKI_CACHE", str(default)))


def _load_cached(path: Path, bits: int) -> rsa.RSAPrivateKey | None:
    try:
        loaded = serialization.load_der_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if isinstance(loaded, rsa.RSAPrivateKey) and loaded.key_size == bits:
        return loaded
    return None


@cache
def rsa_key(label: str, bits: int) -> rsa.RSAPrivateKey:
    """The RSA test key named ``label`` (same in every process)."""
    tag = hashlib.sha256(_SEED + f"rsa:{bits}:{label}".encode()).hexdigest()[:24]
    path = _cache_dir() / f"rsa-{bits}-{tag}.der"
    cached = _load_cached(path, bits)
    if cached is not None:
        return cached
    key = RSA.generate(bits, randfunc=DeterministicStream(f"rsa:{bits}:{label}"), e=65537)
    der = key.export_key("DER")
    loaded = serialization.load_der_private_key(der, password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    try:  # best effort: a read-only home only costs time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(der)
        os.replace(tmp, path)
    except OSError:
        pass
    return loaded


@cache
def ec_key(label: str, curve: str) -> ec.EllipticCurvePrivateKey:
    """The EC test key named ``label`` on ``curve`` (same in every process)."""
    n = _ORDERS[curve]
    digest = DeterministicStream(f"ec:{curve}:{label}")(64 + n.bit_length() // 8)
    scalar = int.from_bytes(digest, "big") % (n - 1) + 1
    return ec.derive_private_key(scalar, EC_CURVES[curve])
