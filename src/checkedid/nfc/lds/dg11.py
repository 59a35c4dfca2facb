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

from dataclasses import dataclass, fields

from checkedid.errors import LDSError
from checkedid.nfc.lds.template import children, date_text, text, unwrap

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
        present = [f.name for f in fields(self)
                   if f.name not in ("raw", "tag_list") and getattr(self, f.name) not in (None, ())]
        return f"<DG11 {len(self.raw)} bytes; fields: {', '.join(present) or 'none'}>"

    @classmethod
    def from_bytes(cls, raw: bytes) -> DG11:
        return parse_dg11(raw)


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


def parse_dg11(raw: bytes) -> DG11:
    """Parse DG11 (tag ``6B``); malformed content raises :class:`LDSError` / ``TLVError``."""
    raw = bytes(raw)
    values: dict[str, object] = {}
    others: list[str] = []
    documents: list[str] = []
    seen: set[int] = set()
    for tag, value, _ in children(unwrap(raw, 0x6B, _FILE)):
        if tag in seen and tag not in (0x5F0F, 0x5F17):
            raise LDSError(f"data object {tag:04X} appears twice", file=_FILE)
        seen.add(tag)
        if tag == 0x5C:
            values["tag_list"] = tag_list(value, _FILE)
        elif tag in _TEXT_FIELDS:
            values[_TEXT_FIELDS[tag]] = text(value)
        elif tag == 0xA0:
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
