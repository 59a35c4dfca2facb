"""Find the machine-readable zone in a photo of a document page.

The MRZ (ICAO Doc 9303 Part 3, section 4.2; Part 4 to 7 section 4) is a block of
two or three long, dense lines of dark OCR-B characters on a light, plain
background. :func:`candidates` finds such blocks at any position, scale and
rotation: on a frame reduced to :data:`WORK_SIDE` pixels, a black-hat
transform keeps small dark strokes, a closing merges the characters of a block
into one blob, and every blob whose minimum-area rectangle is long, thin and
well filled is a candidate. :func:`locate` then rectifies candidates
(:mod:`checkedid.mrz.segment`) until one holds an MRZ-shaped character grid.

Before any of that, :func:`checkedid.mrz.gate.may_hold_mrz` looks at a quarter-size
frame: one with no long, thin blob of dark print on a lighter ground (sensor noise, an
empty frame, light print on a dark card) gives no bands in a millisecond or two, so a
camera loop can poll. Everything else works on a few hundred thousand pixels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.errors import MRZNotFound
from checkedid.mrz.gate import label_type, may_hold_mrz, percentile_u8, zone_shaped
from checkedid.mrz.segment import Band, rectify

__all__ = ["WORK_SIDE", "candidates", "locate", "to_gray"]

#: Long side of the reduced frame used for detection.
WORK_SIDE = 800
#: Closing kernel sizes (pixels in the reduced frame): one per expected character scale.
_CLOSE_SIZES = (5, 11, 19)
#: Most candidates rectified before giving up.
_MAX_TRIES = 8

Gray = npt.NDArray[np.uint8]
Quad = npt.NDArray[np.float64]


def to_gray(image: npt.NDArray[np.generic]) -> Gray:
    """A uint8 single-channel view of a gray, BGR or BGRA image."""
    img = np.asarray(image, dtype=np.uint8)
    if img.ndim == 3 and img.shape[2] == 4:
        img = np.asarray(cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY), dtype=np.uint8)
    elif img.ndim == 3 and img.shape[2] == 3:
        img = np.asarray(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    elif img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    return np.ascontiguousarray(img, dtype=np.uint8)


def _drop_odd(mask: Gray, limit: float) -> Gray:
    """Remove specks (noise) and blobs too large to be characters (frames, rules, photos)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8,
                                                           ltype=label_type(mask))
    big = (np.maximum(stats[:, 2], stats[:, 3]) > limit) | (stats[:, 4] < 5)
    big[0] = False
    if not big.any():
        return mask
    keep = np.where(big, 0, 255).astype(np.uint8)
    keep[0] = 0
    # indexing, not np.take: take copies the labels to 64-bit indices first (8 bytes a pixel)
    return np.asarray(keep[labels], dtype=np.uint8)


