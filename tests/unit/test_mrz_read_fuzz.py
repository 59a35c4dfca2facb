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
