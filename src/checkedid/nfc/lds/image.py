"""Safe decoding of the portrait images held in DG2 (ICAO Doc 9303-10 §4.7.2; ISO/IEC 19794-5).

A face image on a chip is outside input: a forged or corrupted DG2 could declare a
65535 x 65535 picture that would take gigabytes to decompress. :func:`image_info`
reads only the header — the JPEG frame header (SOFn, ITU-T T.81 §B.2.2), the JP2
image header box ``ihdr`` (ISO/IEC 15444-1 §I.5.3.1) and the codestream's SIZ
marker (§A.5.1) — and :func:`decode_image` refuses anything beyond the portrait limits of
the one set of image limits, :data:`checkedid.imaging.PORTRAIT_LIMITS` (:data:`MAX_SIDE`
per side, :data:`MAX_PIXELS` in total, JPEG or JPEG 2000), *before* a decoder sees
the data. :class:`DeferredImage` checks the header at once and decodes on first use,
so a chip read does not pay for a decode only the face match needs. Decoded images are
BGR ``uint8`` arrays with three channels (greyscale portraits are expanded).

Errors are :class:`checkedid.errors.ImageError`; messages never contain image data.
The in-memory decoding and the channel layouts are the shared ones of
:mod:`checkedid.imaging`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import numpy as np

from checkedid.errors import ImageError
from checkedid.imaging import PORTRAIT_LIMITS, ImageLimits, decode_in_memory, to_bgr

__all__ = ["MAX_PIXELS", "MAX_SIDE", "DeferredImage", "ImageInfo", "check_bounds", "decode_image",
           "image_info"]

MAX_SIDE = cast(int, PORTRAIT_LIMITS.max_side)
MAX_PIXELS = PORTRAIT_LIMITS.max_pixels

JPEG = "jpeg"
JP2 = "jp2"  # JPEG 2000 file format (boxes)
J2K = "j2k"  # raw JPEG 2000 codestream

_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_J2K_SOC_SIZ = b"\xff\x4f\xff\x51"
# SOFn markers that carry a frame header (all but DHT C4, JPG C8, DAC CC).
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
# Markers without a length field (ITU-T T.81 §B.1.1.3): TEM, RSTn.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


@dataclass(frozen=True)
class ImageInfo:
    """What the image header declares: format (``jpeg``, ``jp2``, ``j2k``) and size."""

    format: str
    width: int
    height: int
    components: int


def _u16(data: bytes, pos: int) -> int:
    if pos + 2 > len(data):
        raise ImageError("image header is truncated")
    return int.from_bytes(data[pos:pos + 2], "big")


def _u32(data: bytes, pos: int) -> int:
    if pos + 4 > len(data):
        raise ImageError("image header is truncated")
    return int.from_bytes(data[pos:pos + 4], "big")


def _jpeg_info(data: bytes) -> ImageInfo:
    """Walk the JPEG marker segments up to the frame header (ITU-T T.81 §B.2)."""
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise ImageError("JPEG marker segment expected")
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes (§B.1.1.2)
            pos += 1
        if pos >= len(data):
            break
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE:
            continue
        if marker in (0xD8, 0xD9, 0xDA):
            raise ImageError("JPEG has no frame header before its scan data")
        length = _u16(data, pos)
        if length < 2:
            raise ImageError("JPEG marker segment has an invalid length")
        if marker in _SOF:
            if length < 8 or pos + 8 > len(data):
                raise ImageError("JPEG frame header is truncated")
            height = _u16(data, pos + 3)
            width = _u16(data, pos + 5)
            return ImageInfo(JPEG, width, height, data[pos + 7])
        pos += length
    raise ImageError("JPEG has no frame header")


def _siz_info(data: bytes, pos: int, fmt: str) -> ImageInfo:
    """Image size from a JPEG 2000 SIZ marker segment at ``pos`` (ISO/IEC 15444-1 §A.5.1)."""
    if data[pos:pos + 4] != _J2K_SOC_SIZ:
        raise ImageError("JPEG 2000 codestream does not start with SOC, SIZ")
    base = pos + 4
    xsiz, ysiz = _u32(data, base + 4), _u32(data, base + 8)
    xo, yo = _u32(data, base + 12), _u32(data, base + 16)
    comps = _u16(data, base + 36)
    if xo >= xsiz or yo >= ysiz:
        raise ImageError("JPEG 2000 image area is empty")
    return ImageInfo(fmt, xsiz - xo, ysiz - yo, comps)


def _jp2_info(data: bytes) -> ImageInfo:
    """Walk the JP2 boxes (ISO/IEC 15444-1 §I.4): ``jp2h/ihdr`` and the codestream ``jp2c``."""
    header: tuple[int, int] | None = None
    pos = 0
    end = len(data)
    stack: list[int] = []  # ends of the superboxes we are inside
    while pos < end:
        if pos + 8 > end:
            raise ImageError("JP2 box header is truncated")
        length, box = _u32(data, pos), data[pos + 4:pos + 8]
        head = 8
        if length == 1:
            if pos + 16 > end:
                raise ImageError("JP2 box header is truncated")
            length, head = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
        elif length == 0:
            length = end - pos
        if length < head or pos + length > end:
            raise ImageError("JP2 box length is invalid")
        if box == b"jp2h":
            stack.append(end)
            end = pos + length
            pos += head
            continue
        if box == b"ihdr":
            if length - head < 14:
                raise ImageError("JP2 image header box is truncated")
            header = (_u32(data, pos + head + 4), _u32(data, pos + head))  # width, height
        elif box == b"jp2c":
            siz = _siz_info(data, pos + head, JP2)
            if header is not None and (siz.width, siz.height) != header:
                raise ImageError("JP2 header and codestream disagree on the image size")
            return siz
        pos += length
        if pos >= end and stack:
            end = stack.pop()
    raise ImageError("JP2 file has no codestream")


def image_info(data: bytes) -> ImageInfo:
    """Format and declared size of a JPEG, JP2 or J2K image, from its header only."""
    if data[:3] == b"\xff\xd8\xff":
        return _jpeg_info(data)
    if data[:12] == _JP2_SIGNATURE:
        return _jp2_info(data)
    if data[:4] == _J2K_SOC_SIZ:
        return _siz_info(data, 0, J2K)
    raise ImageError("image is neither JPEG nor JPEG 2000")


def check_bounds(info: ImageInfo, *, max_side: int = MAX_SIDE,
                 max_pixels: int = MAX_PIXELS) -> None:
    """Refuse declared sizes that are empty or beyond the decompression limits
    (:data:`checkedid.imaging.PORTRAIT_LIMITS` unless narrowed)."""
    limits = PORTRAIT_LIMITS
    if (max_side, max_pixels) != (limits.max_side, limits.max_pixels):
        limits = ImageLimits(limits.max_bytes, max_pixels, limits.formats, max_side)
    limits.check_size(info.width, info.height)


def _to_bgr(img: Any) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """16-bit samples scaled to 8 bits, extra channels dropped, then BGR (core layouts)."""
    import cv2

    if img.dtype != np.uint8:
        img = cv2.convertScaleAbs(img, alpha=255.0 / 65535.0) if img.dtype == np.uint16 \
            else img.astype(np.uint8)
    if img.ndim == 3 and img.shape[2] > 4:
        img = img[:, :, :3]
    return to_bgr(img)


@lru_cache(maxsize=1)
def _cv2_reads_jpeg2000() -> bool:
    import cv2

    lines = [ln for ln in cv2.getBuildInformation().splitlines() if "JPEG 2000:" in ln]
    return bool(lines) and not lines[0].split(":", 1)[1].strip().upper().startswith("NO")


def _pillow_decode(data: bytes) -> np.ndarray[Any, np.dtype[np.uint8]] | None:
    """Fallback for OpenCV builds without OpenJPEG (size already checked by the caller)."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except Exception:  # any decoder failure is "cannot be decoded" (ImageError below)
        return None
    return np.ascontiguousarray(rgb[:, :, ::-1])


