"""Photo -> :class:`~checkedid.mrz.model.MRZ`: locate, rectify, recognise, parse.

:func:`read` accepts a path, the encoded bytes of an image file or a numpy
array (BGR, BGRA or gray), finds the machine-readable zone
(:mod:`checkedid.mrz.locate`), reads it with an engine (the built-in OCR-B
recogniser :mod:`checkedid.mrz.ocr` by default, or the ``tesseract`` baseline)
and parses it with check-digit-guided correction (ICAO Doc 9303 Part 3,
section 4.9). A band that may be upside down is read in the more likely
orientation first and in the other one when its check digits fail.

Only :class:`checkedid.errors.CheckedIDError` subclasses leave :func:`read`:
:class:`~checkedid.errors.ImageError` for input that is not a usable image
(undecodable bytes, empty arrays, more than :data:`MAX_PIXELS` pixels, checked
from the file header before decoding), :class:`~checkedid.errors.MRZNotFound`
when no zone can be read (fast, for camera loops),
:class:`~checkedid.errors.BackendUnavailable` for a missing engine and
:class:`~checkedid.errors.InternalError` for a bug. Images are decoded in
memory; nothing is written to disk and messages never carry MRZ text.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from checkedid.errors import (
    CheckedIDError,
    ImageError,
    InputError,
    InternalError,
    MRZError,
    MRZNotFound,
)
from checkedid.mrz.locate import bands, to_gray
from checkedid.mrz.model import MRZ
from checkedid.mrz.ocr import Engine, OcrbEngine, upside_down
from checkedid.mrz.parse import parse
from checkedid.mrz.segment import Band

__all__ = ["ENGINES", "MAX_BYTES", "MAX_PIXELS", "get_engine", "load_image", "read"]

#: Refuse images above this many pixels (decompression bombs).
MAX_PIXELS: Final = 50_000_000
#: Refuse encoded files above this many bytes.
MAX_BYTES: Final = 100_000_000
#: Engine names accepted by :func:`read`.
ENGINES: Final = ("default", "tesseract")

ImageInput = str | Path | bytes | bytearray | memoryview | npt.NDArray[np.generic]
Gray = npt.NDArray[np.uint8]


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (see :data:`ENGINES`)."""
    if name in ("default", "ocrb"):
        return OcrbEngine()
    if name == "tesseract":
        from checkedid.mrz.tesseract import TesseractEngine

        return TesseractEngine()
    raise InputError(f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}")


def _decode(data: bytes) -> Gray:
    if not data:
        raise ImageError("image data is empty")
    if len(data) > MAX_BYTES:
        raise ImageError(f"image file is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
    except Image.DecompressionBombError:
        raise ImageError(f"image header claims more than {MAX_PIXELS // 1_000_000} "
                         "megapixels; refused") from None
    except Exception:
        raise ImageError("image data is not a readable PNG, JPEG, BMP, TIFF or WebP file") from None
    if width * height > MAX_PIXELS:
        raise ImageError(f"image is {width}x{height}; more than {MAX_PIXELS // 1_000_000} "
                         "megapixels is refused")
    img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None or img.size == 0:
        raise ImageError("image data could not be decoded (corrupt or unsupported file)")
    return np.asarray(img, dtype=np.uint8)


def _from_array(arr: npt.NDArray[np.generic]) -> Gray:
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ImageError(f"image array has shape {arr.shape}; expected HxW, HxWx3 or HxWx4")
    if arr.size == 0 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError("image array is empty")
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise ImageError(f"image is {arr.shape[1]}x{arr.shape[0]}; more than "
                         f"{MAX_PIXELS // 1_000_000} megapixels is refused")
    if arr.dtype == np.uint8:
        a = arr
    elif arr.dtype == np.uint16:
        a = (arr.astype(np.uint16) >> 8).astype(np.uint8)
    elif arr.dtype.kind == "f":
        f = np.nan_to_num(arr.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        top = float(f.max()) if f.size else 0.0
        a = np.clip(f * (255.0 if top <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    elif arr.dtype.kind in "iub":
        a = np.clip(arr, 0, 255).astype(np.uint8)
    else:
        raise ImageError(f"image array has unsupported dtype {arr.dtype}")
    return to_gray(a)


def load_image(image: ImageInput) -> Gray:
    """A grayscale uint8 image from a path, encoded bytes or an array."""
    if isinstance(image, np.ndarray):
        return _from_array(image)
    if isinstance(image, bytes | bytearray | memoryview):
        return _decode(bytes(image))
    if isinstance(image, str | Path):
        try:
            with Path(image).open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise ImageError(f"cannot read image file ({type(exc).__name__})") from None
        return _decode(data)
    raise ImageError(f"unsupported image input of type {type(image).__name__}; "
                     "pass a path, encoded bytes or a numpy array")


def _score(m: MRZ) -> int:
    return sum(1 for v in m.checks.values() if v)


Alternatives = dict[tuple[int, int], str]


def _readings(band: Band, engine: Engine) -> Iterator[tuple[Band, list[str], Alternatives]]:
    """The band's text both ways up, the more likely orientation first (read lazily), with
    the recogniser's runner-up characters where it has them."""
    if isinstance(engine, OcrbEngine):
        yield from engine.scored_readings(band)
        return
    order = (band.flipped(), band) if upside_down(band) else (band, band.flipped())
    for candidate in order:
        yield candidate, engine.read(candidate), {}


def _read_gray(gray: Gray, engine: Engine) -> MRZ:
    best: MRZ | None = None
    for band in bands(gray):
        for candidate, lines, alternatives in _readings(band, engine):
            if len(lines) != candidate.n_lines:
                continue
            try:
                mrz = parse(lines, correct=True, alternatives=alternatives)
            except MRZError:
                continue
            if mrz.valid:
                return mrz
            if best is None or _score(mrz) > _score(best):
                best = mrz
    if best is None:
        raise MRZNotFound("no machine-readable zone found in the image")
    return best


def read(image: ImageInput, *, engine: str | Engine = "default") -> MRZ:
    """Read the MRZ in a photo of a passport page, ID card or visa.

    Returns the parsed zone (check ``.valid``: the best reading is returned even
    when a check digit still fails). Raises :class:`MRZNotFound` when there is no
    readable zone and :class:`ImageError` for input that is not a usable image.
    """
    try:
        eng = get_engine(engine) if isinstance(engine, str) else engine
        gray = load_image(image)
        if min(gray.shape[:2]) < 16:
            raise MRZNotFound("image is too small to hold a machine-readable zone")
        return _read_gray(gray, eng)
    except CheckedIDError:
        raise
    except Exception as exc:  # only library errors may leave read()
        raise InternalError(f"MRZ reading failed unexpectedly ({type(exc).__name__})") from None
