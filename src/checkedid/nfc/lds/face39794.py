"""DG2 face images in the ISO/IEC 39794-5 encoding (ICAO Doc 9303-10 §4.7.2, 2025 onwards).

From 2025 issuers may store the face as an ISO/IEC 39794-5:2019 ``FaceImageDataBlock`` (DER,
``DEFINITIONS IMPLICIT TAGS``, the ICAO application profile of the ISO/IEC 39794-5 ASN.1
module) instead of a 19794-5 binary record. In DG2 the biometric header template names format
owner ``0101`` (JTC 1/SC 37) and format type ``002A``, and the data block (tag ``7F2E``)
holds::

    A1  [1] the data-block choice of the profile (optional wrapper)
        65  FaceImageDataBlock ::= [APPLICATION 5] SEQUENCE
            A0  versionBlock         { 80 generation, 81 year }
            A1  representationBlocks  SEQUENCE SIZE (1) OF
                30  RepresentationBlock
                    80  representationId
                    A1  imageRepresentation  CHOICE  -> A0 base CHOICE
                        A0  imageRepresentation2DBlock
                            80  representationData2D  (the JPEG / JPEG 2000 image)
                            A1  imageInformation2DBlock
                                A0  imageDataFormat  CHOICE -> 80 code
                                    (2 JPEG, 3 JPEG 2000 lossy, 4 JPEG 2000 lossless)
                                A7  imageSizeBlock { 80 width, 81 height }   (optional)
                    A2 .. A9  capture date, quality, PAD, ... (not needed here)

Only what the verification needs is read (the image, its format and size); every other block
is skipped. Malformed structures raise :class:`~checkedid.errors.LDSError` naming EF.DG2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from checkedid.errors import ImageError, LDSError
from checkedid.nfc.lds.image import decode_image
from checkedid.nfc.lds.template import children

__all__ = ["FORMAT_TYPE", "IMAGE_FORMATS", "Representation", "is_39794_block",
           "parse_face_image_data_block"]

_FILE = "EF.DG2"
#: CBEFF format type of the ISO/IEC 39794-5 face image data (owner 0x0101, JTC 1/SC 37).
FORMAT_TYPE = 0x002A
#: ImageDataFormatCode (ISO/IEC 39794-5:2019 §7.32) -> 19794-5 image data type (0 JPEG, 1 J2K).
IMAGE_FORMATS = {2: 0, 3: 1, 4: 1}
MAX_REPRESENTATIONS = 16


@dataclass(frozen=True)
class Representation:
    """One face of a 39794-5 FaceImageDataBlock: what the verification uses."""

    version: str
    image_data_type: int  # as ISO/IEC 19794-5: 0 JPEG, 1 JPEG 2000
    width: int  # 0 when the imageSizeBlock is absent
    height: int
    image_bytes: bytes = field(repr=False)
    image: np.ndarray[Any, np.dtype[np.uint8]] | None = field(repr=False, compare=False)


def is_39794_block(block: bytes) -> bool:
    """True when a biometric data block is DER (``A1``/``65``), not a ``FAC\\0`` record."""
    return bool(block) and block[0] in (0xA1, 0x65)


def _fields(value: bytes, what: str) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for tag, inner, _ in children(value):
        if tag in out:
            raise LDSError(f"{what}: element {tag:02X} appears twice", file=_FILE)
        out[tag] = inner
    return out


def _need(fields: dict[int, bytes], tag: int, what: str) -> bytes:
    if tag not in fields:
        raise LDSError(f"39794-5 face data lacks the {what}", file=_FILE)
    return fields[tag]


def _uint(value: bytes, what: str, limit: int = 0xFFFFFFFF) -> int:
    if not value or len(value) > 5 or value[0] & 0x80:
        raise LDSError(f"39794-5 {what} is not a non-negative INTEGER", file=_FILE)
    n = int.from_bytes(value, "big")
    if n > limit:
        raise LDSError(f"39794-5 {what} is out of range", file=_FILE)
    return n


def _one(value: bytes, tag: int, what: str) -> bytes:
    items = children(value)
    if len(items) != 1 or items[0][0] != tag:
        raise LDSError(f"39794-5 {what}: expected one element {tag:02X}", file=_FILE)
    return items[0][1]


def _representation(value: bytes, version: str, decode: bool) -> Representation:
    fields = _fields(value, "RepresentationBlock")
    _uint(_need(fields, 0x80, "representationId"), "representationId")
    choice = _need(fields, 0xA1, "imageRepresentation")
    base = _one(choice, 0xA0, "imageRepresentation (only the 2D base form is defined)")
    block = _fields(_one(base, 0xA0, "ImageRepresentationBase"), "ImageRepresentation2DBlock")
    image_bytes = _need(block, 0x80, "representationData2D (the image)")
    info = _fields(_need(block, 0xA1, "imageInformation2DBlock"), "ImageInformation2DBlock")
    fmt = _fields(_need(info, 0xA0, "imageDataFormat"), "ImageDataFormat")
    if 0x80 not in fmt:
        raise LDSError("39794-5 image data format is an extension this reader does not know",
                       file=_FILE)
    code = _uint(fmt[0x80], "imageDataFormat", 0xFF)
    if code not in IMAGE_FORMATS:
        raise LDSError(f"39794-5 image data format {code} is not JPEG or JPEG 2000", file=_FILE)
    width = height = 0
    if 0xA7 in info:
        size = _fields(info[0xA7], "ImageSizeBlock")
        width = _uint(_need(size, 0x80, "image width"), "image width", 0xFFFF)
        height = _uint(_need(size, 0x81, "image height"), "image height", 0xFFFF)
    if not image_bytes:
        raise LDSError("39794-5 face data holds no image", file=_FILE)
    image = None
    if decode:
        try:
            image = decode_image(bytes(image_bytes))
        except ImageError as exc:
            from checkedid.nfc.lds.dg2 import FaceImageError  # dg2 imports this module

            raise FaceImageError(str(exc)) from None
    return Representation(version, IMAGE_FORMATS[code], width, height, bytes(image_bytes), image)


def parse_face_image_data_block(block: bytes, *, decode: bool = True) -> list[Representation]:
    """The faces of one ISO/IEC 39794-5 ``FaceImageDataBlock`` (a DG2 biometric data block);
    ``decode=False`` leaves :attr:`Representation.image` ``None``."""
    items = children(bytes(block))
    if len(items) == 1 and items[0][0] == 0xA1:  # the profile's [1] data-block choice
        items = children(items[0][1])
    if len(items) != 1 or items[0][0] != 0x65:
        raise LDSError("biometric data block is not an ISO/IEC 39794-5 FaceImageDataBlock",
                       file=_FILE)
    top = _fields(items[0][1], "FaceImageDataBlock")
    vb = _fields(_need(top, 0xA0, "versionBlock"), "VersionBlock")
    generation = _uint(_need(vb, 0x80, "version generation"), "version generation", 0xFFFF)
    year = _uint(_need(vb, 0x81, "version year"), "version year", 0xFFFF)
    reps = children(_need(top, 0xA1, "representationBlocks"))
    if not 1 <= len(reps) <= MAX_REPRESENTATIONS or any(t != 0x30 for t, _, _ in reps):
        raise LDSError(f"39794-5 face data needs 1..{MAX_REPRESENTATIONS} RepresentationBlock "
                       "SEQUENCEs", file=_FILE)
    version = f"39794-5:{year} generation {generation}"
    return [_representation(value, version, decode) for _, value, _ in reps]
