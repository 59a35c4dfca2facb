"""Key derivation for BAC, PACE and secure messaging (ICAO Doc 9303-11 §9.7.1, §4.3.2).

``KDF(K, c) = H(K || c)`` with ``c`` a 32-bit big-endian counter: ``ENC = 1``,
``MAC = 2``, ``PACE = 3``. SHA-1 serves 3DES and AES-128, SHA-256 serves AES-192
and AES-256 (Doc 9303-11 §9.7.1.1-9.7.1.2). 3DES keys are the first 16 bytes of the
hash (two-key 3DES, ``Ka || Kb``) with DES parity bits adjusted.

The BAC key seed is the first 16 bytes of SHA-1 over the MRZ information
(document number + check digit, date of birth + check digit, date of expiry +
check digit; Doc 9303-11 §9.7.2).

Derived keys are returned as ``bytes`` (hashlib hands out immutable ``bytes``
anyway); :func:`derive_secret` puts them straight into a :class:`Secret` for
callers that keep them. Neither the input nor the output is ever logged.
"""

from __future__ import annotations

import hashlib
from typing import Final

from checkedid.errors import InputError
from checkedid.nfc.crypto.suites import Cipher
from checkedid.secret import Secret

__all__ = [
    "CIPHERS",
    "ENC",
    "MAC",
    "PACE",
    "adjust_parity",
    "bac_seed",
    "derive",
    "derive_secret",
    "key_length",
]

ENC: Final = 1
MAC: Final = 2
PACE: Final = 3

#: Cipher name -> (key length in bytes, hash name).
CIPHERS: Final[dict[str, tuple[int, str]]] = {
    Cipher.TDES: (16, "sha1"),
    Cipher.AES_128: (16, "sha1"),
    Cipher.AES_192: (24, "sha256"),
    Cipher.AES_256: (32, "sha256"),
}

KeyInput = bytes | bytearray | memoryview | Secret


def _raw(secret: KeyInput) -> bytes | bytearray | memoryview:
    return secret.buffer if isinstance(secret, Secret) else secret


def key_length(cipher: str) -> int:
    """Key length in bytes of a cipher name (``"3DES"``, ``"AES-128"`` ...)."""
    try:
        return CIPHERS[cipher][0]
    except KeyError:
        raise InputError(f"unsupported cipher {cipher!r}; expected one of "
                         f"{', '.join(CIPHERS)}") from None


def adjust_parity(key: bytes | bytearray | memoryview) -> bytes:
    """Set each byte's least significant bit for odd parity (DES keys, FIPS 46-3)."""
    out = bytearray(key)
    for i, b in enumerate(out):
        high = b & 0xFE
        out[i] = high | ((bin(high).count("1") + 1) & 1)
    return bytes(out)


def derive(secret: KeyInput, counter: int, cipher: str) -> bytes:
    """``KDF(secret, counter)`` for ``cipher`` (Doc 9303-11 §9.7.1).

    >>> derive(bytes.fromhex("239AB9CB282DAF66231DC5A4DF6BFBAE"), ENC, "3DES").hex().upper()
    'AB94FDECF2674FDFB9B391F85D7F76F2'
    """
    length = key_length(cipher)
    if not 0 <= counter <= 0xFFFFFFFF:
        raise InputError(f"KDF counter {counter} out of range")
    h = hashlib.new(CIPHERS[cipher][1])
    h.update(_raw(secret))
    h.update(counter.to_bytes(4, "big"))
    digest = h.digest()[:length]
    if cipher == Cipher.TDES:
        return adjust_parity(digest)
    return digest


def derive_secret(secret: KeyInput, counter: int, cipher: str, *, label: str = "key") -> Secret:
    """:func:`derive` with the result in a wipeable :class:`Secret`."""
    return Secret(derive(secret, counter, cipher), label=label)


def bac_seed(mrz_information: KeyInput) -> bytes:
    """``K_seed``: the first 16 bytes of SHA-1 over the MRZ information (Doc 9303-11 §9.7.2).

    >>> bac_seed(b"L898902C<369080619406236").hex().upper()
    '239AB9CB282DAF66231DC5A4DF6BFBAE'
    """
    raw = _raw(mrz_information)
    if len(raw) == 0:
        raise InputError("the MRZ information for BAC is empty")
    return hashlib.sha1(raw).digest()[:16]  # noqa: S324 - mandated by Doc 9303-11 §9.7.2
