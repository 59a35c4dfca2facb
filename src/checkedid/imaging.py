"""Decoding images in memory and bringing them to one layout: BGR ``uint8``, three channels.

A core module (like :mod:`checkedid.errors`): :mod:`checkedid.biometrics` and
:mod:`checkedid.nfc` use it, and it imports neither. Each caller keeps its own
policy — which formats it accepts, its size limits, how it maps other sample
types to ``uint8`` — and shares the mechanics:

* :func:`declared_size` reads the width and height a file header declares
  without decoding any pixel (Pillow opens lazily), so that a caller can refuse a
  decompression bomb *before* a decoder allocates memory for it;
* :func:`decode_in_memory` runs ``cv2.imdecode`` on the encoded bytes: no
  temporary file, nothing written (the images are personal data);
* :func:`to_bgr` turns the channel layouts of a ``uint8`` image — grey, grey with
  alpha, BGR, BGRA — into a contiguous three-channel BGR array, which is what chip
  portraits (ICAO Doc 9303-10 §4.7.2, DG2: often grey JPEG or JPEG 2000) and
  camera frames become.

Errors are :class:`checkedid.errors.ImageError`; messages never contain image data.
OpenCV and Pillow are imported on first use, so importing this module (as
:mod:`checkedid.nfc` does) stays cheap.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from checkedid.errors import ImageError

__all__ = ["BGRImage", "declared_size", "decode_in_memory", "to_bgr"]

BGRImage = npt.NDArray[np.uint8]


def declared_size(data: bytes | bytearray | memoryview, *,
                  max_pixels: int) -> tuple[int, int] | None:
    """Declared ``(width, height)`` from the file header, without decoding pixels.

    ``None`` when Pillow does not know the format or cannot read the header (the
    caller may let OpenCV try and check the decoded size). A header so large that
    Pillow itself calls it a decompression bomb raises :class:`ImageError` naming
    ``max_pixels``, the caller's limit.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
    except Image.DecompressionBombError as exc:
        raise ImageError(f"the image is above the {max_pixels // 1_000_000} MP limit") from exc
    except Exception:  # Pillow does not know the format (or the header is broken)
        return None
    return int(w), int(h)


def decode_in_memory(data: bytes | bytearray | memoryview, flags: int) -> npt.NDArray[Any] | None:
    """``cv2.imdecode`` of the encoded bytes with ``flags`` (``cv2.IMREAD_*``).

    ``None`` when OpenCV cannot decode them (unsupported or corrupt), whether it
    says so by returning nothing or by raising ``cv2.error``. Check the declared
    size first (:func:`declared_size` or a format's own header parser).
    """
    import cv2

    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        img: npt.NDArray[Any] | None = cv2.imdecode(buf, flags)
    except cv2.error:
        return None
    return img


def to_bgr(arr: npt.NDArray[np.uint8]) -> BGRImage:
    """A contiguous three-channel BGR copy of a ``uint8`` image (or ``arr`` itself).

    Layouts: HxW and HxWx1 (grey), HxWx2 (grey and alpha: the alpha is dropped),
    HxWx3 (BGR: returned as it is when already contiguous, no copy) and HxWx4
    (BGRA). Anything else raises :class:`ImageError`. Sizes are the caller's to check.
    """
    import cv2

    if arr.ndim == 3 and arr.shape[2] in (1, 2):
        arr = np.ascontiguousarray(arr[:, :, 0])
    if arr.ndim == 2:
        return np.ascontiguousarray(cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR))
    if arr.ndim == 3 and arr.shape[2] == 4:
        return np.ascontiguousarray(cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_BGRA2BGR))
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ImageError("decoded image has an unsupported channel layout")
    return np.ascontiguousarray(arr)
