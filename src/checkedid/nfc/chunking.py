"""How much one READ BINARY asks for (ICAO Doc 9303-11 §9.8, ISO/IEC 7816-4 §5.1, §12.7.1).

:class:`ChunkPolicy` chooses the Le of each READ BINARY: extended length (up to 65535,
bounded by EF.ATR/INFO's maximum response length, :func:`parse_atr_info`) when card and
reader announce it, otherwise short APDUs of 223 bytes under secure messaging — 0xDF
leaves room for the padding, DO'87', DO'99' and DO'8E' in a 256-byte response — and 256
(Le = 00) or 255 in plain. It shrinks when the card refuses a length (``6700``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checkedid.errors import LDSError, TLVError
from checkedid.nfc.iso7816 import tlv

__all__ = ["EXTENDED_MAX", "MIN_CHUNK", "SHORT_PLAIN_CHUNK", "SHORT_SM_CHUNK", "ChunkPolicy",
           "parse_atr_info"]

SHORT_SM_CHUNK = 0xDF  # Doc 9303-11 §9.8: fits a 256-byte SM response with 3DES or AES
SHORT_PLAIN_CHUNK = 0x100  # Le = 00 in a short APDU
MIN_CHUNK = 0x20
EXTENDED_MAX = 0xFFFF
SM_OVERHEAD = 48  # DO'87' header + padding indicator + padding, DO'99', DO'8E', slack


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
