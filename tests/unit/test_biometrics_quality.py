"""Face quality checks: unusable faces raise, borderline faces warn."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from checkedid.biometrics import FaceMatcher
from checkedid.biometrics.quality import LIMITS, FaceQuality, check
from checkedid.errors import FaceQualityError
from tests.conftest import data_path

pytest.importorskip("dlib")


@pytest.fixture(scope="module")
def matcher() -> FaceMatcher:
    return FaceMatcher().load()


@pytest.fixture(scope="module")
def kit() -> np.ndarray:
    img = cv2.imread(str(data_path("faces") / "obama_2.jpg"))
    assert img is not None
    return img


@pytest.fixture(scope="module")
def obama() -> np.ndarray:
    img = cv2.imread(str(data_path("faces") / "obama_1.jpg"))
    assert img is not None
    return img


def test_clean_photo_has_no_warnings(matcher: FaceMatcher, obama: np.ndarray) -> None:
    emb = matcher.embed(obama)
    assert emb.warnings == ()
    q = emb.quality
    assert q.eye_distance > LIMITS["selfie"].min_eye_distance[1]
    assert LIMITS["selfie"].dark[1] < q.brightness < LIMITS["selfie"].bright[1]
    assert abs(q.yaw) < 0.3


def test_face_cut_off_at_the_edge_warns(matcher: FaceMatcher) -> None:
    img = cv2.imread(str(data_path("faces") / "obama_1_partial_face.jpg"))
    assert img is not None
    emb = matcher.embed(img)
    assert 0.6 < emb.quality.inside < 0.9
    assert any("partly outside the selfie" in w for w in emb.warnings)
    assert matcher.embed(img[:, ::-1].copy()).quality.inside < 0.9


def test_very_dark_selfie_is_refused(matcher: FaceMatcher, obama: np.ndarray) -> None:
    dark = (obama * 0.2).astype(np.uint8)
    with pytest.raises(FaceQualityError, match="too dark"):
        matcher.embed(dark)


def test_dim_selfie_warns(matcher: FaceMatcher, kit: np.ndarray) -> None:
    dim = (kit * 0.35).astype(np.uint8)
    emb = matcher.embed(dim)
    assert any("too dark" in w for w in emb.warnings)


def test_blurred_selfie_is_refused(matcher: FaceMatcher, obama: np.ndarray) -> None:
    blurred = cv2.GaussianBlur(obama, (0, 0), 5)
    with pytest.raises(FaceQualityError, match="blurred"):
        matcher.embed(blurred)


def test_slightly_blurred_selfie_warns(matcher: FaceMatcher, kit: np.ndarray) -> None:
    emb = matcher.embed(cv2.GaussianBlur(kit, (0, 0), 2))
    assert any("blurred" in w for w in emb.warnings)
    assert matcher.embed(kit).quality.sharpness > 10 * emb.quality.sharpness


def test_overexposed_selfie_is_refused(matcher: FaceMatcher, obama: np.ndarray) -> None:
    with pytest.raises(FaceQualityError, match="overexposed"):
        matcher.embed(cv2.convertScaleAbs(obama, alpha=1.0, beta=120))


def test_quality_can_be_switched_off(matcher: FaceMatcher, obama: np.ndarray) -> None:
    lenient = FaceMatcher(backend=matcher.backend, quality=False)
    emb = lenient.embed(cv2.GaussianBlur(obama, (0, 0), 5))
    assert emb.quality.sharpness < LIMITS["selfie"].min_sharpness[0]


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("eye_distance", 10.0, "too small"),
        ("contrast", 3.0, "contrast"),
        ("yaw", 0.8, "turned away"),
        ("yaw", -0.8, "turned away"),
        ("inside", 0.5, "partly outside"),
    ],
)
def test_limits_per_measure(field: str, value: float, text: str) -> None:
    good = dict(eye_distance=100.0, brightness=128.0, contrast=40.0, sharpness=200.0, yaw=0.0,
                inside=1.0)
    assert check(FaceQuality(**good), "selfie") == ()
    with pytest.raises(FaceQualityError, match=text):
        check(FaceQuality(**{**good, field: value}), "selfie")


def test_document_limits_are_lower_for_small_chip_photos() -> None:
    q = FaceQuality(eye_distance=19.0, brightness=128.0, contrast=40.0, sharpness=200.0, yaw=0.0)
    with pytest.raises(FaceQualityError, match="selfie"):
        check(q, "selfie")
    assert any("document photo" in w for w in check(q, "document"))
