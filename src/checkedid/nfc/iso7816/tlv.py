"""The BER-TLV codec of checkedid (ISO/IEC 7816-4 §5.2.2, ISO/IEC 8825-1; ICAO Doc 9303-10 §4).

Tags are 1 to 3 bytes (a first byte with low bits ``11111`` continues while bit 8
of the next byte is set); lengths are definite, short form (< 0x80) or long form
``81``..``84`` followed by 1 to 4 length bytes. The indefinite form (``80``) is not
used by eMRTDs and is rejected. Anything malformed raises
:class:`~checkedid.errors.TLVError` carrying the offset where decoding stopped;
no ``IndexError`` ever leaves this module.

Tags are handled as integers of their encoded bytes (``0x5F1F``, ``0x7F61``, ``0x61``).
Decoded values are ``memoryview`` slices of the input (no copy); call ``bytes()`` on
them when a copy is wanted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from checkedid.errors import TLVError

__all__ = [
    "TLV",
    "decode_one",
    "encode",
    "encode_length",
    "encode_tag",
    "find",
    "find_all",
    "header_length",
    "is_constructed",
    "iter_tlv",
    "parse",
]

Buffer = bytes | bytearray | memoryview

MAX_TAG_BYTES = 3
MAX_LENGTH_BYTES = 4
#: Nesting limit of the recursive helpers; LDS structures nest a handful of levels, so a
#: deeper input is hostile (without a limit it would end in RecursionError).
MAX_DEPTH = 32


class TLV(NamedTuple):
    """One decoded data object: tag, value (a view into the input), offset of the next object."""

    tag: int
    value: memoryview
    next_offset: int


def is_constructed(tag: int) -> bool:
    """True when the tag's first byte has the constructed bit (b6, 0x20) set."""
    first = tag
    while first > 0xFF:
        first >>= 8
    return bool(first & 0x20)


def encode_tag(tag: int) -> bytes:
    """The encoded bytes of an integer tag (1..3 bytes), validated."""
    if tag < 0 or tag > 0xFFFFFF:
        raise TLVError(f"tag {tag:#x} does not fit in {MAX_TAG_BYTES} bytes")
    n = 1 if tag <= 0xFF else (2 if tag <= 0xFFFF else 3)
    raw = tag.to_bytes(n, "big")
    if raw[0] in (0x00, 0xFF):
        raise TLVError(f"tag {tag:#x}: first byte 00/FF is not a valid tag")
    if n > 1:
        if raw[0] & 0x1F != 0x1F:
            raise TLVError(f"tag {tag:#x}: first byte does not announce a multi-byte tag")
        if any(b & 0x80 == 0 for b in raw[1:-1]) or raw[-1] & 0x80:
            raise TLVError(f"tag {tag:#x}: continuation bits are inconsistent")
    elif raw[0] & 0x1F == 0x1F:
        raise TLVError(f"tag {tag:#x}: a one-byte tag cannot have low bits 11111")
    return raw


def encode_length(length: int) -> bytes:
    """Definite length in the shortest form (ISO/IEC 8825-1 §8.1.3)."""
    if length < 0:
        raise TLVError("negative length")
    if length < 0x80:
        return bytes([length])
    n = (length.bit_length() + 7) // 8
    if n > MAX_LENGTH_BYTES:
        raise TLVError(f"length {length} needs more than {MAX_LENGTH_BYTES} bytes")
    return bytes([0x80 | n]) + length.to_bytes(n, "big")


def encode(tag: int, value: Buffer) -> bytes:
    """Encode one data object."""
    return encode_tag(tag) + encode_length(len(value)) + bytes(value)


def _view(buf: Buffer) -> memoryview:
    view = memoryview(buf)
    if view.ndim != 1 or view.format != "B":
        view = view.cast("B")
    return view


