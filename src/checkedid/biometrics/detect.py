"""Face detection at a deliberate scale, landmarks and the aligned face chip.

The HOG detector finds faces of roughly 80 pixels and more and costs time in
proportion to the pixel count, so the image is first resized to a working size
that suits the role:

* ``selfie`` (a camera frame, often 640x480 up to 12 MP): detect with the long side
  at 480 px (downscaling a large photo, never upsampling on the first pass),
* ``document`` (the chip photo of ICAO Doc 9303 Part 10, DG2; a token portrait of
  typically 240x320 to 480x640 in which the face fills most of the frame):
  detect with the long side at 320 px.

When no face is found the working size doubles, up to twice the native size for
small images (so a small chip photo is deliberately upsampled) and at most
:data:`MAX_DETECT_SIDE`. The box found is mapped back to full resolution; the
landmarks and the face chip come from a crop around it at full resolution (scaled
down only when the face is much larger than the chip), so a large selfie never has
to be converted or searched as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.biometrics.backend import CHIP_SIZE, Backend, Box
from checkedid.errors import InputError, NoFaceError

__all__ = [
    "FIRST_DETECT_SIDE",
    "MAX_DETECT_SIDE",
    "ROLES",
    "Detection",
    "detect_faces",
    "detection_sides",
    "face_landmarks",
    "locate_face",
]

U8Array = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]

ROLES = ("selfie", "document")
#: Long side of the first detection pass per role.
FIRST_DETECT_SIDE = {"selfie": 480, "document": 320}
#: Upper bound of the working size (a 1600x1200 pass costs about 0.1 s).
MAX_DETECT_SIDE = 1600
#: Faces wider than this (in pixels) are scaled down before landmarks and alignment.
MAX_FACE_WIDTH = 2 * CHIP_SIZE

_NO_FACE = {
    "selfie": "no face found in the selfie: ask the person to face the camera",
    "document": "no face found in the document photo: the chip image may be damaged "
                "or not a portrait",
}


@dataclass(frozen=True)
class Detection:
    """The chosen face of an image.

    ``box`` and ``landmarks5`` are in full-resolution pixel coordinates; ``chip`` is
    the aligned RGB face chip; ``faces`` how many faces the winning pass saw;
    ``detect_side`` the long side of the image the detector ran on.
    """

    box: Box
    landmarks5: FloatArray
    chip: U8Array
    faces: int
    detect_side: int
    warnings: tuple[str, ...] = field(default=())


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}")
    return role


def detection_sides(long_side: int, role: str) -> list[int]:
    """The working long sides tried in order, e.g. ``[480, 960, 1600]`` for a 12 MP selfie."""
    first = min(FIRST_DETECT_SIDE[check_role(role)], long_side)
    limit = min(MAX_DETECT_SIDE, 2 * long_side if long_side < 800 else long_side)
    sides = [first]
    while sides[-1] < limit:
        sides.append(min(sides[-1] * 2, limit))
    return sides


def _resize(img: U8Array, factor: float) -> U8Array:
    if factor == 1.0:
        return img
    h, w = img.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    interp = cv2.INTER_AREA if factor < 1.0 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(img, size, interpolation=interp), dtype=np.uint8)


def detect_faces(gray: U8Array, backend: Backend, role: str) -> tuple[list[Box], int]:
    """All faces of the first pass that finds any, in full-resolution coordinates, and its side."""
    long_side = max(gray.shape[:2])
    side = long_side
    for side in detection_sides(long_side, role):
        factor = side / long_side
        boxes = backend.detect(_resize(gray, factor))
        if boxes:
            return [b.scaled(1.0 / factor) for b in boxes], side
    return [], side


def _crop_bounds(box: Box, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    margin = 0.5 * max(box.width, box.height)
    h, w = shape[:2]
    x0 = max(0, int(box.left - margin))
    y0 = max(0, int(box.top - margin))
    x1 = min(w, int(box.right + margin) + 1)
    y1 = min(h, int(box.bottom + margin) + 1)
    return x0, y0, x1, y1


def locate_face(img: U8Array, gray: U8Array, backend: Backend, role: str) -> Detection:
    """Detect, pick the largest face, find its 5 landmarks and cut the aligned chip.

    Raises :class:`~checkedid.errors.NoFaceError` with an operator-facing hint when
    no pass finds a face.
    """
    boxes, side = detect_faces(gray, backend, role)
    if not boxes:
        raise NoFaceError(_NO_FACE[check_role(role)])
    boxes.sort(key=lambda b: b.area, reverse=True)
    box = boxes[0]
    warnings: list[str] = []
    if len(boxes) > 1:
        where = "selfie" if role == "selfie" else "document photo"
        warnings.append(f"several faces in the {where}: the largest was used")

    pts, rgb, factor, origin = _local_landmarks(img, box, backend, 5)
    chip = backend.align(rgb, pts)
    full_pts = pts / factor + origin
    return Detection(box=box, landmarks5=full_pts, chip=chip, faces=len(boxes), detect_side=side,
                     warnings=tuple(warnings))


def _local_landmarks(img: U8Array, box: Box, backend: Backend,
                     points: int) -> tuple[FloatArray, U8Array, float, FloatArray]:
    """Landmarks in a (possibly scaled-down) RGB crop around ``box``, plus that crop,
    its scale factor and its origin in the full image."""
    x0, y0, x1, y1 = _crop_bounds(box, img.shape)
    factor = min(1.0, MAX_FACE_WIDTH / max(box.width, 1.0))
    crop = _resize(img[y0:y1, x0:x1], factor)
    rgb = np.ascontiguousarray(crop[:, :, ::-1])
    local = box.scaled(factor, -x0 * factor, -y0 * factor)
    pts = backend.landmarks(rgb, local, points)
    return pts, rgb, factor, np.array([x0, y0], dtype=np.float64)


def face_landmarks(img: U8Array, box: Box, backend: Backend, points: int = 68) -> FloatArray:
    """``points`` landmarks (5 or 68) of the face in ``box``, in full-resolution pixels."""
    pts, _, factor, origin = _local_landmarks(img, box, backend, points)
    return pts / factor + origin
