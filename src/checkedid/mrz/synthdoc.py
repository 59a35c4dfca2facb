"""Rendering of synthetic identity documents with an OCR-B machine-readable zone.

Used by :mod:`checkedid.mrz.synth` for tests, benchmarks and the demo; never by the
verification path. Geometry follows ICAO Doc 9303: TD3 data page 125 x 88 mm (Doc 9303-4
§2), TD2 105 x 74 mm (Doc 9303-6 §2), TD1 card 85.6 x 54 mm (Doc 9303-5 §2); the MRZ is
printed in OCR-B size I at 2.54 mm character pitch (10 characters per inch, Doc 9303-3
§4.1 and -4 §4.2) in the bottom zone of the page.

The OCR-B font comes from the Debian package ``fonts-ocr-b``; set ``CHECKEDID_OCRB_FONT``
to use another copy.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from checkedid.errors import CheckedIDError, InputError

__all__ = ["GEOMETRY", "Geometry", "mrz_band", "ocrb_font", "render_document"]

BGR = npt.NDArray[np.uint8]
OCRB_PATH = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
LABEL_PATHS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
               Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"))
PITCH_MM = 2.54
CAP_HEIGHT_MM = 2.35


@dataclass(frozen=True)
class Geometry:
    """Page size and MRZ placement of one document format, in millimetres."""

    width_mm: float
    height_mm: float
    n_lines: int
    n_chars: int
    line_centres_mm: tuple[float, ...]  # distance of each line's centre above the bottom edge

    @property
    def aspect(self) -> float:
        return self.width_mm / self.height_mm


GEOMETRY: dict[str, Geometry] = {
    "TD3": Geometry(125.0, 88.0, 2, 44, (10.6, 6.2)),
    "MRVA": Geometry(120.0, 80.0, 2, 44, (10.6, 6.2)),
    "TD2": Geometry(105.0, 74.0, 2, 36, (10.4, 6.0)),
    "MRVB": Geometry(105.0, 74.0, 2, 36, (10.4, 6.0)),
    "TD1": Geometry(85.6, 54.0, 3, 30, (13.4, 9.0, 4.6)),
    # the back of an ID-1 driving licence: one line of 30 (ISO/IEC 18013-1, EU 2006/126/EC)
    "DL1": Geometry(85.6, 54.0, 1, 30, (5.6,)),
}


def _geometry(fmt: str) -> Geometry:
    try:
        return GEOMETRY[fmt]
    except KeyError:
        raise InputError(f"unknown document format {fmt!r}; choose one of "
                         f"{', '.join(GEOMETRY)}") from None


@lru_cache(maxsize=32)
def ocrb_font(px: int) -> ImageFont.FreeTypeFont:
    """OCR-B at ``px`` pixels (em size); :class:`InputError` with an install hint if missing."""
    path = Path(os.environ.get("CHECKEDID_OCRB_FONT", str(OCRB_PATH)))
    if not path.is_file():
        raise InputError(f"the OCR-B font is missing ({path}); install the Debian package "
                         "fonts-ocr-b or set CHECKEDID_OCRB_FONT to an OCR-B .otf file")
    return ImageFont.truetype(str(path), px)


@lru_cache(maxsize=32)
def _label_font(px: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = LABEL_PATHS[1 if bold else 0]
    if path.is_file():
        return ImageFont.truetype(str(path), px)
    return ocrb_font(px)


@lru_cache(maxsize=1)
def _cap_ratio() -> float:
    """Cap height of OCR-B as a fraction of its em size."""
    top, bottom = ocrb_font(200).getbbox("H", anchor="ls")[1::2]
    return (bottom - top) / 200.0


def mrz_band(fmt: str, size: tuple[int, int]) -> npt.NDArray[np.float32]:
    """Corners (top-left, top-right, bottom-right, bottom-left) of the MRZ band of a
    ``fmt`` document rendered at ``size`` = (width, height) pixels."""
    g = _geometry(fmt)
    ppm = size[0] / g.width_mm
    left = (g.width_mm - g.n_chars * PITCH_MM) / 2.0
    half = CAP_HEIGHT_MM / 2.0 + 0.6
    top = g.height_mm - g.line_centres_mm[0] - half
    bottom = g.height_mm - g.line_centres_mm[-1] + half
    x0, x1 = (left - 0.8) * ppm, (left + g.n_chars * PITCH_MM + 0.8) * ppm
    return np.array([[x0, top * ppm], [x1, top * ppm], [x1, bottom * ppm], [x0, bottom * ppm]],
                    dtype=np.float32)


def _background(w: int, h: int, rng: np.random.Generator) -> BGR:
    """Pastel security background: colour gradient, guilloche rosettes and wave lines."""
    hue = rng.uniform(0, 1)
    base = np.array([200 + 40 * math.sin(2 * math.pi * (hue + k / 3)) for k in range(3)])
    ramp = np.linspace(0.93, 1.04, w, dtype=np.float32)[None, :, None]
    row = np.clip(base.astype(np.float32) * ramp, 0, 255).astype(np.uint8)
    plain = np.ascontiguousarray(np.broadcast_to(row, (h, w, 3)))
    out = plain.copy()
    ink = tuple(int(c) for c in np.clip(base - rng.uniform(45, 80), 0, 255))
    t = np.linspace(0, 2 * math.pi, 360)
    cx, cy = rng.uniform(0.55, 0.85) * w, rng.uniform(0.3, 0.6) * h
    lobes = int(rng.integers(7, 15))
    curves = []
    for k in range(14):
        r = (0.10 + 0.018 * k) * w * (1 + 0.18 * np.sin(lobes * t + k * 0.35))
        curves.append(np.stack([cx + r * np.cos(t), cy + 0.8 * r * np.sin(t)], axis=1))
    cv2.polylines(out, [c.astype(np.int32) for c in curves], True, ink, 1, cv2.LINE_AA)
    xs = np.linspace(0, w, 120)
    amp, per = rng.uniform(0.01, 0.03) * h, rng.uniform(0.15, 0.4) * w
    waves = [np.stack([xs, k + amp * np.sin(2 * math.pi * xs / per + k * 0.05)], 1)
             for k in range(0, h, max(4, h // 60))]
    cv2.polylines(out, [wv.astype(np.int32) for wv in waves], False, ink, 1, cv2.LINE_AA)
    return np.asarray(cv2.addWeighted(out, 0.35, plain, 0.65, 0), dtype=np.uint8)


def _portrait(page: Image.Image, box: tuple[int, int, int, int], rng: np.random.Generator) -> None:
    """A neutral placeholder face silhouette (no real person) pasted into ``box``."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    tile = Image.new("RGB", (w, h), (222, 226, 232))
    draw = ImageDraw.Draw(tile)
    tone = int(rng.integers(90, 170))
    skin = (tone + 40, tone + 20, tone)
    draw.ellipse((0.08 * w, 0.72 * h, 0.92 * w, 1.35 * h), fill=(60, 64, 80))
    draw.rectangle((0.42 * w, 0.55 * h, 0.58 * w, 0.78 * h), fill=skin)
    draw.ellipse((0.27 * w, 0.16 * h, 0.73 * w, 0.66 * h), fill=skin)
    draw.chord((0.25 * w, 0.12 * h, 0.75 * w, 0.5 * h), 180, 360,
               fill=(int(rng.integers(20, 90)),) * 3)
    draw.rectangle((0, 0, w - 1, h - 1), outline=(120, 120, 130))
    page.paste(tile, (x0, y0))


