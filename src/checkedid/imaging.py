"""The one image loader: paths, encoded bytes and arrays to ``uint8`` BGR or grey, in memory.

A core module (like :mod:`checkedid.errors`): :mod:`checkedid.mrz`, :mod:`checkedid.biometrics`
and :mod:`checkedid.nfc` use it, and it imports none of them.

:func:`load_image` is what every caller-supplied image goes through — the document photo
(:func:`checkedid.mrz.read`, grey) and the selfie (:mod:`checkedid.biometrics`, BGR) — with one
set of limits, :data:`CALLER_LIMITS`: :data:`MAX_FILE_BYTES` encoded, :data:`MAX_PIXELS`
decoded, checked from the file header *before* a decoder allocates anything. Arrays: ``uint8``
as they are, ``uint16`` scaled down, ``bool`` as 0/255, floats (0..1 or 0..255) and other
integers clipped to 0..255; layouts HxW, HxWx1, HxWx2 (grey and alpha), HxWx3 (BGR), HxWx4
(BGRA).

:class:`ImageLimits` is the one description of what an image may be (encoded bytes, pixels
in total and per side, formats) and :meth:`ImageLimits.check_size` the one check of a
declared or decoded size. Chip portraits (eMRTD DG2, licence DG6) are hostile input with
stricter bounds, :data:`PORTRAIT_LIMITS` (JPEG / JPEG 2000 only, 4096 pixels per side,
16 megapixels), which :mod:`checkedid.nfc.lds.image` checks against the header it parses
itself; both share the mechanics below:

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
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from checkedid.errors import ImageError
from checkedid.secret import zero

__all__ = ["CALLER_LIMITS", "MAX_FILE_BYTES", "MAX_PIXELS", "PORTRAIT_LIMITS", "BGRImage",
           "GrayImage", "ImageLimits", "LoadableImage", "declared_size", "decode_in_memory",
           "load_image", "to_bgr", "to_gray"]

BGRImage = npt.NDArray[np.uint8]
GrayImage = npt.NDArray[np.uint8]
#: Everything :func:`load_image` reads (the public :data:`checkedid.api.ImageInput` and the
#: other buffer types a caller may hold).
LoadableImage = str | os.PathLike[str] | bytes | bytearray | memoryview | npt.NDArray[Any]



@dataclass(frozen=True)
class ImageLimits:
    """What an image may be before any decoder sees it.

    ``max_bytes``: the encoded size; ``max_pixels``: width x height; ``max_side``: each of
    width and height (``None``: no bound of its own); ``formats``: the formats accepted,
    named in messages (the portrait parser enforces them from the header); ``advice``: what
    the message tells the person who can act on it.
    """

    max_bytes: int
    max_pixels: int
    formats: tuple[str, ...]
    max_side: int | None = None
    advice: str = ""

    def check_bytes(self, size: int) -> None:
        """Refuse an empty or oversized encoded image."""
        if size == 0:
            raise ImageError("the image is empty")
        if size > self.max_bytes:
            raise ImageError(f"the image file is larger than {self.max_bytes >> 20} MiB")

    def check_size(self, width: int, height: int) -> None:
        """Refuse an empty size or one beyond the pixel limits (declared or decoded)."""
        if width <= 0 or height <= 0:
            raise ImageError("the image has no pixels (an empty size)")
        side = self.max_side
        if width * height > self.max_pixels or (side is not None and max(width, height) > side):
            per_side = f"the limit of {side} pixels per side and " if side is not None else ""
            raise ImageError(f"the image is {width}x{height} pixels, beyond {per_side}the "
                             f"{self.max_pixels / 1_000_000:g}-megapixel limit{self.advice}")


#: Every caller-supplied image (document photo, selfie, camera frame): about a 50-megapixel
#: camera, 64 MiB encoded, whatever OpenCV decodes.
CALLER_LIMITS = ImageLimits(max_bytes=64 * 1024 * 1024, max_pixels=50_000_000,
                            formats=("JPEG", "PNG", "JPEG 2000", "BMP", "TIFF", "WebP"),
                            advice=": resize it")
#: A chip portrait (ICAO Doc 9303-10 §4.7.2, ISO/IEC 19794-5): JPEG or JPEG 2000, at most
#: 4096 pixels per side and 16 megapixels, whatever its header declares.
PORTRAIT_LIMITS = ImageLimits(max_bytes=CALLER_LIMITS.max_bytes, max_pixels=16_000_000,
                              formats=("JPEG", "JPEG 2000"), max_side=4096)

#: Largest decoded caller image (width x height).
MAX_PIXELS = CALLER_LIMITS.max_pixels
#: Largest encoded caller image file.
MAX_FILE_BYTES = CALLER_LIMITS.max_bytes


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
        raise ImageError(f"the image header claims more than the {max_pixels // 1_000_000}-"
                         "megapixel limit: resize it") from exc
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


def to_gray(arr: npt.NDArray[np.uint8]) -> GrayImage:
    """A contiguous single-channel copy of a ``uint8`` grey, grey+alpha, BGR or BGRA image."""
    import cv2

    if arr.ndim == 3 and arr.shape[2] in (1, 2):
        arr = arr[:, :, 0]
    elif arr.ndim == 3 and arr.shape[2] == 3:
        arr = np.asarray(cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_BGR2GRAY))
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = np.asarray(cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_BGRA2GRAY))
    if arr.ndim != 2:
        raise ImageError("decoded image has an unsupported channel layout")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _check_pixels(width: int, height: int) -> None:
    CALLER_LIMITS.check_size(width, height)


def _as_uint8(arr: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        return (arr >> 8).astype(np.uint8)
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * np.uint8(255)
    if arr.dtype.kind == "f":
        f = np.nan_to_num(arr.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        top = float(f.max()) if f.size else 0.0
        scaled = np.clip(f * (255.0 if top <= 1.0 else 1.0), 0, 255)
        return np.asarray(scaled, dtype=np.uint8)
    if arr.dtype.kind in "iu":
        return np.asarray(np.clip(arr, 0, 255), dtype=np.uint8)
    raise ImageError(f"image arrays must be uint8 (or uint16, bool, float, int), not {arr.dtype}")


def _from_array(arr: npt.NDArray[Any], gray: bool) -> npt.NDArray[np.uint8]:
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 2, 3, 4)):
        raise ImageError(f"unsupported image shape {arr.shape}: expected HxW, HxWx3 or HxWx4")
    _check_pixels(arr.shape[1], arr.shape[0])
    img = _as_uint8(arr)
    return to_gray(img) if gray else to_bgr(img)


def _decode(data: bytes | bytearray | memoryview, gray: bool) -> npt.NDArray[np.uint8]:
    import cv2

    CALLER_LIMITS.check_bytes(len(data))
    dims = declared_size(data, max_pixels=MAX_PIXELS)
    if dims is not None:
        _check_pixels(*dims)
    img = decode_in_memory(data, cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
    if img is None or img.size == 0:
        names = CALLER_LIMITS.formats
        raise ImageError("the image cannot be decoded (a corrupt or unsupported file: use "
                         f"{', '.join(names[:-1])} or {names[-1]})")
    _check_pixels(img.shape[1], img.shape[0])  # formats whose header Pillow cannot read
    return to_gray(img) if gray else to_bgr(img)


def load_image(source: LoadableImage | object, *, gray: bool = False) -> npt.NDArray[np.uint8]:
    """``source`` as a contiguous ``uint8`` image: BGR (HxWx3), or grey (HxW) with ``gray``.

    ``source``: a path (``str`` / ``PathLike``), encoded bytes (``bytes``, ``bytearray``,
    ``memoryview``) or a numpy array. A BGR ``uint8`` array is returned as it is (no copy).
    A file is read into a buffer that is zeroed after decoding (the photo is personal data);
    nothing is written anywhere. Every failure is an :class:`ImageError`.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, gray)
    if isinstance(source, bytes | bytearray | memoryview):
        return _decode(source, gray)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                CALLER_LIMITS.check_bytes(size)
            data = bytearray(size)
            with path.open("rb") as fh:
                got = fh.readinto(data)
        except ImageError:
            raise
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ImageError(f"cannot read the image file ({reason})") from None
        try:
            return _decode(memoryview(data)[:got], gray)
        finally:
            zero(data)
    raise ImageError(f"unsupported image input of type {type(source).__name__}: pass a path, "
                     "encoded bytes or a numpy array")
