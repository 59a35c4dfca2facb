"""Threshold calibration and the face benchmark (``checkedid bench face``).

benchmarks/face_match.py runs the same code.

Data: a directory with ``labels.csv`` (columns ``file,identity,note``) and the photos;
rows without an identity, and rows whose note mentions "quality" (images kept to test
the quality checks, e.g. a cut-off face), are skipped. Every photo is turned into

* a *selfie* version: scaled so that its long side is 640 px (a phone camera frame), and
* a *chip* version: a 3:4 crop centred on the face (face box about half the crop
  width, as in an ICAO Doc 9303 Part 3 / ISO/IEC 19794-5 token portrait), resized
  to 480x640 and re-encoded as JPEG quality 75 (like a DG2 image); optionally grayscale.

Comparisons pair the selfie version of one photo with the chip version of a
*different* photo: same identity = genuine, different = impostor. Reported: FNMR at
the threshold, FMR at the threshold, the threshold for FMR <= 1% and its FNMR, failures
to embed, and the latency of one match (selfie 640x480 + chip 480x640) against the
plain ``face_recognition`` pipeline in the same run.
"""

from __future__ import annotations

import csv
import functools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.benchinfo import machine, timing_stats
from checkedid.biometrics.backend import Box
from checkedid.biometrics.image import load_image
from checkedid.biometrics.match import DEFAULT_THRESHOLD, FaceMatcher
from checkedid.biometrics.worker import can_fork
from checkedid.errors import BiometricError, InputError

__all__ = ["Photo", "accuracy", "chip_version", "latency", "load_photos", "run_benchmark",
           "selfie_version"]

U8Array = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Photo:
    name: str
    identity: str
    image: U8Array


def load_photos(directory: str | Path) -> list[Photo]:
    """The labelled photos of ``directory`` (``labels.csv``: file, identity, note)."""
    root = Path(directory)
    labels = root / "labels.csv"
    if not labels.is_file():
        raise InputError("the pairs directory needs a labels.csv (file,identity,note)")
    photos = []
    with labels.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            ident = (row.get("identity") or "").strip()
            name = (row.get("file") or "").strip()
            if ident and name and "quality" not in (row.get("note") or "").lower():
                photos.append(Photo(name, ident, load_image(root / name)))
    if len(photos) < 2:
        raise InputError("the pairs directory holds fewer than two labelled photos")
    return photos


def _fit(img: U8Array, long_side: int) -> U8Array:
    h, w = img.shape[:2]
    f = long_side / max(h, w)
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(img, (round(w * f), round(h * f)), interpolation=interp), np.uint8)


def selfie_version(img: U8Array, size: tuple[int, int] | None = None) -> U8Array:
    """Long side 640 px; with ``size`` (w, h) a face-centred crop of exactly that size."""
    if size is None:
        return _fit(img, 640)
    return _face_crop(img, size, face_fraction=0.3)


def _largest_face(img: U8Array, matcher: FaceMatcher | None = None) -> Box | None:
    backend = (matcher or FaceMatcher()).backend
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    f = min(1.0, 800 / max(gray.shape))
    small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else gray
    boxes = backend.detect(np.asarray(small, np.uint8))
    if not boxes:
        return None
    return max(boxes, key=lambda b: b.area).scaled(1 / f)


def _face_crop(img: U8Array, size: tuple[int, int], face_fraction: float) -> U8Array:
    out_w, out_h = size
    h, w = img.shape[:2]
    box = _largest_face(img)
    cx, cy, fw = (w / 2, h / 2, w / 4) if box is None else (
        (box.left + box.right) / 2, (box.top + box.bottom) / 2, box.width)
    cw = fw / face_fraction
    cw = min(cw, w, h * out_w / out_h)
    ch = cw * out_h / out_w
    x0 = int(min(max(0, cx - cw / 2), w - cw))
    y0 = int(min(max(0, cy - ch * 0.45), h - ch))
    crop = img[y0:y0 + int(ch), x0:x0 + int(cw)]
    interp = cv2.INTER_AREA if cw > out_w else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(crop, (out_w, out_h), interpolation=interp), np.uint8)


def chip_version(img: U8Array, *, grayscale: bool = False, quality: int = 75) -> U8Array:
    """A 480x640 DG2-like portrait of the face in ``img`` (JPEG round trip)."""
    crop = _face_crop(img, (480, 640), face_fraction=0.5)
    if grayscale:
        crop = np.asarray(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), np.uint8)
    ok, enc = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid array
        raise InputError("cannot encode the chip-sized image")
    return load_image(enc.tobytes())


