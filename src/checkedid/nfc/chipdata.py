"""What a chip read yields: :class:`ChipData`, and the parsing of the files read.

Parsing follows the LDS (ICAO Doc 9303-10 §4.6-4.7): EF.COM, DG1 (MRZ) and DG2
(face) are needed; a DG2 that cannot be decoded leaves no face image (with a
warning), and the optional data groups (DG11, DG12, DG14, DG15) that cannot be
parsed are reported as warnings and left out. The raw bytes of every file stay as
read, for Passive Authentication.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from checkedid.errors import LDSError, ParseError
from checkedid.imaging import BGRImage
from checkedid.nfc.lds.com import EFCom
from checkedid.nfc.lds.dg1 import DG1
from checkedid.nfc.lds.dg2 import DG2
from checkedid.nfc.lds.dg11 import DG11
from checkedid.nfc.lds.dg12 import DG12
from checkedid.nfc.lds.dg14 import DG14
from checkedid.nfc.lds.dg15 import DG15
from checkedid.nfc.lds.edl import LicenceDG1
from checkedid.secret import SecretRegistry
from checkedid.verdict import CheckGroup, JSONValue

__all__ = ["ChipData", "LDSObjects", "attach_portrait", "parse_files", "parse_optional"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

@dataclass
class ChipData:
    """Everything read from the chip, raw and parsed, plus the AA and CA outcomes.

    ``dg_bytes`` hold the data groups exactly as read (Passive Authentication hashes
    them); ``access_details``, ``warnings``, ``file_sizes`` and ``timings`` never hold
    personal data. ``active`` is the Active Authentication outcome (NOT_SUPPORTED
    without DG15), ``chip`` that of Chip Authentication or PACE-CAM.
    """

    protocol: str
    access_details: dict[str, JSONValue]
    warnings: list[str]
    sod_bytes: bytes
    dg_bytes: dict[int, bytes]
    com: EFCom
    dg1: DG1 | LicenceDG1
    dg2: DG2 | None
    face_image: BGRImage | None
    dg11: DG11 | None
    dg12: DG12 | None
    dg14: DG14 | None
    dg15: DG15 | None
    active: CheckGroup
    chip: CheckGroup
    timings: dict[str, float] = field(default_factory=dict)
    apdu_count: int = 0
    file_sizes: dict[str, int] = field(default_factory=dict)
    recoveries: int = 0
    unread: dict[int, str] = field(default_factory=dict)  # DG -> why it was not served
    card_access: bytes = b""  # EF.CardAccess as read at MF level (empty: none)
    card_security: bytes = b""  # EF.CardSecurity as read after access (empty: none, not read)
    #: ``"eMRTD"`` or ``"eDL"`` (:mod:`checkedid.nfc.application`); for ``"eDL"`` ``dg1``
    #: is a :class:`~checkedid.nfc.lds.edl.LicenceDG1`, ``dg2`` the DG6 portrait, ``dg15``
    #: the DG13 key, and ``dg_bytes`` is keyed by the licence's DG numbers.
    application: str = "eMRTD"

    def __repr__(self) -> str:
        """Protocol, file sizes and AA/CA verdicts only: the DGs hold personal data."""
        files = ",".join(f"{n}:{size}" for n, size in self.file_sizes.items())
        return (f"<ChipData {self.application} {self.protocol} files={files} "
                f"active={self.active.verdict.value} chip={self.chip.verdict.value} "
                "(personal data redacted)>")

    __str__ = __repr__

    def summary(self) -> dict[str, JSONValue]:
        """A JSON-able summary without personal data: protocol, files, checks, timings."""
        return {
            "protocol": self.protocol,
            "application": self.application,
            "access": dict(self.access_details),
            "files": dict(self.file_sizes),
            "face_image": None if self.face_image is None else list(self.face_image.shape),
            "warnings": list(self.warnings),
            "authentication": {"active": self.active.to_dict(), "chip": self.chip.to_dict()},
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "apdu_count": self.apdu_count,
            "recoveries": self.recoveries,
            "unread": {f"DG{n}": why for n, why in sorted(self.unread.items())},
        }


@dataclass
class LDSObjects:
    """Parsed LDS files (``None`` where absent or unparseable)."""

    com: EFCom
    dg1: DG1 | LicenceDG1
    dg2: DG2 | None = None
    face_image: BGRImage | None = None
    dg11: DG11 | None = None
    dg12: DG12 | None = None
    dg14: DG14 | None = None
    dg15: DG15 | None = None


def attach_portrait(out: LDSObjects, raw: bytes | bytearray, name: str,
                    secrets: SecretRegistry, warnings: list[str]) -> None:
    """Parse the portrait data group ``name`` (an eMRTD's DG2, a licence's DG6: the same
    biometric template) into ``out``; its decoded faces join ``secrets``. A portrait that
    cannot be decoded is a warning, not an error: Passive Authentication still hashes it."""
    try:
        dg2 = DG2.from_bytes(bytes(raw))
    except ParseError as exc:
        warnings.append(f"{name} could not be decoded ({type(exc).__name__}): no face image")
        return
    for face in dg2.faces:
        if face.image is not None:
            secrets.add(face.image)
    out.dg2, out.face_image = dg2, dg2.image


def parse_optional(name: str, parser: Callable[[bytes], _T],
                   raw: Mapping[str, bytes | bytearray], warnings: list[str]) -> _T | None:
    """Parse the optional file ``name`` when it was read; one that cannot be parsed is a
    warning and ``None`` (Passive Authentication still hashes its bytes)."""
    if name not in raw:
        return None
    try:
        return parser(bytes(raw[name]))
    except ParseError as exc:
        warnings.append(f"{name} could not be parsed ({type(exc).__name__}): left out")
        return None


def parse_files(raw: Mapping[str, bytes | bytearray], secrets: SecretRegistry,
                warnings: list[str]) -> LDSObjects:
    """Parse EF.COM and the data groups; register decoded face images with ``secrets``."""
    com = EFCom.from_bytes(bytes(raw["COM"]))
    if "DG1" not in raw:
        raise LDSError("the chip lists no DG1 (MRZ), which every eMRTD must hold", file="COM")
    out = LDSObjects(com=com, dg1=DG1.from_bytes(bytes(raw["DG1"])))
    if "DG2" in raw:
        attach_portrait(out, raw["DG2"], "DG2", secrets, warnings)
    out.dg11 = parse_optional("DG11", DG11.from_bytes, raw, warnings)
    out.dg12 = parse_optional("DG12", DG12.from_bytes, raw, warnings)
    out.dg14 = parse_optional("DG14", DG14.from_bytes, raw, warnings)
    out.dg15 = parse_optional("DG15", DG15.from_bytes, raw, warnings)
    return out
