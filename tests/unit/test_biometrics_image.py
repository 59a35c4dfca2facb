"""Image loading: every input form, absurd sizes, garbage bytes, and a fuzz of the face path."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from checkedid.biometrics import FaceMatcher, load_image
from checkedid.biometrics.image import MAX_PIXELS, is_grayscale
from checkedid.errors import CheckedIDError, ImageError
from tests.fuzz import FUZZ


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares a huge size (the pixels are never there)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_bytes_path_and_arrays_give_the_same_bgr(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    ok, enc = cv2.imencode(".png", img)
    assert ok
    data = enc.tobytes()
    assert np.array_equal(load_image(data), img)
    assert np.array_equal(load_image(bytearray(data)), img)
    assert np.array_equal(load_image(memoryview(data)), img)
    p = tmp_path / "x.png"
    p.write_bytes(data)
    assert np.array_equal(load_image(p), img)
    assert np.array_equal(load_image(str(p)), img)
    assert load_image(img) is img  # already BGR uint8: no copy


def test_grayscale_and_alpha_become_three_channels() -> None:
    gray = np.tile(np.arange(64, dtype=np.uint8), (32, 1))
    out = load_image(gray)
    assert out.shape == (32, 64, 3) and is_grayscale(out)
    assert load_image(gray[:, :, None]).shape == (32, 64, 3)
    bgra = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    assert load_image(bgra).shape == (32, 64, 3)
    assert load_image(np.dstack([gray, gray])).shape == (32, 64, 3)
    assert load_image(gray.astype(np.uint16) << 8).shape == (32, 64, 3)
    assert not is_grayscale(np.dstack([gray, gray // 2, gray]))


def test_absurd_dimensions_are_refused_before_decoding() -> None:
    with pytest.raises(ImageError, match="megapixel limit"):
        load_image(_png_header_only(20_000, 20_000))
    assert 20_000 * 20_000 > MAX_PIXELS
    huge = np.broadcast_to(np.uint8(0), (10_000, 6_000))  # 60 MP without the memory
    with pytest.raises(ImageError, match="megapixel limit"):
        load_image(huge)
    with pytest.raises(ImageError, match="megapixel limit"):
        load_image(np.broadcast_to(np.uint8(0), (10_000, 6_000, 3)))


@pytest.mark.parametrize(
    "bad",
    [b"", b"\x00" * 100, b"GIF89a" + b"\xff" * 50, b"\xff\xd8\xff\xe0" + b"\x00" * 64,
     np.zeros((4, 4, 3), np.uint8), np.zeros((40, 40), np.complex64),
     np.zeros((40, 40, 5), np.uint8), 12345],
)
def test_garbage_raises_image_error(bad: object) -> None:
    with pytest.raises(ImageError):
        load_image(bad)


def test_missing_file_is_an_image_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="cannot read"):
        load_image(tmp_path / "absent.jpg")


@pytest.fixture(scope="module")
def matcher() -> FaceMatcher:
    pytest.importorskip("dlib")
    return FaceMatcher().load()


def _encoded(arr: np.ndarray, ext: str) -> bytes:
    ok, enc = cv2.imencode(ext, arr)
    return enc.tobytes() if ok else b""


_arrays = hnp.arrays(
    np.uint8,
    st.tuples(st.integers(1, 48), st.integers(1, 48)).flatmap(
        lambda hw: st.sampled_from([hw, (*hw, 1), (*hw, 3), (*hw, 4)])),
)
_inputs = st.one_of(
    st.binary(max_size=512),
    _arrays,
    st.tuples(_arrays, st.sampled_from([".png", ".jpg", ".bmp"]), st.binary(max_size=8),
              st.integers(0, 400)).map(
        lambda t: (lambda e: e[: t[3]] + t[2] + e[t[3] + len(t[2]):])(_encoded(*t[:2]))),
)


@FUZZ
@given(_inputs, st.sampled_from(["selfie", "document"]))
def test_fuzz_only_checkedid_errors_escape(matcher: FaceMatcher, data: object, role: str) -> None:
    try:
        emb = matcher.embed(data, role=role)
    except CheckedIDError:
        return
    assert emb.vector.shape == (128,)


@pytest.mark.parametrize("shape", [(16, 5000, 3), (5000, 16, 3), (17, 17), (3000, 16)])
def test_extreme_aspect_ratios_give_no_face(matcher: FaceMatcher, shape: tuple[int, ...]) -> None:
    from checkedid.errors import NoFaceError

    img = np.random.default_rng(5).integers(0, 256, shape, dtype=np.uint8)
    for role in ("selfie", "document"):
        with pytest.raises(NoFaceError):
            matcher.embed(img, role=role)
