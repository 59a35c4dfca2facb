"""Real-world MRZ photo generator: the conditions web images, scans and phone frames show.

Every case renders a synthetic document (:mod:`checkedid.mrz.synthdoc`) with an invented
identity (:mod:`checkedid.mrz.synth`) whose MRZ (ICAO Doc 9303-3 §4.9 check digits,
layouts of Doc 9303-4 to -7) is the exact ground truth, then degrades it in one of these
ways (``KINDS``):

* ``small``: the document photographed so that MRZ characters are 5-9 pixels tall
  (rendered large and reduced with area averaging, as optics do), then upscaled 1-2.5x
  and JPEG-compressed, as web pages and messengers do;
* ``motion``: linear motion blur of 3-9 pixels in a random direction;
* ``focus``: defocus (disc) blur of radius 1.5-3 pixels;
* ``glare``: a strong specular highlight over the zone;
* ``two_sided``: a scan holding the front (no MRZ) and the back of a TD1 card side by side
  or one above the other, at web size;
* ``border``: the zone touching the image border or cut by it (the last column clipped
  by up to 40 % of a character, or the last line's lower margin gone);
* ``visa``: an MRV-A / MRV-B visa whose MRZ is printed over a patterned background;
* ``us_card``: TD1 cards with US document codes (CS, CJ, CM, CA, CB, CC, IS);
* ``state_filler``: two-letter issuing states padded with a filler (``I<SI<...``);
* ``long_number``: document numbers of 10-14 characters in the TD1/TD2 long form
  (Doc 9303-5 §4.2.4).

All frames are at most 1280 x 720 pixels. A seed always gives the same case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.mrz import synth
from checkedid.mrz.synthdoc import GEOMETRY, mrz_band, render_document

__all__ = ["KINDS", "Case", "case", "cases"]

KINDS = ("small", "motion", "focus", "glare", "two_sided", "border", "visa", "us_card",
         "state_filler", "long_number")
FRAME = (1280, 720)
US_CODES = ("CS", "CJ", "CM", "CA", "CB", "CC", "IS")
TWO_LETTER_STATES = ("SI", "DE", "NL", "AT", "BE", "PL", "LT", "US", "CZ", "SK")

BGR = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Case:
    """One generated photo and the MRZ printed in it."""

    kind: str
    image: BGR
    lines: tuple[str, ...]


def _identity(rng: np.random.Generator, fmt: str) -> synth.Identity:
    return synth.random_identity(rng, format=fmt)


def _jpeg(img: BGR, quality: int) -> BGR:
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    out = cv2.imdecode(enc, cv2.IMREAD_COLOR) if ok else None
    return img if out is None else np.asarray(out, dtype=np.uint8)


def _shot(rng: np.random.Generator, lines: tuple[str, ...], fmt: str, *,
          size: tuple[int, int] = FRAME, scale: float | None = None, doc: BGR | None = None,
          **kw: float) -> tuple[BGR, npt.NDArray[np.float32]]:
    """A mild phone photo of the document (small rotation and perspective, some noise)."""
    page = doc if doc is not None else render_document(lines, format=fmt, rng=rng)
    args: dict[str, float] = {"rotation": float(rng.uniform(-5, 5)),
                              "perspective": float(rng.uniform(0.0, 0.12)),
                              "noise": float(rng.uniform(1.0, 4.0)),
                              "light": float(rng.uniform(0.0, 0.2)),
                              "blur": float(rng.uniform(0.0, 0.6))}
    args.update(kw)
    frac = scale if scale is not None else float(rng.uniform(0.6, 0.85))
    img, quad = synth.photograph(page, rng, format=fmt, size=size, scale=frac,
                                 **args)  # type: ignore[arg-type]
    return img, quad


def _small(rng: np.random.Generator) -> Case:
    fmt = ("TD1", "TD3", "TD2")[int(rng.integers(3))]
    lines = synth.mrz_lines(_identity(rng, fmt), fmt)
    width = int(rng.integers(270, 601))
    g = GEOMETRY[fmt]
    char_h = float(rng.uniform(5.0, 9.0))
    # the document's long side in the final image: cap height 2.35 mm = char_h pixels
    doc_px = char_h / 2.35 * g.width_mm
    frac = min(0.97, doc_px / width)
    height = round(width * float(rng.uniform(0.62, 0.8)))
    big = 4
    quality = int(rng.integers(45, 85))
    img, _ = _shot(rng, lines, fmt, size=(width * big, height * big), scale=frac, blur=0.0,
                   noise=0.0)
    small = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
    small = _jpeg(np.asarray(small, np.uint8), quality)
    up = float(rng.uniform(1.0, 2.5))
    if up > 1.15:
        small = cv2.resize(small, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)
        small = _jpeg(np.asarray(small, np.uint8), int(rng.integers(70, 92)))
    return Case("small", np.asarray(small, np.uint8), lines)


def _motion_kernel(length: int, angle: float) -> npt.NDArray[np.float32]:
    k = np.zeros((length, length), np.float32)
    c = (length - 1) / 2.0
    dx, dy = math.cos(angle) * c, math.sin(angle) * c
    cv2.line(k, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1,
             cv2.LINE_AA)
    return np.asarray(k / max(float(k.sum()), 1e-6), dtype=np.float32)


def _motion(rng: np.random.Generator) -> Case:
    fmt = ("TD1", "TD3")[int(rng.integers(2))]
    lines = synth.mrz_lines(_identity(rng, fmt), fmt)
    img, _ = _shot(rng, lines, fmt)
    k = _motion_kernel(int(rng.integers(3, 10)), float(rng.uniform(0, math.pi)))
    out = cv2.filter2D(img, -1, k)
    return Case("motion", _jpeg(np.asarray(out, np.uint8), int(rng.integers(75, 92))), lines)


def _focus(rng: np.random.Generator) -> Case:
    fmt = ("TD1", "TD3")[int(rng.integers(2))]
    lines = synth.mrz_lines(_identity(rng, fmt), fmt)
    img, _ = _shot(rng, lines, fmt)
    r = float(rng.uniform(1.5, 3.0))
    n = 2 * math.ceil(r) + 1
    disc = np.zeros((n, n), np.float32)
    cv2.circle(disc, (n // 2, n // 2), round(r), 1.0, -1, cv2.LINE_AA)
    out = cv2.filter2D(img, -1, disc / float(disc.sum()))
    return Case("focus", _jpeg(np.asarray(out, np.uint8), int(rng.integers(75, 92))), lines)


def _glare(rng: np.random.Generator) -> Case:
    fmt = ("TD1", "TD3")[int(rng.integers(2))]
    lines = synth.mrz_lines(_identity(rng, fmt), fmt)
    img, quad = _shot(rng, lines, fmt)
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = float(rng.uniform(0.15, 0.85))
    cx, cy = (1 - t) * quad[0] + t * quad[1]
    cy = float(cy + rng.uniform(0.0, 1.0) * (quad[3][1] - quad[0][1]))
    r = float(rng.uniform(0.04, 0.09)) * w
    strength = float(rng.uniform(0.3, 0.6))  # the print stays just visible
    spot = strength * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
    # a specular reflection adds light and clips the sensor at its centre
    out = img.astype(np.float32) + 320.0 * spot[..., None]
    return Case("glare", _jpeg(np.clip(out, 0, 255).astype(np.uint8), 88), lines)


def _front_side(rng: np.random.Generator, like: BGR) -> BGR:
    """The card's front: the same design, portrait and text lines, but no MRZ."""
    fake = synth.mrz_lines(_identity(rng, "TD1"), "TD1")
    page = render_document(fake, format="TD1", rng=rng, size=like.shape[1]).copy()
    h, w = page.shape[:2]
    band = mrz_band("TD1", (w, h))
    top = int(band[0][1]) - 4
    page[top:] = page[top - 6:top - 5].mean(axis=(0, 1)).astype(np.uint8)
    for i in range(3):
        y = top + 14 + i * (h - top) // 3
        cv2.putText(page, f"ADDRESS LINE {i + 1}  {int(rng.integers(10, 999))}",
                    (w // 10, y), cv2.FONT_HERSHEY_SIMPLEX, w / 1400, (40, 40, 60), 1,
                    cv2.LINE_AA)
    return page


def _two_sided(rng: np.random.Generator) -> Case:
    lines = synth.mrz_lines(_identity(rng, "TD1"), "TD1")
    back = render_document(lines, format="TD1", rng=rng, size=int(rng.integers(320, 520)))
    front = _front_side(rng, back)
    gap = int(rng.integers(10, 40))
    pad = int(rng.integers(8, 30))
    h, w = back.shape[:2]
    side = rng.random() < 0.5
    cw = 2 * w + gap + 2 * pad if side else w + 2 * pad
    ch = h + 2 * pad if side else 2 * h + gap + 2 * pad
    scan = np.full((ch, cw, 3), int(rng.integers(225, 255)), np.uint8)
    first, second = (front, back) if rng.random() < 0.7 else (back, front)
    scan[pad:pad + h, pad:pad + w] = first
    if side:
        scan[pad:pad + h, pad + w + gap:pad + 2 * w + gap] = second
    else:
        scan[pad + h + gap:pad + 2 * h + gap, pad:pad + w] = second
    angle = float(rng.uniform(-2, 2))
    m = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle, 1.0)
    scan = cv2.warpAffine(scan, m, (cw, ch), borderValue=(240, 240, 240))
    return Case("two_sided", _jpeg(np.asarray(scan, np.uint8), int(rng.integers(70, 90))), lines)


