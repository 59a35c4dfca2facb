"""Face comparison: :class:`FaceMatcher`, :class:`MatchResult` and the one-call :func:`match`.

Score: ``score = 1 - d`` where ``d`` is the Euclidean distance between the two dlib
descriptors. Higher means more similar; identical images score 1.0, dlib's own
"same person" rule (``d < 0.6``) is ``score > 0.4``. Scores below 0 are possible
for very different faces (``d > 1``) and are reported as they are.

The decision is ``score >= threshold``. :data:`DEFAULT_THRESHOLD` was calibrated on
selfie-sized photos against chip-sized (480x640, JPEG quality 75) photos of other
sittings; the measured error rates are in docs/biometrics.md and are reproduced by
``checkedid bench face``.

Typical use in a kiosk: embed the chip photo once, compare every selfie attempt
against it::

    m = FaceMatcher().load()
    doc = m.embed(chip_image, role="document")
    result = m.compare(m.embed(selfie), doc)
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from checkedid.biometrics.backend import Backend, DlibBackend
from checkedid.biometrics.embed import Embedding, embed_image
from checkedid.biometrics.worker import embed_in_child
from checkedid.errors import CheckedIDError, InputError, SecretWipedError

__all__ = ["BORDERLINE_MARGIN", "DEFAULT_THRESHOLD", "PARALLEL_MODES", "FaceMatcher", "MatchResult",
           "embed", "match"]

#: Default decision threshold on the score (``1 - distance``): dlib's distance 0.6. On the
#: shared calibration photos (selfie vs 480x640 JPEG chip photo of another sitting) it gave
#: FNMR 0/36 and FMR 0/204, colour and grayscale; the FMR = 1 % point was about 0.30.
#: See docs/biometrics.md.
DEFAULT_THRESHOLD = 0.40
#: Ways :meth:`FaceMatcher.embed_pair` can use a second core.
PARALLEL_MODES = ("auto", "process", "thread", "none")
#: Scores this close to the threshold carry a warning.
BORDERLINE_MARGIN = 0.04


@dataclass(frozen=True)
class MatchResult:
    """Outcome of one comparison.

    ``score`` = 1 - Euclidean distance of the descriptors (higher = more similar);
    ``is_match`` = ``score >= threshold``; ``timings`` in seconds per stage;
    ``faces``: for ``"a"`` and ``"b"`` the role, face box, quality and warnings (no descriptor).
    """

    score: float
    threshold: float
    is_match: bool
    distance: float
    warnings: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    faces: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "distance": round(self.distance, 4),
            "threshold": self.threshold,
            "is_match": self.is_match,
            "warnings": list(self.warnings),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "faces": self.faces,
        }


def _check_threshold(threshold: float | None) -> float:
    if threshold is None:
        return DEFAULT_THRESHOLD
    t = float(threshold)
    if not math.isfinite(t) or not -1.0 <= t <= 1.0:
        raise InputError(
            "the face threshold must be a number between -1 and 1 (score = 1 - distance)")
    return t


class FaceMatcher:
    """Embeds faces and compares them. Models are loaded once per process.

    ``threshold``: decision threshold on the score (default :data:`DEFAULT_THRESHOLD`).
    ``backend``: a :class:`~checkedid.biometrics.backend.Backend`; default the shared
    :class:`~checkedid.biometrics.backend.DlibBackend`.
    ``quality``: run the quality checks (errors for unusable faces, warnings otherwise).
    ``parallel``: how :meth:`match` / :meth:`embed_pair` use a second core — ``"thread"``
    (the chip photo embedded in a thread: dlib's detector and the numpy descriptor's
    matrix products release the GIL), ``"process"`` (in a forked child), ``"none"``, or
    ``"auto"`` (threads: with the numpy descriptor they cost less CPU and time than a fork,
    measured with ``benchmarks/face_match.py``; dlib's own descriptor, ``descriptor="dlib"``,
    holds the GIL, so ``"process"`` suits it better). The verification pipeline embeds the
    selfie and the printed portrait in forked children beside the MRZ and the chip photo
    with ``"process"`` only; otherwise one after the other, in its worker.
    """

    def __init__(self, threshold: float | None = None, backend: Backend | None = None, *,
                 quality: bool = True, parallel: str = "auto") -> None:
        self.threshold = _check_threshold(threshold)
        self._backend = backend
        self.quality = quality
        if parallel not in PARALLEL_MODES:
            raise InputError(f"parallel must be one of {', '.join(PARALLEL_MODES)}")
        self.parallel = parallel

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = DlibBackend.shared()
        return self._backend

    def load(self) -> FaceMatcher:
        """Load the models now (raises :class:`~checkedid.errors.BackendUnavailable`)."""
        self.backend.load()
        return self

    def embed(self, image: Any, *, role: str = "selfie") -> Embedding:
        """Embed the largest face of ``image`` (path, encoded bytes or BGR/gray array)."""
        return embed_image(image, self.backend, role=role, quality=self.quality)

    def compare(self, a: Embedding, b: Embedding) -> MatchResult:
        """Compare two embeddings (order does not matter for the score)."""
        t0 = time.perf_counter()
        if a.vector.shape != b.vector.shape:
            raise InputError("the two embeddings come from different face models")
        if a.wiped or b.wiped:
            raise SecretWipedError("an embedding was wiped and cannot be compared")
        distance = float(np.linalg.norm(a.vector - b.vector))
        if not math.isfinite(distance):
            raise InputError("an embedding holds non-finite values")
        score = 1.0 - distance
        is_match = score >= self.threshold
        warnings = list(dict.fromkeys(a.warnings + b.warnings))
        if abs(score - self.threshold) < BORDERLINE_MARGIN:
            warnings.append("the face similarity is close to the threshold: a new selfie may help")
        timings = {f"{e.role}.{k}": v for e in (a, b) for k, v in e.timings.items()}
        timings["compare"] = time.perf_counter() - t0
        faces = {}
        for key, emb in (("a", a), ("b", b)):
            info = emb.to_dict()
            info.pop("timings", None)
            faces[key] = info
        return MatchResult(score=score, threshold=self.threshold, is_match=is_match,
                           distance=distance, warnings=tuple(warnings), timings=timings,
                           faces=faces)

    def embed_pair(self, selfie: Any, document: Any) -> tuple[Embedding, Embedding]:
        """Embed a selfie and a chip photo, using a second core as ``parallel`` says."""
        mode = self.parallel
        if mode == "auto":
            mode = "thread"
        if mode == "none":
            live = self.embed(selfie, role="selfie")
            try:
                return live, self.embed(document, role="document")
            except BaseException:
                live.wipe()
                raise
        if mode == "process" and hasattr(os, "fork"):
            return self._pair_in_processes(selfie, document)
        # threads: dlib's detector releases the GIL, so the chip photo's detection overlaps
        # the selfie's work; the descriptor network itself runs one at a time
        with ThreadPoolExecutor(max_workers=1) as pool:
            fut = pool.submit(self.embed, document, role="document")
            live = self.embed(selfie, role="selfie")
            try:
                doc = fut.result()
            except BaseException:
                live.wipe()
                raise
        return live, doc

    def _pair_in_processes(self, selfie: Any, document: Any) -> tuple[Embedding, Embedding]:
        wait = embed_in_child(lambda: self.embed(document, role="document"))
        try:
            live = self.embed(selfie, role="selfie")
        except BaseException:
            with contextlib.suppress(CheckedIDError):
                wait().wipe()  # reap the child; its error, if any, is secondary
            raise
        try:
            doc = wait()
        except BaseException:
            live.wipe()
            raise
        return live, doc

    def match(self, selfie: Any, document: Any) -> MatchResult:
        """Embed both images and compare them; the embeddings are wiped afterwards."""
        t0 = time.perf_counter()
        live, doc = self.embed_pair(selfie, document)
        try:
            result = self.compare(live, doc)
        finally:
            live.wipe()
            doc.wipe()
        timings = dict(result.timings)
        timings["total"] = time.perf_counter() - t0
        return replace(result, timings=timings)


def embed(image: Any, *, role: str = "selfie") -> Embedding:
    """Embed the largest face of ``image`` with the shared default matcher."""
    return FaceMatcher().embed(image, role=role)


def match(image_a: Any, image_b: Any, *, threshold: float | None = None) -> MatchResult:
    """Compare a live image (``image_a``, role selfie) with a document photo (``image_b``)."""
    return FaceMatcher(threshold=threshold).match(image_a, image_b)
