"""OCR-B glyph recogniser for rectified MRZ bands.

The MRZ character set is ``A``-``Z``, ``0``-``9`` and the filler ``<`` (ICAO
Doc 9303 Part 3, section 4.2.2), printed in OCR-B size 1 (ISO 1073-2). A
rectified :class:`~checkedid.mrz.segment.Band` puts each character in a known
cell, so recognition is per-cell classification:

1. per line, ink is normalised to 0..1 between the paper and the print level;
2. in each cell, the connected ink blobs whose centres fall inside the cell are
   cropped to their bounding box and scaled, keeping their aspect ratio, into a
   :data:`GLYPH` x :data:`GLYPH` square; three geometric features (height
   relative to the pitch, aspect ratio, vertical offset) keep the small ``<``
   apart from everything else;
3. a one-hidden-layer perceptron (:class:`Model`, trained by
   ``python -m checkedid.mrz.train`` on rendered OCR-B glyphs) gives class
   probabilities. An extra class stands for "a glyph turned upside down", so
   :func:`upside_down` can tell a band read the wrong way round cheaply.

An :class:`Engine` turns a band into text lines; :class:`OcrbEngine` is this
recogniser, :mod:`checkedid.mrz.tesseract` the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.blas import single_thread_here
from checkedid.errors import InternalError
from checkedid.mrz.model import KINDS, LAYOUTS, FieldKind
from checkedid.mrz.segment import PITCH, Band

__all__ = ["CHARSET", "GLYPH", "MODEL_PATH", "Engine", "Model", "OcrbEngine", "cell_features",
           "flip_features", "load_model", "upside_down"]

#: The MRZ alphabet; the classifier's class ``i < 37`` is ``CHARSET[i]``.
CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
#: Class index of "a glyph seen upside down".
FLIPPED = len(CHARSET)
#: Side of the normalised glyph square.
GLYPH = 20
N_FEATURES = GLYPH * GLYPH + 3
MODEL_PATH = Path(__file__).with_name("data") / "ocrb_model.npz"

Floats = npt.NDArray[np.float32]


@runtime_checkable
class Engine(Protocol):
    """Reads the text lines of an upright, rectified band."""

    name: str

    def read(self, band: Band) -> list[str]:
        """One string per line, each ``band.line_length`` characters long when possible."""
        ...


def _glyph(ink: Floats, x0: int, x1: int, y0: int, y1: int) -> Floats:
    crop = ink[y0:y1, x0:x1]
    h, w = crop.shape
    out = np.zeros((GLYPH, GLYPH), dtype=np.float32)
    if h == 0 or w == 0:
        return out
    s = (GLYPH - 2) / max(h, w)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    # Same parity as the square, so the glyph sits exactly centred (a 180-degree turn of
    # the band turns every glyph square exactly).
    nw += (GLYPH - nw) % 2
    nh += (GLYPH - nh) % 2
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
    ox, oy = (GLYPH - nw) // 2, (GLYPH - nh) // 2
    out[oy:oy + nh, ox:ox + nw] = small
    return out


def ink_map(image: npt.NDArray[np.uint8]) -> Floats:
    """Ink density 0..1 relative to the local paper and print levels.

    The paper level is the brightest value within a cell's reach (a glyph is narrower
    than a cell), the print level the darkest ink within a few cells: a light gradient,
    a glare spot or a faint print along the line does not change the glyph shapes.
    """
    # three float buffers, each step writing into one (fresh pages cost a forked worker)
    img = image.astype(np.float32)
    work, diff = np.empty_like(img), np.empty_like(img)
    cell = cv2.getStructuringElement(cv2.MORPH_RECT, (PITCH + 1, PITCH + 1))
    cv2.dilate(img, cell, dst=work)
    cv2.blur(work, (PITCH + 1, PITCH + 1), dst=diff)  # the paper level
    np.subtract(diff, img, out=diff)
    np.maximum(diff, np.float32(0.0), out=diff)
    reach = cv2.getStructuringElement(cv2.MORPH_RECT, (3 * PITCH + 1, PITCH + 1))
    cv2.dilate(diff, reach, dst=work)
    level = img  # the image is no longer needed
    cv2.blur(work, (3 * PITCH + 1, PITCH + 1), dst=level)
    np.multiply(level, np.float32(0.9), out=level)
    np.maximum(level, np.float32(16.0), out=level)
    np.divide(diff, level, out=diff)
    return np.clip(diff, np.float32(0.0), np.float32(1.0), out=diff)


def _line_cells(ink_all: Floats, cy: float, n: int) -> Floats:
    """Feature rows for the ``n`` cells of the line centred on ``cy``."""
    feats = np.zeros((n, N_FEATURES), dtype=np.float32)
    half = round(0.95 * PITCH)
    top = max(0, round(cy) - half)
    ink = ink_all[top:round(cy) + half]
    if ink.size == 0:
        return feats
    binary = (ink > 0.42).astype(np.uint8)
    # Printed rules (a card edge, a guilloche line) touching the characters: no text
    # line holds a horizontal run of ink four cells long.
    rule = cv2.morphologyEx(binary, cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_RECT, (4 * PITCH, 1)))
    if rule.any():
        binary[rule > 0] = 0
        ink = np.where(rule > 0, 0.0, ink).astype(np.float32)
    count, labels, stats, cents = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return feats
    # A blob belongs to the cell its centre falls in; a blob wider than a cell (touching
    # characters) is shared by every cell it crosses, cut at the cell borders.
    col = np.floor(cents[:, 0] / PITCH).astype(np.int64)
    small = stats[:, 4] < max(4, int(0.015 * PITCH * PITCH))
    col[small] = -1
    col[0] = -1
    wide = (stats[:, 2] > 1.3 * PITCH) & ~small
    wide[0] = False
    local_cy = cy - top
    margin = int(0.3 * PITCH)
    left, right = stats[:, 0], stats[:, 0] + stats[:, 2]
    any_wide = bool(wide.any())
    occupied = np.zeros(n, dtype=bool)
    occupied[col[(col >= 0) & (col < n)]] = True
    for j in range(n):
        lo, hi = max(0, j * PITCH - margin), (j + 1) * PITCH + margin
        shared = wide & (left < hi) & (right > lo) if any_wide else None
        if shared is not None and not shared.any():
            shared = None
        if not occupied[j] and shared is None:
            continue  # no blob's centre in the cell, none crossing it
        win = labels[:, lo:hi]
        mask = (col == j)[win]
        if shared is not None:
            cut = shared[win]
            a, b = j * PITCH - lo - PITCH // 10, (j + 1) * PITCH - lo + PITCH // 10
            cut[:, :max(a, 0)] = False
            cut[:, b:] = False
            mask |= cut
        rows = np.flatnonzero(mask.any(axis=1))
        if rows.size == 0:
            continue
        cols = np.flatnonzero(mask.any(axis=0))
        y0, y1 = int(rows[0]), int(rows[-1]) + 1
        x0, x1 = int(cols[0]), int(cols[-1]) + 1
        glyph_ink = np.where(mask[y0:y1, x0:x1], ink[y0:y1, lo + x0:lo + x1], np.float32(0.0))
        feats[j, :GLYPH * GLYPH] = _glyph(glyph_ink, 0, x1 - x0, 0, y1 - y0).ravel()
        bh, bw = float(y1 - y0), float(x1 - x0)
        feats[j, -3] = bh
        feats[j, -2] = bw / max(bh, 1.0)
        feats[j, -1] = (y0 + y1 - 1) / 2.0 - local_cy
    return feats


def _untextured(ink: Floats, band: Band) -> Floats:
    """Remove a printed background pattern (visas, Doc 9303-7 §3) from the ink map.

    The rows between and around the text lines hold no characters: whatever ink they
    show is background pattern, and that level is taken off everywhere.
    """
    rows = np.ones(ink.shape[0], dtype=bool)
    for cy in band.line_y:
        rows[max(0, round(cy - 0.75 * PITCH)):round(cy + 0.75 * PITCH)] = False
    if int(rows.sum()) < 3:
        return ink
    # a pattern covers the paper (median well above sensor and JPEG noise, which reach
    # about 0.2 on small, upscaled pictures); noise alone is left to the classifier
    if float(np.median(ink[rows])) <= 0.2:
        return ink
    level = min(float(np.percentile(ink[rows], 90)), 0.6)
    return np.asarray(np.clip((ink - level) / (1.0 - level), 0.0, 1.0), dtype=np.float32)


def cell_features(band: Band) -> Floats:
    """Feature rows of every cell, line by line (``n_lines * line_length`` rows).

    Glyph height and vertical offset are measured against the zone's character height
    (a high percentile of the glyph heights, so the small fillers do not count): the
    height-to-pitch ratio differs between issuers, the small ``<`` stands out anyway.
    """
    ink = _untextured(ink_map(band.image), band)
    feats = np.vstack([_line_cells(ink, cy, band.line_length) for cy in band.line_y])
    heights = feats[:, -3][feats[:, -3] > 0]
    ref = max(float(np.percentile(heights, 90)), 4.0) if heights.size else float(PITCH)
    feats[:, -3] /= ref
    feats[:, -1] /= ref
    return feats


def flip_features(feats: Floats) -> Floats:
    """The features the same band would give turned by 180 degrees."""
    out = feats[::-1].copy()
    g = out[:, :GLYPH * GLYPH].reshape(-1, GLYPH, GLYPH)[:, ::-1, ::-1]
    out[:, :GLYPH * GLYPH] = g.reshape(-1, GLYPH * GLYPH)
    out[:, -1] = -out[:, -1]
    return out


@dataclass(frozen=True)
class Model:
    """A one-hidden-layer perceptron over standardised cell features."""

    mean: Floats
    scale: Floats
    w1: Floats
    b1: Floats
    w2: Floats
    b2: Floats

    def logits(self, feats: Floats) -> Floats:
        # BLAS on the calling thread only: a multi-threaded BLAS spends ~30 ms waking its
        # threads for these small products when the cores are busy (einsum, without BLAS,
        # takes ten times as long as one thread of it)
        x = (feats - self.mean) * self.scale
        with single_thread_here():
            hidden = np.maximum(x @ self.w1 + self.b1, np.float32(0.0))
            return np.asarray(hidden @ self.w2 + self.b2, dtype=np.float32)

    def proba(self, feats: Floats) -> Floats:
        z = self.logits(feats)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)

    def save(self, path: Path) -> None:
        with path.open("wb") as fh:
            np.savez_compressed(fh, **{k: v.astype(np.float16) if k in ("w1", "w2") else v
                                       for k, v in self.__dict__.items()})


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> Model:
    """The recogniser weights shipped with the package (or another file in that format)."""
    try:
        with np.load(path) as z:
            parts = {k: np.asarray(z[k], dtype=np.float32) for k in
                     ("mean", "scale", "w1", "b1", "w2", "b2")}
    except (OSError, KeyError, ValueError) as exc:
        raise InternalError(f"OCR-B model file unusable ({type(exc).__name__}); "
                            "rebuild it with 'python -m checkedid.mrz.train'") from None
    with single_thread_here():  # finds BLAS's thread setter now, not in every forked worker
        pass
    return Model(**parts)


_LETTERS = np.array([c.isalpha() or c == "<" for c in CHARSET])
_DIGITS = np.array([c.isdigit() or c == "<" for c in CHARSET])


@lru_cache(maxsize=8)
def allowed(fmt: str) -> npt.NDArray[np.bool_]:
    """Per cell of format ``fmt``, the classes its field admits (Doc 9303-3 section 4.2).

    Letters-only fields (codes, names) cannot hold a digit and date or check-digit fields
    cannot hold a letter, which settles the OCR-B pairs 0/O, 1/I, 2/Z, 5/S and 8/B.
    """
    layout = LAYOUTS[fmt]
    mask = np.ones((layout.line_count, layout.line_length, len(CHARSET)), dtype=bool)
    for name, span in layout.fields.items():
        kind = KINDS.get(name.removesuffix("_2"), FieldKind.ALNUM)
        if kind is FieldKind.ALPHA:
            mask[span.line, span.start:span.end] = _LETTERS
        elif kind is FieldKind.DIGIT:
            mask[span.line, span.start:span.end] = _DIGITS
    return mask.reshape(-1, len(CHARSET))


def _format(proba: Floats, band: Band) -> str | None:
    shape = (band.n_lines, band.line_length)
    if shape == (3, 30):
        return "TD1"
    visa = CHARSET[int(np.argmax(proba[0, :FLIPPED]))] == "V"
    if shape == (2, 44):
        return "MRVA" if visa else "TD3"
    if shape == (2, 36):
        return "MRVB" if visa else "TD2"
    return None


def decode(proba: Floats, band: Band) -> list[str]:
    """Most probable character per cell that its field admits (never the upside-down class)."""
    p = proba[:, :FLIPPED]
    fmt = _format(proba, band)
    if fmt is not None and p.shape[0] == band.n_lines * band.line_length:
        p = np.where(allowed(fmt), p, -1.0)
    idx = np.argmax(p, axis=1)
    text = "".join(CHARSET[i] for i in idx)
    n = band.line_length
    return [text[i * n:(i + 1) * n] for i in range(band.n_lines)]


def runners_up(proba: Floats, line_length: int,
               ratio: float = 0.1) -> dict[tuple[int, int], str]:
    """Per ``(line, position)``, up to two characters at least ``ratio`` times as likely as
    the cell's best one, most likely first."""
    p = proba[:, :FLIPPED]
    order = np.argsort(-p, axis=1)[:, 1:3]
    best = p.max(axis=1)
    out: dict[tuple[int, int], str] = {}
    for k in np.nonzero(p[np.arange(p.shape[0]), order[:, 0]] >= ratio * best)[0]:
        alts = "".join(CHARSET[j] for j in order[k] if p[k, j] >= ratio * best[k])
        out[(int(k) // line_length, int(k) % line_length)] = alts
    return out


def upside_down(band: Band, model: Model | None = None) -> bool:
    """Whether ``band`` reads better turned by 180 degrees."""
    m = model or load_model()
    feats = cell_features(band)
    here = float(np.mean(m.proba(feats)[:, FLIPPED]))
    there = float(np.mean(m.proba(flip_features(feats))[:, FLIPPED]))
    return there < here


class OcrbEngine:
    """The built-in recogniser (default engine)."""

    name = "default"

    def __init__(self, model: Model | None = None) -> None:
        self._model = model

    @property
    def model(self) -> Model:
        return self._model or load_model()

    def read(self, band: Band) -> list[str]:
        return decode(self.model.proba(cell_features(band)), band)

    def scored_readings(self, band: Band
                        ) -> list[tuple[Band, list[str], dict[tuple[int, int], str]]]:
        """Like :meth:`readings`, with the runner-up characters of every cell (those at
        least a tenth as likely as the best; for check-digit-guided correction)."""
        feats = cell_features(band)
        here = self.model.proba(feats)
        there = self.model.proba(flip_features(feats))
        turned = band.flipped()
        both = [(band, decode(here, band), runners_up(here, band.line_length)),
                (turned, decode(there, turned), runners_up(there, band.line_length))]
        if float(np.mean(there[:, FLIPPED])) < float(np.mean(here[:, FLIPPED])):
            both.reverse()
        return both

    def readings(self, band: Band) -> list[tuple[Band, list[str]]]:
        """The band read both ways up, the more likely orientation first (one feature pass)."""
        feats = cell_features(band)
        here = self.model.proba(feats)
        there = self.model.proba(flip_features(feats))
        turned = band.flipped()
        both = [(band, decode(here, band)), (turned, decode(there, turned))]
        if float(np.mean(there[:, FLIPPED])) < float(np.mean(here[:, FLIPPED])):
            both.reverse()
        return both
