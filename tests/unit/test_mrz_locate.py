"""MRZ band location and rectification on specimen photos, rotated and in perspective."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from checkedid.errors import MRZNotFound
from checkedid.mrz.locate import candidates, locate, to_gray
from checkedid.mrz.segment import PITCH, Band, _running_median
from tests.conftest import data_path


def specimens() -> list[tuple[str, int, int]]:
    path = data_path("mrz", "ground_truth.csv")
    out = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            lines = [row[k] for k in ("line1", "line2", "line3") if row[k]]
            if lines:
                out.append((row["file"], len(lines), len(lines[0])))
    return out


def gray_of(name: str) -> np.ndarray:
    img = cv2.imread(str(data_path("mrz", name)), cv2.IMREAD_GRAYSCALE)
    assert img is not None
    return img


def rotate(img: np.ndarray, angle: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * s + w * c), int(h * c + w * s)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), borderValue=255)


@pytest.mark.parametrize("name,n_lines,length", [pytest.param(*s, id=s[0]) for s in
                                                  [("td1.jpg", 3, 30), ("td2.jpg", 2, 36),
                                                   ("td3.jpg", 2, 44), ("mrvb.jpg", 2, 36)]])
def test_locate_finds_grid_of_the_right_shape(name: str, n_lines: int, length: int) -> None:
    band = locate(gray_of(name))
    assert (band.n_lines, band.line_length) == (n_lines, length)
    assert band.image.shape[1] == length * PITCH
    assert all(0 < y < band.image.shape[0] for y in band.line_y)


def test_every_specimen_is_located() -> None:
    for name, n_lines, length in specimens():
        band = locate(gray_of(name))
        assert (band.n_lines, band.line_length) == (n_lines, length), name


@pytest.mark.parametrize("angle", [90, 180, 270, 33, -61, 147])
def test_rotated_photo_is_located(angle: float) -> None:
    band = locate(rotate(gray_of("uto_passport_td3_photo.jpg"), angle))
    assert (band.n_lines, band.line_length) == (2, 44)


def test_perspective_photo_is_located() -> None:
    img = gray_of("uto_id_td2_photo.jpg")
    h, w = img.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[0.06 * w, 0.04 * h], [0.97 * w, 0], [w, h], [0, 0.92 * h]])
    warped = cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w, h),
                                 borderValue=255)
    band = locate(warped)
    assert (band.n_lines, band.line_length) == (2, 36)


def test_flipped_band_maps_grid_onto_itself() -> None:
    band = locate(gray_of("td1.jpg"))
    twice = band.flipped().flipped()
    assert np.array_equal(twice.image, band.image)
    assert twice.line_y == pytest.approx(band.line_y)
    flipped = band.flipped()
    assert np.array_equal(flipped.image, band.image[::-1, ::-1])
    assert isinstance(flipped, Band)


def test_no_mrz_photo_is_rejected() -> None:
    # the rejection latency is measured in benchmarks/mrz_ocr.py ("no_mrz")
    with pytest.raises(MRZNotFound):
        locate(gray_of("nomrz.jpg"))


def test_noise_and_blank_frames_are_rejected() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, (960, 1280), dtype=np.uint8)
    blank = np.full((960, 1280), 200, np.uint8)
    for img in (noise, blank):
        with pytest.raises(MRZNotFound):
            locate(img)


def test_plain_text_page_has_no_mrz() -> None:
    img = np.full((600, 900), 255, np.uint8)
    for i, text in enumerate(["THE QUICK BROWN FOX", "JUMPS OVER 13 LAZY DOGS", "HELLO"]):
        cv2.putText(img, text, (40, 100 + 60 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    with pytest.raises(MRZNotFound):
        locate(img)


def test_candidates_are_in_source_coordinates() -> None:
    img = gray_of("td3.jpg")
    quads = candidates(img)
    assert quads
    h, w = img.shape
    best = quads[0]
    assert best.shape == (4, 2)
    assert (best[:, 0] > -0.1 * w).all() and (best[:, 0] < 1.1 * w).all()
    assert (best[:, 1] > 0.5 * h).all()  # the zone is in the lower part of the page


def test_to_gray_accepts_common_layouts() -> None:
    bgr = np.zeros((8, 8, 3), np.uint8)
    assert to_gray(bgr).shape == (8, 8)
    assert to_gray(np.zeros((8, 8, 4), np.uint8)).shape == (8, 8)
    assert to_gray(np.zeros((8, 8, 1), np.uint8)).shape == (8, 8)




def test_running_median_is_the_median_of_each_window() -> None:
    rng = np.random.default_rng(5)
    for m in [*range(12), 29, 43, 90]:
        for steps in (rng.random(m) * 30.0, np.round(rng.random(m) * 4.0)):
            want = [float(np.median(steps[max(0, i - 3):i + 4])) for i in range(m)]
            assert _running_median(steps).tolist() == want
