"""Walking the BER-TLV templates of LDS files (ICAO Doc 9303-10 §4.6 and §4.7).

Every elementary file of the LDS is one BER-TLV data object whose tag names the
file (``60`` EF.COM, ``61`` DG1, ``75`` DG2 …). These helpers take that outer
template apart with :mod:`checkedid.nfc.iso7816.tlv` and turn structural problems into
:class:`checkedid.errors.LDSError` naming the file — never personal data.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from dataclasses import fields
from typing import Any

from checkedid.errors import LDSError, TLVError
from checkedid.nfc.iso7816 import tlv

__all__ = ["Element", "children", "counted_names", "date_text", "optional_objects",
           "present_fields_repr", "tag_list", "text", "unwrap"]

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


def tag_list(value: bytes, file: str) -> tuple[int, ...]:
    """Split a 5C tag list of one- and two-byte tags (Doc 9303-10 §4.7.11)."""
    out: list[int] = []
    i = 0
    while i < len(value):
        if value[i] & 0x1F == 0x1F:
            if i + 1 >= len(value):
                raise LDSError("tag list ends inside a two-byte tag", file=file)
            out.append(int.from_bytes(value[i:i + 2], "big"))
            i += 2
        else:
            out.append(value[i])
            i += 1
    return tuple(out)


def counted_names(value: bytes, name_tag: int, file: str) -> list[str]:
    """A constructed ``A0`` group: ``02`` count, then the names (Doc 9303-10 §4.7.11)."""
    items = children(value)
    names = [text(v) for t, v, _ in items if t == name_tag]
    counts = [v for t, v, _ in items if t == 0x02]
    if counts and (len(counts[0]) != 1 or counts[0][0] != len(names)):
        raise LDSError("count of names does not match the names present", file=file)
    return names


def optional_objects(value: bytes, file: str, values: dict[str, object], *,
                     text_fields: Mapping[int, str],
                     repeatable: Container[int]) -> Iterator[tuple[int, bytes]]:
    """Walk a template of optional data objects (DG11, DG12: Doc 9303-10 §4.7.11, §4.7.12).

    A data object whose tag is not ``repeatable`` and appears twice raises
    :class:`LDSError`. The tag list (``5C``) is stored as ``values["tag_list"]`` and
    each plain text field named in ``text_fields`` as ``values[name]``; every other
    data object is yielded as ``(tag, value)``, in file order, for the caller.
    """
    seen: set[int] = set()
    for tag, inner, _ in children(value):
        if tag in seen and tag not in repeatable:
            raise LDSError(f"data object {tag:04X} appears twice", file=file)
        seen.add(tag)
        if tag == 0x5C:
            values["tag_list"] = tag_list(inner, file)
        elif tag in text_fields:
            values[text_fields[tag]] = text(inner)
        else:
            yield tag, inner


def present_fields_repr(obj: Any, label: str) -> str:
    """``<label N bytes; fields: …>``: which optional fields of a parsed file (a dataclass
    with ``raw``) are present, never their content (personal data)."""
    present = [f.name for f in fields(obj)
               if f.name not in ("raw", "tag_list") and getattr(obj, f.name) not in (None, ())]
    return f"<{label} {len(obj.raw)} bytes; fields: {', '.join(present) or 'none'}>"
