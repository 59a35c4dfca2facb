"""Loading face images safely: a path, encoded bytes or an array -> a BGR ``uint8`` array.

Every image that reaches the face code goes through :func:`load_image`. It

* decodes in memory with ``cv2.imdecode`` (no temporary files, nothing written),
* reads the declared dimensions from the header *before* decoding and refuses
  anything above :data:`MAX_PIXELS` (a 50-megapixel cap: a decompression bomb
  of a few kilobytes cannot make us allocate gigabytes),
* turns grayscale, grayscale+alpha and BGRA input into three-channel BGR, which
  is what chip photos (ICAO Doc 9303 Part 10, DG2: often grayscale JPEG or
  JPEG 2000, already decoded by the LDS layer) and camera frames become,
* raises :class:`~checkedid.errors.ImageError` for anything it cannot use.

The header reading, the in-memory decoding and the channel layouts are the shared
ones of :mod:`checkedid.imaging`; the limits and sample types are this module's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.errors import ImageError
from checkedid.imaging import BGRImage, declared_size, decode_in_memory, to_bgr
from checkedid.secret import zero

__all__ = ["MAX_FILE_BYTES", "MAX_PIXELS", "MIN_SIDE", "ImageInput", "is_grayscale", "load_image"]

#: Largest image we accept (width x height), about a 50-megapixel camera.
MAX_PIXELS = 50_000_000
#: Largest encoded image file we read.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Smallest side of a usable image; nothing smaller can hold a comparable face.
MIN_SIDE = 16

ImageInput = str | os.PathLike[str] | bytes | bytearray | memoryview | npt.NDArray[Any]


def _check_dims(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageError("the image has no pixels")
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"the image is {width}x{height} pixels, above the {MAX_PIXELS // 1_000_000} MP limit: "
            "resize it before matching"
        )
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"the image is {width}x{height} pixels, too small to hold a face")


def _decode(data: bytes | bytearray | memoryview) -> BGRImage:
    if len(data) == 0:
        raise ImageError("the image is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"the image file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    dims = declared_size(data, max_pixels=MAX_PIXELS)
    if dims is not None:
        _check_dims(*dims)
    img = decode_in_memory(data, cv2.IMREAD_COLOR)
    if img is None:
        raise ImageError("the image cannot be decoded (unsupported or corrupt format)")
    return _from_array(img)


def _from_array(arr: npt.NDArray[Any]) -> BGRImage:
    if not isinstance(arr, np.ndarray):
        raise ImageError("the image must be a numpy array, bytes or a path")
    if arr.dtype == np.uint16:
        arr = (arr >> 8).astype(np.uint8)
    elif arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        raise ImageError(f"image arrays must be uint8 (or uint16), not {arr.dtype}")
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 2, 3, 4)):
        raise ImageError(f"unsupported image shape {arr.shape}: expected HxW, HxWx3 or HxWx4")
    _check_dims(arr.shape[1], arr.shape[0])
    return to_bgr(arr)


def load_image(source: ImageInput | Any) -> BGRImage:
    """Return ``source`` as a contiguous three-channel BGR ``uint8`` array.

    ``source`` is a path (``str`` or ``PathLike``), encoded image bytes (JPEG, PNG,
    JPEG 2000, BMP, ...) or a numpy array (HxW grayscale, HxWx3 BGR, HxWx4 BGRA).
    Arrays already in the right form are returned as they are (no copy).
    """
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ImageError(f"the image file is larger than {MAX_FILE_BYTES >> 20} MiB")
            data = bytearray(size)
            with path.open("rb") as fh:
                got = fh.readinto(data)
        except ImageError:
            raise
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ImageError(f"cannot read the image file ({reason})") from exc
        try:
            return _decode(memoryview(data)[:got])
        finally:
            zero(data)  # the encoded photo is personal data: do not leave it in memory
    raise ImageError(f"unsupported image input of type {type(source).__name__}")


def is_grayscale(img: BGRImage) -> bool:
    """True when the three channels are (nearly) equal, e.g. a grayscale chip photo."""
    small = img[:: max(1, img.shape[0] // 64), :: max(1, img.shape[1] // 64)].astype(np.int16)
    return bool(np.abs(small[:, :, 0] - small[:, :, 1]).max() <= 2
                and np.abs(small[:, :, 1] - small[:, :, 2]).max() <= 2)
