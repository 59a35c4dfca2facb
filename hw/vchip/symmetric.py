"""The chip's symmetric cryptography: ciphers, MACs, padding and the key derivation.

Built directly on pycryptodome's DES3/AES block ciphers and hashlib:

* ISO/IEC 9797-1 padding method 2 (``80 00 ..``), used by secure messaging and the MACs
  (ICAO Doc 9303-11 §9.8.6).
* Two-key 3DES in CBC mode with a zero IV and AES in CBC mode with a caller-supplied IV
  (Doc 9303-11 §9.8.6.1 / §9.8.7).
* ISO/IEC 9797-1 MAC algorithm 3 (the "retail MAC": single-DES CBC with K_a, final block
  through K_b^-1 then K_a) and AES-CMAC (NIST SP 800-38B) truncated to 8 bytes.
* The key derivation function of Doc 9303-11 §9.7.1: ``keydata = H(K || c)`` with the
  32-bit counter ``c`` (1 = KS_enc, 2 = KS_mac, 3 = K_π); SHA-1 for 3DES and AES-128,
  SHA-256 for AES-192/256; 3DES keys get their DES parity bits set.
"""

from __future__ import annotations

import hashlib
from typing import Any

from Crypto.Cipher import AES, DES, DES3
from Crypto.Hash import CMAC

Buffer = bytes | bytearray | memoryview

__all__ = ["CIPHERS", "ENC", "MAC", "PI", "block_size", "cbc_decrypt", "cbc_encrypt", "derive_key",
           "ecb_encrypt", "key_size", "mac", "pad", "unpad"]

#: Key length in bytes of each cipher suite name used by the personas and PACEInfo OIDs.
CIPHERS = {"3DES": 16, "AES-128": 16, "AES-192": 24, "AES-256": 32}
ENC, MAC, PI = 1, 2, 3  # KDF counters (Doc 9303-11 §9.7.1)


def key_size(cipher: str) -> int:
    return CIPHERS[cipher]


def block_size(cipher: str) -> int:
    return 8 if cipher == "3DES" else 16


def pad(data: Buffer, block: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: append 80, then 00 up to a multiple of ``block``."""
    raw = bytes(data) + b"\x80"
    return raw + bytes(-len(raw) % block)


def unpad(data: Buffer) -> bytes:
    """Remove method-2 padding; ``ValueError`` when there is none."""
    raw = bytes(data).rstrip(b"\x00")
    if not raw or raw[-1] != 0x80:
        raise ValueError("padding indicator 80 missing")
    return raw[:-1]


def _set_parity(key: bytes) -> bytes:
    """Each DES key byte gets odd parity in its low bit (FIPS 46-3 §2)."""
    return bytes((b & 0xFE) | (bin(b >> 1).count("1") + 1) % 2 for b in key)


def derive_key(secret: Buffer, counter: int, cipher: str) -> bytes:
    """Doc 9303-11 §9.7.1: the ``cipher`` key for ``counter`` from the shared ``secret``."""
    size = key_size(cipher)
    data = bytes(secret) + counter.to_bytes(4, "big")
    if cipher in ("3DES", "AES-128"):
        digest = hashlib.sha1(data).digest()  # noqa: S324 - mandated by Doc 9303-11 §9.7.1
    else:
        digest = hashlib.sha256(data).digest()
    key = digest[:size]
    return _set_parity(key) if cipher == "3DES" else key


def _des3(key: Buffer, iv: bytes) -> Any:
    return DES3.new(bytes(key), DES3.MODE_CBC, iv=iv)


def cbc_encrypt(cipher: str, key: Buffer, data: Buffer, iv: bytes | None = None) -> bytes:
    """CBC encryption of block-aligned ``data`` (zero IV unless given)."""
    iv = iv if iv is not None else bytes(block_size(cipher))
    if cipher == "3DES":
        return bytes(_des3(key, iv).encrypt(bytes(data)))
    return bytes(AES.new(bytes(key), AES.MODE_CBC, iv=iv).encrypt(bytes(data)))


def cbc_decrypt(cipher: str, key: Buffer, data: Buffer, iv: bytes | None = None) -> bytes:
    """CBC decryption of block-aligned ``data`` (zero IV unless given)."""
    iv = iv if iv is not None else bytes(block_size(cipher))
    if cipher == "3DES":
        return bytes(_des3(key, iv).decrypt(bytes(data)))
    return bytes(AES.new(bytes(key), AES.MODE_CBC, iv=iv).decrypt(bytes(data)))


def ecb_encrypt(cipher: str, key: Buffer, block: bytes) -> bytes:
    """One block through the raw cipher (AES IVs, Doc 9303-11 §9.8.6.1)."""
    if cipher == "3DES":
        return bytes(DES3.new(bytes(key), DES3.MODE_ECB).encrypt(block))
    return bytes(AES.new(bytes(key), AES.MODE_ECB).encrypt(block))


def _retail_mac(key: bytes, padded: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 over already padded data; ``key = K_a || K_b``."""
    k_a, k_b = key[:8], key[8:16]
    chain = DES.new(k_a, DES.MODE_CBC, iv=bytes(8)).encrypt(padded)[-8:]  # noqa: S304
    chain = DES.new(k_b, DES.MODE_ECB).decrypt(chain)  # noqa: S304 - ISO/IEC 9797-1 alg. 3
    return bytes(DES.new(k_a, DES.MODE_ECB).encrypt(chain))  # noqa: S304


def mac(cipher: str, key: Buffer, data: Buffer, *, padded: bool = True) -> bytes:
    """The 8-byte MAC of Doc 9303-11 §9.8.6.2 (retail MAC for 3DES, AES-CMAC otherwise).

    The retail MAC always pads (ISO/IEC 9797-1 method 2). For AES, ``padded=True`` pads
    first (secure messaging); the AES PACE token is a CMAC over the unpadded input
    (``padded=False``, Doc 9303-11 §4.4.3.4).
    """
    raw = bytes(data)
    if cipher == "3DES":
        return _retail_mac(bytes(key), pad(raw, 8))
    msg = pad(raw, 16) if padded else raw
    return bytes(CMAC.new(bytes(key), msg=msg, ciphermod=AES).digest()[:8])
