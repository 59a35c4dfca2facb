"""EF.DG1: the MRZ as stored on the chip (ICAO Doc 9303-10 §4.7.1).

::

    61  DG1 template
        5F1F  MRZ data: the lines concatenated without separators —
              88 characters (TD3 / MRV-A, 2 x 44), 72 (TD2 / MRV-B, 2 x 36)
              or 90 (TD1, 3 x 30)

The string is split into lines by its length and handed to
:func:`checkedid.mrz.parse` without OCR correction: what the chip holds is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from checkedid.errors import LDSError, MRZError
from checkedid.nfc.lds.template import children, unwrap

if TYPE_CHECKING:
    from checkedid.mrz import MRZ

__all__ = ["DG1", "LINE_LENGTHS", "mrz_lines", "parse", "parse_dg1"]

_FILE = "EF.DG1"

#: Total MRZ length -> (number of lines, characters per line) (Doc 9303-10 §4.7.1).
LINE_LENGTHS = {88: (2, 44), 72: (2, 36), 90: (3, 30)}


@dataclass(frozen=True)
class DG1:
    """Parsed DG1: ``raw`` exactly as read and the parsed :class:`checkedid.mrz.MRZ`."""

    raw: bytes
    mrz: MRZ

    @classmethod
    def from_bytes(cls, raw: bytes) -> DG1:
        return parse_dg1(raw)

    def __repr__(self) -> str:  # never show personal data
        return f"<DG1 {len(self.raw)} bytes>"


def mrz_lines(data: bytes) -> list[str]:
    """Split the 5F1F content into MRZ lines by its length."""
    if len(data) not in LINE_LENGTHS:
        raise LDSError(f"MRZ has {len(data)} characters; expected 72, 88 or 90", file=_FILE)
    if not data.isascii():
        raise LDSError("MRZ contains non-ASCII bytes", file=_FILE)
    text = data.decode("ascii")
    count, width = LINE_LENGTHS[len(data)]
    return [text[i * width:(i + 1) * width] for i in range(count)]


def parse_dg1(raw: bytes) -> DG1:
    """Parse DG1 (tag ``61``); a malformed file or MRZ raises :class:`LDSError`."""
    from checkedid import mrz

    raw = bytes(raw)
    objects = [(t, v) for t, v, _ in children(unwrap(raw, 0x61, _FILE)) if t == 0x5F1F]
    if len(objects) != 1:
        raise LDSError("expected exactly one MRZ data object 5F1F", file=_FILE)
    lines = mrz_lines(objects[0][1])
    try:
        parsed = mrz.parse(lines, correct=False)
    except MRZError as exc:
        where = f" (line {exc.line}, position {exc.position})" if exc.line else ""
        raise LDSError(f"MRZ does not parse{where}", file=_FILE) from exc
    return DG1(raw, parsed)


#: Uniform name across the LDS parser modules (``dg2.parse(raw)``).
parse = parse_dg1
