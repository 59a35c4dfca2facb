"""Where the printed portrait is searched: the region the MRZ places it in (Doc 9303-4 to -7
§2.2: portrait on the left, above the MRZ), on synthetic data-page photos at several
rotations, and the fall-back to the whole photo."""

from __future__ import annotations

import numpy as np
import pytest

from checkedid.docportrait import compare_portrait, portrait_region
from checkedid.errors import NoFaceError
from checkedid.mrz import synth
from checkedid.mrz.reader import read_zone

#: A flat, unusual colour for the printed photo, so its pixels can be counted (BGR).
_INK = np.array([20, 230, 40], np.uint8)
_LINES = {
    "TD1": ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F3104150UTO<<<<<<<<<<<2",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"),
    "TD3": ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10"),
}


def _portrait_pixels(img: np.ndarray) -> int:
    return int(np.count_nonzero(np.all(np.abs(img.astype(int) - _INK) < 40, axis=2)))


def _photo(fmt: str, rotation: float) -> np.ndarray:
    portrait = np.zeros((160, 120, 3), np.uint8)
    portrait[:] = _INK
    photo = synth.document_photo(_LINES[fmt], seed=3, format=fmt, difficulty="easy",
                                 portrait=portrait, rotation=rotation)
    return np.asarray(photo.image, np.uint8)


@pytest.mark.parametrize("fmt", ["TD1", "TD3"])
@pytest.mark.parametrize("rotation", [0.0, 12.0, 90.0, 180.0])
def test_region_holds_the_whole_portrait_and_little_else(fmt: str, rotation: float) -> None:
    img = _photo(fmt, rotation)
    mrz, corners = read_zone(img)
    assert mrz.valid and mrz.format == fmt and corners is not None
    region = portrait_region(img, corners, mrz.format)
    assert region is not None
    total = _portrait_pixels(img)
    assert total > 1000
    # upright: the portrait's pixels are all there (resampling blurs only its rim)
    assert _portrait_pixels(region) >= 0.9 * total
    assert region.shape[0] * region.shape[1] <= 0.45 * img.shape[0] * img.shape[1]
    ink = np.argwhere(np.all(np.abs(region.astype(int) - _INK) < 40, axis=2))
    # the portrait is on the region's left and its photo is taller than wide (upright)
    height, width = np.ptp(ink, axis=0)
    assert height > width
    assert ink[:, 1].mean() < 0.6 * region.shape[1]


def test_unknown_layout_or_zone_gives_no_region() -> None:
    img = _photo("TD1", 0.0)
    _, corners = read_zone(img)
    assert portrait_region(img, corners, "DL1") is None  # a licence's MRZ is on the back
    assert portrait_region(img, None, "TD1") is None
    assert corners is not None
    off = corners + np.array([5000.0, 5000.0])  # a zone off the photo: nothing to cut
    assert portrait_region(img, off, "TD1") is None


class _Matcher:
    """A face is any image holding the portrait colour; the embedding is that image's size."""

    threshold = 0.5

    def __init__(self) -> None:
        self.seen: list[tuple[int, ...]] = []

    def embed(self, image: np.ndarray, *, role: str) -> np.ndarray:
        self.seen.append(image.shape)
        if _portrait_pixels(image) == 0:
            raise NoFaceError("no face found in the document photo")
        return np.ones(2)

    def compare(self, a: np.ndarray, b: np.ndarray) -> object:
        from types import SimpleNamespace

        return SimpleNamespace(score=1.0, threshold=0.5, is_match=True)


def test_the_region_is_searched_first_and_the_photo_only_without_a_face_there() -> None:
    img = _photo("TD1", 0.0)
    mrz, corners = read_zone(img)
    region = portrait_region(img, corners, mrz.format)
    assert region is not None
    m = _Matcher()
    group, _ = compare_portrait(m, img, np.ones(2), region=region)
    assert group.verdict.value == "PASSED" and m.seen == [region.shape]
    m = _Matcher()
    empty = np.zeros_like(region)
    group, _ = compare_portrait(m, img, np.ones(2), region=empty)
    assert group.verdict.value == "PASSED" and m.seen == [empty.shape, img.shape]
    m = _Matcher()
    group, _ = compare_portrait(m, np.zeros_like(img), np.ones(2), region=empty)
    assert group.verdict.value == "NOT_CHECKED" and len(m.seen) == 2
