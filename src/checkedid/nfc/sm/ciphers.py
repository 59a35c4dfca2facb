"""Block-cipher primitives of secure messaging (ICAO Doc 9303-11 §9.8.6; BSI TR-03110-3 §F.2).

* 3DES (Doc 9303-11 §9.8.6.1): two-key 3DES-CBC (K1 K2 K1) and ISO/IEC 9797-1 MAC
  algorithm 3 (retail MAC) with DES.
* AES (§9.8.6.2): AES-CBC, the SM IV ``E(KS_enc, SSC)`` and AES-CMAC (NIST SP 800-38B)
  truncated to 8 bytes.

Everything runs on OpenSSL through ``cryptography``. :class:`Encryption` and the MACs
set up a key's schedule once, so a secure-messaging session that keeps them (see
:class:`~checkedid.nfc.sm.messaging.SMSession`) only opens a CBC context per APDU; dropping
the objects frees the schedules (OpenSSL cleanses them when a context is freed).
"""

from __future__ import annotations

from Crypto.Cipher import DES3
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import (
    BlockCipherAlgorithm,
    Cipher,
    CipherContext,
    algorithms,
    modes,
)
from cryptography.hazmat.primitives.cmac import CMAC

from checkedid.errors import SecureMessagingError
from checkedid.nfc.crypto import suites

__all__ = ["CIPHERS", "MAC_LEN", "PADS", "AesCmac", "Encryption", "Mac", "RetailMac", "block_size",
           "mac_for", "pad", "unpad"]

Buffer = bytes | bytearray | memoryview
MAC_LEN = 8
#: Session key length per secure-messaging cipher.
CIPHERS: dict[str, int] = {suites.Cipher.TDES: 16, suites.Cipher.AES_128: 16,
                           suites.Cipher.AES_192: 24, suites.Cipher.AES_256: 32}


def block_size(cipher: str) -> int:
    return 8 if cipher == suites.Cipher.TDES else 16


#: Padding method 2 suffixes by block size and ``len(data) % block``.
PADS: dict[int, tuple[bytes, ...]] = {
    b: tuple(b"\x80" + bytes((-(r + 1)) % b) for r in range(b)) for b in (8, 16)}


