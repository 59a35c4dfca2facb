"""The quick reject in front of the MRZ search (:mod:`checkedid.mrz.gate`).

It must keep every frame the reader can read (each kind of the real-world set, the
synthetic spec and licence photos, the specimens at any rotation) and turn away frames
with no zone-shaped dark print: sensor noise, a uniform frame, light print on a dark
payment card. The search helpers it made faster must give what they gave before.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from benchmarks import mrz_realworld as rw

from checkedid.errors import MRZNotFound
from checkedid.mrz import synth
from checkedid.mrz.gate import may_hold_mrz, percentile_u8
from checkedid.mrz.locate import _drop_odd, bands, to_gray
from checkedid.mrz.reader import read
from tests.conftest import data_path

SEEDS = (9303, 9310, 9317, 9324)


@pytest.mark.parametrize("kind", rw.KINDS)
def test_every_real_world_kind_passes(kind: str) -> None:
    for seed in SEEDS:
        assert may_hold_mrz(to_gray(rw.case(kind, seed).image)), (kind, seed)


@pytest.mark.parametrize("fmt", ["TD1", "TD2", "TD3", "DL1"])
def test_synthetic_photos_pass(fmt: str) -> None:
    for i, difficulty in enumerate(("easy", "medium", "hard")):
        p = synth.document_photo(seed=700 + i, format=fmt, difficulty=difficulty,
                                 size=(1280, 720))
        assert may_hold_mrz(to_gray(p.image)), (fmt, difficulty)


@pytest.mark.parametrize("name", ["td1.jpg", "td2.jpg", "td3.jpg", "mrva.jpg", "mrvb.jpg",
                                  "passport_gbr.jpg", "uto_passport_td3_photo.jpg",
                                  "uto_id_td2_photo.jpg"])
def test_specimens_pass_at_any_rotation(name: str) -> None:
    gray = cv2.imread(str(data_path("mrz", name)), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    for angle in (0, 90, 180, 33, -61):
        h, w = gray.shape
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        c, s = abs(m[0, 0]), abs(m[0, 1])
        nw, nh = int(h * s + w * c), int(h * c + w * s)
        m[0, 2] += nw / 2 - w / 2
        m[1, 2] += nh / 2 - h / 2
        turned = cv2.warpAffine(gray, m, (nw, nh), borderValue=255)
        assert may_hold_mrz(np.asarray(turned, np.uint8)), (name, angle)


def payment_card(seed: int) -> np.ndarray:
    """A 1280x720 photo of a dark payment card with light embossed-style print."""
    rng = np.random.default_rng(seed)
    frame = np.full((720, 1280, 3), 246, np.uint8)
    card = np.zeros((520, 820, 3), np.uint8)
    card[:] = (70, 55, 45)
    dots = rng.random(card.shape[:2]) < 0.25
    card[dots] = (82, 66, 56)  # the fine print pattern of the card's face
    white = (235, 235, 235)
    number = " ".join(f"{int(rng.integers(1000, 9999))}" for _ in range(4))
    cv2.putText(card, number, (40, 350), cv2.FONT_HERSHEY_SIMPLEX, 1.6, white, 3, cv2.LINE_AA)
    cv2.putText(card, "VALID THRU 12/29", (40, 400), cv2.FONT_HERSHEY_SIMPLEX, 0.7, white, 1,
                cv2.LINE_AA)
    cv2.putText(card, "JANE Q CARDHOLDER", (40, 460), cv2.FONT_HERSHEY_SIMPLEX, 1.2, white, 2,
                cv2.LINE_AA)
    cv2.rectangle(card, (60, 130), (170, 220), (120, 190, 220), -1)  # the contact chip
    frame[100:620, 230:1050] = card
    return frame


def no_mrz_frames() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(4)
    frames = [("noise", rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)),
              ("uniform", np.full((720, 1280, 3), 180, np.uint8)),
              ("black", np.zeros((720, 1280), np.uint8))]
    for sigma in (5, 20, 40):
        noisy = np.clip(128 + rng.normal(0, sigma, (720, 1280)), 0, 255).astype(np.uint8)
        frames.append((f"noise-{sigma}", noisy))
    frames += [(f"card-{seed}", payment_card(seed)) for seed in (1, 2, 3)]
    return frames


@pytest.mark.parametrize(("name", "frame"), no_mrz_frames(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_frames_without_a_zone_are_turned_away(name: str, frame: np.ndarray) -> None:
    gray = to_gray(frame)
    assert not may_hold_mrz(gray), name
    assert next(bands(gray), None) is None
    with pytest.raises(MRZNotFound):
        read(frame)


def test_percentile_from_the_histogram_equals_numpys() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        shape = (int(rng.integers(1, 90)), int(rng.integers(1, 120)))
        img = rng.integers(0, int(rng.integers(1, 256)), shape).astype(np.uint8)
        img[rng.random(shape) < rng.random()] = 0
        for q in (0.0, 37.3, 50.0, 99.5, 100.0):
            assert percentile_u8(img, q) == float(np.percentile(img, q))


def test_drop_odd_clears_specks_and_long_blobs_only() -> None:
    mask = np.zeros((60, 200), np.uint8)
    mask[10:20, 10:16] = 255   # a character: kept
    mask[30, 5:195] = 255      # a rule longer than the limit: dropped
    mask[50:52, 100:102] = 255  # a 4-pixel speck: dropped
    mask[40:52, 150:158] = 255  # another character: kept
    out = _drop_odd(mask, 40.0)
    want = np.zeros_like(mask)
    want[10:20, 10:16] = 255
    want[40:52, 150:158] = 255
    assert out.dtype == np.uint8 and np.array_equal(out, want)


def test_drop_odd_with_more_blobs_than_16_bit_labels_hold() -> None:
    # 70,000 one-pixel specks (more than a 16-bit label image can number) and two characters
    mask = np.zeros((460, 700), np.uint8)
    mask[:400:2, ::2] = 255
    mask[420:440, 100:110] = 255
    mask[420:440, 600:612] = 255
    out = _drop_odd(mask, 100.0)
    want = np.zeros_like(mask)
    want[420:440, 100:110] = 255
    want[420:440, 600:612] = 255
    assert np.count_nonzero(mask) > 0xFFFF
    assert out.dtype == np.uint8 and np.array_equal(out, want)
