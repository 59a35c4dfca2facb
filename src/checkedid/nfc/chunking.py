"""How much one READ BINARY asks for, and in which form beyond offset 32767 (ICAO Doc
9303-11 §9.8, ISO/IEC 7816-4 §5.1, §11.3.3, §12.7.1).

:class:`ChunkPolicy` chooses the Le of each READ BINARY: extended length (up to 65535,
bounded by EF.ATR/INFO's maximum response length, :func:`parse_atr_info`) when card and
reader announce it, otherwise short APDUs of 223 bytes under secure messaging — 0xDF
leaves room for the padding, DO'87', DO'99' and DO'8E' in a 256-byte response — and 256
(Le = 00) or 255 in plain. It shrinks when the card refuses a length (``6700``).

READ BINARY B0 carries a 15-bit offset in P1-P2; beyond 32767 a read takes the odd INS B1
(:func:`odd_command`: the offset in DO'54', the answer in DO'53', :func:`odd_payload`) or,
from a chip that refuses B1, one B0 at offset 32767 whose Le reaches on (:func:`far_command`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checkedid.errors import LDSError, ProtocolError, TLVError
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.apdu import INS, SW, Command

__all__ = ["EXTENDED_MAX", "MAX_EVEN_OFFSET", "MIN_CHUNK", "ODD_INS_REFUSED", "SHORT_PLAIN_CHUNK",
           "SHORT_SM_CHUNK", "ChunkPolicy", "far_command", "odd_command", "odd_payload",
           "parse_atr_info"]

SHORT_SM_CHUNK = 0xDF  # Doc 9303-11 §9.8: fits a 256-byte SM response with 3DES or AES
SHORT_PLAIN_CHUNK = 0x100  # Le = 00 in a short APDU
MIN_CHUNK = 0x20
EXTENDED_MAX = 0xFFFF
SM_OVERHEAD = 48  # DO'87' header + padding indicator + padding, DO'99', DO'8E', slack
MAX_EVEN_OFFSET = 0x7FFF  # READ BINARY B0: 15-bit offset in P1-P2 (ISO/IEC 7816-4 §11.3.3)
#: Answers of a chip that does not implement READ BINARY with the odd INS (B1).
ODD_INS_REFUSED = frozenset({SW.INS_NOT_SUPPORTED, SW.WRONG_P1P2, SW.FUNCTION_NOT_SUPPORTED,
                             SW.WRONG_DATA, SW.CLA_NOT_SUPPORTED})


def parse_atr_info(raw: bytes | bytearray) -> int | None:
    """Maximum response length from EF.ATR/INFO's DO'7F66' (ISO/IEC 7816-4 §12.7.1), or None.

    DO'7F66' holds two INTEGERs: the maximum command and the maximum response length
    the card accepts in extended-length APDUs.
    """
    try:
        found = tlv.find(bytes(raw), 0x7F66)
        if found is None:
            return None
        body = bytes(found)
        ints: list[int] = []
        while body and len(ints) < 2:
            tag, hlen, vlen = tlv.header_length(body)
            if tag == 0x02 and 0 < vlen <= 4:
                ints.append(int.from_bytes(body[hlen:hlen + vlen], "big"))
            body = body[hlen + vlen:]
    except (TLVError, LDSError):
        return None
    return ints[1] if len(ints) == 2 and ints[1] > 0 else None


@dataclass
class ChunkPolicy:
    """How many bytes one READ BINARY asks for; shrinks when the card refuses a length.

    ``extended``: card and reader take extended Le. ``max_response``: the card's
    limit from EF.ATR/INFO (response data bytes). ``fixed``: a fixed chunk (used by
    the benchmark's baseline and for cards known to need it).
    """

    extended: bool = False
    max_response: int = EXTENDED_MAX
    fixed: int | None = None
    shrunk: int = 0
    le_zero: bool = True  # a plain short Le = 00 means 256 to the chip (not all agree)

    def size(self, secure: bool) -> int:
        """The data bytes to request in one READ BINARY."""
        if self.fixed is not None:
            return self.fixed
        if self.extended:
            limit = min(self.max_response, EXTENDED_MAX)
            if secure:  # padding rounds up to 16 bytes; keep one byte for the padding marker
                limit = ((limit - SM_OVERHEAD) // 16) * 16 - 1
            return max(limit, MIN_CHUNK)
        if secure:
            return SHORT_SM_CHUNK
        return SHORT_PLAIN_CHUNK if self.le_zero else SHORT_PLAIN_CHUNK - 1

    def shrink(self, secure: bool) -> bool:
        """Halve the chunk after ``6700`` (down to short APDUs, then further); False
        when it cannot get smaller."""
        current = self.size(secure)
        if current <= MIN_CHUNK:
            return False
        self.shrunk += 1
        smaller = current // 2
        if current > SHORT_SM_CHUNK >= smaller:
            smaller = SHORT_SM_CHUNK
        self.fixed = max(MIN_CHUNK, smaller)
        self.extended = self.fixed > SHORT_PLAIN_CHUNK
        return True

    def use_short(self) -> None:
        """Fall back to short APDUs (a reader that does not carry extended ones)."""
        self.extended, self.fixed = False, None
        self.shrunk += 1

    def describe(self, secure: bool = True) -> dict[str, Any]:
        return {"extended_length": self.extended, "chunk_size": self.size(secure),
                "chunk_shrunk": self.shrunk}


def far_command(offset: int, want: int, size: int, file: str) -> tuple[Command, int]:
    """Without the odd INS, bytes beyond offset 32767 are reachable only by one READ
    BINARY B0 at offset 32767 whose (extended) Le reaches them; the bytes before
    ``offset`` are read again and dropped. ``size`` is the policy's chunk. Returns the
    command and how many to drop."""
    skip = offset - MAX_EVEN_OFFSET
    le = min(skip + want, size)
    if le <= skip:
        raise LDSError("the chip does not take READ BINARY with offsets beyond 32767 "
                       "(odd INS refused) and the file is longer than one read from "
                       "there can reach", file=file)
    return Command(0x00, INS.READ_BINARY, MAX_EVEN_OFFSET >> 8, MAX_EVEN_OFFSET & 0xFF,
                   b"", le), skip


def odd_command(offset: int, want: int, size: int) -> Command:
    """READ BINARY B1: offset in DO'54' (ISO 7816-4 §11.3.3); answer wrapped in DO'53'."""
    head = 2 if want < 0x80 else 3 if want < 0x100 else 4
    size = min(want + head, size)
    want = size - head
    off = offset.to_bytes((offset.bit_length() + 7) // 8, "big")
    return Command(0x00, INS.READ_BINARY_ODD, 0x00, 0x00,
                   b"\x54" + bytes([len(off)]) + off, size)


def odd_payload(data: bytes, step: str) -> bytes:
    """The value of the DO'53' an odd-INS READ BINARY answers with."""
    if not data:
        return b""
    try:
        tag, hlen, vlen = tlv.header_length(data)
    except TLVError as exc:
        raise ProtocolError(f"the odd-INS answer is not a DO'53' ({exc})", step=step) from None
    if tag != 0x53 or hlen + vlen > len(data):
        raise ProtocolError("the odd-INS answer is not a complete DO'53'", step=step)
    return data[hlen:hlen + vlen]
