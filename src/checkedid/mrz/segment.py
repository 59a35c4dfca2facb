"""Rectify a located MRZ band into a regular character grid.

ICAO Doc 9303 Part 3, section 4.2 prints the machine-readable zone in OCR-B
size 1 at a fixed pitch of 2.54 mm (10 characters per inch) with a fixed number
of characters per line: 30 (TD1, three lines), 36 (TD2 / MRV-B, two lines) or
44 (TD3 / MRV-A, two lines), Part 4 section 4.1, Part 5 section 4.2, Part 6
section 4.2, Part 7 section 4.2. Because the zone is monospaced, every
character can be given its column: :func:`rectify` chains the ink blobs inside
a candidate quadrilateral into lines, picks two or three equally long lines,
counts each blob's column in the local pitch and fits (least squares, RANSAC) the
homography that puts every character on a grid of :data:`PITCH`-pixel cells.
That corrects rotation and moderate perspective at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.ma  # numpy.percentile imports it on its first call: here, once
import numpy.typing as npt

from checkedid.mrz.gate import label_type, percentile_u8

__all__ = ["LINE_LENGTHS", "PITCH", "Band", "rectify"]

#: Width in pixels of one character cell in a rectified band.
PITCH = 20
#: Characters per line for two-line (36, 44) and three-line (30) zones.
LINE_LENGTHS = (30, 36, 44)
#: Margin above the first and below the last line centre, in pixels.
_MARGIN_Y = 22
#: Long side of the intermediate (affine) view used to find the lines.
_WORK_LONG = 900

Gray = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Band:
    """An MRZ rectified to upright, ``line_length`` cells of :data:`PITCH` pixels per line.

    ``image`` is grayscale; character ``j`` of line ``i`` is centred on
    ``(PITCH / 2 + j * PITCH, line_y[i])``. The band may still be upside down:
    :meth:`flipped` turns it by 180 degrees (the grid maps onto itself).
    """

    image: Gray
    line_y: tuple[float, ...]
    line_length: int
    #: The band's corners in the source photo (top-left, top-right, bottom-right,
    #: bottom-left of the band as it stands), or ``None`` when not known.
    corners: Points | None = None

    @property
    def n_lines(self) -> int:
        return len(self.line_y)

    def flipped(self) -> Band:
        h = float(self.image.shape[0])
        ys = tuple(h - 1.0 - y for y in reversed(self.line_y))
        corners = None if self.corners is None else np.roll(self.corners, 2, axis=0)
        return Band(np.ascontiguousarray(self.image[::-1, ::-1]), ys, self.line_length, corners)


@dataclass
class _Line:
    cx: npt.NDArray[np.float64]
    cy: npt.NDArray[np.float64]
    height: float

    @property
    def pitch(self) -> float:
        d = np.diff(np.sort(self.cx))
        return float(np.median(d)) if d.size else 0.0

    def y_at(self, x: float) -> float:
        if self.cx.size < 2 or np.ptp(self.cx) < 1.0:
            return float(np.mean(self.cy))
        # Closed-form least squares (no LAPACK call: a threaded BLAS is slow to wake).
        mx, my = float(np.mean(self.cx)), float(np.mean(self.cy))
        dx = self.cx - mx
        slope = float(np.dot(dx, self.cy - my) / np.dot(dx, dx))
        return my + slope * (x - mx)


def _affine_view(gray: Gray, quad: Points) -> tuple[Gray, Points]:
    """Warp the rotated rectangle ``quad`` (4x2, any order) to an upright view.

    Returns the view and the 3x3 matrix mapping source pixels to view pixels.
    The long side of the rectangle becomes horizontal; the short side is
    enlarged so that lines cut by the detector are seen whole.
    """
    rect = cv2.minAreaRect(quad.astype(np.float32))
    (cx, cy), (w, h), angle = rect
    if w < h:
        w, h = h, w
        angle += 90.0
    w *= 1.08
    h = max(h * 1.3 + 0.06 * w, 0.27 * w)
    scale = _WORK_LONG / max(w, 1.0)
    out_w, out_h = round(w * scale), max(8, round(h * scale))
    rot = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    rot[0, 2] += out_w / 2.0 - cx
    rot[1, 2] += out_h / 2.0 - cy
    view = cv2.warpAffine(gray, rot, (out_w, out_h), flags=cv2.INTER_AREA,
                          borderMode=cv2.BORDER_REPLICATE)
    m = np.vstack([rot, [0.0, 0.0, 1.0]])
    return np.asarray(view, dtype=np.uint8), m


def _components(view: Gray) -> npt.NDArray[np.float64]:
    """Character-like dark blobs as rows ``(cx, cy, w, h)``."""
    k = max(9, view.shape[1] // 40) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    smooth = np.asarray(cv2.GaussianBlur(view, (3, 3), 0.8), dtype=np.uint8)
    bh = np.asarray(cv2.morphologyEx(smooth, cv2.MORPH_BLACKHAT, kernel), dtype=np.uint8)
    mask = smooth  # the smoothed view is no longer needed: its buffer takes the mask
    level, _ = cv2.threshold(bh, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU, dst=mask)
    if int(np.max(bh)) < 25:
        return np.zeros((0, 4))
    n, _, stats, cents = cv2.connectedComponentsWithStats(mask, connectivity=8,
                                                          ltype=label_type(mask))
    high = 0.5 * percentile_u8(bh, 99.5)
    if n > 300 and high > 1.3 * level:
        # a background pattern (visas) broke into hundreds of specks: keep the dark print
        cv2.threshold(bh, high, 255, cv2.THRESH_BINARY, dst=mask)
        n, _, stats, cents = cv2.connectedComponentsWithStats(mask, connectivity=8,
                                                              ltype=label_type(mask))
    if n <= 1:
        return np.zeros((0, 4))
    st = stats[1:].astype(np.float64)
    w, h, area = st[:, 2], st[:, 3], st[:, 4]
    keep = (h >= 5) & (area >= 6) & (h <= view.shape[0] * 0.6) & (w <= 2.5 * h + 4)
    out = np.column_stack([cents[1:, 0], cents[1:, 1], w, h])[keep]
    return np.asarray(out, dtype=np.float64)


def _chain_lines(comp: npt.NDArray[np.float64]) -> list[_Line]:
    """Link each blob to its nearest right-hand neighbour on the same text line."""
    n = comp.shape[0]
    if n < 10:
        return []
    med_h = float(np.median(comp[:, 3]))
    tall = comp[:, 3] >= 0.45 * med_h
    comp = comp[tall]
    n = comp.shape[0]
    ref_h = float(np.percentile(comp[:, 3], 75)) if n else 0.0
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    dx = comp[None, :, 0] - comp[:, None, 0]
    dy = np.abs(comp[None, :, 1] - comp[:, None, 1])
    ok = (dx > 0.5) & (dx < 2.2 * ref_h) & (dy < 0.45 * ref_h)
    cost = np.where(ok, dx + 3.0 * dy, np.inf)
    best = np.argmin(cost, axis=1)
    for i in range(n):
        j = int(best[i])
        if np.isfinite(cost[i, j]):
            parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    pieces = []
    for idx in groups.values():
        if len(idx) >= 4:
            sel = comp[idx]
            pieces.append(_Line(sel[:, 0], sel[:, 1], float(np.percentile(sel[:, 3], 75))))
    lines = [ln for ln in _join_pieces(pieces, ref_h) if ln.cx.size >= 12]
    lines.sort(key=lambda ln: float(np.mean(ln.cy)))
    return lines


def _join_pieces(pieces: list[_Line], ref_h: float) -> list[_Line]:
    """Join pieces of one text line that a glare spot or a fold split apart.

    Two pieces are joined when they do not overlap horizontally and the longer one's
    line, extended, passes through the other's characters.
    """
    pieces = sorted(pieces, key=lambda ln: -ln.cx.size)
    out: list[_Line] = []
    for piece in pieces:
        for i, line in enumerate(out):
            lo, hi = float(line.cx.min()), float(line.cx.max())
            if float(piece.cx.max()) > lo - ref_h and float(piece.cx.min()) < hi + ref_h:
                continue
            if line.cx.size < 6:
                continue
            off = np.abs(piece.cy - np.array([line.y_at(float(x)) for x in piece.cx]))
            if float(np.median(off)) < 0.3 * ref_h:
                out[i] = _Line(np.concatenate([line.cx, piece.cx]),
                               np.concatenate([line.cy, piece.cy]), line.height)
                break
        else:
            out.append(piece)
    return out


def _pick_zone(lines: list[_Line]) -> tuple[list[_Line], int] | None:
    """Choose 2 or 3 consecutive, equally long lines and their character count, else one
    line of 30 (the MRZ of a driving licence, ISO/IEC 18013-1)."""
    best: tuple[float, list[_Line], int] | None = None
    for size in (3, 2, 1):
        for start in range(len(lines) - size + 1):
            group = lines[start:start + size]
            lefts = np.array([ln.cx.min() for ln in group])
            rights = np.array([ln.cx.max() for ln in group])
            pitch = float(np.median([ln.pitch for ln in group]))
            if pitch <= 0:
                continue
            # one side may be cut by the image border (a lost last or first column)
            spread = sorted((float(np.ptp(lefts)), float(np.ptp(rights))))
            if spread[0] > 1.5 * pitch or spread[1] > 2.6 * pitch:
                continue
            est = float(np.mean(rights - lefts)) / pitch + 1.0
            n = 30 if size != 2 else (36 if est < 40 else 44)
            if abs(est - n) > max(3.0, 0.12 * n):
                continue
            gaps = np.diff([float(np.mean(ln.cy)) for ln in group])
            if gaps.size and (gaps.min() < 0.9 * group[0].height or gaps.max() > 3.0 * pitch + 2
                              * group[0].height):
                continue
            score = sum(ln.cx.size for ln in group) - 2.0 * abs(est - n)
            if best is None or score > best[0]:
                best = (score, group, n)
        if best is not None:
            return best[1], best[2]
    return None


def _columns(line: _Line) -> tuple[Points, npt.NDArray[np.float64]]:
    """Column position (fractional, first blob at 0) of each blob of a line, sorted by x.

    Steps between neighbours are measured in the local pitch (running median), so a
    pitch that changes along the line (perspective) and blobs of two touching
    characters (half-way positions) do not throw the count off.
    """
    order = np.argsort(line.cx)
    cx, cy = line.cx[order], line.cy[order]
    dx = np.diff(cx)
    local = _running_median(dx)
    pos = np.concatenate([[0.0], np.cumsum(dx / np.maximum(local, 1e-6))])
    return np.column_stack([cx, cy]), pos


def _running_median(d: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Median of ``d[i - 3:i + 4]`` (cut at the ends) for every ``i``: the full windows
    as one sort, the shorter ones at the ends one by one."""
    m = d.size
    out = np.empty(m, dtype=np.float64)
    ends = range(m) if m < 7 else (0, 1, 2, m - 3, m - 2, m - 1)
    if m >= 7:
        out[3:m - 3] = np.sort(np.lib.stride_tricks.sliding_window_view(d, 7), axis=1)[:, 3]
    for i in ends:
        out[i] = np.median(d[max(0, i - 3):i + 4])
    return out


