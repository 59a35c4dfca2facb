"""The chip's own ISO/IEC 7816-4 plumbing: status words, APDUs and BER-TLV.

The virtual chip parses commands and builds responses itself instead of borrowing the
library's reader-side classes, so that a parsing bug on one side cannot hide the same bug
on the other.

* :class:`SW` — the status words the chip answers (ISO/IEC 7816-4 §5.6, Tables 5-6;
  ICAO Doc 9303-11 §9.8.6 for the secure-messaging ones).
* :class:`Command` / :class:`Response` — command APDU cases 1-4, short and extended
  (ISO/IEC 7816-4 §5.1); ``le`` is ``None`` (no Le field) or 1..65536 (Le = 00 means 256
  in short form, 0000 means 65536 in extended form).
* :func:`tlv`, :func:`tlv_items`, :func:`tlv_list`, :func:`tlv_one` — BER-TLV with one- to
  three-byte tags and definite lengths (ISO/IEC 7816-4 §6.3; ISO/IEC 8825-1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["SW", "ApduError", "Command", "Response", "TlvError", "tlv", "tlv_items", "tlv_list",
           "tlv_one"]


class SW(IntEnum):
    """Status words of the virtual chip (ISO/IEC 7816-4 §5.6)."""

    OK = 0x9000
    END_OF_FILE = 0x6282
    VERIFICATION_FAILED = 0x6300
    MEMORY_FAILURE = 0x6581
    WRONG_LENGTH = 0x6700
    LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881
    SM_NOT_SUPPORTED = 0x6882
    LAST_COMMAND_EXPECTED = 0x6883
    COMMAND_INCOMPATIBLE = 0x6981
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983
    REFERENCE_DATA_NOT_USABLE = 0x6984
    CONDITIONS_NOT_SATISFIED = 0x6985
    COMMAND_NOT_ALLOWED_NO_EF = 0x6986
    SM_DATA_OBJECTS_MISSING = 0x6987
    SM_DATA_OBJECTS_INCORRECT = 0x6988
    WRONG_DATA = 0x6A80
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    RECORD_NOT_FOUND = 0x6A83
    WRONG_P1P2 = 0x6A86
    REFERENCED_DATA_NOT_FOUND = 0x6A88
    WRONG_OFFSET = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    UNKNOWN = 0x6F00


class ApduError(ValueError):
    """A command APDU whose length fields do not match its body."""


class TlvError(ValueError):
    """Malformed BER-TLV in a command data field."""


@dataclass(frozen=True)
class Command:
    """A command APDU as the chip received it (ISO/IEC 7816-4 §5.1)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    @classmethod
    def from_bytes(cls, raw: bytes | bytearray | memoryview) -> Command:
        """Parse cases 1-4, short or extended; :class:`ApduError` when lengths disagree."""
        raw = bytes(raw)
        if len(raw) < 4:
            raise ApduError("command shorter than its header")
        head = (raw[0], raw[1], raw[2], raw[3])
        body = raw[4:]
        n = len(body)
        if n == 0:
            return cls(*head)
        if n == 1:
            return cls(*head, b"", body[0] or 256)
        if body[0]:
            lc = body[0]
            if n == 1 + lc:
                return cls(*head, body[1:], None)
            if n == 2 + lc:
                return cls(*head, body[1:-1], body[-1] or 256)
            raise ApduError("short Lc does not match the body")
        if n == 3:
            return cls(*head, b"", int.from_bytes(body[1:3], "big") or 65536)
        lc = int.from_bytes(body[1:3], "big") if n > 3 else 0
        if lc == 0:
            raise ApduError("extended body without a usable Lc")
        if n == 3 + lc:
            return cls(*head, body[3:], None)
        if n == 5 + lc:
            return cls(*head, body[3:-2], int.from_bytes(body[-2:], "big") or 65536)
        raise ApduError("extended Lc does not match the body")

    def header(self) -> bytes:
        return bytes((self.cla, self.ins, self.p1, self.p2))


@dataclass(frozen=True)
class Response:
    """A response APDU: data field and status word."""

    data: bytes = b""
    sw: int = SW.OK

    def to_bytes(self) -> bytes:
        return bytes(self.data) + (int(self.sw) & 0xFFFF).to_bytes(2, "big")


# --------------------------------------------------------------------------- BER-TLV
def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, value: bytes | bytearray) -> bytes:
    """One BER-TLV data object; ``tag`` as an integer (``0x7F49`` is two bytes)."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    return tag_bytes + _length(len(value)) + bytes(value)


def _read(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """The TLV starting at ``pos``: ``(tag, value, next position)``."""
    end = len(data)
    if pos >= end:
        raise TlvError("empty TLV")
    start = pos
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        while True:
            if pos >= end or pos - start > 2:
                raise TlvError("truncated or overlong tag")
            tag = tag << 8 | data[pos]
            pos += 1
            if not tag & 0x80:
                break
    if pos >= end:
        raise TlvError("missing length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 3 or pos + count > end:
            raise TlvError("bad length field")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        raise TlvError("value runs past the data")
    return tag, data[pos:pos + length], pos + length


def tlv_list(data: bytes | bytearray) -> list[tuple[int, bytes]]:
    """A concatenation of TLVs as ``[(tag, value), ...]`` in order (tags may repeat)."""
    raw = bytes(data)
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(raw):
        tag, value, pos = _read(raw, pos)
        out.append((tag, value))
    return out


def tlv_items(data: bytes | bytearray) -> dict[int, bytes]:
    """A concatenation of TLVs as ``{tag: value}``; duplicate tags are refused."""
    out: dict[int, bytes] = {}
    for tag, value in tlv_list(data):
        if tag in out:
            raise TlvError(f"duplicate tag {tag:X}")
        out[tag] = value
    return out


def tlv_one(data: bytes | bytearray, tag: int) -> bytes:
    """The value of exactly one TLV with ``tag`` spanning all of ``data``."""
    raw = bytes(data)
    found, value, end = _read(raw, 0)
    if found != tag or end != len(raw):
        raise TlvError(f"expected exactly one {tag:X} object")
    return value
