"""Property tests: whatever read() is given, only checkedid errors escape."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from checkedid.errors import CheckedIDError
from checkedid.mrz.model import MRZ
from checkedid.mrz.reader import read
from tests.fuzz import FUZZ


def _read_or_error(data: object) -> None:
    try:
        result = read(data)  # type: ignore[arg-type]
    except CheckedIDError:
        return
    assert isinstance(result, MRZ)


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    _read_or_error(data)


def _small_png(seed: int, h: int, w: int) -> bytes:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w), dtype=np.uint8)
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


@FUZZ
@given(st.integers(0, 2**32 - 1), st.integers(1, 24), st.integers(1, 24),
       st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=6))
def test_mutated_images(seed: int, h: int, w: int, edits: list[tuple[int, int]]) -> None:
    data = bytearray(_small_png(seed, h, w))
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    _read_or_error(bytes(data))


@FUZZ
@given(st.integers(0, 2**32 - 1), st.integers(0, 48), st.integers(0, 48),
       st.sampled_from([None, 1, 2, 3, 4]),
       st.sampled_from([np.uint8, np.uint16, np.float32, np.int32, np.bool_]))
def test_random_arrays(seed: int, h: int, w: int, channels: int | None, dtype: type) -> None:
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels is None else (h, w, channels)
    arr = (rng.random(shape) * 300 - 20).astype(dtype)
    _read_or_error(arr)


def _zone() -> np.ndarray:
    img = np.full((90, 300), 235, np.uint8)
    for i, text in enumerate(["P<UTOERIKSSON<<ANNA<MARIA<<<", "L898902C36UTO7408122F12041"]):
        cv2.putText(img, text, (6, 30 + 32 * i), cv2.FONT_HERSHEY_PLAIN, 1.0, 20, 1)
    return img


ZONE = _zone()


@FUZZ
@given(st.integers(0, 80), st.integers(0, 280), st.integers(10, 90), st.integers(20, 300),
       st.floats(-180, 180), st.floats(0.3, 2.5), st.integers(0, 2**32 - 1))
def test_crops_of_a_zone(y: int, x: int, h: int, w: int, angle: float, zoom: float,
                         seed: int) -> None:
    """Cut, turned and noisy pieces of an MRZ-like picture reach the locator and the grid."""
    crop = ZONE[y:y + h, x:x + w]
    if crop.size == 0:
        crop = ZONE
    ch, cw = crop.shape
    m = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle, zoom)
    img = cv2.warpAffine(crop, m, (max(8, int(cw * zoom)), max(8, int(ch * zoom))),
                         borderValue=235)
    noise = np.random.default_rng(seed).integers(0, 40, img.shape, dtype=np.uint8)
    _read_or_error(cv2.subtract(img, noise))
