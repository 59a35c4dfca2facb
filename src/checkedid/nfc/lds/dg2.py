"""EF.DG2: the encoded face (ICAO Doc 9303-10 §4.7.2; ISO/IEC 7816-11; ISO/IEC 19794-5:2005).

::

    75  DG2 template
        7F61  biometric information group template
              02    number of instances
              7F60  biometric information template (one per face)
                    A1    biometric header template (80 version, 81 type, 87 owner, 88 format …)
                    5F2E  biometric data block (7F2E: the same, enciphered-form tag)

The biometric data block is an ISO/IEC 39794-5 FaceImageDataBlock (DER, documents issued
from 2025; :mod:`checkedid.nfc.lds.face39794`) or an ISO/IEC 19794-5:2005 face record: a
14-byte general header (``FAC\\0``, version ``010\\0``, record length, number of faces),
then per face a 20-byte facial information block, 8 bytes per feature point, a 12-byte
image information block and the JPEG or JPEG 2000 image. Images are decoded through
:mod:`checkedid.nfc.lds.image`, which refuses oversized images before decoding.

DG2 is read before Passive Authentication, so it is hostile until proven otherwise:
every header is parsed first, a DG2 with more than :data:`MAX_FACES` faces in all is
refused, and only the face that is used (the first, :attr:`DG2.image`) is decoded —
within :data:`~checkedid.nfc.lds.image.MAX_PIXELS` (so at most
:data:`MAX_DECODED_BYTES` of pixels) checked before any decoder runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

import numpy as np

from checkedid.errors import ImageError, LDSError
from checkedid.nfc.lds import face39794
from checkedid.nfc.lds.image import MAX_PIXELS, decode_image
from checkedid.nfc.lds.template import children, unwrap

__all__ = [
    "DG2",
    "Expression",
    "EyeColour",
    "FaceImageError",
    "FaceImageType",
    "FaceRecord",
    "Gender",
    "HairColour",
    "ImageDataType",
    "parse",
    "parse_dg2",
    "parse_face_records",
]

_FILE = "EF.DG2"
FORMAT_ID = b"FAC\x00"
VERSION_2005 = b"010\x00"
_GENERAL_HEADER = 14
_FACIAL_INFO = 20
_FEATURE_POINT = 8
_IMAGE_INFO = 12
MAX_FACES = 16  # in one face record and in the whole DG2
MAX_DECODED_BYTES = MAX_PIXELS * 3  # the one decoded face, BGR


class FaceImageError(ImageError, LDSError):
    """DG2's face image is undecodable or oversized: an :class:`ImageError` that is also an
    :class:`LDSError` (a :class:`~checkedid.errors.ParseError`) naming the file."""

    def __init__(self, message: str) -> None:
        LDSError.__init__(self, message, file=_FILE)


class _Open(IntEnum):
    """An IntEnum that keeps unknown codes (as ``UNKNOWN_<n>`` pseudo-members)."""

    @classmethod
    def _missing_(cls, value: object) -> _Open | None:
        if not isinstance(value, int):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member


class Gender(_Open):
    """ISO/IEC 19794-5:2005 §5.5.3."""

    UNSPECIFIED = 0
    MALE = 1
    FEMALE = 2
    UNKNOWN = 0xFF


class EyeColour(_Open):
    """ISO/IEC 19794-5:2005 §5.5.4."""

    UNSPECIFIED = 0
    BLACK = 1
    BLUE = 2
    BROWN = 3
    GRAY = 4
    GREEN = 5
    MULTI_COLOURED = 6
    PINK = 7
    OTHER = 0xFF


class HairColour(_Open):
    """ISO/IEC 19794-5:2005 §5.5.5."""

    UNSPECIFIED = 0
    BALD = 1
    BLACK = 2
    BLONDE = 3
    BROWN = 4
    GRAY = 5
    WHITE = 6
    RED = 7
    GREEN = 8
    BLUE = 9
    OTHER = 0xFF


class Expression(_Open):
    """ISO/IEC 19794-5:2005 §5.5.7."""

    UNSPECIFIED = 0
    NEUTRAL = 1
    SMILE_CLOSED = 2
    SMILE_OPEN = 3
    RAISED_EYEBROWS = 4
    EYES_LOOKING_AWAY = 5
    SQUINTING = 6
    FROWNING = 7


class FaceImageType(_Open):
    """ISO/IEC 19794-5:2005 §5.7.1."""

    BASIC = 0
    FULL_FRONTAL = 1
    TOKEN_FRONTAL = 2


class ImageDataType(_Open):
    """ISO/IEC 19794-5:2005 §5.7.2."""

    JPEG = 0
    JPEG2000 = 1


@dataclass(frozen=True)
class FaceRecord:
    """One face of an ISO/IEC 19794-5:2005 record with its decoded image (BGR ``uint8``)."""

    version: str
    gender: Gender
    eye_colour: EyeColour
    hair_colour: HairColour
    feature_mask: int
    expression: Expression
    pose_angle: tuple[int, int, int]  # yaw, pitch, roll codes
    feature_points: int
    image_type: FaceImageType
    image_data_type: ImageDataType
    width: int
    height: int
    colour_space: int
    source_type: int
    device_type: int
    quality: int
    image_bytes: bytes = field(repr=False)
    image: np.ndarray[Any, np.dtype[np.uint8]] | None = field(repr=False, compare=False)

    def __repr__(self) -> str:  # gender and appearance are personal data
        return (f"<FaceRecord {self.width}x{self.height} {self.image_data_type.name} "
                f"decoded={self.image is not None} (personal data redacted)>")

    __str__ = __repr__


@dataclass(frozen=True)
class DG2:
    """Parsed DG2: ``raw`` exactly as read and the face records in file order."""

    raw: bytes = field(repr=False)
    faces: list[FaceRecord]

    @property
    def image(self) -> np.ndarray[Any, np.dtype[np.uint8]] | None:
        """The first face's decoded image (BGR ``uint8``)."""
        return self.faces[0].image

    @classmethod
    def from_bytes(cls, raw: bytes, *, decode: bool = True) -> DG2:
        return parse_dg2(raw, decode=decode)


