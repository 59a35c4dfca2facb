"""EF.DG11: additional personal details (ICAO Doc 9303-10 §4.7.11).

::

    6B  DG11 template
        5C    tag list of the data objects present
        5F0E  full name (primary and secondary identifiers, "<<"-separated)
        A0    other names: 02 count, then 5F0F per name (some chips put 5F0F directly)
        5F10  personal number          5F2B  full date of birth (YYYYMMDD)
        5F11  place of birth           5F42  address
        5F12  telephone                5F13  profession
        5F14  title                    5F15  personal summary
        5F16  proof of citizenship (an image)
        5F17  other valid travel document numbers
        5F18  custody information

Every field is optional. Text is UTF-8 (Latin-1 accepted from old chips). The
dataclass's ``repr`` shows only which fields are present, never their content.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkedid.nfc.lds.template import (
    counted_names,
    date_text,
    optional_objects,
    present_fields_repr,
    text,
    unwrap,
)

__all__ = ["DG11", "parse", "parse_dg11"]

_FILE = "EF.DG11"

_TEXT_FIELDS = {
    0x5F0E: "full_name", 0x5F10: "personal_number", 0x5F11: "place_of_birth",
    0x5F42: "address", 0x5F12: "telephone", 0x5F13: "profession", 0x5F14: "title",
    0x5F15: "personal_summary", 0x5F18: "custody_information",
}


@dataclass(frozen=True)
class DG11:
    """Parsed DG11; absent fields are ``None`` (or empty tuples for the repeatable ones)."""

    raw: bytes
    tag_list: tuple[int, ...] = ()
    full_name: str | None = None
    other_names: tuple[str, ...] = ()
    personal_number: str | None = None
    full_date_of_birth: str | None = None
    place_of_birth: str | None = None
    address: str | None = None
    telephone: str | None = None
    profession: str | None = None
    title: str | None = None
    personal_summary: str | None = None
    proof_of_citizenship: bytes | None = None
    other_travel_document_numbers: tuple[str, ...] = ()
    custody_information: str | None = None

    def __repr__(self) -> str:  # never show personal data
        return present_fields_repr(self, "DG11")

    @classmethod
    def from_bytes(cls, raw: bytes) -> DG11:
        return parse_dg11(raw)


def parse_dg11(raw: bytes) -> DG11:
    """Parse DG11 (tag ``6B``); malformed content raises :class:`LDSError` / ``TLVError``."""
    raw = bytes(raw)
    values: dict[str, object] = {}
    others: list[str] = []
    documents: list[str] = []
    for tag, value in optional_objects(unwrap(raw, 0x6B, _FILE), _FILE, values,
                                       text_fields=_TEXT_FIELDS, repeatable=(0x5F0F, 0x5F17)):
        if tag == 0xA0:
            others.extend(counted_names(value, 0x5F0F, _FILE))
        elif tag == 0x5F0F:
            others.append(text(value))
        elif tag == 0x5F2B:
            values["full_date_of_birth"] = date_text(value, _FILE, "full date of birth")
        elif tag == 0x5F16:
            values["proof_of_citizenship"] = bytes(value)
        elif tag == 0x5F17:
            documents.append(text(value))
        # other tags (future LDS versions) are skipped
    return DG11(raw, other_names=tuple(others), other_travel_document_numbers=tuple(documents),
                **values)  # type: ignore[arg-type]


#: Uniform name across the LDS parser modules (``dg2.parse(raw)``).
parse = parse_dg11
