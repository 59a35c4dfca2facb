"""Walking the BER-TLV templates of LDS files (ICAO Doc 9303-10 §4.6 and §4.7).

Every elementary file of the LDS is one BER-TLV data object whose tag names the
file (``60`` EF.COM, ``61`` DG1, ``75`` DG2 …). These helpers take that outer
template apart with :mod:`checkedid.nfc.tlv` and turn structural problems into
:class:`checkedid.errors.LDSError` naming the file — never personal data.
"""

from __future__ import annotations

from checkedid.errors import LDSError, TLVError
from checkedid.nfc import tlv

__all__ = ["Element", "children", "date_text", "text", "unwrap"]

#: One child data object: (tag, value, the object's raw bytes as read).
Element = tuple[int, bytes, bytes]


def unwrap(raw: bytes, tag: int, file: str) -> bytes:
    """The value of the file's outer template ``tag``.

    Bytes after the template are refused unless they are padding (``00`` or ``FF``),
    which some chips return when a file is read in whole blocks.
    """
    if not raw:
        raise LDSError("file is empty", file=file)
    found, value, end = tlv.decode_one(bytes(raw), 0)
    if found != tag:
        raise LDSError(f"expected template tag {tag:02X}, found {found:02X}", file=file)
    if bytes(raw[end:]).strip(b"\x00\xff"):
        raise LDSError("unexpected data after the template", file=file)
    return bytes(value)


def children(value: bytes) -> list[Element]:
    """The data objects one after another in ``value`` (a constructed object's content)."""
    out: list[Element] = []
    offset = 0
    data = bytes(value)
    while offset < len(data):
        tag, inner, nxt = tlv.decode_one(data, offset)
        if nxt <= offset:  # defensive: the codec must always make progress
            raise TLVError("data object has no length", offset=offset)
        out.append((tag, bytes(inner), data[offset:nxt]))
        offset = nxt
    return out


def text(value: bytes) -> str:
    """An LDS text field: UTF-8 (Doc 9303-10 §4.7), falling back to Latin-1 for old chips."""
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return bytes(value).decode("latin-1")


def date_text(value: bytes, file: str, what: str) -> str:
    """A date as ``YYYYMMDD`` (or ``YYYYMMDDhhmmss``): ASCII digits, or BCD in older LDS."""
    data = bytes(value)
    if data.isascii() and data.isdigit():
        return data.decode("ascii")
    if len(data) in (4, 7) and all((b >> 4) < 10 and (b & 0x0F) < 10 for b in data):
        return data.hex()
    raise LDSError(f"{what} is not a date in digits", file=file)
