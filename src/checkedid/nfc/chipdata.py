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

from checkedid.errors import ImageError, LDSError, ParseError
from checkedid.imaging import BGRImage
from checkedid.nfc.lds.com import EFCom
from checkedid.nfc.lds.dg1 import DG1
from checkedid.nfc.lds.dg2 import DG2
from checkedid.nfc.lds.dg11 import DG11
from checkedid.nfc.lds.dg12 import DG12
from checkedid.nfc.lds.dg14 import DG14
from checkedid.nfc.lds.dg15 import DG15
from checkedid.nfc.lds.edl import LicenceDG1
from checkedid.nfc.lds.image import DeferredImage
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
    #: the first face, decoded on first use (see :attr:`face_image`)
    portrait: DeferredImage | None
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

    @property
    def face_image(self) -> BGRImage | None:
        """The portrait decoded (BGR ``uint8``), or ``None`` without a usable one.

        The decoder runs on first access, in the step that needs the face, not during the
        chip read (its header and size limits were checked when DG2 was parsed). A
        portrait the decoder cannot read adds a warning and yields ``None``.
        """
        if self.portrait is None:
            return None
        try:
            return self.portrait.decode()
        except ImageError:
            note = f"{self._portrait_name()} could not be decoded (FaceImageError): no face image"
            if note not in self.warnings:
                self.warnings.append(note)
            return None

    def _portrait_name(self) -> str:
        return "DG6" if self.application == "eDL" else "DG2"

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
    portrait: DeferredImage | None = None
    dg11: DG11 | None = None
    dg12: DG12 | None = None
    dg14: DG14 | None = None
    dg15: DG15 | None = None


def attach_portrait(out: LDSObjects, raw: bytes | bytearray, name: str,
                    secrets: SecretRegistry, warnings: list[str]) -> None:
    """Parse the portrait data group ``name`` (an eMRTD's DG2, a licence's DG6: the same
    biometric template) into ``out``. The first face's image header is checked against the
    size limits here; the image itself is decoded on first use
    (:class:`~checkedid.nfc.lds.image.DeferredImage`; it and the decoded pixels join
    ``secrets``, which it keeps alive, so they are wiped with the rest). A portrait that
    cannot be parsed is a warning, not an error: Passive Authentication still hashes it."""
    try:
        out.dg2 = DG2.from_bytes(bytes(raw), decode=False)
        out.portrait = secrets.add(DeferredImage(out.dg2.faces[0].image_bytes,
                                                 register=secrets.add))
    except ImageError:  # the header is unreadable or declares a size beyond the limits
        out.dg2 = out.portrait = None
        warnings.append(f"{name} could not be decoded (FaceImageError): no face image")
    except ParseError as exc:
        out.dg2 = out.portrait = None
        warnings.append(f"{name} could not be decoded ({type(exc).__name__}): no face image")


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
