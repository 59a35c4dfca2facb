"""Face matching: the chip photo (ICAO Doc 9303 Part 10, DG2) against a live selfie.

Public API::

    FaceMatcher(threshold=None, backend=None).load()      # models loaded once per process
        .embed(image, role="selfie" | "document") -> Embedding
        .compare(a, b) -> MatchResult                       # score = 1 - descriptor distance
        .match(selfie, document) -> MatchResult
    match(image_a, image_b, threshold=None) -> MatchResult
    embed(image, role="selfie") -> Embedding
    check_liveness(frames, challenge, reference=None) -> LivenessResult   # blink / head turn

Images are paths, encoded bytes or numpy arrays (BGR, BGRA or grayscale). Errors are
:class:`~checkedid.errors.ImageError`, :class:`~checkedid.errors.NoFaceError`,
:class:`~checkedid.errors.FaceQualityError` and, without the ``face`` extra,
:class:`~checkedid.errors.BackendUnavailable`. See docs/biometrics.md for the
threshold, the measured error rates and what liveness does not stop.
"""

from __future__ import annotations

from checkedid.biometrics.backend import Backend, Box, DlibBackend
from checkedid.biometrics.embed import Embedding
from checkedid.biometrics.image import load_image
from checkedid.biometrics.liveness import Challenge, LivenessResult, check_liveness
from checkedid.biometrics.match import DEFAULT_THRESHOLD, FaceMatcher, MatchResult, embed, match
from checkedid.biometrics.quality import FaceQuality

__all__ = [
    "DEFAULT_THRESHOLD",
    "Backend",
    "Box",
    "Challenge",
    "DlibBackend",
    "Embedding",
    "FaceMatcher",
    "FaceQuality",
    "LivenessResult",
    "MatchResult",
    "check_liveness",
    "embed",
    "load_image",
    "match",
]