def decode_image(data: bytes, *, max_side: int = MAX_SIDE,
                 max_pixels: int = MAX_PIXELS) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Decode a JPEG or JPEG 2000 image to a BGR ``uint8`` array (height, width, 3).

    The declared size is checked against the limits before decoding; the decoded
    size must match the declared one.
    """
    import cv2

    PORTRAIT_LIMITS.check_bytes(len(data))
    info = image_info(bytes(data))
    check_bounds(info, max_side=max_side, max_pixels=max_pixels)
    img: Any = decode_in_memory(data, cv2.IMREAD_UNCHANGED)
    if img is None and info.format != JPEG and not _cv2_reads_jpeg2000():
        img = _pillow_decode(bytes(data))
    if img is None:
        raise ImageError(f"{info.format.upper()} image cannot be decoded")
    out = _to_bgr(img)
    if out.shape[:2] != (info.height, info.width):
        raise ImageError("decoded image size differs from its header")
    return out


class DeferredImage:
    """An image whose header already passed :func:`check_bounds`, decoded on first use.

    The constructor reads the header and enforces the limits (raising
    :class:`~checkedid.errors.ImageError` as :func:`decode_image` would), so hostile sizes
    are refused when the data group is parsed; only the decoder run waits until
    :meth:`decode` is first called. The outcome (image or error) is kept: the decoder runs
    at most once, and ``register`` (e.g. a :class:`~checkedid.secret.SecretRegistry`'s
    ``add``, held as long as this object) receives the decoded array. :meth:`wipe` zeroes
    a decoded image and drops the encoded bytes; after it, :meth:`decode` returns the
    zeroed image, or ``None`` if none was decoded.
    """

    __slots__ = ("_data", "_error", "_image", "_limits", "_lock", "_register", "info")

    def __init__(self, data: bytes | bytearray | memoryview, *,
                 register: Callable[[Any], Any] | None = None, max_side: int = MAX_SIDE,
                 max_pixels: int = MAX_PIXELS) -> None:
        raw = bytes(data)
        self.info = image_info(raw)
        check_bounds(self.info, max_side=max_side, max_pixels=max_pixels)
        self._data: bytes | None = raw
        self._limits = (max_side, max_pixels)
        self._register = register
        self._image: np.ndarray[Any, np.dtype[np.uint8]] | None = None
        self._error: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "decoded" if self._image is not None else "pending"
        return f"<DeferredImage {self.info.format} {self.info.width}x{self.info.height} {state}>"

    @property
    def decoded(self) -> bool:
        """Whether the decoder has run (successfully or not)."""
        return self._image is not None or self._error is not None

    def decode(self) -> np.ndarray[Any, np.dtype[np.uint8]] | None:
        """The decoded BGR image; raises :class:`~checkedid.errors.ImageError` when the
        data cannot be decoded (every call, the decoder having run once)."""
        with self._lock:
            if self._image is None and self._error is None and self._data is not None:
                side, pixels = self._limits
                try:
                    self._image = decode_image(self._data, max_side=side, max_pixels=pixels)
                except ImageError as exc:
                    self._error = str(exc)
                else:
                    if self._register is not None:
                        self._register(self._image)
            if self._error is not None:
                raise ImageError(self._error)
            return self._image

    def wipe(self) -> None:
        """Zero the decoded image and forget the encoded bytes."""
        with self._lock:
            if self._image is not None:
                self._image.fill(0)
            self._data = None
