"""The MRZ data model: field layouts of the five MRZ formats and the parsed :class:`MRZ`.

Layouts follow ICAO Doc 9303:

* TD3 (passport, 2 x 44) — Doc 9303-4 §4.2.2;
* TD1 (ID card, 3 x 30) — Doc 9303-5 §4.2.2;
* TD2 (ID card, 2 x 36) — Doc 9303-6 §4.2.2;
* MRV-A (visa, 2 x 44) and MRV-B (visa, 2 x 36) — Doc 9303-7 §4.2.2.

A :class:`Span` is ``(line, start, end)`` with 0-based, end-exclusive character positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from types import MappingProxyType
from typing import Any, NamedTuple

from checkedid.secret import Secret

__all__ = ["CHECK_KEYS", "LAYOUTS", "MRZ", "FieldKind", "Layout", "Span"]


class Span(NamedTuple):
    """Where a field sits: line index and the character range ``[start, end)``."""

    line: int
    start: int
    end: int


class FieldKind(Enum):
    """Which characters a field may hold (Doc 9303-3 §4.2 and the format parts)."""

    ALPHA = "letters and fillers"
    DIGIT = "digits and fillers"
    ALNUM = "letters, digits and fillers"


#: Field name -> kind. Check-digit fields end in ``_cd``; ``composite_cd`` is the composite.
KINDS: Mapping[str, FieldKind] = MappingProxyType({
    "document_code": FieldKind.ALPHA,
    "issuing_state": FieldKind.ALPHA,
    "name": FieldKind.ALPHA,
    "document_number": FieldKind.ALNUM,
    "document_number_cd": FieldKind.DIGIT,
    "nationality": FieldKind.ALPHA,
    "birth_date": FieldKind.DIGIT,
    "birth_date_cd": FieldKind.DIGIT,
    "sex": FieldKind.ALPHA,
    "expiry_date": FieldKind.DIGIT,
    "expiry_date_cd": FieldKind.DIGIT,
    "optional_data": FieldKind.ALNUM,
    "optional_data_cd": FieldKind.DIGIT,
    "optional_data_2": FieldKind.ALNUM,
    "composite_cd": FieldKind.DIGIT,
})

#: Keys of :attr:`MRZ.checks`, always all present (``None`` where a format has no such digit).
CHECK_KEYS = ("document_number", "birth_date", "expiry_date", "optional_data", "composite")


@dataclass(frozen=True)
class Layout:
    """Field positions of one MRZ format."""

    name: str
    line_count: int
    line_length: int
    fields: Mapping[str, Span]
    composite: tuple[Span, ...] = ()

    def text(self, lines: Sequence[str], name: str) -> str:
        """The characters of field ``name`` in ``lines``."""
        s = self.fields[name]
        return lines[s.line][s.start:s.end]


def _s(line: int, start: int, end: int) -> Span:
    return Span(line, start, end)


# Line 2 of TD3 / MRV-A and of TD2 / MRV-B share their first 28 positions.
_LINE2_COMMON = {
    "document_number": _s(1, 0, 9), "document_number_cd": _s(1, 9, 10),
    "nationality": _s(1, 10, 13), "birth_date": _s(1, 13, 19), "birth_date_cd": _s(1, 19, 20),
    "sex": _s(1, 20, 21), "expiry_date": _s(1, 21, 27), "expiry_date_cd": _s(1, 27, 28),
}


def _two_line(name: str, length: int, *, visa: bool) -> Layout:
    fields = {"document_code": _s(0, 0, 2), "issuing_state": _s(0, 2, 5),
              "name": _s(0, 5, length), **_LINE2_COMMON}
    composite: tuple[Span, ...] = ()
    if visa:
        fields["optional_data"] = _s(1, 28, length)
    elif length == 44:
        fields["optional_data"] = _s(1, 28, 42)
        fields["optional_data_cd"] = _s(1, 42, 43)
        fields["composite_cd"] = _s(1, 43, 44)
        composite = (_s(1, 0, 10), _s(1, 13, 20), _s(1, 21, 43))
    else:
        fields["optional_data"] = _s(1, 28, 35)
        fields["composite_cd"] = _s(1, 35, 36)
        composite = (_s(1, 0, 10), _s(1, 13, 20), _s(1, 21, 35))
    return Layout(name, 2, length, MappingProxyType(fields), composite)


_TD1 = Layout("TD1", 3, 30, MappingProxyType({
    "document_code": _s(0, 0, 2), "issuing_state": _s(0, 2, 5),
    "document_number": _s(0, 5, 14), "document_number_cd": _s(0, 14, 15),
    "optional_data": _s(0, 15, 30),
    "birth_date": _s(1, 0, 6), "birth_date_cd": _s(1, 6, 7), "sex": _s(1, 7, 8),
    "expiry_date": _s(1, 8, 14), "expiry_date_cd": _s(1, 14, 15), "nationality": _s(1, 15, 18),
    "optional_data_2": _s(1, 18, 29), "composite_cd": _s(1, 29, 30),
    "name": _s(2, 0, 30),
}), (_s(0, 5, 30), _s(1, 0, 7), _s(1, 8, 15), _s(1, 18, 29)))

#: The five layouts by format name.
LAYOUTS: Mapping[str, Layout] = MappingProxyType({
    "TD1": _TD1,
    "TD2": _two_line("TD2", 36, visa=False),
    "TD3": _two_line("TD3", 44, visa=False),
    "MRVA": _two_line("MRVA", 44, visa=True),
    "MRVB": _two_line("MRVB", 36, visa=True),
})


@dataclass(frozen=True, repr=False)
class MRZ:
    """A parsed machine-readable zone (ICAO Doc 9303-3/4/5/6/7).

    Text fields have their fillers removed: ``surname`` and ``given_names`` use spaces,
    ``document_number`` and the optional data are stripped of trailing ``<``. ``sex`` is
    ``"M"``, ``"F"`` or ``"X"`` (the unspecified filler ``<`` is reported as ``"X"``).
    Dates are ``None`` when the MRZ marks them unknown (fillers).

    ``checks`` maps each of :data:`CHECK_KEYS` to ``True`` / ``False`` or ``None`` where the
    format has no such check digit (visas have no composite; only TD3 checks its optional
    data). ``valid`` is true when every present check digit holds.

    This object holds personal data. Python strings are immutable copies that cannot be
    zeroed; keep MRZ objects short-lived. :meth:`access_key` returns a wipeable
    :class:`~checkedid.secret.Secret` that a :class:`checkedid.Session` tracks and zeroes.
    ``repr()`` shows only the format and check results.
    """

    format: str
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: date | None
    sex: str
    expiry_date: date | None
    optional_data: str
    optional_data_2: str
    lines: tuple[str, ...]
    checks: dict[str, bool | None] = field(hash=False, compare=False)
    corrections: int = 0
    warnings: tuple[str, ...] = ()
    #: The document number check digit as printed (for the long-number form, the digit at
    #: the end of the continuation in the optional data; Doc 9303-5 §4.2.4).
    document_number_check_digit: str = field(default="", compare=False)

    @property
    def valid(self) -> bool:
        """True when every check digit present in this format holds."""
        return all(v is not False for v in self.checks.values())

    @classmethod
    def from_lines(cls, lines: str | list[str] | tuple[str, ...], *, correct: bool = False) -> MRZ:
        """Parse MRZ text; same as :func:`checkedid.mrz.parse`."""
        from checkedid.mrz.parse import parse

        return parse(lines, correct=correct)

    @property
    def layout(self) -> Layout:
        return LAYOUTS[self.format]

    def access_key(self) -> Secret:
        """The MRZ information for BAC / PACE key derivation (Doc 9303-11 §9.7.2, §4.3.2).

        ASCII of: document number (the whole number for the long form, otherwise the 9
        printed characters with fillers) + its check digit + birth date YYMMDD + check
        digit + expiry date YYMMDD + check digit.
        """
        lay = self.layout
        number = self.document_number if len(self.document_number) > 9 \
            else lay.text(self.lines, "document_number")
        buf = bytearray()
        for part in (number, self.document_number_check_digit,
                     lay.text(self.lines, "birth_date"), lay.text(self.lines, "birth_date_cd"),
                     lay.text(self.lines, "expiry_date"), lay.text(self.lines, "expiry_date_cd")):
            buf += part.encode("ascii")
        return Secret.adopt(buf, label="MRZ information")

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-friendly values (personal data: handle with care)."""
        return {
            "format": self.format, "document_code": self.document_code,
            "issuing_state": self.issuing_state, "surname": self.surname,
            "given_names": self.given_names, "document_number": self.document_number,
            "nationality": self.nationality,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "optional_data": self.optional_data, "optional_data_2": self.optional_data_2,
            "lines": list(self.lines), "valid": self.valid, "checks": dict(self.checks),
            "corrections": self.corrections, "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        failed = sorted(k for k, v in self.checks.items() if v is False)
        return (f"<MRZ {self.format} valid={self.valid} corrections={self.corrections}"
                + (f" failed={','.join(failed)}" if failed else "") + " (personal data redacted)>")

    __str__ = __repr__