def _rates(genuine: list[float], impostor: list[float], threshold: float) -> tuple[float, float]:
    fnmr = sum(s < threshold for s in genuine) / len(genuine) if genuine else float("nan")
    fmr = sum(s >= threshold for s in impostor) / len(impostor) if impostor else float("nan")
    return fnmr, fmr


def _threshold_at_fmr(impostor: list[float], target: float) -> float:
    """Smallest threshold (score grid of 0.005) with FMR <= target."""
    for t in np.arange(-0.5, 1.0, 0.005):
        if _rates([], impostor, float(t))[1] <= target:
            return round(float(t), 3)
    return 1.0


def _pair_scores(photos: list[Photo], selfies: dict[int, FloatArray],
                 chips: dict[int, FloatArray]) -> tuple[list[float], list[float]]:
    genuine: list[float] = []
    impostor: list[float] = []
    for i, a in selfies.items():
        for j, b in chips.items():
            if i != j:
                score = 1.0 - float(np.linalg.norm(a - b))
                (genuine if photos[i].identity == photos[j].identity else impostor).append(score)
    return genuine, impostor


def _summary(genuine: list[float], impostor: list[float], t: float) -> dict[str, Any]:
    fnmr, fmr = _rates(genuine, impostor, t)
    t1 = _threshold_at_fmr(impostor, 0.01)
    fnmr1, fmr1 = _rates(genuine, impostor, t1)
    return {
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "threshold": t,
        "fnmr": round(fnmr, 4),
        "fmr": round(fmr, 4),
        "threshold_at_fmr_1pct": t1,
        "fnmr_at_fmr_1pct": round(fnmr1, 4),
        "fmr_at_that_threshold": round(fmr1, 4),
        "genuine_min": round(min(genuine), 4) if genuine else None,
        "genuine_median": round(statistics.median(genuine), 4) if genuine else None,
        "impostor_max": round(max(impostor), 4) if impostor else None,
        "impostor_median": round(statistics.median(impostor), 4) if impostor else None,
    }


def _baseline_vector(img: U8Array) -> FloatArray | None:
    import face_recognition

    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    encs = face_recognition.face_encodings(rgb, face_recognition.face_locations(rgb))
    return np.asarray(encs[0], dtype=np.float64) if encs else None


#: ``progress(stage, done, total)``: called as the benchmark advances (it runs for minutes).
Progress = Callable[[str, int, int], None]


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


def accuracy(photos: list[Photo], matcher: FaceMatcher, *, grayscale: bool = False,
             threshold: float | None = None, baseline: bool = False,
             progress: Progress = _no_progress) -> dict[str, Any]:
    """Genuine / impostor scores and error rates for selfie-vs-chip pairs of different photos.

    With ``baseline`` (and face_recognition installed) the same pairs are also scored with
    the plain face_recognition pipeline (score = 1 - its face distance, same threshold).
    """
    t = matcher.threshold if threshold is None else threshold
    versions = [(selfie_version(p.image), chip_version(p.image, grayscale=grayscale))
                for p in photos]
    selfies: dict[int, FloatArray] = {}
    chips: dict[int, FloatArray] = {}
    failures = 0
    stage = "accuracy (grayscale chip photos)" if grayscale else "accuracy"
    for i, (selfie, chip) in enumerate(versions):
        progress(stage, i, len(versions))
        for store, role, img in ((selfies, "selfie", selfie), (chips, "document", chip)):
            try:
                store[i] = matcher.embed(img, role=role).vector
            except BiometricError:
                failures += 1
    out: dict[str, Any] = {"photos": len(photos), "identities": len({p.identity for p in photos}),
                           "failures_to_embed": failures}
    out.update(_summary(*_pair_scores(photos, selfies, chips), t))
    if baseline and _baseline() is not None:
        base_s: dict[int, FloatArray] = {}
        base_c: dict[int, FloatArray] = {}
        for i, (selfie, chip) in enumerate(versions):
            progress(f"{stage}, baseline", i, len(versions))
            for store, img in ((base_s, selfie), (base_c, chip)):
                vec = _baseline_vector(img)
                if vec is not None:
                    store[i] = vec
        summary = _summary(*_pair_scores(photos, base_s, base_c), t)
        summary["failures_to_embed"] = 2 * len(photos) - len(base_s) - len(base_c)
        out["face_recognition"] = summary
    return out


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (a forked face worker)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX: no forked workers either
        return time.process_time()
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - w0, _cpu() - c0


