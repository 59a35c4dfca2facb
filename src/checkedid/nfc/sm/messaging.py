"""Secure messaging, both directions (ICAO Doc 9303-11 §9.8; BSI TR-03110-3 §F).

A protected command carries ``DO'87'`` (padding indicator ``01`` + cryptogram; odd
INS uses ``DO'85'``, cryptogram only), ``DO'97'`` (Le, one byte or two for extended
length) and ``DO'8E'`` (MAC over ``SSC || padded header || DOs``). A protected
response carries ``DO'87'``, ``DO'99'`` (status word) and ``DO'8E'``.

* 3DES (Doc 9303-11 §9.8.6.1): two-key 3DES-CBC with a zero IV; ISO/IEC 9797-1 MAC
  algorithm 3 (retail MAC) with DES; SSC of 8 bytes.
* AES (§9.8.6.2): AES-CBC with ``IV = E(KS_enc, SSC)``; AES-CMAC truncated to 8 bytes;
  SSC of 16 bytes.

Both use ISO/IEC 9797-1 padding method 2 and increment the SSC before every command
and every response. The response MAC is checked with :func:`hmac.compare_digest`
*before* anything in the response is parsed or decrypted. Failures raise
:class:`~checkedid.errors.SecureMessagingError` naming the instruction and what
was wrong, never data or keys.

:class:`SMSession` keeps KS_enc and KS_mac in bytearrays; :meth:`SMSession.wipe`
zeroes them. :class:`SecureTransport` wraps any transport so that protocol code
above it sends plain APDUs.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from checkedid.errors import InputError, ParseError, SecureMessagingError, TLVError
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.apdu import INS, SW, Command, Response, transceive
from checkedid.nfc.sm.ciphers import (
    CIPHERS,
    MAC_LEN,
    PADS,
    Encryption,
    Mac,
    block_size,
    mac_for,
    pad,
    unpad,
)
from checkedid.secret import Secret, zero

if TYPE_CHECKING:
    from checkedid.nfc.iso7816.transport import Transport

__all__ = [
    "SMSession",
    "SecureTransport",
    "cbc_decrypt",
    "cbc_encrypt",
    "compute_mac",
    "pad",
    "unpad",
]

Buffer = bytes | bytearray | memoryview


#: The only status words a chip may answer without protection under SM (Doc 9303-11 §9.8.5).
_SM_ENDED = frozenset({SW.SM_DATA_OBJECTS_MISSING, SW.SM_DATA_OBJECTS_INCORRECT})


def cbc_encrypt(cipher: str, key: Buffer, data: Buffer, iv: bytes | None = None) -> bytes:
    """CBC-encrypt block-aligned ``data`` (zero IV unless given)."""
    return Encryption(cipher, key).encrypt(data, iv)


def cbc_decrypt(cipher: str, key: Buffer, data: Buffer, iv: bytes | None = None) -> bytes:
    """CBC-decrypt block-aligned ``data`` (zero IV unless given)."""
    return Encryption(cipher, key).decrypt(data, iv)


def compute_mac(cipher: str, key: Buffer, data: Buffer) -> bytes:
    """8-byte MAC over ``data`` padded with method 2.

    3DES: ISO/IEC 9797-1 MAC algorithm 3 (DES-CBC with Ka, then decrypt with Kb and
    encrypt with Ka on the last block). AES: CMAC (NIST SP 800-38B) truncated to 8 bytes.
    """
    return mac_for(cipher, key).compute(pad(data, block_size(cipher)))


def _le_do(le: int) -> bytes:
    """Length and value of DO'97' for ``le``."""
    if le <= 256:
        return bytes((1, le & 0xFF))
    return b"\x02" + (le & 0xFFFF).to_bytes(2, "big")


def _le_from(raw: bytes) -> int:
    if len(raw) == 1:
        return raw[0] or 256
    if len(raw) == 2:
        return int.from_bytes(raw, "big") or 65536
    raise SecureMessagingError("secure messaging: DO'97' must hold one or two bytes")


def _usual_layout(data: bytes, end: int) -> tuple[int, int] | None:
    """Where the cryptogram of the response DOs ``data[:end]`` starts, for the usual
    layout -- ``[87/85] 99`` with minimal length encodings -- found in one pass without
    the general BER-TLV parser: ``(tag, offset)`` of DO'87''s or DO'85''s value, which
    runs up to DO'99' at ``end - 4``; ``(0, 0)`` for DO'99' alone; ``None`` for any other
    layout (the caller then parses it in full)."""
    if end < 4 or data[end - 4] != 0x99 or data[end - 3] != 0x02:
        return None
    if end == 4:
        return 0, 0
    tag = data[0]
    if tag != 0x87 and tag != 0x85:
        return None
    first = data[1] if end > 5 else 0xFF
    if first < 0x80:
        length, off = first, 2
    elif first == 0x81 and end > 6 and data[2] >= 0x80:
        length, off = data[2], 3
    elif first == 0x82 and end > 7 and data[2] > 0:
        length, off = (data[2] << 8) | data[3], 4
    else:
        return None
    if off + length != end - 4:
        return None
    return tag, off


class SMSession:
    """Session keys and send sequence counter of one secure-messaging channel.

    ``cipher`` is ``"3DES"``, ``"AES-128"``, ``"AES-192"`` or ``"AES-256"``. The key
    arguments are copied into bytearrays owned by the session (a :class:`Secret` is
    read, not adopted).
    """

    __slots__ = ("_enc", "_ks_enc", "_ks_mac", "_mac_fn", "_pads", "block", "cipher", "ssc")

    def __init__(self, cipher: str, ks_enc: Buffer | Secret, ks_mac: Buffer | Secret,
                 ssc: int) -> None:
        if cipher not in CIPHERS:
            raise InputError(f"unsupported secure-messaging cipher {cipher!r}")
        enc = bytearray(ks_enc.buffer if isinstance(ks_enc, Secret) else ks_enc)
        mac = bytearray(ks_mac.buffer if isinstance(ks_mac, Secret) else ks_mac)
        want = CIPHERS[cipher]
        if len(enc) != want or len(mac) != want:
            raise InputError(f"{cipher} session keys must be {want} bytes")
        self.cipher = cipher
        self.block = block_size(cipher)
        self._pads = PADS[self.block]
        self._ks_enc: bytearray | None = enc
        self._ks_mac: bytearray | None = mac
        # Key schedules of the session keys, set up on first use and dropped by wipe().
        self._enc: Encryption | None = None
        self._mac_fn: Mac | None = None
        self.ssc = ssc % (1 << (8 * self.block))

    def __repr__(self) -> str:
        state = "wiped" if self._ks_enc is None else f"ssc={self.ssc:0{2 * self.block}X}"
        return f"<SMSession {self.cipher} {state}>"

    @property
    def wiped(self) -> bool:
        return self._ks_enc is None

    def wipe(self) -> None:
        """Zero both session keys and drop their cipher objects; the session cannot be
        used afterwards."""
        for buf in (self._ks_enc, self._ks_mac):
            if buf is not None:
                zero(buf)
        self._ks_enc = self._ks_mac = None
        self._enc = None
        self._mac_fn = None

    # -- primitives -------------------------------------------------------

    def _encryption(self) -> Encryption:
        if self._enc is None:
            if self._ks_enc is None:
                raise SecureMessagingError("secure messaging: the session keys were wiped")
            self._enc = Encryption(self.cipher, self._ks_enc)
        return self._enc

    def _mac_key(self) -> Mac:
        if self._mac_fn is None:
            if self._ks_mac is None:
                raise SecureMessagingError("secure messaging: the session keys were wiped")
            self._mac_fn = mac_for(self.cipher, self._ks_mac)
        return self._mac_fn

    def _next_ssc(self) -> bytes:
        block = self.block
        self.ssc = ssc = (self.ssc + 1) & ((1 << (8 * block)) - 1)
        return ssc.to_bytes(block, "big")

    def _mac(self, ssc: bytes, data: Buffer) -> bytes:
        # The SSC fills whole blocks, so the padding depends on ``data`` alone.
        mac = self._mac_fn or self._mac_key()
        return mac.compute(b"".join((ssc, data, self._pads[len(data) % self.block])))

    def _encrypt(self, ssc: bytes, plain: Buffer) -> bytes:
        enc = self._enc or self._encryption()
        return enc.encrypt(pad(plain, self.block), enc.sm_iv(ssc))

    def _decrypt(self, ssc: bytes, cryptogram: Buffer) -> bytes:
        enc = self._enc or self._encryption()
        return enc.decrypt_unpad(bytes(cryptogram), enc.sm_iv(ssc))

    def _verify(self, ssc: bytes, data: bytes, what: str, prefix: bytes = b"") -> bytes:
        """Check the trailing DO'8E' of ``data`` (MAC over ``SSC || prefix || DOs``);
        returns the DOs before it, still unparsed."""
        if len(data) < 2 + MAC_LEN or data[-(2 + MAC_LEN):-MAC_LEN] != b"\x8e\x08":
            raise SecureMessagingError(f"secure messaging: {what} has no DO'8E' checksum")
        body, got = data[:-(2 + MAC_LEN)], data[-MAC_LEN:]
        if not hmac.compare_digest(self._mac(ssc, prefix + body), got):
            raise SecureMessagingError(f"secure messaging: {what} MAC does not verify")
        return body

    @staticmethod
    def _objects(body: bytes, what: str) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        try:
            for item in tlv.iter_tlv(body):
                if item.tag in found:
                    raise SecureMessagingError(f"secure messaging: {what} repeats "
                                               f"DO'{item.tag:02X}'")
                found[item.tag] = bytes(item.value)
        except TLVError as exc:
            raise SecureMessagingError(f"secure messaging: {what} data objects are "
                                       f"malformed ({exc})") from None
        return found

    def _cryptogram(self, ssc: bytes, objs: dict[int, bytes], what: str) -> bytes:
        if 0x87 in objs:
            value = objs[0x87]
            if not value or value[0] != 0x01:
                raise SecureMessagingError(f"secure messaging: {what} DO'87' lacks the "
                                           "padding-content indicator 01")
            return self._decrypt(ssc, value[1:])
        if 0x85 in objs:
            return self._decrypt(ssc, objs[0x85])
        return b""

    # -- terminal side -----------------------------------------------------

    def _protect(self, cmd: Command) -> tuple[int, bytes]:
        """The protected command's CLA and data field (DOs and DO'8E')."""
        ssc = self._next_ssc()
        cla = cmd.cla | 0x0C
        header = bytes((cla, cmd.ins, cmd.p1, cmd.p2)) + self._pads[4]
        dos = b""
        if cmd.data:
            crypt = self._encrypt(ssc, cmd.data)
            if cmd.ins & 1:
                dos += tlv.encode(0x85, crypt)
            else:
                dos += tlv.encode(0x87, b"\x01" + crypt)
        if cmd.le is not None:
            dos += b"\x97" + _le_do(cmd.le)
        mac = self._mac(ssc, header + dos if dos else header)
        return cla, dos + b"\x8e\x08" + mac

    def protect_command(self, cmd: Command) -> Command:
        """Wrap a plain command (terminal side, Doc 9303-11 §9.8.4)."""
        cla, data = self._protect(cmd)
        extended = len(data) > 255 or (cmd.le is not None and cmd.le > 256)
        return Command(cla, cmd.ins, cmd.p1, cmd.p2, data, 65536 if extended else 256)

    def protect_command_bytes(self, cmd: Command, extended: bool) -> bytes:
        """:meth:`protect_command` encoded at once: extended when the plain command was
        sent in extended form (``extended``) or the protected one needs it, else short;
        Le 256 (65536 when the protected command needs extended length). The same bytes
        as ``protect_command(cmd).to_bytes(extended or ...needs_extended)``."""
        cla, data = self._protect(cmd)
        n = len(data)
        head = bytes((cla, cmd.ins, cmd.p1, cmd.p2))
        if n > 255 or (cmd.le is not None and cmd.le > 256):
            return head + b"\x00" + n.to_bytes(2, "big") + data + b"\x00\x00"
        if extended:
            return head + b"\x00" + n.to_bytes(2, "big") + data + b"\x01\x00"
        return head + bytes((n,)) + data + b"\x00"

    def protect_read_binary(self, p1: int, p2: int, le: int) -> bytes:
        """A short READ BINARY (INS B0, no data, ``le`` up to 256) protected and encoded
        (Doc 9303-11 §9.8.4, §9.8.6.3): ``0C B0 P1 P2 0D || 97 01 Le || 8E 08 MAC || 00``.
        The same bytes as :meth:`protect_command_bytes` of that command in short form;
        the MAC runs over the padded header block and the padded DO'97' block."""
        ssc = self._next_ssc()
        head = bytes((0x0C, INS.READ_BINARY, p1, p2))
        do97 = bytes((0x97, 0x01, le & 0xFF))
        pads = self._pads
        mac = (self._mac_fn or self._mac_key()).compute(
            b"".join((ssc, head, pads[4], do97, pads[3])))
        return b"".join((head, b"\x0d", do97, b"\x8e\x08", mac, b"\x00"))

    def unprotect_response(self, resp: Response) -> Response:
        """Verify and unwrap a protected response (terminal side, Doc 9303-11 §9.8.5).

        Every response under secure messaging must be protected. Only 6987 (expected SM
        data objects missing) and 6988 (SM data objects incorrect) may arrive in plain:
        the chip has ended secure messaging. Any unprotected answer — those two or any
        other status word, which an on-path attacker could have forged — raises
        :class:`SecureMessagingError` and ends the session.
        """
        return self.unprotect_response_bytes(bytes(resp.data), resp.sw)

    def unprotect_response_bytes(self, data: bytes, sw: int) -> Response:
        """:meth:`unprotect_response` of a response's data field ``data`` and its
        (unprotected) status word ``sw``."""
        ssc = self._next_ssc()
        if not data:
            if sw in _SM_ENDED:
                raise SecureMessagingError(f"secure messaging: the chip ended the session "
                                           f"(SW {sw:04X})")
            raise SecureMessagingError(f"secure messaging: an unprotected status word "
                                       f"{sw:04X} was answered (only 6987/6988 may be); "
                                       "the session has ended")
        end = len(data) - 2 - MAC_LEN
        if end < 0 or data[end] != 0x8E or data[end + 1] != MAC_LEN:
            raise SecureMessagingError("secure messaging: response has no DO'8E' checksum")
        if not hmac.compare_digest(self._mac(ssc, data[:end]), data[end + 2:]):
            raise SecureMessagingError("secure messaging: response MAC does not verify")
        layout = _usual_layout(data, end)
        if layout is None:
            return self._unwrap_objects(ssc, data[:end])
        tag, off = layout
        status = (data[end - 2] << 8) | data[end - 1]
        if tag == 0x87:
            if off == end - 4 or data[off] != 0x01:
                raise SecureMessagingError("secure messaging: response DO'87' lacks the "
                                           "padding-content indicator 01")
            off += 1
        elif not tag:
            return Response(b"", status)
        return Response(self._decrypt(ssc, data[off:end - 4]), status)

    def _unwrap_objects(self, ssc: bytes, body: bytes) -> Response:
        """The verified response DOs ``body`` in any other layout, through the general
        BER-TLV parser."""
        objs = self._objects(body, "response")
        if not set(objs) <= {0x85, 0x87, 0x99}:
            raise SecureMessagingError("secure messaging: response holds unexpected "
                                       "data objects")
        sw_raw = objs.get(0x99)
        if sw_raw is None or len(sw_raw) != 2:
            raise SecureMessagingError("secure messaging: response lacks a valid DO'99' status")
        plain = self._cryptogram(ssc, objs, "response")
        return Response(plain, int.from_bytes(sw_raw, "big"))

    # -- chip side -----------------------------------------------------------

    def unprotect_command(self, cmd: Command) -> Command:
        """Verify and unwrap a protected command (chip side, used by the virtual chip)."""
        ssc = self._next_ssc()
        header = pad(bytes((cmd.cla, cmd.ins, cmd.p1, cmd.p2)), self.block)
        body = self._verify(ssc, bytes(cmd.data), "command", header)
        objs = self._objects(body, "command")
        if not set(objs) <= {0x85, 0x87, 0x97}:
            raise SecureMessagingError("secure messaging: command holds unexpected data objects")
        plain = self._cryptogram(ssc, objs, "command")
        le = _le_from(objs[0x97]) if 0x97 in objs else None
        return Command(cmd.cla & ~0x0C & 0xFF, cmd.ins, cmd.p1, cmd.p2, plain, le)

    def protect_response(self, resp: Response) -> Response:
        """Wrap a plain response (chip side)."""
        ssc = self._next_ssc()
        dos = b""
        if resp.data:
            dos += tlv.encode(0x87, b"\x01" + self._encrypt(ssc, resp.data))
        dos += tlv.encode(0x99, (resp.sw & 0xFFFF).to_bytes(2, "big"))
        return Response(dos + b"\x8e\x08" + self._mac(ssc, dos), resp.sw)


