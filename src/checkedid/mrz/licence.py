"""The one-line MRZ of a driving licence (ISO/IEC 18013-1; BAP of ISO/IEC 18013-3:2017 Annex B).

The back of an ISO-compliant licence with a chip (the EU licence of Directive
2006/126/EC, Annex I) carries one line of 30 OCR-B characters::

    D 1 NLD 1 1234567890 ABCDEFGHIJKLM 5
    | | |   | |          |             `- check digit over characters 1-29 (7-3-1)
    | | |   | |          `- 13 random characters (the key's entropy)
    | | |   | `- licence number (10 characters)
    | | |   `- version / generation of the licence
    | | `- issuing state (ISO 3166-1 alpha-3)
    | `- BAP configuration ("1": SHA-1 key seed from the MRZ)
    `- document code "D" (driving licence)

Basic Access Protection (ISO/IEC 18013-3:2017 Annex B) is BAC with another key seed:
``K_seed`` = the first 16 bytes of SHA-1 over characters 2-29 (28 characters), then the
ICAO key derivation (Doc 9303-11 §9.7.1). :meth:`LicenceMRZ.access_key` returns those 28
characters in a :class:`~checkedid.secret.Secret`; :func:`checkedid.nfc.access.bac.authenticate`
hashes them exactly as it hashes a passport's MRZ information.

The check digit uses the ICAO algorithm (Doc 9303-3 §4.9) over the first 29 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from checkedid.errors import MRZError
from checkedid.mrz.checkdigit import ALPHABET, DIGITS, FILLER, LETTERS, STATE_CODES, check_digit
from checkedid.mrz.model import CHECK_KEYS
from checkedid.secret import Secret

__all__ = ["FORMAT", "LENGTH", "LicenceMRZ", "is_licence_line", "parse_licence"]

#: Format name of the licence MRZ (next to TD1 / TD2 / TD3 / MRVA / MRVB).
FORMAT = "DL1"
LENGTH = 30
_MAX_INPUT = 4096


def is_licence_line(text: str | Sequence[str]) -> bool:
    """True when ``text`` is one line of 30 characters starting with ``D`` (a licence MRZ)."""
    if isinstance(text, str):
        parts = text.split()
    else:
        parts = [t.strip() for t in text if isinstance(t, str) and t.strip()]
    return len(parts) == 1 and len(parts[0]) == LENGTH and parts[0][:1].upper() == "D"


@dataclass(frozen=True, repr=False)
class LicenceMRZ:
    """A parsed licence MRZ (one line of 30 characters).

    ``document_number`` is the licence number without trailing fillers; it is also the
    CAN of licences with PACE. ``checks`` has the keys of :data:`~checkedid.mrz.CHECK_KEYS`
    like a passport MRZ: only ``composite`` (the one check digit over characters 1-29)
    is present, the others are ``None``. ``repr()`` shows no personal data.
    """

    document_code: str
    bap_configuration: str
    issuing_state: str
    version: str
    document_number: str
    lines: tuple[str, ...]
    checks: dict[str, bool | None] = field(hash=False, compare=False)
    corrections: int = 0
    warnings: tuple[str, ...] = ()
    format: str = FORMAT

    @property
    def valid(self) -> bool:
        return all(v is not False for v in self.checks.values())

    def access_key(self) -> Secret:
        """Characters 2-29 (ASCII) in a wipeable buffer: the BAP / PACE MRZ password."""
        return Secret.adopt(bytearray(self.lines[0][1:29].encode("ascii")),
                            label="licence MRZ key")

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-friendly values (personal data: handle with care)."""
        return {"format": self.format, "document_code": self.document_code,
                "bap_configuration": self.bap_configuration,
                "issuing_state": self.issuing_state, "version": self.version,
                "document_number": self.document_number, "lines": list(self.lines),
                "valid": self.valid, "checks": dict(self.checks),
                "corrections": self.corrections, "warnings": list(self.warnings)}

    def __repr__(self) -> str:
        return (f"<LicenceMRZ valid={self.valid} corrections={self.corrections} "
                "(personal data redacted)>")

    __str__ = __repr__


def _line(text: str | Sequence[str]) -> str:
    if isinstance(text, str):
        if len(text) > _MAX_INPUT:
            raise MRZError("MRZ text is far too long to be a licence MRZ")
        parts = text.split()
    elif isinstance(text, Sequence):
        if len(text) > 8:
            raise MRZError("a licence MRZ is one line")
        parts = []
        for i, ln in enumerate(text):
            if not isinstance(ln, str) or len(ln) > _MAX_INPUT:
                raise MRZError("MRZ lines must be short text", line=i + 1)
            parts.extend(ln.split())
    else:
        raise MRZError("MRZ must be given as text or a sequence of lines")
    if len(parts) != 1:
        raise MRZError(f"a licence MRZ is one line of {LENGTH} characters, got {len(parts)} "
                       "lines")
    line = parts[0].upper()
    if len(line) != LENGTH:
        raise MRZError(f"line has {len(line)} characters, expected {LENGTH}", line=1,
                       position=min(len(line), LENGTH) + 1)
    return line


def _validate(line: str) -> None:
    for i, ch in enumerate(line):
        if ch not in ALPHABET:
            raise MRZError("invalid character (only A-Z, 0-9 and '<' may appear)",
                           line=1, position=i + 1)
    if line[0] != "D":
        raise MRZError("a licence MRZ starts with the document code 'D'", line=1, position=1)
    for i in range(2, 5):
        if line[i] in DIGITS:
            raise MRZError("a digit in the issuing state", line=1, position=i + 1)
    if line[29] in LETTERS:
        raise MRZError("a letter in the check digit", line=1, position=30)


def parse_licence(text: str | Sequence[str], *, correct: bool = False) -> LicenceMRZ:
    """Parse the one-line licence MRZ; malformed text raises :class:`MRZError`.

    With ``correct=True`` letter/digit look-alikes in the issuing state and the check digit
    are repaired (the licence number and random part may hold both, so they are left as
    read); the number of changed characters is in :attr:`LicenceMRZ.corrections`.
    """
    line = _line(text)
    corrections = 0
    if correct:
        line, corrections = _correct(line)
    _validate(line)
    warnings: list[str] = []
    state = line[2:5].rstrip(FILLER)
    if state not in STATE_CODES:
        warnings.append("issuing state code is not a known ISO 3166-1 or ICAO code")
    if line[1] != "1":
        warnings.append("BAP configuration is not '1' (SHA-1 key seed): the chip may refuse")
    digit_ok = line[29] in DIGITS and check_digit(line[:29]) == line[29]
    checks: dict[str, bool | None] = dict.fromkeys(CHECK_KEYS)
    checks["composite"] = digit_ok
    return LicenceMRZ(document_code="D", bap_configuration=line[1], issuing_state=state,
                      version=line[5], document_number=line[6:16].rstrip(FILLER),
                      lines=(line,), checks=checks, corrections=corrections,
                      warnings=tuple(warnings))


_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"}
_TO_DIGIT = {v: k for k, v in _TO_LETTER.items()} | {"D": "0", "Q": "0"}


def _correct(line: str) -> tuple[str, int]:
    chars = list(line)
    changed = 0
    if chars[0] == "0":
        chars[0], changed = "D", changed + 1
    for i in range(2, 5):
        if chars[i] in _TO_LETTER:
            chars[i], changed = _TO_LETTER[chars[i]], changed + 1
    for i in (1, 5, 29):
        if chars[i] in _TO_DIGIT:
            chars[i], changed = _TO_DIGIT[chars[i]], changed + 1
    return "".join(chars), changed