def _print_photo(page: Image.Image, box: tuple[int, int, int, int], photo: BGR) -> None:
    """Paste ``photo`` (BGR) into ``box``, centre-cropped to the box's proportions."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    ph, pw = photo.shape[:2]
    if pw * h > ph * w:  # too wide: crop the sides
        nw = max(1, ph * w // h)
        photo = photo[:, (pw - nw) // 2:(pw - nw) // 2 + nw]
    else:
        nh = max(1, pw * h // w)
        photo = photo[:nh]
    tile = cv2.resize(np.ascontiguousarray(photo[:, :, :3]), (w, h), interpolation=cv2.INTER_AREA)
    page.paste(Image.fromarray(np.ascontiguousarray(tile[:, :, ::-1])), (x0, y0))


_STATE_NAMES = {"UTO": "UTOPIA", "D": "DEUTSCHLAND", "GBR": "UNITED KINGDOM", "FRA": "FRANCE",
                "NLD": "NEDERLAND", "CAN": "CANADA", "JPN": "JAPAN", "BRA": "BRASIL",
                "KEN": "KENYA"}


def _fields(lines: tuple[str, ...]) -> list[tuple[str, str]]:
    """Labels and values for the visual zone, taken from the MRZ itself."""
    from checkedid.mrz.parse import parse

    try:
        m = parse(lines)
    except CheckedIDError:
        return []

    def day(d: object) -> str:
        return d.strftime("%d %b %Y").upper() if hasattr(d, "strftime") else ""

    return [("Type / Type", m.document_code), ("Document no. / No du document", m.document_number),
            ("Surname / Nom", m.surname), ("Given names / Prénoms", m.given_names),
            ("Nationality / Nationalité", m.nationality), ("Date of birth / Date de naissance",
                                                          day(m.birth_date)),
            ("Sex / Sexe", m.sex), ("Date of expiry / Date d'expiration", day(m.expiry_date))]


def render_document(lines: tuple[str, ...] | list[str], *, format: str,
                    rng: np.random.Generator, size: int | None = None,
                    portrait: BGR | None = None) -> BGR:
    """Render the document page holding ``lines`` as a BGR image ``size`` pixels wide.

    The default width gives 8 pixels per millimetre (20 pixels per MRZ character).
    ``portrait`` (a BGR photo, e.g. a persona's chip photo) is printed in the photo zone,
    cropped to its 3:4 proportion; without it a neutral silhouette is drawn.
    """
    g = _geometry(format)
    lines = tuple(lines)
    if len(lines) != g.n_lines or any(len(ln) != g.n_chars for ln in lines):
        raise InputError(f"{format} needs {g.n_lines} MRZ lines of {g.n_chars} characters")
    w = int(size or round(g.width_mm * 8))
    if not 200 <= w <= 6000:
        raise InputError("document width must be between 200 and 6000 pixels")
    ppm = w / g.width_mm
    h = round(g.height_mm * ppm)
    page = Image.fromarray(_background(w, h, rng)[:, :, ::-1])
    draw = ImageDraw.Draw(page)

    def mm(v: float) -> float:
        return v * ppm

    ink = (30, 30, 45)
    title = _label_font(max(8, round(mm(3.2))), bold=True)
    state = lines[0][2:5].rstrip("<")
    draw.text((mm(5), mm(2.5)), _STATE_NAMES.get(state, state), font=title, fill=(40, 40, 90))
    kind = ("IDENTITY CARD" if format in ("TD1", "TD2") else "DRIVING LICENCE"
            if format == "DL1" else "VISA" if format.startswith("MRV") else "PASSPORT")
    draw.text((mm(g.width_mm * 0.42), mm(2.5)), kind, font=title, fill=(40, 40, 90))
    mrz_top = g.height_mm - g.line_centres_mm[0] - 3.5
    if format == "DL1":
        _categories_table(draw, mm, g, mrz_top, rng)
    else:
        _front(page, draw, mm, g, lines, mrz_top, rng, portrait)
    # the MRZ: a plain zone, OCR-B at 2.54 mm pitch (Doc 9303-3 §4.1)
    zone = np.asarray(page)[h - 3, 2]
    draw.rectangle((0, mm(mrz_top), w, h), fill=(int(zone[0]), int(zone[1]), int(zone[2])))
    cap = mm(CAP_HEIGHT_MM)
    font = ocrb_font(max(6, round(cap / _cap_ratio())))
    left = mm((g.width_mm - g.n_chars * PITCH_MM) / 2.0)
    for li, text in enumerate(lines):
        baseline = mm(g.height_mm - g.line_centres_mm[li]) + cap / 2.0
        for i, ch in enumerate(text):
            draw.text((left + mm(PITCH_MM) * (i + 0.5), baseline), ch, font=font, fill=ink,
                      anchor="ms")
    return np.ascontiguousarray(np.asarray(page)[:, :, ::-1])


_CATEGORIES = ("AM", "A1", "A2", "A", "B", "BE", "C1", "C1E", "C", "CE", "D1", "D1E", "D", "DE")


def _categories_table(draw: ImageDraw.ImageDraw, mm: Any, g: Geometry, bottom: float,
                      rng: np.random.Generator) -> None:
    """The back of a licence: the category grid (fields 9-12 of Directive 2006/126/EC)."""
    ink, line = (30, 30, 45), (90, 90, 120)
    font = _label_font(max(6, round(mm(1.7))))
    top, rows = 7.0, len(_CATEGORIES)
    step = (bottom - 1.5 - top) / rows
    cols = (4.0, 16.0, 34.0, 52.0, g.width_mm - 4.0)
    for r, cat in enumerate(_CATEGORIES):
        y = top + r * step
        draw.line([(mm(cols[0]), mm(y)), (mm(cols[-1]), mm(y))], fill=line, width=1)
        draw.text((mm(cols[0] + 1), mm(y + 0.3)), cat, font=font, fill=ink)
        if rng.random() < 0.35:
            day = f"{int(rng.integers(1, 29)):02d}.{int(rng.integers(1, 13)):02d}."
            draw.text((mm(cols[1] + 1), mm(y + 0.3)), day + "2021", font=font, fill=ink)
            draw.text((mm(cols[2] + 1), mm(y + 0.3)), day + "2031", font=font, fill=ink)
    for x in cols:
        draw.line([(mm(x), mm(top)), (mm(x), mm(top + rows * step))], fill=line, width=1)


def _front(page: Image.Image, draw: ImageDraw.ImageDraw, mm: Any, g: Geometry,
           lines: tuple[str, ...], mrz_top: float, rng: np.random.Generator,
           portrait: BGR | None = None) -> None:
    """Portrait, labelled fields and signature of a passport page or ID card front."""
    ink = (30, 30, 45)
    photo_h = min(42.0, mrz_top - 12.0)
    box = (round(mm(5)), round(mm(9)), round(mm(5 + photo_h * 0.77)), round(mm(9 + photo_h)))
    if portrait is None:
        _portrait(page, box, rng)
    else:
        _print_photo(page, box, portrait)
    label, value = _label_font(max(6, round(mm(1.5)))), _label_font(max(7, round(mm(2.4))), True)
    fields = _fields(lines)
    x0 = 5 + photo_h * 0.77 + 4
    avail = mrz_top - 10.0
    cols = 1 if avail / max(len(fields), 1) >= 4.6 else 2
    rows = -(-len(fields) // cols)
    step, col_w = avail / max(rows, 1), (g.width_mm - x0 - 3) / cols
    for n, (lab, val) in enumerate(fields):
        x, y = mm(x0 + col_w * (n // rows)), mm(9 + step * (n % rows))
        draw.text((x, y), lab if cols == 1 else lab.split(" / ")[0], font=label,
                  fill=(70, 70, 100))
        draw.text((x, y + mm(1.8)), val[:28 // cols], font=value, fill=ink)
    if cols == 1:
        sig = np.cumsum(rng.normal(0, 1, (40, 2)), axis=0)
        sig = (sig - sig.min(0)) / np.maximum(np.ptp(sig, 0), 1e-6)
        draw.line([(mm(g.width_mm - 32) + mm(22) * a, mm(mrz_top - 9) + mm(5) * b)
                   for a, b in sig], fill=(20, 30, 90), width=max(1, round(mm(0.3))))
