"""Rebuild this directory's photos from their originals (see README.md for the sources).

    python tests/data/faces/derive.py ORIGINALS_DIR ASTRONAUT_PNG

ORIGINALS_DIR holds the Official White House photos under the names of the README's
table; ASTRONAUT_PNG is ``skimage/data/astronaut.png`` from a scikit-image wheel. Every output
is a head-and-shoulders crop around the largest detected face, scaled so that its long side
is at most 720 px, re-encoded as JPEG quality 88 (no metadata kept). Two files are derived
on purpose and say so in labels.csv: a crop that cuts the face at the edge, and a side-by-side
composite of two photos.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
LONG_SIDE = 720


def _largest_face(img: np.ndarray) -> tuple[int, int, int, int]:
    import face_recognition

    rgb = np.ascontiguousarray(img[:, :, ::-1])
    boxes = face_recognition.face_locations(rgb)
    top, right, bottom, left = max(boxes, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))
    return left, top, right - left, bottom - top


def head_and_shoulders(img: np.ndarray) -> np.ndarray:
    """A 3:4 crop, face width about a third of the crop, eyes above the middle."""
    x, y, w, h = _largest_face(img)
    cw = int(w * 3.0)
    ch = cw * 4 // 3
    cx, cy = x + w // 2, y + h // 2
    x0 = max(0, min(img.shape[1] - cw, cx - cw // 2))
    y0 = max(0, min(img.shape[0] - ch, cy - int(ch * 0.38)))
    crop = img[y0:y0 + ch, x0:x0 + cw]
    scale = min(1.0, LONG_SIDE / max(crop.shape[:2]))
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def save(name: str, img: np.ndarray) -> None:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 88])
    assert ok
    (HERE / name).write_bytes(buf.tobytes())


def main(originals: Path, astronaut: Path) -> None:
    out: dict[str, np.ndarray] = {}
    for name in ("obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "biden_1.jpg"):
        img = cv2.imread(str(originals / name))
        out[name] = head_and_shoulders(img)
    astro = cv2.imread(str(astronaut))
    out["astronaut_1.jpg"] = head_and_shoulders(astro[:300])  # the top half: her face only
    x, _, w, _ = _largest_face(out["obama_1.jpg"])
    out["obama_1_partial_face.jpg"] = out["obama_1.jpg"][:, x + int(w * 0.3):].copy()
    a, b = out["obama_1.jpg"], out["biden_1.jpg"]
    small = cv2.resize(b, (b.shape[1] * 3 // 5, b.shape[0] * 3 // 5), interpolation=cv2.INTER_AREA)
    canvas = np.full((a.shape[0], a.shape[1] + small.shape[1], 3), 255, np.uint8)
    canvas[:, :a.shape[1]] = a
    canvas[:small.shape[0], a.shape[1]:] = small
    out["two_people_composite.jpg"] = canvas
    for name, img in out.items():
        save(name, img)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