def _read_tag(buf: memoryview, offset: int) -> tuple[int, int]:
    end = len(buf)
    if offset >= end:
        raise TLVError("truncated data: tag expected", offset=offset)
    first = buf[offset]
    if first in (0x00, 0xFF):
        raise TLVError(f"invalid tag byte {first:02X}", offset=offset)
    tag = first
    pos = offset + 1
    if first & 0x1F == 0x1F:
        while True:
            if pos >= end:
                raise TLVError("truncated multi-byte tag", offset=pos)
            b = buf[pos]
            tag = (tag << 8) | b
            pos += 1
            if pos - offset > MAX_TAG_BYTES:
                raise TLVError(f"tag longer than {MAX_TAG_BYTES} bytes", offset=offset)
            if not b & 0x80:
                break
    return tag, pos


def _read_length(buf: memoryview, offset: int) -> tuple[int, int]:
    end = len(buf)
    if offset >= end:
        raise TLVError("truncated data: length expected", offset=offset)
    first = buf[offset]
    if first < 0x80:
        return first, offset + 1
    n = first & 0x7F
    if n == 0:
        raise TLVError("indefinite length is not allowed", offset=offset)
    if n > MAX_LENGTH_BYTES:
        raise TLVError(f"length field of {n} bytes is too long", offset=offset)
    if offset + 1 + n > end:
        raise TLVError("truncated length field", offset=offset)
    return int.from_bytes(buf[offset + 1:offset + 1 + n], "big"), offset + 1 + n


def header_length(buf: Buffer, offset: int = 0) -> tuple[int, int, int]:
    """``(tag, header_len, value_len)`` from the first bytes of an object.

    Only the header must be present (at most 3 + 5 bytes), so a reader can learn a
    file's total size (``header_len + value_len``) from its first few bytes.
    """
    view = _view(buf)
    tag, pos = _read_tag(view, offset)
    length, pos = _read_length(view, pos)
    return tag, pos - offset, length


def decode_one(buf: Buffer, offset: int = 0) -> TLV:
    """Decode the data object at ``offset``; the value must be entirely present."""
    view = _view(buf)
    tag, pos = _read_tag(view, offset)
    length, pos = _read_length(view, pos)
    end = pos + length
    if end > len(view):
        raise TLVError(f"value of tag {tag:X} runs {end - len(view)} bytes past the data",
                       offset=offset)
    return TLV(tag, view[pos:end], end)


def iter_tlv(buf: Buffer, *, allow_padding: bool = False) -> Iterator[TLV]:
    """Every top-level data object of ``buf`` in order.

    With ``allow_padding``, ``00``/``FF`` filler bytes between objects are skipped
    (ISO/IEC 7816-4 §5.2.2.1); otherwise they are an error.
    """
    view = _view(buf)
    offset = 0
    while offset < len(view):
        if allow_padding and view[offset] in (0x00, 0xFF):
            offset += 1
            continue
        item = decode_one(view, offset)
        yield item
        offset = item.next_offset


def _deeper(depth: int) -> int:
    if depth >= MAX_DEPTH:
        raise TLVError(f"constructed objects nest more than {MAX_DEPTH} levels deep")
    return depth + 1


def parse(buf: Buffer, *, recursive: bool = False,
          _depth: int = 0) -> list[tuple[int, bytes | list[object]]]:
    """All top-level objects as ``(tag, value)``; with ``recursive``, constructed
    values are parsed into nested lists (at most :data:`MAX_DEPTH` levels)."""
    out: list[tuple[int, bytes | list[object]]] = []
    for item in iter_tlv(buf):
        if recursive and is_constructed(item.tag):
            inner = parse(item.value, recursive=True, _depth=_deeper(_depth))
            out.append((item.tag, list(inner)))
        else:
            out.append((item.tag, bytes(item.value)))
    return out


def find(buf: Buffer, tag: int, *, recursive: bool = False,
         _depth: int = 0) -> memoryview | None:
    """The value of the first object with ``tag`` (searching inside constructed
    objects when ``recursive``, at most :data:`MAX_DEPTH` levels), or ``None``."""
    for item in iter_tlv(buf):
        if item.tag == tag:
            return item.value
        if recursive and is_constructed(item.tag):
            inner = find(item.value, tag, recursive=True, _depth=_deeper(_depth))
            if inner is not None:
                return inner
    return None


def find_all(buf: Buffer, tag: int) -> list[memoryview]:
    """Values of every top-level object with ``tag``."""
    return [item.value for item in iter_tlv(buf) if item.tag == tag]
