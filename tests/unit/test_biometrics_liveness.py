"""Liveness challenges: EAR and yaw geometry, blink and head-turn decisions, still photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from checkedid.biometrics.backend import Box, DlibBackend
from checkedid.biometrics.detect import detect_faces, face_landmarks
from checkedid.biometrics.liveness import (
    TURN_DEG,
    Challenge,
    check_landmarks,
    check_liveness,
    eye_aspect_ratio,
    face_ear,
    yaw_degrees,
)
from checkedid.errors import InputError
from tests.conftest import data_path

pytest.importorskip("dlib")


@pytest.fixture(scope="module")
def backend() -> DlibBackend:
    return DlibBackend.shared()


def photo(name: str) -> np.ndarray:
    img = cv2.imread(str(data_path("faces") / name))
    assert img is not None
    return img


def landmarks_of(img: np.ndarray, backend: DlibBackend) -> np.ndarray:
    gray = np.asarray(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    boxes, _ = detect_faces(gray, backend, "selfie")
    return face_landmarks(img, max(boxes, key=lambda b: b.area), backend, 68)


@pytest.fixture(scope="module")
def open_face(backend: DlibBackend) -> np.ndarray:
    return landmarks_of(photo("obama_1.jpg"), backend)


def closed(lm: np.ndarray, amount: float = 0.85) -> np.ndarray:
    """The same face with both upper eyelids lowered by ``amount`` of the eye opening."""
    out = lm.copy()
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        out[upper] += amount * (lm[lower] - lm[upper])
    return out


def jittered(lm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return lm + rng.normal(0.0, 0.4, lm.shape)


def test_eye_aspect_ratio_geometry() -> None:
    eye = np.array([(0, 0), (1, -1), (2, -1), (3, 0), (2, 1), (1, 1)], dtype=float)
    assert eye_aspect_ratio(eye) == pytest.approx(4 / 6)
    flat = eye.copy()
    flat[:, 1] = 0
    assert eye_aspect_ratio(flat) == 0.0
    with pytest.raises(InputError):
        eye_aspect_ratio(eye[:5])
    with pytest.raises(InputError):
        face_ear(np.zeros((5, 2)))


def test_real_face_ear_and_closing(open_face: np.ndarray) -> None:
    ear = face_ear(open_face)
    assert 0.18 < ear < 0.45
    assert face_ear(closed(open_face)) < 0.35 * ear


def test_yaw_changes_sign_with_a_mirrored_photo(backend: DlibBackend) -> None:
    img = photo("biden_1.jpg")
    yaw = yaw_degrees(landmarks_of(img, backend))
    mirrored = yaw_degrees(landmarks_of(np.ascontiguousarray(img[:, ::-1]), backend))
    assert abs(yaw) > 5
    assert np.sign(yaw) == -np.sign(mirrored)
    assert abs(yaw + mirrored) < 5


def test_blink_sequence_passes(open_face: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    seq = [jittered(open_face, rng) for _ in range(6)]
    seq += [jittered(closed(open_face, 0.6), rng), jittered(closed(open_face), rng)]
    seq += [jittered(open_face, rng) for _ in range(5)]
    r = check_landmarks(seq, "blink")
    assert r.passed, r.reason
    assert r.challenge is Challenge.BLINK and r.frames == r.frames_with_face == 13


def test_still_face_sequence_fails_blink(open_face: np.ndarray) -> None:
    rng = np.random.default_rng(4)
    r = check_landmarks([jittered(open_face, rng) for _ in range(15)], Challenge.BLINK)
    assert not r.passed and "no blink" in r.reason


def test_eyes_closing_without_reopening_fails(open_face: np.ndarray) -> None:
    seq = [open_face] * 6 + [closed(open_face)] * 4
    r = check_landmarks(seq, "blink")
    assert not r.passed and "did not open again" in r.reason


def turned(lm: np.ndarray, fraction: float) -> np.ndarray:
    """Move the nose tip towards contour point 16 (image right) by ``fraction`` of the gap."""
    out = lm.copy()
    out[30, 0] += fraction * (lm[16, 0] - lm[30, 0])
    return out


def test_head_turn_left_passes_and_right_fails(open_face: np.ndarray) -> None:
    seq = [open_face] * 4 + [turned(open_face, f) for f in (0.1, 0.3, 0.5, 0.6, 0.6)]
    assert yaw_degrees(seq[-1]) > TURN_DEG
    left = check_landmarks(seq, Challenge.TURN_LEFT)
    assert left.passed, left.reason
    right = check_landmarks(seq, Challenge.TURN_RIGHT)
    assert not right.passed and "other side" in right.reason
    assert check_landmarks(seq, Challenge.TURN_RIGHT, mirrored=True).passed


def test_turn_must_start_frontal(open_face: np.ndarray) -> None:
    seq = [turned(open_face, 0.6)] * 8
    r = check_landmarks(seq, "turn_left")
    assert not r.passed and "frontal" in r.reason


def test_missing_faces_too_few_frames_and_jumps(open_face: np.ndarray) -> None:
    seq: list[np.ndarray | None] = [open_face] * 5 + [None] * 5
    assert "only 5 of 10" in check_landmarks(seq, "blink").reason
    assert "too few frames" in check_landmarks([open_face] * 3, "blink").reason
    boxes = [Box(100, 100, 200, 200)] * 5 + [Box(400, 100, 500, 200)] * 5
    r = check_landmarks([open_face] * 10, "blink", boxes=boxes)
    assert not r.passed and "jumped" in r.reason
    with pytest.raises(InputError, match="unknown liveness challenge"):
        check_landmarks([open_face] * 10, "nod")


def test_still_photo_frames_fail_both_challenges(backend: DlibBackend) -> None:
    """A printed photo held in front of the camera: small shifts and JPEG noise, no blink."""
    img = cv2.resize(photo("obama_1.jpg"), (512, 640), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(8):
        m = np.array([[1, 0, rng.uniform(-4, 4)], [0, 1, rng.uniform(-4, 4)]], np.float32)
        f = cv2.warpAffine(img, m, (512, 640), borderMode=cv2.BORDER_REPLICATE)
        _ok, enc = cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 80])
        frames.append(enc.tobytes())
    blink = check_liveness(frames, "blink", backend=backend)
    assert blink.frames_with_face == 8
    assert not blink.passed and "no blink" in blink.reason
    turn = check_liveness(frames, "turn_right", backend=backend)
    assert not turn.passed and "no head turn" in turn.reason
    assert turn.to_dict()["challenge"] == "turn_right"


def test_frames_without_faces_fail(backend: DlibBackend) -> None:
    blank = np.full((120, 160, 3), 90, np.uint8)
    r = check_liveness([blank] * 6, "blink", backend=backend)
    assert not r.passed and r.frames_with_face == 0


def test_reference_match_is_checked_on_the_best_frame(backend: DlibBackend) -> None:
    from checkedid.biometrics import FaceMatcher
    from checkedid.biometrics.calibration import chip_version

    m = FaceMatcher(backend=backend)
    same = m.embed(chip_version(photo("obama_2.jpg")), role="document")
    other = m.embed(chip_version(photo("biden_1.jpg")), role="document")
    img = photo("obama_3.jpg")
    frames = [np.ascontiguousarray(img[:, dx:img.shape[1] - 8 + dx]) for dx in range(0, 8, 2)]
    frames = frames + frames[::-1]
    r = check_liveness(frames, "blink", backend=backend, reference=same)
    assert r.face_match is not None and r.face_match.is_match
    assert not r.passed  # a still photo: the challenge fails even though the face matches
    r2 = check_liveness(frames, "blink", backend=backend, reference=other)
    assert r2.face_match is not None and not r2.face_match.is_match
    assert "does not match the reference" in r2.reason
    assert r2.to_dict()["face_match"]["is_match"] is False
    assert frames[0].any()  # the caller's frames are left as they were