class _Cursor:
    """Bounds-checked big-endian reads from a face record."""

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.data, self.pos, self.end = data, start, end

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > self.end:
            raise LDSError(f"face record truncated in the {what}", file=_FILE)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int, what: str) -> int:
        return int.from_bytes(self.take(n, what), "big")


def _face(cur: _Cursor, version: str, decode: bool) -> FaceRecord:
    start = cur.pos
    length = cur.uint(4, "facial information")
    end = start + length
    if length < _FACIAL_INFO + _IMAGE_INFO or end > cur.end:
        raise LDSError("facial record length is inconsistent", file=_FILE)
    points = cur.uint(2, "facial information")
    gender, eyes, hair = cur.take(3, "facial information")
    mask = cur.uint(3, "facial information")
    expression = cur.uint(2, "facial information")
    yaw, pitch, roll = cur.take(3, "facial information")
    cur.take(3, "facial information")  # pose angle uncertainty
    cur.take(points * _FEATURE_POINT, "feature points")
    info = cur.take(_IMAGE_INFO, "image information")
    if cur.pos > end:
        raise LDSError("facial record length is inconsistent", file=_FILE)
    image_bytes = cur.data[cur.pos:end]
    cur.pos = end
    if not image_bytes:
        raise LDSError("face record holds no image", file=_FILE)
    image = None
    if decode:
        try:
            image = decode_image(image_bytes)
        except ImageError as exc:
            raise FaceImageError(str(exc)) from None
    return FaceRecord(
        version=version, gender=Gender(gender), eye_colour=EyeColour(eyes),
        hair_colour=HairColour(hair), feature_mask=mask, expression=Expression(expression),
        pose_angle=(yaw, pitch, roll), feature_points=points,
        image_type=FaceImageType(info[0]), image_data_type=ImageDataType(info[1]),
        width=int.from_bytes(info[2:4], "big"), height=int.from_bytes(info[4:6], "big"),
        colour_space=info[6], source_type=info[7], device_type=int.from_bytes(info[8:10], "big"),
        quality=int.from_bytes(info[10:12], "big"), image_bytes=image_bytes, image=image)