def _baseline() -> Callable[[U8Array, U8Array], float] | None:
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import face_recognition
    except ImportError:
        return None

    def run(selfie: U8Array, chip: U8Array) -> float:
        encs = []
        for img in (selfie, chip):
            rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            locs = face_recognition.face_locations(rgb)
            encs.append(face_recognition.face_encodings(rgb, locs)[0])
        return float(face_recognition.face_distance([encs[0]], encs[1])[0])

    return run


def latency(selfie: U8Array, chip: U8Array, matcher: FaceMatcher, *,
            repeat: int = 20, progress: Progress = _no_progress) -> dict[str, Any]:
    """p50/p95 of one full match (both images embedded) for checkedid and the baseline,
    and of a selfie against an already embedded chip photo (a retry at a kiosk)."""
    baseline = _baseline()
    mode = "thread" if matcher.parallel == "auto" else matcher.parallel
    # the other way of using the second core, measured beside it
    other = "process" if mode == "thread" and can_fork() else "thread"
    alt = FaceMatcher(threshold=matcher.threshold, backend=matcher.backend,
                      parallel=other) if mode != other else None
    matcher.match(selfie, chip)  # warm-up (a second detector for the worker thread)
    if alt is not None:
        alt.match(selfie, chip)
    ours: list[tuple[float, float]] = []
    ours_alt: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    reuse: list[tuple[float, float]] = []
    document = matcher.embed(chip, role="document")
    for i in range(repeat):  # interleaved, so that load from elsewhere hits all alike
        progress("latency", i, repeat)
        reuse.append(_timed(lambda: matcher.compare(matcher.embed(selfie), document)))
        ours.append(_timed(lambda: matcher.match(selfie, chip)))
        if alt is not None:
            ours_alt.append(_timed(functools.partial(alt.match, selfie, chip)))
        if baseline is not None:
            theirs.append(_timed(functools.partial(baseline, selfie, chip)))
    out: dict[str, Any] = {"repeat": repeat, "parallel": mode, "selfie": list(selfie.shape[1::-1]),
                           "chip": list(chip.shape[1::-1]), "checkedid": timing_stats(ours),
                           "checkedid_document_reused": timing_stats(reuse),
                           "samples": {"checkedid": ours, "checkedid_document_reused": reuse}}
    if ours_alt:
        out[f"checkedid_{other}"] = timing_stats(ours_alt)
        out["samples"][f"checkedid_{other}"] = ours_alt
    document.wipe()
    if theirs:
        out["face_recognition"] = timing_stats(theirs)
        out["samples"]["face_recognition"] = theirs
        base, mine = out["face_recognition"], out["checkedid"]
        out["speedup_p50"] = round(base["p50_ms"] / mine["p50_ms"], 2)
        out["speedup_p95"] = round(base["p95_ms"] / mine["p95_ms"], 2)
    else:
        out["face_recognition"] = None
    return out


def run_benchmark(directory: str | Path, *, repeat: int = 20, threshold: float | None = None,
                  grayscale: bool = True, progress: Progress = _no_progress) -> dict[str, Any]:
    """The whole benchmark as one JSON-friendly dict.

    ``result["latency"]["samples"]`` holds every raw ``(wall_s, cpu_s)`` sample per engine
    (``checkedid bench face --samples FILE`` writes them out); ``result["machine"]`` what it
    ran on (:func:`checkedid.benchinfo.machine`).
    """
    progress("loading photos and the face model", 0, 1)
    photos = load_photos(directory)
    matcher = FaceMatcher(threshold=threshold).load()
    result: dict[str, Any] = {"machine": machine(), "default_threshold": DEFAULT_THRESHOLD,
                              "score": "1 - euclidean distance of dlib descriptors",
                              "colour": accuracy(photos, matcher, baseline=True,
                                                 progress=progress)}
    if grayscale:
        result["grayscale_chip"] = accuracy(photos, matcher, grayscale=True, baseline=True,
                                            progress=progress)
    by_id: dict[str, list[Photo]] = {}
    for p in photos:
        by_id.setdefault(p.identity, []).append(p)
    pair = next((v for v in by_id.values() if len(v) >= 2), photos[:2])
    selfie = selfie_version(pair[0].image, (640, 480))
    chip = chip_version(pair[1].image)
    result["latency"] = latency(selfie, chip, matcher, repeat=repeat, progress=progress)
    return result
