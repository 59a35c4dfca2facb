"""Challenge-response liveness from a short frame sequence: a blink or a head turn.

The person is asked to blink (or to turn the head to one side) while the camera
records a second or two. For every frame the 68 facial landmarks are located and

* the **eye aspect ratio** (EAR, Soukupova and Cech, "Real-Time Eye Blink Detection
  using Facial Landmarks", CVWW 2016): ``(|p2-p6| + |p3-p5|) / (2 |p1-p4|)`` per eye,
  averaged over both eyes; about 0.25-0.35 for an open eye, below 0.15 when closed;
* the **yaw** (degrees): where the nose tip lies between the two face-contour points at
  ear level, measured along the eye line (so head roll does not count), mapped with
  ``asin(2r - 1)``. Positive = the nose points to the image's right, which is the
  person's *left* in an unmirrored camera frame.

A blink passes when the EAR goes open -> closed -> open: a run of frames below
:data:`CLOSED_FRACTION` of the open level, with open frames before and after, and a
drop of at least :data:`MIN_EAR_DROP`. A turn passes when the sequence starts
frontal (``|yaw| <`` :data:`FRONTAL_DEG`) and later reaches :data:`TURN_DEG` towards
the requested side. The face must be present in most frames and must not jump
between frames (a swapped picture breaks the track).

What it stops and what it does not (see docs/biometrics.md): a printed photo or a
still image on a screen held in front of the camera cannot blink or turn, so it
fails. A replayed video of the person blinking, a deepfake stream injected as the
camera, or a mask with eye holes are **not** detected. This is a presentation-attack
*hurdle*, not an ISO/IEC 30107-3 evaluated PAD.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.biometrics.backend import Backend, Box, DlibBackend
from checkedid.biometrics.detect import detect_faces, face_landmarks
from checkedid.biometrics.embed import Embedding
from checkedid.biometrics.image import load_image
from checkedid.biometrics.match import FaceMatcher, MatchResult
from checkedid.errors import InputError

__all__ = [
    "CLOSED_FRACTION",
    "FRONTAL_DEG",
    "MIN_EAR_DROP",
    "TURN_DEG",
    "Challenge",
    "LivenessResult",
    "check_landmarks",
    "check_liveness",
    "eye_aspect_ratio",
    "face_ear",
    "yaw_degrees",
]

FloatArray = npt.NDArray[np.float64]

#: A frame counts as "eyes closed" below this fraction of the open-eye EAR.
CLOSED_FRACTION = 0.7
#: ... and as "open" again above this fraction.
OPEN_FRACTION = 0.9
#: The EAR must drop by at least this much (landmark jitter on a still face is ~0.01-0.02).
MIN_EAR_DROP = 0.07
#: Below this the eyes were never open (no usable open level).
MIN_OPEN_EAR = 0.18
#: Start of a turn challenge must be frontal within this many degrees.
FRONTAL_DEG = 12.0
#: A turn counts when the yaw reaches this many degrees to the asked side.
TURN_DEG = 25.0
#: Fraction of frames that must show a face.
MIN_FACE_FRACTION = 0.8
#: Largest move of the face centre between consecutive frames, in face widths.
MAX_JUMP = 0.5

RIGHT_EYE = slice(36, 42)  # the person's right eye (image left)
LEFT_EYE = slice(42, 48)
NOSE_TIP = 30


class Challenge(StrEnum):
    """What the person is asked to do. Sides are the person's own left/right."""

    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"


@dataclass(frozen=True)
class LivenessResult:
    """Outcome of a challenge. ``ear`` and ``yaw`` hold one value per frame (``None``
    where no face was found) so that a caller can show or log the curve."""

    passed: bool
    challenge: Challenge
    reason: str
    frames: int
    frames_with_face: int
    ear: tuple[float | None, ...] = ()
    yaw: tuple[float | None, ...] = ()
    face_match: MatchResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "challenge": self.challenge.value, "reason": self.reason,
                "frames": self.frames, "frames_with_face": self.frames_with_face,
                "face_match": self.face_match.to_dict() if self.face_match else None}


