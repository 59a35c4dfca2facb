"""Driving licence data groups: EF.COM's tag list and DG1 (ISO/IEC 18013-2 Annex C).

DG1 holds the holder's and licence's details and the categories::

    61  DG1 template
        5F01  type approval number
        5F02  demographic data
              5F03 issuing state (3 letters)      5F04 surname
              5F05 other names                    5F06 date of birth
              5F07 place of birth                 5F08 nationality (optional)
              5F09 sex (optional)                 5F0A date of issue
              5F0B date of expiry                 5F0C issuing authority
              5F0D administrative number (opt.)   5F0E licence number
              5F0F address (optional)
        7F63  categories of vehicles
              02 number of categories, then one 87 per category:
              "category;issue;expiry;code;sign;value" (dates ddmmyyyy, issue may be empty)

Dates are 4 bytes of BCD ``ddmmyyyy`` (ASCII digits are accepted too). Text is Latin-1
in practice (UTF-8 is accepted). Only :class:`LDSError` / ``TLVError`` leave this module
for malformed content. ``repr()`` shows which fields are present, never their content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from checkedid.errors import LDSError
from checkedid.nfc.lds.template import children, text, unwrap

__all__ = ["DrivingLicence", "LicenceCategory", "LicenceDG1", "parse_licence_dg1"]

_FILE = "EF.DG1 (licence)"
_MAX_CATEGORIES = 64

_TEXT = {0x5F03: "issuing_state", 0x5F04: "surname", 0x5F05: "given_names",
         0x5F07: "birth_place", 0x5F08: "nationality", 0x5F0C: "issuing_authority",
         0x5F0D: "administrative_number", 0x5F0E: "licence_number", 0x5F0F: "address"}
_DATES = {0x5F06: "birth_date", 0x5F0A: "issue_date", 0x5F0B: "expiry_date"}
_REQUIRED = (0x5F03, 0x5F04, 0x5F06, 0x5F0A, 0x5F0B, 0x5F0C, 0x5F0E)


@dataclass(frozen=True)
class LicenceCategory:
    """One category of vehicles (EU Directive 2006/126/EC Annex I, field 9/10/11/12)."""

    category: str
    issue_date: date | None
    expiry_date: date | None
    code: str = ""
    sign: str = ""
    value: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category,
                "issue_date": self.issue_date.isoformat() if self.issue_date else None,
                "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
                "code": self.code, "sign": self.sign, "value": self.value}


@dataclass(frozen=True, repr=False)
class DrivingLicence:
    """The holder's and the licence's details from DG1 (plus the portrait's presence)."""

    issuing_state: str
    surname: str
    birth_date: date
    issue_date: date
    expiry_date: date
    issuing_authority: str
    licence_number: str
    categories: tuple[LicenceCategory, ...]
    given_names: str = ""
    birth_place: str = ""
    nationality: str = ""
    sex: str = ""
    administrative_number: str = ""
    address: str = ""
    type_approval: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly values (personal data: handle with care)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            if isinstance(v, date):
                v = v.isoformat()
            elif name == "categories":
                v = [c.to_dict() for c in v]
            out[name] = v
        return out

    def __repr__(self) -> str:
        present = [n for n in self.__dataclass_fields__ if getattr(self, n)]
        return f"<DrivingLicence fields: {', '.join(present)} (personal data redacted)>"

    __str__ = __repr__


@dataclass(frozen=True, repr=False)
class LicenceDG1:
    """Parsed licence DG1: ``raw`` exactly as read and the :class:`DrivingLicence`."""

    raw: bytes
    licence: DrivingLicence = field(compare=False)

    @classmethod
    def from_bytes(cls, raw: bytes) -> LicenceDG1:
        return parse_licence_dg1(raw)

    def __repr__(self) -> str:
        return f"<LicenceDG1 {len(self.raw)} bytes (personal data redacted)>"


def _bcd_date(value: bytes, what: str) -> date:
    data = bytes(value)
    if len(data) == 4 and all((b >> 4) < 10 and (b & 0x0F) < 10 for b in data):
        digits = data.hex()
    elif len(data) == 8 and data.isascii() and data.isdigit():
        digits = data.decode("ascii")
    else:
        raise LDSError(f"{what} is not a date (4 bytes BCD ddmmyyyy)", file=_FILE)
    return _ddmmyyyy(digits, what)


def _ddmmyyyy(digits: str, what: str) -> date:
    try:
        return date(int(digits[4:8]), int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        raise LDSError(f"{what} is not a calendar date", file=_FILE) from None


def _sex(value: bytes) -> str:
    data = bytes(value)
    if len(data) == 1 and data[0] in (1, 2, 9, 0):  # ISO/IEC 5218
        return {1: "M", 2: "F"}.get(data[0], "X")
    t = text(data).strip().upper()
    if t in ("M", "F", "X", "1", "2", "9"):
        return {"1": "M", "2": "F", "9": "X"}.get(t, t)
    raise LDSError("sex is not M, F, X or an ISO/IEC 5218 code", file=_FILE)


def _category(value: bytes) -> LicenceCategory:
    parts = text(value).split(";")
    if len(parts) < 3 or len(parts) > 6 or not parts[0].strip():
        raise LDSError("a category is not 'category;issue;expiry[;code;sign;value]'", file=_FILE)
    parts += [""] * (6 - len(parts))
    dates: list[date | None] = []
    for what, s in (("category issue date", parts[1]), ("category expiry date", parts[2])):
        s = s.strip()
        if not s:
            dates.append(None)
        elif len(s) == 8 and s.isascii() and s.isdigit():
            dates.append(_ddmmyyyy(s, what))
        else:
            raise LDSError(f"{what} is not ddmmyyyy", file=_FILE)
    return LicenceCategory(parts[0].strip(), dates[0], dates[1], parts[3].strip(),
                           parts[4].strip(), parts[5].strip())


def _categories(value: bytes) -> tuple[LicenceCategory, ...]:
    items = children(value)
    cats = [_category(v) for t, v, _ in items if t == 0x87]
    counts = [v for t, v, _ in items if t == 0x02]
    if len(cats) > _MAX_CATEGORIES:
        raise LDSError("more categories than any licence holds", file=_FILE)
    if counts and (len(counts[0]) != 1 or counts[0][0] != len(cats)):
        raise LDSError("the number of categories does not match the categories present",
                       file=_FILE)
    return tuple(cats)


def parse_licence_dg1(raw: bytes) -> LicenceDG1:
    """Parse a licence's DG1 (tag ``61``; ISO/IEC 18013-2 Annex C.2)."""
    raw = bytes(raw)
    top: dict[int, bytes] = {}
    for tag, value, _ in children(unwrap(raw, 0x61, _FILE)):
        if tag in top:
            raise LDSError(f"data object {tag:04X} appears twice", file=_FILE)
        top[tag] = value
    if 0x5F02 not in top:
        raise LDSError("the demographic data (5F02) is missing", file=_FILE)
    demo: dict[int, bytes] = {}
    for tag, value, _ in children(top[0x5F02]):
        if tag in demo:
            raise LDSError(f"data object {tag:04X} appears twice", file=_FILE)
        demo[tag] = value
    missing = [f"{t:X}" for t in _REQUIRED if t not in demo]
    if missing:
        raise LDSError(f"missing data objects {', '.join(missing)}", file=_FILE)
    values: dict[str, Any] = {name: text(demo[t]).strip() for t, name in _TEXT.items()
                              if t in demo}
    for t, name in _DATES.items():
        values[name] = _bcd_date(demo[t], name.replace("_", " "))
    if 0x5F09 in demo:
        values["sex"] = _sex(demo[0x5F09])
    if 0x5F01 in top:
        values["type_approval"] = text(top[0x5F01]).strip()
    values["categories"] = _categories(top[0x7F63]) if 0x7F63 in top else ()
    return LicenceDG1(raw, DrivingLicence(**values))