def _border(rng: np.random.Generator) -> Case:
    fmt = ("TD1", "TD3")[int(rng.integers(2))]
    lines = synth.mrz_lines(_identity(rng, fmt), fmt)
    img, quad = _shot(rng, lines, fmt, rotation=float(rng.uniform(-1.5, 1.5)),
                      perspective=0.0)
    n = GEOMETRY[fmt].n_chars
    pitch = float(np.linalg.norm(quad[1] - quad[0])) / (n + 0.63)
    h, w = img.shape[:2]
    mode = int(rng.integers(3))
    if mode == 0:  # right edge cuts into the last column
        x = int(max(quad[1][0], quad[2][0]) - 0.3 * pitch - rng.uniform(0.0, 0.4) * pitch)
        img = img[:, :min(w, max(x, 10))]
    elif mode == 1:  # bottom edge right under the last line
        y = int(max(quad[2][1], quad[3][1]) - rng.uniform(0.0, 0.15) * pitch)
        img = img[:min(h, max(y, 10))]
    else:  # left edge touching the first column
        x = int(min(quad[0][0], quad[3][0]) + rng.uniform(0.0, 0.25) * pitch)
        img = img[:, max(0, x):]
    return Case("border", np.ascontiguousarray(img), lines)


def _pattern(h: int, w: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """A guilloche-like gain pattern (0.6..1) for the visa's MRZ zone."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    f1, f2 = float(rng.uniform(0.35, 0.9)), float(rng.uniform(0.02, 0.06))
    a = np.sin(xx * f1 * 0.3 + yy * f1 + 6 * np.sin(xx * f2)) \
        * np.cos(xx * f1 - yy * f1 * 0.4 + 5 * np.sin(yy * f2))
    depth = float(rng.uniform(0.25, 0.5))
    return np.asarray(1.0 - depth * (0.5 + 0.5 * a), dtype=np.float32)


def _visa(rng: np.random.Generator) -> Case:
    fmt = ("MRVA", "MRVB")[int(rng.integers(2))]
    ident = replace(_identity(rng, fmt), document_code="V" if rng.random() < 0.5 else "VC")
    lines = synth.mrz_lines(ident, fmt)
    page = render_document(lines, format=fmt, rng=rng)
    h, w = page.shape[:2]
    band = mrz_band(fmt, (w, h))
    top = max(0, int(band[0][1]) - 40)
    tint = np.array(rng.uniform(0.8, 1.0, 3), np.float32)
    gain = _pattern(h - top, w, rng)[..., None] * tint
    zone = page[top:].astype(np.float32)
    # the print stays dark; the pattern modulates the paper
    paper = np.minimum(zone * gain + 0.0, 255.0)
    page = page.copy()
    page[top:] = np.minimum(zone, paper).astype(np.uint8)
    img, _ = _shot(rng, lines, fmt, doc=page)
    return Case("visa", _jpeg(img, int(rng.integers(80, 94))), lines)


def _us_card(rng: np.random.Generator) -> Case:
    ident = replace(_identity(rng, "TD1"), document_code=US_CODES[int(rng.integers(
        len(US_CODES)))], issuing_state="USA", nationality="USA")
    lines = synth.mrz_lines(ident, "TD1")
    img, _ = _shot(rng, lines, "TD1")
    return Case("us_card", _jpeg(img, int(rng.integers(75, 92))), lines)


def _state_filler(rng: np.random.Generator) -> Case:
    fmt = ("TD1", "TD2")[int(rng.integers(2))]
    state = TWO_LETTER_STATES[int(rng.integers(len(TWO_LETTER_STATES)))]
    ident = replace(_identity(rng, fmt), document_code="I", issuing_state=state,
                    nationality=state if rng.random() < 0.5 else "UTO")
    lines = synth.mrz_lines(ident, fmt)
    img, _ = _shot(rng, lines, fmt)
    return Case("state_filler", _jpeg(img, int(rng.integers(75, 92))), lines)


def _long_number(rng: np.random.Generator) -> Case:
    fmt = ("TD1", "TD2")[int(rng.integers(2))]
    n = int(rng.integers(10, 15))
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    number = "".join(alnum[int(i)] for i in rng.integers(0, 36, n))
    ident = replace(_identity(rng, fmt), document_number=number, optional_data="")
    lines = synth.mrz_lines(ident, fmt)
    img, _ = _shot(rng, lines, fmt)
    return Case("long_number", _jpeg(img, int(rng.integers(75, 92))), lines)


_MAKERS = {"small": _small, "motion": _motion, "focus": _focus, "glare": _glare,
           "two_sided": _two_sided, "border": _border, "visa": _visa, "us_card": _us_card,
           "state_filler": _state_filler, "long_number": _long_number}


def case(kind: str, seed: int) -> Case:
    """The case of ``kind`` for ``seed`` (deterministic)."""
    return _MAKERS[kind](np.random.default_rng([seed, KINDS.index(kind)]))


def cases(n_per_kind: int, seed: int = 9303) -> list[Case]:
    """``n_per_kind`` cases of every kind, interleaved."""
    return [case(k, seed + i) for i in range(n_per_kind) for k in KINDS]
