"""EF.DG12: additional document details (ICAO Doc 9303-10 §4.7.12).

::

    6C  DG12 template
        5C    tag list of the data objects present
        5F19  issuing authority
        5F26  date of issue (YYYYMMDD)
        A0    other persons: 02 count, then 5F1A per name
        5F1B  endorsements and observations
        5F1C  tax / exit requirements
        5F1D  image of the front of the document
        5F1E  image of the rear of the document
        5F55  date and time of personalisation (YYYYMMDDhhmmss)
        5F56  serial number of the personalisation system

Every field is optional; ``repr`` shows which are present, never their content.
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

__all__ = ["DG12", "parse", "parse_dg12"]

_FILE = "EF.DG12"

_TEXT_FIELDS = {
    0x5F19: "issuing_authority", 0x5F1B: "endorsements", 0x5F1C: "tax_exit_requirements",
    0x5F56: "personalisation_device_serial",
}


@dataclass(frozen=True)
class DG12:
    """Parsed DG12; absent fields are ``None`` (``other_persons`` an empty tuple)."""

    raw: bytes
    tag_list: tuple[int, ...] = ()
    issuing_authority: str | None = None
    date_of_issue: str | None = None
    other_persons: tuple[str, ...] = ()
    endorsements: str | None = None
    tax_exit_requirements: str | None = None
    image_front: bytes | None = None
    image_rear: bytes | None = None
    personalisation_time: str | None = None
    personalisation_device_serial: str | None = None

    def __repr__(self) -> str:  # never show personal data
        return present_fields_repr(self, "DG12")

    @classmethod
    def from_bytes(cls, raw: bytes) -> DG12:
        return parse_dg12(raw)


def parse_dg12(raw: bytes) -> DG12:
    """Parse DG12 (tag ``6C``); malformed content raises :class:`LDSError` / ``TLVError``."""
    raw = bytes(raw)
    values: dict[str, object] = {}
    persons: list[str] = []
    for tag, value in optional_objects(unwrap(raw, 0x6C, _FILE), _FILE, values,
                                       text_fields=_TEXT_FIELDS, repeatable=(0x5F1A,)):
        if tag == 0x5F26:
            values["date_of_issue"] = date_text(value, _FILE, "date of issue")
        elif tag == 0xA0:
            persons.extend(counted_names(value, 0x5F1A, _FILE))
        elif tag == 0x5F1A:
            persons.append(text(value))
        elif tag == 0x5F1D:
            values["image_front"] = bytes(value)
        elif tag == 0x5F1E:
            values["image_rear"] = bytes(value)
        elif tag == 0x5F55:
            values["personalisation_time"] = date_text(value, _FILE, "personalisation time")
    return DG12(raw, other_persons=tuple(persons), **values)  # type: ignore[arg-type]


#: Uniform name across the LDS parser modules (``dg2.parse(raw)``).
parse = parse_dg12