def _challenge(value: Challenge | str) -> Challenge:
    try:
        return Challenge(value)
    except ValueError:
        choices = ", ".join(c.value for c in Challenge)
        raise InputError(f"unknown liveness challenge; choose from {choices}") from None


def eye_aspect_ratio(eye: FloatArray) -> float:
    """EAR of one eye from its six landmarks p1..p6 (corner, two upper, corner, two lower)."""
    p = np.asarray(eye, dtype=np.float64)
    if p.shape != (6, 2):
        raise InputError("an eye needs six (x, y) landmarks")
    width = float(np.linalg.norm(p[0] - p[3]))
    if width <= 0:
        return 0.0
    return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width))


def _check68(landmarks: FloatArray) -> FloatArray:
    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape != (68, 2):
        raise InputError("liveness needs the 68-point landmark layout")
    return pts


def face_ear(landmarks: FloatArray) -> float:
    """Mean EAR of both eyes from 68 landmarks (iBUG 300-W layout)."""
    pts = _check68(landmarks)
    return (eye_aspect_ratio(pts[RIGHT_EYE]) + eye_aspect_ratio(pts[LEFT_EYE])) / 2.0


def yaw_degrees(landmarks: FloatArray) -> float:
    """Approximate head yaw from 68 landmarks; positive = nose towards the image's right."""
    pts = _check68(landmarks)
    eye_r, eye_l = pts[RIGHT_EYE].mean(axis=0), pts[LEFT_EYE].mean(axis=0)
    axis = eye_l - eye_r
    norm = float(np.linalg.norm(axis))
    if norm <= 0:
        return 0.0
    unit = axis / norm
    a, b, nose = (float(np.dot(pts[i], unit)) for i in (0, 16, NOSE_TIP))
    if b - a <= 0:
        return 0.0
    r = (nose - a) / (b - a)
    return math.degrees(math.asin(max(-1.0, min(1.0, 2.0 * r - 1.0))))


def _blink(ears: list[float]) -> tuple[bool, str]:
    open_level = float(np.percentile(ears, 90))
    if open_level < MIN_OPEN_EAR:
        return False, "the eyes were never clearly open"
    closed = [e < CLOSED_FRACTION * open_level and open_level - e >= MIN_EAR_DROP for e in ears]
    opened = [e >= OPEN_FRACTION * open_level for e in ears]
    for i, is_closed in enumerate(closed):
        if is_closed and any(opened[:i]):
            j = i
            while j < len(ears) and not opened[j]:
                j += 1
            if j < len(ears):
                return True, "blink seen: eyes open, closed and open again"
    if any(closed):
        return False, "the eyes closed but did not open again within the sequence"
    return False, "no blink: the eye openness did not change (a still image?)"