def parse_face_records(block: bytes, *, decode: bool = True) -> list[FaceRecord]:
    """The faces of one ISO/IEC 19794-5:2005 record (a biometric data block)."""
    block = bytes(block)
    cur = _Cursor(block, 0, len(block))
    if cur.take(4, "general header") != FORMAT_ID:
        raise LDSError("biometric data block is not an ISO/IEC 19794-5 face record", file=_FILE)
    version = cur.take(4, "general header")
    if version != VERSION_2005:
        raise LDSError("face record version is not supported (only 19794-5:2005 '010')",
                       file=_FILE)
    length = cur.uint(4, "general header")
    count = cur.uint(2, "general header")
    if length < _GENERAL_HEADER or length > len(block):
        raise LDSError("face record length is inconsistent", file=_FILE)
    if not 1 <= count <= MAX_FACES:
        raise LDSError(f"face record declares {count} faces (1..{MAX_FACES} supported)",
                       file=_FILE)
    cur.end = length
    text = version[:3].decode("ascii")
    return [_face(cur, text, decode) for _ in range(count)]


def _from_39794(rep: face39794.Representation) -> FaceRecord:
    """A 39794-5 face as a :class:`FaceRecord` (attributes 19794-5 has and 39794-5 keeps
    elsewhere, or not at all, are "unspecified")."""
    return FaceRecord(
        version=rep.version, gender=Gender.UNSPECIFIED, eye_colour=EyeColour.UNSPECIFIED,
        hair_colour=HairColour.UNSPECIFIED, feature_mask=0, expression=Expression.UNSPECIFIED,
        pose_angle=(0, 0, 0), feature_points=0, image_type=FaceImageType.FULL_FRONTAL,
        image_data_type=ImageDataType(rep.image_data_type), width=rep.width, height=rep.height,
        colour_space=0, source_type=0, device_type=0, quality=0, image_bytes=rep.image_bytes,
        image=rep.image)


def _bit(value: bytes, decode: bool) -> list[FaceRecord]:
    """One biometric information template 7F60 (ISO/IEC 7816-11 §C): the data block is a
    19794-5 record (``FAC\0``) or, from 2025, a 39794-5 FaceImageDataBlock (DER)."""
    blocks = [v for t, v, _ in children(value) if t in (0x5F2E, 0x7F2E)]
    headers = [t for t, _, _ in children(value) if t == 0xA1]
    if len(blocks) != 1 or len(headers) != 1:
        raise LDSError("biometric information template needs one header A1 and one "
                       "data block 5F2E/7F2E", file=_FILE)
    if face39794.is_39794_block(blocks[0]):
        reps = face39794.parse_face_image_data_block(blocks[0], decode=decode)
        return [_from_39794(r) for r in reps]
    return parse_face_records(blocks[0], decode=decode)


def parse_dg2(raw: bytes, *, decode: bool = True) -> DG2:
    """Parse DG2 (tag ``75``); ``decode=False`` skips image decoding (headers only)."""
    raw = bytes(raw)
    groups = [v for t, v, _ in children(unwrap(raw, 0x75, _FILE)) if t == 0x7F61]
    if len(groups) != 1:
        raise LDSError("expected one biometric information group template 7F61", file=_FILE)
    items = children(groups[0])
    counts = [v for t, v, _ in items if t == 0x02]
    templates = [v for t, v, _ in items if t == 0x7F60]
    if len(counts) != 1 or len(counts[0]) != 1:
        raise LDSError("biometric information group lacks its instance count 02", file=_FILE)
    if counts[0][0] != len(templates) or not templates:
        raise LDSError(f"instance count {counts[0][0]} does not match the "
                       f"{len(templates)} templates present", file=_FILE)
    if len(templates) > MAX_FACES:
        raise LDSError(f"DG2 holds {len(templates)} biometric templates (at most {MAX_FACES} "
                       "faces are accepted)", file=_FILE)
    faces: list[FaceRecord] = []
    for value in templates:  # headers only: nothing is decoded before the count is known
        faces.extend(_bit(value, False))
    if len(faces) > MAX_FACES:
        raise LDSError(f"DG2 holds {len(faces)} faces (at most {MAX_FACES} are accepted)",
                       file=_FILE)
    if decode:  # only the face that is used; the others keep their encoded bytes
        try:
            faces[0] = replace(faces[0], image=decode_image(faces[0].image_bytes))
        except ImageError as exc:
            raise FaceImageError(str(exc)) from None
    return DG2(raw, faces)


#: Uniform name across the LDS parser modules (``dg2.parse(raw)``).
parse = parse_dg2