class SecureTransport:
    """A :class:`~checkedid.nfc.iso7816.transport.Transport` that wraps every APDU in secure
    messaging.

    Response chaining (61xx) of the protected response is resolved here, below the
    MAC check, with plain GET RESPONSE commands (ISO/IEC 7816-4 §10.2).
    """

    def __init__(self, inner: Transport, session: SMSession) -> None:
        self.inner = inner
        self.session = session

    def connect(self) -> None:
        self.inner.connect()

    def disconnect(self) -> None:
        self.inner.disconnect()

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    def transmit(self, apdu: bytes) -> bytes:
        plain = Command.from_bytes(apdu)
        was_extended = len(apdu) >= 7 and apdu[4] == 0
        return self.exchange(plain, was_extended).to_bytes()

    def exchange(self, cmd: Command, extended: bool) -> Response:
        """Protect ``cmd``, send it (``extended``: the plain command's encoding was
        extended) and unwrap the answer: :meth:`transmit` without encoding the plain
        command and parsing the plain answer again."""
        return self._unwrap(transceive(self.inner.transmit,
                                       self.session.protect_command_bytes(cmd, extended)))

    def read_binary(self, p1: int, p2: int, le: int) -> Response:
        """:meth:`exchange` of a short READ BINARY (INS B0, ``le`` up to 256): the loop
        that reads a file, protected by :meth:`SMSession.protect_read_binary`."""
        session = self.session
        raw = transceive(self.inner.transmit, session.protect_read_binary(p1, p2, le))
        if len(raw) < 2:
            return self._unwrap(raw)  # the error
        return session.unprotect_response_bytes(raw[:-2], (raw[-2] << 8) | raw[-1])

    def _unwrap(self, raw: bytes) -> Response:
        if len(raw) < 2:
            raise ParseError(f"response APDU too short ({len(raw)} bytes): no status word")
        return self.session.unprotect_response_bytes(raw[:-2], (raw[-2] << 8) | raw[-1])