def _turn(yaws: list[float], sign: float) -> tuple[bool, str]:
    start = yaws[: max(1, len(yaws) // 3)]
    if min(abs(y) for y in start) >= FRONTAL_DEG:
        return False, "the sequence does not start with a frontal face"
    first_frontal = next(i for i, y in enumerate(yaws) if abs(y) < FRONTAL_DEG)
    peak = max(sign * y for y in yaws[first_frontal:])
    if peak >= TURN_DEG:
        return True, f"head turn seen ({peak:.0f} degrees)"
    if max(-sign * y for y in yaws[first_frontal:]) >= TURN_DEG:
        return False, "the head turned to the other side"
    return False, f"no head turn: at most {max(peak, 0.0):.0f} of {TURN_DEG:.0f} degrees"


def check_landmarks(sequence: Sequence[FloatArray | None], challenge: Challenge | str, *,
                    boxes: Sequence[Box | None] | None = None, mirrored: bool = False,
                    min_frames: int = 5) -> LivenessResult:
    """Decide a challenge from per-frame 68-point landmarks (``None`` = no face in that frame).

    ``mirrored``: the frames are mirror images (a selfie preview), which swaps left/right.
    """
    ch = _challenge(challenge)
    ears = [None if lm is None else face_ear(lm) for lm in sequence]
    yaws = [None if lm is None else yaw_degrees(lm) for lm in sequence]
    n, seen = len(sequence), sum(e is not None for e in ears)

    def result(passed: bool, reason: str) -> LivenessResult:
        return LivenessResult(passed, ch, reason, n, seen, tuple(ears), tuple(yaws))

    if n < min_frames:
        return result(False, f"too few frames ({n} < {min_frames})")
    if seen < max(min_frames, MIN_FACE_FRACTION * n):
        return result(False, f"a face was found in only {seen} of {n} frames")
    if boxes is not None:
        track = [b for b in boxes if b is not None]
        for prev, cur in itertools.pairwise(track):
            dx = (cur.left + cur.right - prev.left - prev.right) / 2
            dy = (cur.top + cur.bottom - prev.top - prev.bottom) / 2
            if math.hypot(dx, dy) > MAX_JUMP * max(prev.width, 1.0):
                return result(False, "the face jumped between frames (not one continuous take)")
    if ch is Challenge.BLINK:
        return result(*_blink([e for e in ears if e is not None]))
    sign = 1.0 if ch is Challenge.TURN_LEFT else -1.0
    if mirrored:
        sign = -sign
    return result(*_turn([y for y in yaws if y is not None], sign))


def _best_frame(result: LivenessResult) -> int | None:
    """Index of the most frontal frame among those with open eyes."""
    seen = [(i, e, y) for i, (e, y) in enumerate(zip(result.ear, result.yaw, strict=True))
            if e is not None and y is not None]
    if not seen:
        return None
    top = max(e for _, e, _ in seen)
    return min((abs(y), i) for i, e, y in seen if e >= OPEN_FRACTION * top)[1]


def check_liveness(frames: Sequence[Any], challenge: Challenge | str = Challenge.BLINK, *,
                   backend: Backend | None = None, mirrored: bool = False,
                   min_frames: int = 5, reference: Embedding | None = None,
                   threshold: float | None = None) -> LivenessResult:
    """Run a challenge on camera frames (paths, encoded bytes or BGR arrays, in order).

    Each frame is detected at the selfie working size (the largest face is used) and
    its 68 landmarks are located. About 15-20 frames per second are enough for a blink.

    With ``reference`` (e.g. the chip photo's embedding) the most frontal open-eyed frame
    is also matched against it, so the face that passed the challenge is the face that
    is compared; the result passes only if both pass (``face_match`` holds the comparison).
    """
    ch = _challenge(challenge)
    be = backend or DlibBackend.shared()
    marks: list[FloatArray | None] = []
    boxes: list[Box | None] = []
    images: list[npt.NDArray[np.uint8] | None] = []
    try:
        for frame in frames:
            img = load_image(frame)
            gray = np.asarray(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
            found, _ = detect_faces(gray, be, "selfie")
            if not found:
                marks.append(None)
                boxes.append(None)
                images.append(None)
                continue
            box = max(found, key=lambda b: b.area)
            marks.append(face_landmarks(img, box, be, 68))
            boxes.append(box)
            images.append(img if reference is not None else None)
        result = check_landmarks(marks, ch, boxes=boxes, mirrored=mirrored,
                                 min_frames=min_frames)
        best = _best_frame(result) if reference is not None else None
        if reference is None or best is None:
            return result
        matcher = FaceMatcher(threshold=threshold, backend=be)
        live = matcher.embed(images[best], role="selfie")
        try:
            m = matcher.compare(live, reference)
        finally:
            live.wipe()
        reason = result.reason if m.is_match else (
            f"{result.reason}; the live face does not match the reference "
            f"(similarity {m.score:.3f} < {m.threshold:.3f})")
        return replace(result, passed=result.passed and m.is_match, reason=reason, face_match=m)
    finally:
        for kept in images:
            if kept is not None and not any(kept is f for f in frames):
                kept.fill(0)
