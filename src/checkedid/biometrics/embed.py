"""From an image to a face embedding: load, detect, align, check quality, describe.

:func:`embed_image` is the one path every image takes (selfie, chip photo, liveness
frame). The returned :class:`Embedding` holds the 128-dimensional descriptor in a
writable ``float64`` array: a :class:`checkedid.Session` registers it and zeroes it
on ``wipe()`` (an embedding is biometric personal data).

Roles: ``selfie`` is a live camera image; ``document`` is the portrait stored on the
chip (ICAO Doc 9303 Part 10, DG2), typically 240x320 to 480x640 pixels, sometimes
grayscale, already decoded by the LDS layer. Grayscale images are expanded to three
channels; how grayscale chip photos compare with colour selfies is measured in
docs/biometrics.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.biometrics.backend import Backend
from checkedid.biometrics.detect import check_role, locate_face
from checkedid.biometrics.image import is_grayscale, load_image
from checkedid.biometrics.quality import FaceQuality, assess, check

__all__ = ["Embedding", "embed_image"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False, repr=False)
class Embedding:
    """The face descriptor of one image plus what was learnt on the way.

    ``vector``: writable ``float64`` array (128 values for dlib); zero it with :meth:`wipe`.
    ``face_box``: (x, y, width, height) of the face in the image's pixels.
    ``faces``: how many faces were seen (the largest is used).
    ``timings``: seconds per stage (``load``, ``detect``, ``quality``, ``describe``).
    """

    vector: FloatArray
    role: str
    face_box: tuple[int, int, int, int]
    quality: FaceQuality
    warnings: tuple[str, ...] = ()
    faces: int = 1
    grayscale: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def wipe(self) -> None:
        """Overwrite the descriptor with zeros."""
        self.vector.fill(0.0)

    @property
    def wiped(self) -> bool:
        return not bool(np.any(self.vector))

    def __repr__(self) -> str:  # never print the descriptor
        return f"<Embedding role={self.role} dims={self.vector.shape[0]} faces={self.faces}>"

    def to_dict(self) -> dict[str, Any]:
        """Metadata only (no descriptor): role, box, quality, warnings, timings."""
        return {
            "role": self.role,
            "face_box": list(self.face_box),
            "faces": self.faces,
            "grayscale": self.grayscale,
            "quality": self.quality.to_dict(),
            "warnings": list(self.warnings),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


def embed_image(image: Any, backend: Backend, *, role: str = "selfie",
                quality: bool = True) -> Embedding:
    """Embed the largest face of ``image`` (path, bytes or array) for ``role``.

    Raises :class:`~checkedid.errors.ImageError` (undecodable / absurd image),
    :class:`~checkedid.errors.NoFaceError` (no face) and
    :class:`~checkedid.errors.FaceQualityError` (face unusable; only when ``quality``).
    """
    check_role(role)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    img = load_image(image)
    gray = np.asarray(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    gray_input = is_grayscale(img)
    t1 = time.perf_counter()
    timings["load"] = t1 - t0
    det = locate_face(img, gray, backend, role)
    t2 = time.perf_counter()
    timings["detect"] = t2 - t1
    q = assess(det.chip, det.landmarks5, det.box, img.shape)
    warnings = list(det.warnings)
    if quality:
        warnings.extend(check(q, role))
    t3 = time.perf_counter()
    timings["quality"] = t3 - t2
    vector = np.array(backend.describe(det.chip), dtype=np.float64, copy=True)
    # face images we made ourselves are zeroed now; the caller's own array is left alone
    det.chip.fill(0)
    gray.fill(0)
    if img is not image:
        img.fill(0)
    timings["describe"] = time.perf_counter() - t3
    return Embedding(vector=vector, role=role, face_box=det.box.as_xywh(), quality=q,
                     warnings=tuple(warnings), faces=det.faces, grayscale=gray_input,
                     timings=timings)
