"""EF.COM: the LDS version and the list of data groups present (ICAO Doc 9303-10 §4.6.1).

::

    60  EF.COM template
        5F01  LDS version, 4 digits "aabb" (e.g. "0107" = LDS 1.7)
        5F36  Unicode version, 6 digits "aabbcc" (e.g. "040000")
        5C    tag list: one byte per data group present (61 = DG1, 75 = DG2 …)

:class:`EFCom` keeps the raw bytes exactly as read. EF.COM is not covered by
EF.SOD (Doc 9303-10 §4.6.1), so readers use it only as a hint and trust the SOD.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from checkedid.errors import LDSError
from checkedid.nfc.lds.template import children, unwrap

__all__ = ["DG_TAGS", "TAG_OF_DG", "EFCom", "dg_of_tag", "parse", "parse_com"]

_FILE = "EF.COM"

#: Data-group template tag -> data-group number (Doc 9303-10 Table 34).
DG_TAGS: MappingProxyType[int, int] = MappingProxyType({
    0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8, 0x69: 9,
    0x6A: 10, 0x6B: 11, 0x6C: 12, 0x6D: 13, 0x6E: 14, 0x6F: 15, 0x70: 16,
})
#: Data-group number -> template tag.
TAG_OF_DG: MappingProxyType[int, int] = MappingProxyType({n: t for t, n in DG_TAGS.items()})


def dg_of_tag(tag: int) -> int | None:
    """The data-group number of an LDS template tag, or ``None`` for other tags."""
    return DG_TAGS.get(tag)


@dataclass(frozen=True)
class EFCom:
    """Parsed EF.COM.

    ``lds_version`` and ``unicode_version`` are the digit strings as stored
    (``"0107"``, ``"040000"``); ``tags`` the tag list in file order; ``data_groups``
    the numbers of the data groups it names (unknown tags are skipped), sorted.
    """

    raw: bytes
    lds_version: str
    unicode_version: str
    tags: tuple[int, ...]
    data_groups: list[int]

    @property
    def lds_version_tuple(self) -> tuple[int, int]:
        """``(1, 7)`` for ``"0107"``."""
        return int(self.lds_version[:2]), int(self.lds_version[2:])

    @classmethod
    def from_bytes(cls, raw: bytes) -> EFCom:
        return parse_com(raw)


def _digits(value: bytes, size: int, what: str) -> str:
    if len(value) != size or not value.isascii() or not value.isdigit():
        raise LDSError(f"{what} must be {size} ASCII digits", file=_FILE)
    return value.decode("ascii")


def parse_com(raw: bytes) -> EFCom:
    """Parse EF.COM (tag ``60``); malformed content raises :class:`LDSError` / ``TLVError``."""
    raw = bytes(raw)
    fields: dict[int, bytes] = {}
    for tag, value, _ in children(unwrap(raw, 0x60, _FILE)):
        if tag in fields:
            raise LDSError(f"data object {tag:04X} appears twice", file=_FILE)
        fields[tag] = value
    missing = [f"{t:X}" for t in (0x5F01, 0x5F36, 0x5C) if t not in fields]
    if missing:
        raise LDSError(f"missing data objects {', '.join(missing)}", file=_FILE)
    lds = _digits(fields[0x5F01], 4, "LDS version")
    uni = _digits(fields[0x5F36], 6, "Unicode version")
    tags = tuple(fields[0x5C])
    dgs = sorted({DG_TAGS[t] for t in tags if t in DG_TAGS})
    return EFCom(raw, lds, uni, tags, dgs)


#: Uniform name across the LDS parser modules (``dg2.parse(raw)``).
parse = parse_com