def _line_fit(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[float, float]:
    mx, my = float(np.mean(x)), float(np.mean(y))
    dx = x - mx
    slope = float(np.dot(dx, y - my) / max(float(np.dot(dx, dx)), 1e-9))
    return slope, my - slope * mx


class _ColumnModel:
    """Column as a quadratic function of x along a line (perspective foreshortening)."""

    def __init__(self, cx: npt.NDArray[np.float64], pos: npt.NDArray[np.float64]) -> None:
        self.mid = float(np.mean(cx))
        self.half = max(float(np.ptp(cx)) / 2.0, 1.0)
        self.coef = np.array([0.0, 0.0, 0.0])
        for _ in range(2):
            col = np.round(pos)
            ok = np.abs(pos - col) < 0.3
            if int(ok.sum()) < 6:
                break
            t = (cx[ok] - self.mid) / self.half
            a = np.column_stack([np.ones_like(t), t, t * t])
            self.coef = np.linalg.solve(a.T @ a + 1e-9 * np.eye(3), a.T @ col[ok])
            pos = self(cx)

    def __call__(self, cx: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        t = (cx - self.mid) / self.half
        return np.asarray(self.coef[0] + self.coef[1] * t + self.coef[2] * t * t)


def _grid_columns(group: list[_Line], n: int) -> list[tuple[Points, npt.NDArray[np.float64]]]:
    """Fractional column of every blob of every line.

    A complete line (its blobs span ``n - 1`` steps) gets a column model of its own. A
    line that lost characters (glare, a fold) or whose touching characters merged is
    read against a complete line's model, shifted by the slant (shear) the complete
    lines show from one line to the next and then snapped to the nearest whole-column
    phase, so a missing first or last character does not shift the whole line.
    """
    cols = [_columns(line) for line in group]
    spans = [round(float(pos[-1])) for _, pos in cols]
    complete = [i for i, k in enumerate(spans) if k == n - 1 and cols[i][1][-1] > 0]
    if not complete:
        return [(pts, pos * ((n - 1) / pos[-1]) if spans[i] == n - 1 else pos)
                for i, (pts, pos) in enumerate(cols)]
    lefts = np.array([float(ln.cx.min()) for ln in group])
    if len(complete) >= 2:
        slope, icpt = _line_fit(np.array(complete, float), lefts[complete])
    else:
        slope, icpt = 0.0, float(lefts[complete[0]])
    models = {i: _ColumnModel(cols[i][0][:, 0], cols[i][1] * ((n - 1) / cols[i][1][-1]))
              for i in complete}
    out = []
    for i, (pts, _) in enumerate(cols):
        if i in models:
            out.append((pts, models[i](pts[:, 0])))
            continue
        ref = min(complete, key=lambda j: abs(j - i))
        shift = (icpt + slope * i) - (icpt + slope * ref)
        guess = models[ref](pts[:, 0] - shift)
        phase = np.angle(np.mean(np.exp(2j * np.pi * (guess - np.round(guess)))))
        out.append((pts, guess - phase / (2 * np.pi)))
    return out


def _fit_grid(group: list[_Line], n: int, ys: tuple[float, ...]) -> Points | None:
    """Least-squares homography from every well-centred character to its grid cell."""
    src: list[Points] = []
    dst: list[Points] = []
    for (pts, pos), y in zip(_grid_columns(group, n), ys, strict=True):
        col = np.round(pos)
        ok = (np.abs(pos - col) < 0.3) & (col >= 0) & (col < n)
        src.append(pts[ok])
        dst.append(np.column_stack([PITCH / 2.0 + col[ok] * PITCH, np.full(int(ok.sum()), y)]))
    s, d = np.vstack(src), np.vstack(dst)
    if s.shape[0] < 8:
        return None
    homo, _ = cv2.findHomography(s.astype(np.float32), d.astype(np.float32), cv2.RANSAC,
                                 0.3 * PITCH)
    return None if homo is None else np.asarray(homo, dtype=np.float64)


def rectify(gray: Gray, quad: Points) -> Band | None:
    """Rectify the MRZ inside ``quad`` (source pixel corners), or ``None`` if there is none.

    Moderate perspective is corrected by the grid fit (:func:`_fit_grid`); should it
    fail, the first and last characters of the outer lines fix the homography.
    """
    view, to_view = _affine_view(gray, quad)
    lines = _chain_lines(_components(view))
    picked = _pick_zone(lines)
    if picked is None:
        return None
    group, n = picked
    first, last = group[0], group[-1]
    src = np.array([
        [first.cx.min(), first.y_at(first.cx.min())],
        [first.cx.max(), first.y_at(first.cx.max())],
        [last.cx.max(), last.y_at(last.cx.max())],
        [last.cx.min(), last.y_at(last.cx.min())],
    ], dtype=np.float64)
    pitch = float(np.mean([(ln.cx.max() - ln.cx.min()) / (n - 1) for ln in group]))
    gap = (float(np.mean(last.cy)) - float(np.mean(first.cy))) / max(len(group) - 1, 1)
    step = float(np.clip(gap / pitch, 1.2, 3.0)) * PITCH
    ys = tuple(_MARGIN_Y + i * step for i in range(len(group)))
    x0, x1 = PITCH / 2.0, PITCH / 2.0 + (n - 1) * PITCH
    dst = np.array([[x0, ys[0]], [x1, ys[0]], [x1, ys[-1]], [x0, ys[-1]]], dtype=np.float64)
    if len(group) == 1:  # one line: its top and bottom edges span the quadrilateral
        half, dst_half = first.height / 2.0, first.height / 2.0 * PITCH / max(pitch, 1e-6)
        src += np.array([[0, -half], [0, -half], [0, half], [0, half]])
        dst += np.array([[0, -dst_half], [0, -dst_half], [0, dst_half], [0, dst_half]])
    fitted = _fit_grid(group, n, ys) if len(group) > 1 else None
    homo = fitted if fitted is not None else np.asarray(
        cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32)), np.float64)
    total = homo @ to_view
    out_h = round(ys[-1] + _MARGIN_Y)
    # Pre-smooth when shrinking a lot so that the warp does not alias thin strokes.
    det = to_view[0, 0] * to_view[1, 1] - to_view[0, 1] * to_view[1, 0]
    src_pitch = pitch / float(np.sqrt(abs(det)))
    img = gray
    if src_pitch > 2.5 * PITCH:
        sigma = 0.35 * src_pitch / PITCH
        img = np.asarray(cv2.GaussianBlur(gray, (0, 0), sigma), dtype=np.uint8)
    band = cv2.warpPerspective(img, total, (n * PITCH, out_h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    w_out = float(n * PITCH)
    outline = np.array([[[0.0, 0.0], [w_out, 0.0], [w_out, out_h], [0.0, out_h]]], np.float64)
    corners = cv2.perspectiveTransform(outline, np.linalg.inv(total))[0]
    return Band(np.asarray(band, dtype=np.uint8), ys, n, np.asarray(corners, np.float64))
