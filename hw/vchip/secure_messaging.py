"""Secure messaging, chip side (ICAO Doc 9303-11 §9.8; ISO/IEC 7816-4 §10).

:class:`ChipSession` holds KS_enc, KS_mac and the send sequence counter of one session
(3DES after BAC or PACE/CA with 3DES; AES-128/192/256 after PACE or CA with AES) and
does the chip's half of every exchange:

* :meth:`ChipSession.unwrap_command` — increment SSC, check DO'8E' (the MAC over
  ``SSC || pad(CLA INS P1 P2) || DO'87'/'85' || DO'97'``), decrypt DO'87' (padding-content
  indicator 01 + cryptogram) or DO'85' (odd INS: cryptogram only) and return the plain
  command with the Le of DO'97'.
* :meth:`ChipSession.wrap_response` — increment SSC, encrypt the data into DO'87'
  (DO'85' for an odd INS), add DO'99' (the status word) and DO'8E'.

The SSC is 8 bytes for 3DES and 16 bytes for AES (one cipher block); the encryption IV
is zero for 3DES and ``E(KS_enc, SSC)`` for AES (§9.8.6.1). Any malformed or
unauthenticated command raises :class:`SMError`; the router then answers 6987/6988 and
drops the session (§9.8.6.3).
"""

from __future__ import annotations

import hmac

from hw.vchip import symmetric
from hw.vchip.iso7816 import Command, Response, TlvError, tlv, tlv_items

__all__ = ["ChipSession", "SMError"]


class SMError(ValueError):
    """A protected command the chip cannot accept (missing or wrong data objects, bad MAC)."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


def _decode_le(raw: bytes) -> int:
    if len(raw) == 1:
        return raw[0] or 256
    if len(raw) == 2:
        return int.from_bytes(raw, "big") or 65536
    raise SMError("DO'97' must hold one or two bytes")


class ChipSession:
    """One secure-messaging session as the chip sees it."""

    def __init__(self, cipher: str, ks_enc: bytes | bytearray, ks_mac: bytes | bytearray,
                 ssc: int) -> None:
        if cipher not in symmetric.CIPHERS:
            raise ValueError(f"no secure messaging for cipher {cipher!r}")
        self.cipher = cipher
        self.block = symmetric.block_size(cipher)
        self._enc = bytes(ks_enc)
        self._mac = bytes(ks_mac)
        self.ssc = ssc

    def __repr__(self) -> str:
        return f"<ChipSession {self.cipher}>"

    # ------------------------------------------------------------------ primitives
    def _step(self) -> bytes:
        self.ssc = (self.ssc + 1) % (1 << (8 * self.block))
        return self.ssc.to_bytes(self.block, "big")

    def _iv(self, ssc: bytes) -> bytes:
        if self.cipher == "3DES":
            return bytes(8)
        return symmetric.ecb_encrypt(self.cipher, self._enc, ssc)

    def _checksum(self, ssc: bytes, data: bytes) -> bytes:
        return symmetric.mac(self.cipher, self._mac, ssc + data)

    # ------------------------------------------------------------------ command
    def unwrap_command(self, cmd: Command) -> Command:
        """The plain command inside a protected one (raises :class:`SMError`)."""
        ssc = self._step()
        try:
            objects = tlv_items(cmd.data)
        except TlvError as exc:
            raise SMError(f"protected data field is not BER-TLV: {exc}") from None
        if not set(objects) <= {0x85, 0x87, 0x97, 0x8E}:
            raise SMError("unexpected data object in a protected command")
        checksum = objects.get(0x8E)
        if checksum is None:
            raise SMError("DO'8E' missing", missing=True)
        if 0x85 in objects and 0x87 in objects:
            raise SMError("both DO'85' and DO'87'")
        header = symmetric.pad(bytes((cmd.cla, cmd.ins, cmd.p1, cmd.p2)), self.block)
        covered = b"".join(tlv(tag, objects[tag]) for tag in (0x85, 0x87, 0x97) if tag in objects)
        expected = self._checksum(ssc, header + covered)
        if not hmac.compare_digest(expected, checksum):
            raise SMError("command MAC does not verify")
        data = b""
        if 0x87 in objects:
            body = objects[0x87]
            if not body or body[0] != 0x01:
                raise SMError("DO'87' without padding-content indicator 01")
            data = self._decrypt(ssc, body[1:])
        elif 0x85 in objects:
            data = self._decrypt(ssc, objects[0x85])
        le = _decode_le(objects[0x97]) if 0x97 in objects else None
        return Command(cmd.cla & 0xF3, cmd.ins, cmd.p1, cmd.p2, data, le)

    def _decrypt(self, ssc: bytes, cryptogram: bytes) -> bytes:
        if not cryptogram or len(cryptogram) % self.block:
            raise SMError("cryptogram is not a whole number of blocks")
        plain = symmetric.cbc_decrypt(self.cipher, self._enc, cryptogram, self._iv(ssc))
        try:
            return symmetric.unpad(plain)
        except ValueError:
            raise SMError("cryptogram padding is wrong") from None

    # ------------------------------------------------------------------ response
    def wrap_response(self, resp: Response, ins: int) -> Response:
        """Protect the chip's answer to the command with instruction byte ``ins``."""
        ssc = self._step()
        objects = b""
        data = bytes(resp.data)
        if data:
            crypt = symmetric.cbc_encrypt(self.cipher, self._enc,
                                          symmetric.pad(data, self.block), self._iv(ssc))
            objects += tlv(0x85, crypt) if ins & 1 else tlv(0x87, b"\x01" + crypt)
        objects += tlv(0x99, (int(resp.sw) & 0xFFFF).to_bytes(2, "big"))
        return Response(objects + tlv(0x8E, self._checksum(ssc, objects)), resp.sw)

