"""Face images: a path, encoded bytes or an array -> a BGR ``uint8`` array, via the one loader.

Every image that reaches the face code goes through :func:`load_image`, which is
:func:`checkedid.imaging.load_image` (in-memory decoding, the header checked against
:data:`MAX_PIXELS` before any pixel is decoded, grey / grey+alpha / BGRA made three-channel BGR
as chip photos — ICAO Doc 9303 Part 10, DG2 — and camera frames become) plus the one
face-specific requirement: at least :data:`MIN_SIDE` pixels per side, since nothing smaller
can hold a comparable face. Anything unusable raises :class:`~checkedid.errors.ImageError`.
"""

from __future__ import annotations

import numpy as np

from checkedid import imaging
from checkedid.errors import ImageError
from checkedid.imaging import MAX_FILE_BYTES, MAX_PIXELS, BGRImage, LoadableImage

__all__ = ["MAX_FILE_BYTES", "MAX_PIXELS", "MIN_SIDE", "ImageInput", "is_grayscale", "load_image"]

#: Smallest side of a usable image; nothing smaller can hold a comparable face.
MIN_SIDE = 16

ImageInput = LoadableImage


def load_image(source: ImageInput | object) -> BGRImage:
    """Return ``source`` as a contiguous three-channel BGR ``uint8`` array.

    ``source`` is a path (``str`` or ``PathLike``), encoded image bytes (JPEG, PNG,
    JPEG 2000, BMP, ...) or a numpy array (HxW grayscale, HxWx3 BGR, HxWx4 BGRA).
    Arrays already in the right form are returned as they are (no copy).
    """
    img = imaging.load_image(source)
    height, width = img.shape[:2]
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"the image is {width}x{height} pixels, too small to hold a face")
    return img


def is_grayscale(img: BGRImage) -> bool:
    """True when the three channels are (nearly) equal, e.g. a grayscale chip photo."""
    small = img[:: max(1, img.shape[0] // 64), :: max(1, img.shape[1] // 64)].astype(np.int16)
    return bool(np.abs(small[:, :, 0] - small[:, :, 1]).max() <= 2
                and np.abs(small[:, :, 1] - small[:, :, 2]).max() <= 2)
