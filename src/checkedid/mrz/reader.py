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

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from checkedid import imaging
from checkedid.errors import (
    CheckedIDError,
    InputError,
    InternalError,
    MRZError,
    MRZNotFound,
)
from checkedid.mrz.licence import LicenceMRZ, parse_licence
from checkedid.mrz.locate import bands
from checkedid.mrz.model import MRZ
from checkedid.mrz.ocr import Engine, OcrbEngine, upside_down
from checkedid.mrz.parse import parse
from checkedid.mrz.segment import Band

__all__ = ["ENGINES", "MAX_BYTES", "MAX_PIXELS", "get_engine", "load_image", "read", "read_zone",
           "warm_up"]

#: Refuse images above this many pixels (decompression bombs).
MAX_PIXELS: Final = imaging.MAX_PIXELS
#: Refuse encoded files above this many bytes.
MAX_BYTES: Final = imaging.MAX_FILE_BYTES
#: Engine names accepted by :func:`read`.
ENGINES: Final = ("default", "tesseract")

ImageInput = str | Path | bytes | bytearray | memoryview | npt.NDArray[np.generic]
Gray = npt.NDArray[np.uint8]
Corners = npt.NDArray[np.float64]


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (see :data:`ENGINES`)."""
    if name in ("default", "ocrb"):
        return OcrbEngine()
    if name == "tesseract":
        from checkedid.mrz.tesseract import TesseractEngine

        return TesseractEngine()
    raise InputError(f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}")


def load_image(image: ImageInput) -> Gray:
    """A grayscale uint8 image from a path, encoded bytes or an array (the one loader,
    :func:`checkedid.imaging.load_image`, with its limits)."""
    return imaging.load_image(image, gray=True)


def _score(m: MRZ | LicenceMRZ) -> int:
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


def _read_gray(gray: Gray, engine: Engine) -> tuple[MRZ | LicenceMRZ, Corners | None]:
    best: tuple[MRZ | LicenceMRZ, Corners | None] | None = None
    for band in bands(gray):
        for candidate, lines, alternatives in _readings(band, engine):
            if len(lines) != candidate.n_lines:
                continue
            try:
                mrz: MRZ | LicenceMRZ = parse_licence(lines, correct=True) \
                    if candidate.n_lines == 1 else \
                    parse(lines, correct=True, alternatives=alternatives)
            except MRZError:
                continue
            if mrz.valid:
                return mrz, candidate.corners
            if best is None or _score(mrz) > _score(best[0]):
                best = mrz, candidate.corners
    if best is None:
        raise MRZNotFound("no machine-readable zone found in the image")
    return best


def read(image: ImageInput, *, engine: str | Engine = "default") -> MRZ | LicenceMRZ:
    """Read the MRZ in a photo of a passport page, ID card or visa, or the one-line MRZ
    on the back of a driving licence (a :class:`~checkedid.mrz.licence.LicenceMRZ`).

    Returns the parsed zone (check ``.valid``: the best reading is returned even
    when a check digit still fails). Raises :class:`MRZNotFound` when there is no
    readable zone and :class:`ImageError` for input that is not a usable image.
    """
    return read_zone(image, engine=engine)[0]


def read_zone(image: ImageInput, *,
              engine: str | Engine = "default") -> tuple[MRZ | LicenceMRZ, Corners | None]:
    """:func:`read`, plus where the zone lies in the photo: its corners (4x2 source pixels:
    top-left, top-right, bottom-right, bottom-left of the upright zone), which place the
    rest of the data page (Doc 9303-4 §2.2, -5 §2.2, -6 §2.2), or ``None`` if unknown."""
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


def _warm_up_photos() -> Iterator[npt.NDArray[np.uint8]]:
    """The photos :func:`warm_up` reads: a small generated TD1 and TD3 document each."""
    from checkedid.mrz import synth

    for fmt in ("TD1", "TD3"):
        yield synth.document_photo(seed=9303, format=fmt, size=(480, 360)).image


@functools.cache
def warm_up() -> None:
    """Read two small generated photos (a TD1 and a TD3 zone) once, and forget them.

    For a process that forks a worker per verification: the first read in a process does
    work that later reads do not (OpenCV's and numpy's tables and dispatch caches built on
    first use, the recogniser's field masks, pages of code mapped in). Done here, in the
    parent, every forked worker inherits that state instead of redoing it (fewer page
    faults and less CPU per worker: ``benchmarks/mrz_fork.py --warm-up``). About a tenth
    of a second, once per process; nothing is kept but those caches.
    """
    for photo in _warm_up_photos():
        try:
            read_zone(photo)
        except CheckedIDError:  # a warm-up never fails its caller
            pass