def pad(data: Buffer, block: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: ``80`` then zeros up to the block size."""
    pads = PADS.get(block)
    if pads is None:
        return bytes(data) + b"\x80" + bytes((-(len(data) + 1)) % block)
    return bytes(data) + pads[len(data) % block]


def unpad(data: Buffer) -> bytes:
    """Strip padding method 2; raises :class:`SecureMessagingError` when it is absent."""
    raw = bytes(data).rstrip(b"\x00")
    if not raw or raw[-1] != 0x80:
        raise SecureMessagingError("secure messaging: decrypted data has bad padding")
    return raw[:-1]


def _two_key_3des(key: bytes) -> TripleDES:
    """Two-key 3DES as the 24-byte EDE key K1 K2 K1 (Doc 9303-11 §9.8.6.1).

    A key that degenerates to single DES (K1 = K2 up to the parity bits) is refused.
    """
    try:
        DES3.adjust_key_parity(key)
    except ValueError:
        raise SecureMessagingError("secure messaging: unusable 3DES key") from None
    return TripleDES(key + key[:8])


def _single_des(key: bytes) -> TripleDES:
    """DES as 3DES keyed K1 = K2 = K3 (NIST SP 800-67 keying option 3: identical result)."""
    return TripleDES(key * 3)


_ZERO8 = bytes(8)


class _RunningCbc:
    """One CBC context per direction kept open across messages, each message under its own IV.

    CBC chains every block to the ciphertext block before it, and an open context chains
    a new message to the last ciphertext block it saw (``_last``). Encrypting under ``iv``
    is therefore the continuation with the first plaintext block XORed by ``iv ⊕ _last``.
    Decrypting under ``iv`` is the continuation over ``iv || data``: the output of the
    ``iv`` block is dropped, and the first cryptogram block is chained to ``iv`` as CBC
    with that IV requires, whatever the context saw before. This spares an OpenSSL
    context per APDU.
    """

    __slots__ = ("_block", "_dec", "_enc", "_enc_last")

    def __init__(self, algorithm: BlockCipherAlgorithm, block: int) -> None:
        cipher = Cipher(algorithm, modes.CBC(bytes(block)))
        self._block = block
        self._enc = cipher.encryptor()
        self._dec = cipher.decryptor()
        self._enc_last = bytes(block)

    def encrypt(self, data: bytes, iv: bytes) -> bytes:
        if not data:
            return b""
        b = self._block
        # first block ⊕ iv ⊕ the running chaining value, as one integer XOR
        first = int.from_bytes(data[:b], "big") ^ int.from_bytes(self._enc_last, "big")
        if any(iv):
            first ^= int.from_bytes(iv, "big")
        out = self._enc.update(first.to_bytes(b, "big") + data[b:])
        self._enc_last = out[-b:]
        return out

    def decrypt(self, data: bytes, iv: bytes) -> bytes:
        return self._dec.update(iv + data)[self._block:]

    def decrypt_unpad(self, data: bytes, iv: bytes) -> bytes:
        """:meth:`decrypt`, and padding method 2 stripped, in one pass over the output."""
        b = self._block
        # the output starts with the dropped block of ``iv``: the padding must end after it
        raw = self._dec.update(iv + data).rstrip(b"\x00")
        if len(raw) <= b or raw[-1] != 0x80:
            raise SecureMessagingError("secure messaging: decrypted data has bad padding")
        return raw[b:-1]


class Encryption:
    """CBC encryption with one key: two-key 3DES (zero IV) or AES (IV ``E(K, SSC)``)."""

    __slots__ = ("_cbc", "_ecb", "block")

    def __init__(self, cipher: str, key: Buffer) -> None:
        raw = bytes(key)
        self.block = block_size(cipher)
        algorithm: BlockCipherAlgorithm
        self._ecb: CipherContext | None = None
        if cipher == suites.Cipher.TDES:
            algorithm = _two_key_3des(raw)
        else:
            algorithm = algorithms.AES(raw)
            # ECB on the single SSC block (the IV rule of §9.8.6.2); no state between blocks.
            self._ecb = Cipher(algorithm, modes.ECB()).encryptor()  # noqa: S305
        self._cbc = _RunningCbc(algorithm, self.block)

    def sm_iv(self, ssc: bytes) -> bytes:
        """The IV of a secure-messaging cryptogram: zero for 3DES (§9.8.6.1),
        ``E(KS_enc, SSC)`` for AES (§9.8.6.2)."""
        if self._ecb is None:
            return bytes(self.block)
        return self._ecb.update(ssc)

    def encrypt(self, data: Buffer, iv: bytes | None = None) -> bytes:
        """CBC-encrypt block-aligned ``data`` (zero IV unless given)."""
        raw = bytes(data)
        if len(raw) % self.block:
            raise SecureMessagingError("secure messaging: data not block-aligned")
        return self._cbc.encrypt(raw, iv if iv is not None else bytes(self.block))

    def decrypt(self, data: Buffer, iv: bytes | None = None) -> bytes:
        """CBC-decrypt block-aligned, non-empty ``data`` (zero IV unless given)."""
        raw = bytes(data)
        if len(raw) % self.block or not raw:
            raise SecureMessagingError("secure messaging: cryptogram length is not a whole "
                                       "number of blocks")
        return self._cbc.decrypt(raw, iv if iv is not None else bytes(self.block))


    def decrypt_unpad(self, data: bytes, iv: bytes) -> bytes:
        """:meth:`decrypt` then :func:`unpad` in one pass over the plaintext: the secure-
        messaging cryptograms, always padded with method 2 (Doc 9303-11 §9.8.6)."""
        b = self.block
        if len(data) % b or not data:
            raise SecureMessagingError("secure messaging: cryptogram length is not a whole "
                                       "number of blocks")
        return self._cbc.decrypt_unpad(data, iv)


class RetailMac:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES (Doc 9303-11 §9.8.6.1), over data already
    padded with method 2.

    DES-CBC with Ka from a zero IV over every block gives H_q; the output transformation
    is ``E(Ka, D(Kb, H_q))``. One DES-CBC context stays open across messages: a message's
    first block is XORed with the chaining value the context ended on (``_chain``), which
    is the same as starting from a zero IV.
    """

    __slots__ = ("_cbc_a", "_chain", "_dec_b", "_enc_a")

    def __init__(self, key: Buffer) -> None:
        raw = bytes(key)
        # Single DES is part of the retail MAC mandated by Doc 9303-11 §9.8.6.1.
        ka, kb = _single_des(raw[:8]), _single_des(raw[8:16])
        self._cbc_a: CipherContext = Cipher(ka, modes.CBC(_ZERO8)).encryptor()
        self._chain = 0
        # The output transformation on H_q; ECB keeps no state between blocks.
        self._dec_b: CipherContext = Cipher(kb, modes.ECB()).decryptor()  # noqa: S305
        self._enc_a: CipherContext = Cipher(ka, modes.ECB()).encryptor()  # noqa: S305

    def compute(self, padded: bytes) -> bytes:
        first = int.from_bytes(padded[:8], "big") ^ self._chain
        last = self._cbc_a.update(first.to_bytes(8, "big") + padded[8:])[-8:]
        self._chain = int.from_bytes(last, "big")
        return self._enc_a.update(self._dec_b.update(last))


class AesCmac:
    """AES-CMAC (NIST SP 800-38B) truncated to 8 bytes (Doc 9303-11 §9.8.6.2)."""

    __slots__ = ("_cmac",)

    def __init__(self, key: Buffer) -> None:
        self._cmac = CMAC(algorithms.AES(bytes(key)))

    def compute(self, padded: bytes) -> bytes:
        mac = self._cmac.copy()
        mac.update(padded)
        return mac.finalize()[:MAC_LEN]


Mac = RetailMac | AesCmac


def mac_for(cipher: str, key: Buffer) -> Mac:
    """The secure-messaging MAC of ``cipher`` keyed with ``key``."""
    return RetailMac(key) if cipher == suites.Cipher.TDES else AesCmac(key)
