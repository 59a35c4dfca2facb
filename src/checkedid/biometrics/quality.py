"""Face image quality: size, exposure, sharpness and pose of the detected face.

The measures follow the portrait quality criteria of ICAO Doc 9303 Part 3 and the
ICAO portrait quality guidance (ISO/IEC 19794-5 / 29794-5): enough pixels between
the eyes, correct exposure with usable contrast, a sharp image and a frontal pose.
They are computed on the aligned 150x150 face chip (so they do not depend on the
photo's resolution) and on the landmarks in full-resolution pixels.

Each measure has an *error* bound (the face cannot be compared reliably:
:class:`~checkedid.errors.FaceQualityError`) and a *warning* bound (the comparison
runs but the result carries a warning). Chip photos (role ``document``) are small
by design, so their size bounds are lower.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.biometrics.backend import Box
from checkedid.errors import FaceQualityError

__all__ = ["LIMITS", "FaceQuality", "QualityLimits", "assess", "check"]

U8Array = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FaceQuality:
    """Quality measures of one face.

    ``eye_distance``: pixels between the eye centres in the original image;
    ``brightness``: mean gray level (0-255) of the central face region;
    ``contrast``: standard deviation of that region;
    ``sharpness``: variance of its Laplacian (low = blurred);
    ``yaw``: horizontal offset of the nose from the eyes' midpoint in eye distances
    (0 frontal, about +-0.5 for a head turned 45 degrees);
    ``inside``: fraction of the face box that lies inside the image (1.0 = not cut off).
    """

    eye_distance: float
    brightness: float
    contrast: float
    sharpness: float
    yaw: float
    inside: float = 1.0

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class QualityLimits:
    min_eye_distance: tuple[float, float]  # (error below, warning below)
    dark: tuple[float, float]  # brightness (error below, warning below)
    bright: tuple[float, float]  # brightness (error above, warning above)
    min_contrast: tuple[float, float]
    min_sharpness: tuple[float, float]
    max_yaw: tuple[float, float]  # |yaw| (error above, warning above)
    min_inside: tuple[float, float] = (0.6, 0.9)


LIMITS: dict[str, QualityLimits] = {
    "selfie": QualityLimits(
        min_eye_distance=(20.0, 40.0),
        dark=(35.0, 60.0),
        bright=(225.0, 205.0),
        min_contrast=(12.0, 22.0),
        min_sharpness=(15.0, 40.0),
        max_yaw=(0.6, 0.35),
    ),
    "document": QualityLimits(
        min_eye_distance=(18.0, 30.0),
        dark=(30.0, 55.0),
        bright=(230.0, 210.0),
        min_contrast=(10.0, 18.0),
        min_sharpness=(10.0, 30.0),
        max_yaw=(0.6, 0.35),
    ),
}


def assess(chip: U8Array, landmarks5: FloatArray, box: Box | None = None,
           shape: tuple[int, ...] | None = None) -> FaceQuality:
    """Measure a face from its aligned RGB chip and its 5 landmarks (full-resolution pixels);
    with the face ``box`` and the image ``shape`` also how much of the face is inside."""
    gray = cv2.cvtColor(np.ascontiguousarray(chip), cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    centre = gray[h // 6: h - h // 6, w // 6: w - w // 6]
    brightness = float(centre.mean())
    contrast = float(centre.std())
    sharpness = float(cv2.Laplacian(centre, cv2.CV_64F).var())
    eye_a = landmarks5[0:2].mean(axis=0)
    eye_b = landmarks5[2:4].mean(axis=0)
    nose = landmarks5[4]
    axis = eye_b - eye_a
    dist = float(np.hypot(axis[0], axis[1]))
    if dist > 0:
        unit = axis / dist
        yaw = float(np.dot(nose - (eye_a + eye_b) / 2.0, unit) / dist)
    else:
        yaw = 0.0
    inside = 1.0
    if box is not None and shape is not None and box.area > 0:
        h_img, w_img = shape[:2]
        iw = max(0.0, min(box.right, w_img) - max(box.left, 0.0))
        ih = max(0.0, min(box.bottom, h_img) - max(box.top, 0.0))
        inside = iw * ih / box.area
    return FaceQuality(eye_distance=dist, brightness=brightness, contrast=contrast,
                       sharpness=sharpness, yaw=yaw, inside=inside)


def _grade(problems: list[tuple[bool, bool, str]]) -> tuple[list[str], list[str]]:
    errors = [msg for is_error, _, msg in problems if is_error]
    warns = [msg for is_error, is_warn, msg in problems if is_warn and not is_error]
    return errors, warns


def check(q: FaceQuality, role: str,
          limits: dict[str, QualityLimits] | None = None) -> tuple[str, ...]:
    """Raise :class:`FaceQualityError` for unusable faces; return warnings for borderline ones."""
    lim = (limits or LIMITS)[role]
    where = "selfie" if role == "selfie" else "document photo"
    fix = "take a new selfie" if role == "selfie" else "the chip photo is of poor quality"
    checks: list[tuple[bool, bool, str]] = [
        (q.eye_distance < lim.min_eye_distance[0], q.eye_distance < lim.min_eye_distance[1],
         f"the face in the {where} is too small"),
        (q.brightness < lim.dark[0], q.brightness < lim.dark[1], f"the {where} is too dark"),
        (q.brightness > lim.bright[0], q.brightness > lim.bright[1], f"the {where} is overexposed"),
        (q.contrast < lim.min_contrast[0], q.contrast < lim.min_contrast[1],
         f"the {where} has too little contrast"),
        (q.sharpness < lim.min_sharpness[0], q.sharpness < lim.min_sharpness[1],
         f"the {where} is blurred"),
        (abs(q.yaw) > lim.max_yaw[0], abs(q.yaw) > lim.max_yaw[1],
         f"the face in the {where} is turned away from the camera"),
        (q.inside < lim.min_inside[0], q.inside < lim.min_inside[1],
         f"the face is partly outside the {where}"),
    ]
    errors, warns = _grade(checks)
    if errors:
        raise FaceQualityError("; ".join(errors) + f": {fix}")
    return tuple(warns)


def describe(q: FaceQuality | None) -> dict[str, Any]:
    """JSON-friendly form (``{}`` when no quality was measured)."""
    return q.to_dict() if q is not None else {}
