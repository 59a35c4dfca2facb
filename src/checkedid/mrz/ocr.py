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

from checkedid.errors import InternalError
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
    nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
    ox, oy = (GLYPH - nw) // 2, (GLYPH - nh) // 2
    out[oy:oy + nh, ox:ox + nw] = small
    return out


def _line_cells(image: npt.NDArray[np.uint8], cy: float, n: int) -> Floats:
    """Feature rows for the ``n`` cells of the line centred on ``cy``."""
    feats = np.zeros((n, N_FEATURES), dtype=np.float32)
    half = int(round(0.95 * PITCH))
    top = max(0, int(round(cy)) - half)
    strip = image[top:int(round(cy)) + half].astype(np.float32)
    if strip.size == 0:
        return feats
    bg, fg = np.percentile(strip, [92.0, 3.0])
    ink = np.clip((bg - strip) / max(float(bg - fg), 12.0), 0.0, 1.0).astype(np.float32)
    binary = (ink > 0.42).astype(np.uint8)
    count, _, stats, cents = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return feats
    st = stats[1:]
    keep = st[:, 4] >= max(4, int(0.015 * PITCH * PITCH))
    st, cx = st[keep], cents[1:, 0][keep]
    col = np.floor(cx / PITCH).astype(np.int64)
    local_cy = cy - top
    for j in range(n):
        sel = np.nonzero(col == j)[0]
        if sel.size == 0:
            continue
        x0 = int(st[sel, 0].min())
        y0 = int(st[sel, 1].min())
        x1 = int((st[sel, 0] + st[sel, 2]).max())
        y1 = int((st[sel, 1] + st[sel, 3]).max())
        lo, hi = int(j * PITCH - 0.3 * PITCH), int((j + 1) * PITCH + 0.3 * PITCH)
        x0, x1 = max(x0, lo), min(x1, hi)
        feats[j, :GLYPH * GLYPH] = _glyph(ink, x0, x1, y0, y1).ravel()
        bh, bw = float(y1 - y0), float(x1 - x0)
        feats[j, -3] = bh / PITCH
        feats[j, -2] = bw / max(bh, 1.0)
        feats[j, -1] = ((y0 + y1) / 2.0 - local_cy) / PITCH
    return feats


def cell_features(band: Band) -> Floats:
    """Feature rows of every cell, line by line (``n_lines * line_length`` rows)."""
    rows = [_line_cells(band.image, cy, band.line_length) for cy in band.line_y]
    return np.vstack(rows)


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
        x = (feats - self.mean) * self.scale
        hidden = np.maximum(x @ self.w1 + self.b1, 0.0)
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
    return Model(**parts)


def decode(proba: Floats, band: Band) -> list[str]:
    """Best character per cell (the upside-down class never wins)."""
    idx = np.argmax(proba[:, :FLIPPED], axis=1)
    text = "".join(CHARSET[i] for i in idx)
    n = band.line_length
    return [text[i * n:(i + 1) * n] for i in range(band.n_lines)]


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