def _blobs(mask: Gray, min_long: float) -> list[tuple[float, Quad]]:
    """Scored MRZ-like rectangles of the connected blobs of ``mask``."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[tuple[float, Quad]] = []
    for c in contours:
        shaped = zone_shaped(c, min_long=min_long, min_short=4, aspects=(2.5, 60.0),
                             min_fill=0.45)
        if shaped is None:
            continue
        rect, aspect, fill = shaped
        score = max(rect[1]) * min(fill, 0.9) * (1.0 if 4.0 <= aspect <= 22.0 else 0.6)
        out.append((score, np.asarray(cv2.boxPoints(rect), dtype=np.float64)))
    return out


@dataclass(frozen=True)
class _Reduced:
    """A frame reduced to the search size: its scale and black-hat (small dark strokes)."""

    scale: float
    blackhat: Gray
    low: float  # the threshold for ordinary print
    spare: Gray  # a free buffer of the same size (the search's thresholded mask goes there)


def _reduce(gray: Gray, side: int) -> _Reduced:
    h, w = gray.shape[:2]
    scale = min(1.0, side / max(h, w))
    small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale,
                                                  interpolation=cv2.INTER_AREA)
    smooth = np.asarray(cv2.GaussianBlur(small, (3, 3), 0.8), dtype=np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    # the black-hat goes into the reduced frame's buffer (not into the caller's image)
    bh = np.empty_like(smooth) if small is gray else np.asarray(small, dtype=np.uint8)
    cv2.morphologyEx(smooth, cv2.MORPH_BLACKHAT, kernel, dst=bh)
    level, _ = cv2.threshold(bh, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU, dst=smooth)
    return _Reduced(scale, bh, max(14.0, 0.6 * level), smooth)


def candidates(gray: Gray, side: int = WORK_SIDE, *, pattern: bool = False) -> list[Quad]:
    """Quadrilaterals (source pixel corners) that may hold an MRZ, best first.

    ``side`` is the long side of the reduced frame the search runs on. ``pattern`` runs
    the second search for print on a patterned background (visas): only the darkest
    strokes count, and only when the frame is not noise all over (else: no candidates).
    """
    return _candidates(_reduce(gray, side), pattern)


def _candidates(reduced: _Reduced, pattern: bool) -> list[Quad]:
    bh, low, scale = reduced.blackhat, reduced.low, reduced.scale
    sh, sw = bh.shape[:2]
    found: list[tuple[float, Quad]] = []
    min_long = 0.12 * max(sh, sw)
    if pattern:
        # Print on a patterned background (visas): the pattern passes the first threshold
        # and buries the zone in one huge blob; the print, much darker, passes a second one.
        high = 0.5 * percentile_u8(bh, 99.5)
        dense = float(np.count_nonzero(bh > low)) / bh.size
        thresholds = (high,) if high > 1.4 * low and dense < 0.3 else ()
    else:
        thresholds = (low,)
    if thresholds:  # one set of frame buffers for every step (fresh pages cost a fork)
        thresholded, work, merged = reduced.spare, np.empty_like(bh), np.empty_like(bh)
        square = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    for t in thresholds:
        cv2.threshold(bh, t, 255, cv2.THRESH_BINARY, dst=thresholded)
        mask = _drop_odd(thresholded, 0.08 * max(sh, sw))
        for k in _CLOSE_SIZES:
            # a closing (dilate, erode) merges the characters of a block into one blob,
            # an opening (erode, dilate) cuts thin bridges
            block = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
            cv2.dilate(mask, block, dst=work)
            cv2.erode(work, block, dst=merged)
            cv2.erode(merged, square, dst=work)
            cv2.dilate(work, square, dst=merged)
            found.extend(_blobs(merged, min_long))
    found.sort(key=lambda t: -t[0])
    found = _unions(found[:12]) + found
    found.sort(key=lambda t: -t[0])
    quads: list[Quad] = []
    kept: list[_Extent] = []
    for _, q in found:
        big = q / scale
        extent = _extent(big)
        if any(_same_extent(extent, other) for other in kept):
            continue
        quads.append(big)
        kept.append(extent)
    return quads


def _axis(q: Quad) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float, float]:
    """Centre, unit long-axis direction, long and short side of a rectangle."""
    e1, e2 = q[1] - q[0], q[2] - q[1]
    if np.linalg.norm(e1) < np.linalg.norm(e2):
        e1, e2 = e2, e1
    long, short = float(np.linalg.norm(e1)), float(np.linalg.norm(e2))
    return q.mean(axis=0), e1 / max(long, 1e-9), long, short


def _unions(found: list[tuple[float, Quad]]) -> list[tuple[float, Quad]]:
    """Pairs of blobs that are two pieces of one zone (a glare spot or a finger splits
    the lines): same direction and height, on one axis, close along it; merged."""
    out: list[tuple[float, Quad]] = []
    axes = [_axis(q) for _, q in found]
    for i in range(len(found)):
        ca, ua, la, sa = axes[i]
        for j in range(i + 1, len(found)):
            cb, ub, lb, sb = axes[j]
            if abs(float(ua[0] * ub[1] - ua[1] * ub[0])) > 0.08 or not 0.6 < sb / sa < 1.6:
                continue
            d = cb - ca
            along = abs(float(d @ ua))
            across = abs(float(d[0] * ua[1] - d[1] * ua[0]))
            gap = along - (la + lb) / 2.0
            if across > 0.4 * min(sa, sb) or gap < -0.2 * min(la, lb) or gap > 0.5 * (la + lb):
                continue
            pts = np.vstack([found[i][1], found[j][1]]).astype(np.float32)
            rect = cv2.minAreaRect(pts)
            # tried right after the better piece: a whole zone outranks any union
            out.append((0.99 * max(found[i][0], found[j][0]),
                        np.asarray(cv2.boxPoints(rect), dtype=np.float64)))
    return out


#: A quadrilateral's centre and diagonal (what :func:`_same` compares).
_Extent = tuple[npt.NDArray[np.float64], float]


def _extent(q: Quad) -> _Extent:
    return q.mean(axis=0), float(np.linalg.norm(q[0] - q[2]))


def _same_extent(a: _Extent, b: _Extent) -> bool:
    (ca, size), (cb, size_b) = a, b
    return float(np.linalg.norm(ca - cb)) < 0.05 * size and abs(size - size_b) < 0.1 * size


def _same(a: Quad, b: Quad) -> bool:
    """Whether two quadrilaterals are one zone found twice (same centre and size)."""
    return _same_extent(_extent(a), _extent(b))


def bands(gray: Gray) -> Iterator[Band]:
    """Rectified MRZ bands found in ``gray``, most likely first.

    Large photos get a second, finer search, for a document that fills only a small
    part of the frame (a camera-sized frame is searched once, so rejection stays fast).
    At each size, candidates from the darkest print alone follow when the others gave
    nothing readable (a zone on a patterned background). A frame the quick reject
    (:func:`checkedid.mrz.gate.may_hold_mrz`) clears of any zone-shaped print gives none.
    """
    if not may_hold_mrz(gray):
        return
    for side in (WORK_SIDE, 2 * WORK_SIDE):
        if side > WORK_SIDE and max(gray.shape[:2]) < side:
            return
        reduced = _reduce(gray, side)
        tried = _candidates(reduced, False)[:_MAX_TRIES]
        for q in tried:
            band = rectify(gray, q)
            if band is not None:
                yield band
        # nothing readable: the zone may be printed over a pattern that swamped the search
        for q in _candidates(reduced, True)[:_MAX_TRIES]:
            if any(_same(q, t) for t in tried):
                continue
            band = rectify(gray, q)
            if band is not None:
                yield band


def locate(gray: Gray) -> Band:
    """The most likely MRZ band in ``gray``; :class:`MRZNotFound` when there is none."""
    for band in bands(gray):
        return band
    raise MRZNotFound("no machine-readable zone found in the image")
