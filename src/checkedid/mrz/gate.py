"""Quick reject: does a frame hold anything shaped like a machine-readable zone?

A camera loop polls frames most of which show no document. Before the full search
(:func:`checkedid.mrz.locate.candidates` on an 800-pixel frame and the rectification of
every candidate), :func:`may_hold_mrz` looks at the frame reduced to :data:`GATE_SIDE`
pixels (a few tens of thousands of pixels) for what every MRZ is, whatever its size,
rotation, blur or background (ICAO Doc 9303 Part 3, section 4.2; Part 4 to 7, section 4;
the one-line zone of a driving licence, ISO/IEC 18013-1): a block of dark print on a
lighter ground, one to three lines of 30 to 44 characters of equal pitch, so a long,
thin, well-filled blob once its characters are merged.

The test is a necessary condition only, tuned to let through every zone the full search
reads (each generated real-world kind, the synthetic photos, the specimens at any
rotation) and much print that is no MRZ (a page of text, a scene with a face go on to the
full search). It turns away frames with no such blob — an empty or uniform frame, sensor
noise all over, light print on a dark payment card — in a millisecond or two. It never
decides that an MRZ *is* there.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
from cv2.typing import MatLike

__all__ = ["GATE_SIDE", "label_type", "may_hold_mrz", "percentile_u8", "zone_shaped"]

#: Long side of the reduced frame the quick reject looks at (a 1280x720 frame: a quarter).
GATE_SIDE = 320

#: A zone's blob is at least this much darker (grey levels) than the ground around it:
#: dark print on a light ground (light print on a dark card is no MRZ).
_MIN_DARKER = 6.0
#: Width of the ring of ground around a blob, in reduced pixels.
_RING = 4
_RING_KERNEL = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * _RING + 1, 2 * _RING + 1))

Gray = npt.NDArray[np.uint8]


def percentile_u8(values: Gray, q: float) -> float:
    """``numpy.percentile(values, q)`` (linear interpolation) of a uint8 image, from its
    histogram: the same value, without a float copy of the pixels to sort."""
    counts = np.cumsum(cv2.calcHist([values], [0], None, [256], [0, 256]).ravel())
    pos = q / 100.0 * (values.size - 1)
    lo = int(np.floor(pos))
    t = pos - lo
    a = float(np.searchsorted(counts, lo, side="right"))
    b = float(np.searchsorted(counts, min(lo + 1, values.size - 1), side="right"))
    return b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t


def label_type(mask: Gray) -> int:
    """The label type for ``cv2.connectedComponentsWithStats`` of ``mask``: 16-bit (half the
    memory of 32-bit labels) when it has too few ink pixels for its blobs to overflow them."""
    return cv2.CV_16U if cv2.countNonZero(mask) < 60_000 else cv2.CV_32S


def _reduce(gray: Gray, side: int) -> Gray:
    h, w = gray.shape[:2]
    scale = side / max(h, w)
    if scale >= 1.0:
        return gray
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def may_hold_mrz(gray: Gray, side: int = GATE_SIDE) -> bool:
    """False when ``gray`` surely holds no machine-readable zone; True otherwise.

    ``side`` is the long side of the reduced frame (images larger than four times it
    are looked at on a quarter of their long side, so a small document in a large photo
    keeps its lines).
    """
    side = max(side, max(gray.shape[:2]) // 4)
    small = _reduce(gray, side)
    sh, sw = small.shape[:2]
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    bh: Gray = np.asarray(cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, kernel), dtype=np.uint8)
    top = int(bh.max())
    if top < 12:
        return False
    level, _ = cv2.threshold(bh, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    low = max(8.0, 0.5 * level)
    mask = _above(bh, low)
    min_long = 0.1 * max(sh, sw)
    if _has_zone_blob(small, mask, min_long):
        return True
    # large print (a document filling the frame): its lines may touch a frame or a rule
    if _has_zone_blob(small, _drop_long(mask, 0.08 * max(sh, sw)), min_long):
        return True
    # print over a pattern (visas): only the darkest strokes keep the lines apart
    high = 0.5 * percentile_u8(bh, 99.5)
    return high > 1.2 * low and _has_zone_blob(small, _above(bh, high), min_long)


def _above(bh: Gray, level: float) -> Gray:
    _, mask = cv2.threshold(bh, level, 255, cv2.THRESH_BINARY)
    return np.asarray(mask, dtype=np.uint8)


def _drop_long(mask: Gray, limit: float) -> Gray:
    """The mask without blobs longer than ``limit`` (frames, rules, outlines)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8,
                                                           ltype=label_type(mask))
    long = np.maximum(stats[:, 2], stats[:, 3]) > limit
    long[0] = True  # the background stays 0
    if long.sum() == 1:
        return mask
    keep = np.where(long, 0, 255).astype(np.uint8)
    # indexing, not np.take: take copies the labels to 64-bit indices first (8 bytes a pixel)
    return np.asarray(keep[labels], dtype=np.uint8)


#: ``cv2.minAreaRect``'s answer: centre, size, angle.
RotatedRect = tuple[Sequence[float], Sequence[float], float]


def zone_shaped(contour: MatLike, *, min_long: float, min_short: float,
                aspects: tuple[float, float], min_fill: float
                ) -> tuple[RotatedRect, float, float] | None:
    """The rotated rectangle, aspect ratio and fill of ``contour`` when it is shaped like a
    (merged) MRZ: at least ``min_long`` long and ``min_short`` thick, its aspect ratio within
    ``aspects`` and at least ``min_fill`` of its rectangle covered; else ``None``. The gate
    and the locator's full search apply it with their own bounds."""
    if contour.shape[0] < 4:
        return None
    rect = cv2.minAreaRect(contour)
    w, h = rect[1]
    long, short = max(w, h), min(w, h)
    if long < min_long or short < min_short:
        return None
    aspect = long / short
    if not aspects[0] <= aspect <= aspects[1]:
        return None
    fill = cv2.contourArea(contour) / max(long * short, 1.0)
    if fill < min_fill:
        return None
    return rect, aspect, fill


def _has_zone_blob(small: Gray, mask: Gray, min_long: float) -> bool:
    """Whether the closed mask has a long, thin, well-filled blob (the merged lines)."""
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(np.asarray(closed, dtype=np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    for c in contours:
        if zone_shaped(c, min_long=min_long, min_short=2, aspects=(2.2, 80.0),
                       min_fill=0.4) is None:
            continue
        if _darker(small, np.asarray(c, dtype=np.int32)) >= _MIN_DARKER:
            return True
    return False


def _darker(small: Gray, contour: npt.NDArray[np.int32]) -> float:
    """How much darker the blob is than the ground around it (grey levels)."""
    sh, sw = small.shape[:2]
    x, y, w, h = cv2.boundingRect(contour)
    x0, y0 = max(0, x - _RING), max(0, y - _RING)
    x1, y1 = min(sw, x + w + _RING), min(sh, y + h + _RING)
    blob = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.drawContours(blob, [contour - np.array([x0, y0], dtype=np.int32)], -1, 255, -1)
    inside = blob > 0
    ring = (cv2.dilate(blob, _RING_KERNEL) > 0) & ~inside
    if not ring.any():
        return float("inf")  # the blob fills its surroundings: no ground to compare with
    roi = small[y0:y1, x0:x1]
    return float(roi[ring].mean()) - float(roi[inside].mean())
