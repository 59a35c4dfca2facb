"""MRZ text -> :class:`~checkedid.mrz.model.MRZ` (ICAO Doc 9303-3, -4, -5, -6, -7).

:func:`parse` accepts the zone as one string (lines separated by newlines or spaces, or
the 72/88/90 characters run together as DG1 stores them) or as a sequence of lines.
It recognises the format from the line count and length (and a leading ``V`` for visas),
checks every character against the field's alphabet, verifies the check digits
(Doc 9303-3 §4.9) and converts dates and names.

Malformed text raises :class:`checkedid.errors.MRZError` with the 1-based ``line`` and
``position`` of the problem. Messages never contain the MRZ text itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from checkedid.errors import MRZError
from checkedid.mrz.checkdigit import (
    ALPHABET,
    DIGITS,
    FILLER,
    LETTERS,
    STATE_CODES,
    compute_checks,
    document_number,
)
from checkedid.mrz.correct import correct_lines
from checkedid.mrz.model import KINDS, LAYOUTS, MRZ, FieldKind, Layout

__all__ = ["build", "compute_checks", "detect_format", "parse", "split_lines", "validate"]

_RUN_TOGETHER = {90: (3, 30), 88: (2, 44), 72: (2, 36)}
_MAX_INPUT = 4096


def split_lines(text: str | Sequence[str]) -> list[str]:
    """Normalise MRZ input to a list of upper-case lines without surrounding whitespace."""
    if isinstance(text, str):
        if len(text) > _MAX_INPUT:
            raise MRZError("MRZ text is far too long to be a machine-readable zone")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    elif isinstance(text, Sequence):
        if len(text) > 8:
            raise MRZError(f"MRZ has {len(text)} lines; expected 2 or 3")
        lines = []
        for i, ln in enumerate(text):
            if not isinstance(ln, str):
                raise MRZError("MRZ lines must be text", line=i + 1)
            if len(ln) > _MAX_INPUT:
                raise MRZError("MRZ line is far too long", line=i + 1)
            if ln.strip():
                lines.append(ln.strip())
    else:
        raise MRZError("MRZ must be given as text or a sequence of lines")
    if len(lines) == 1:
        lines = lines[0].split()
    if len(lines) == 1 and len(lines[0]) in _RUN_TOGETHER:
        count, width = _RUN_TOGETHER[len(lines[0])]
        lines = [lines[0][i * width:(i + 1) * width] for i in range(count)]
    return [ln.upper() for ln in lines]


def detect_format(lines: Sequence[str]) -> Layout:
    """The layout for these lines, from line count, line length and the document code."""
    if not lines:
        raise MRZError("no MRZ text was given")
    if len(lines) == 3:
        width = 30
    elif len(lines) == 2:
        width = len(lines[0]) if len(lines[0]) in (36, 44) else len(lines[1])
        if width not in (36, 44):
            raise MRZError(f"line has {len(lines[0])} characters; a two-line MRZ has 36 (TD2, "
                           "MRV-B) or 44 (TD3, MRV-A)", line=1, position=min(len(lines[0]), 44) + 1)
    else:
        count = f"{len(lines)} line" + ("" if len(lines) == 1 else "s")
        raise MRZError(f"MRZ has {count}; expected 3 x 30 (TD1), 2 x 36 (TD2, MRV-B) "
                       "or 2 x 44 (TD3, MRV-A)")
    for i, ln in enumerate(lines):
        if len(ln) != width:
            raise MRZError(f"line has {len(ln)} characters, expected {width}",
                           line=i + 1, position=min(len(ln), width) + 1)
    if width == 30:
        return LAYOUTS["TD1"]
    visa = lines[0][0] == "V"
    if width == 44:
        return LAYOUTS["MRVA" if visa else "TD3"]
    return LAYOUTS["MRVB" if visa else "TD2"]


def validate(lines: Sequence[str], layout: Layout) -> None:
    """Raise :class:`MRZError` at the first character that its field cannot hold."""
    for li, ln in enumerate(lines):
        for pi, ch in enumerate(ln):
            if ch not in ALPHABET:
                raise MRZError("invalid character (only A-Z, 0-9 and '<' may appear)",
                               line=li + 1, position=pi + 1)
    for name, span in layout.fields.items():
        kind = KINDS[name]
        if kind is FieldKind.ALNUM:
            continue
        bad = DIGITS if kind is FieldKind.ALPHA else LETTERS
        what = ("a digit in a letters-only" if kind is FieldKind.ALPHA
                else "a letter in a digits-only")
        for pi in range(span.start, span.end):
            if lines[span.line][pi] in bad:
                raise MRZError(f"{what} field ({name.replace('_', ' ')})",
                               line=span.line + 1, position=pi + 1)
    if lines[0][0] == FILLER:
        raise MRZError("document code must start with a letter", line=1, position=1)
    sex_span = layout.fields["sex"]
    if lines[sex_span.line][sex_span.start] not in "MFX<":
        raise MRZError("sex must be M, F, X or '<'", line=sex_span.line + 1,
                       position=sex_span.start + 1)


def _date(text: str, kind: str, today: date, warnings: list[str]) -> date | None:
    """YYMMDD -> date with the century inferred (Doc 9303-3 §4.6: two-digit years).

    A birth date is the latest reading not after ``today`` (two digits cannot tell a
    centenarian from an infant); an expiry year up to ``today.year + 20`` is 20YY, later
    ones 19YY. Fillers (unknown) and impossible dates give ``None`` and a warning.
    """
    if FILLER in text:
        warnings.append(f"{kind} is not given (fillers)")
        return None
    yy, mm, dd = int(text[0:2]), int(text[2:4]), int(text[4:6])
    try:
        if kind == "birth date":
            d = date(2000 + yy, mm, dd)
            return d if d <= today else date(1900 + yy, mm, dd)
        century = 2000 if 2000 + yy <= today.year + 20 else 1900
        return date(century + yy, mm, dd)
    except ValueError:
        warnings.append(f"{kind} is not a calendar date")
        return None


def _names(text: str) -> tuple[str, str]:
    """Primary and secondary identifiers (Doc 9303-3 §4.6.4): split on '<<'."""
    surname, _, given = text.partition(FILLER * 2)
    return (" ".join(surname.replace(FILLER, " ").split()),
            " ".join(given.replace(FILLER, " ").split()))


def parse(text: str | Sequence[str], *, correct: bool = False, today: date | None = None,
          alternatives: Mapping[tuple[int, int], str] | None = None) -> MRZ:
    """Parse a TD1, TD2, TD3, MRV-A or MRV-B machine-readable zone.

    With ``correct=True`` common OCR confusions are repaired first, guided by the field
    alphabets and the check digits (:mod:`checkedid.mrz.correct`); the number of changed
    characters is in :attr:`MRZ.corrections`. ``today`` fixes the date used to infer
    centuries (default: the local date). ``alternatives`` (used with ``correct``) maps
    0-based ``(line, position)`` to characters an OCR engine found next most likely there;
    see :func:`checkedid.mrz.correct.correct_lines`.
    """
    lines = split_lines(text)
    layout = detect_format(lines)
    corrections = 0
    if correct:
        lines, corrections = correct_lines(lines, layout, alternatives=alternatives)
    validate(lines, layout)
    return build(tuple(lines), layout, corrections=corrections, today=today)


def build(lines: tuple[str, ...], layout: Layout, *, corrections: int = 0,
          today: date | None = None) -> MRZ:
    """Convert validated lines into an :class:`MRZ`."""
    today = today or date.today()
    warnings: list[str] = []
    number, number_cd, optional = document_number(lines, layout)
    for key, label in (("issuing_state", "issuing state"), ("nationality", "nationality")):
        if layout.text(lines, key).rstrip(FILLER) not in STATE_CODES:
            warnings.append(f"{label} code is not a known ISO 3166-1 or ICAO code")
    code = layout.text(lines, "document_code")
    expected = {"TD3": "P", "TD1": "ACI", "TD2": "ACI", "MRVA": "V", "MRVB": "V"}[layout.name]
    if code[0] not in expected:
        warnings.append(f"document code is unusual for {layout.name} (expected "
                        f"{' or '.join(expected)} first)")
    surname, given = _names(layout.text(lines, "name"))
    sex = layout.text(lines, "sex")
    return MRZ(
        format=layout.name,
        document_code=code.rstrip(FILLER),
        issuing_state=layout.text(lines, "issuing_state").rstrip(FILLER),
        surname=surname,
        given_names=given,
        document_number=number,
        nationality=layout.text(lines, "nationality").rstrip(FILLER),
        birth_date=_date(layout.text(lines, "birth_date"), "birth date", today, warnings),
        sex="X" if sex == FILLER else sex,
        expiry_date=_date(layout.text(lines, "expiry_date"), "expiry date", today, warnings),
        optional_data=optional,
        optional_data_2=layout.text(lines, "optional_data_2").strip(FILLER)
        if "optional_data_2" in layout.fields else "",
        lines=lines,
        checks=compute_checks(lines, layout),
        corrections=corrections,
        warnings=tuple(warnings),
        document_number_check_digit=number_cd,
    )
