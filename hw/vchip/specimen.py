"""The specimen holder every persona carries: ICAO Doc 9303's "ERIKSSON, ANNA MARIA" of Utopia.

Born 1974-08-12, with a *future* expiry date (2031-04-15) so the document is valid today.
:func:`mrz_td3` (passport, Doc 9303-4 §4.2.2) and :func:`mrz_td1` (ID card, Doc 9303-5
§4.2.2) write the holder's MRZ for a document number with the check digits recomputed
(:func:`check_digit`, Doc 9303-3 §4.9); :func:`encode_photo` gives the portrait of DG2 as a
15-30 KB JPEG, JP2 or J2K, from a photo of tests/data/faces (cropped to ICAO proportions)
or a drawn face where those are absent. Everything is built in memory.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from PIL import Image, ImageDraw

__all__ = ["BIRTH", "EXPIRY", "GIVEN", "PHOTO_SIZE", "STATE", "SURNAME", "check_digit",
           "encode_photo", "mrz_td1", "mrz_td3"]

log = logging.getLogger(__name__)

SURNAME = "ERIKSSON"
GIVEN = "ANNA MARIA"
BIRTH = "740812"
EXPIRY = "310415"
STATE = "UTO"


def check_digit(field_text: str) -> str:
    """ICAO Doc 9303-3 §4.9 check digit (weights 7, 3, 1; A=10 … Z=35, '<'=0)."""
    total = 0
    for i, ch in enumerate(field_text):
        if ch.isdigit():
            v = int(ch)
        elif "A" <= ch <= "Z":
            v = ord(ch) - 55
        else:
            v = 0
        total += v * (7, 3, 1)[i % 3]
    return str(total % 10)


def _name_field(width: int) -> str:
    text = f"{SURNAME}<<{GIVEN.replace(' ', '<')}"
    return text.ljust(width, "<")[:width]


def mrz_td3(doc: str, optional: str = "ZE184226B") -> str:
    """Two 44-character lines of a passport (Doc 9303-4 §4.2.2)."""
    line1 = ("P<" + STATE + _name_field(39))
    doc9 = doc.ljust(9, "<")
    opt = optional.ljust(14, "<")
    opt_cd = check_digit(opt) if optional else "<"
    body = doc9 + check_digit(doc9) + STATE + BIRTH + check_digit(BIRTH) + "F" + EXPIRY \
        + check_digit(EXPIRY) + opt + opt_cd
    composite = body[0:10] + body[13:20] + body[21:43]
    return line1 + "\n" + body + check_digit(composite)


def mrz_td1(doc: str) -> str:
    """Three 30-character lines of an ID card (Doc 9303-5 §4.2.2)."""
    doc9 = doc.ljust(9, "<")
    line1 = ("I<" + STATE + doc9 + check_digit(doc9)).ljust(30, "<")
    line2 = (BIRTH + check_digit(BIRTH) + "F" + EXPIRY + check_digit(EXPIRY) + STATE).ljust(29, "<")
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    return line1 + "\n" + line2 + check_digit(composite) + "\n" + _name_field(30)



FACES = Path(__file__).resolve().parents[2] / "tests" / "data" / "faces"
PHOTO_SIZE = (360, 480)  # ICAO portrait proportions (3:4)
PHOTO_TARGET = (15_000, 30_000)


def _synthetic_face() -> Image.Image:
    """A drawn face-like portrait, used only when tests/data/faces is absent (an installed copy)."""
    img = Image.new("RGB", PHOTO_SIZE, (200, 205, 210))
    d = ImageDraw.Draw(img)
    w, h = PHOTO_SIZE
    d.ellipse((w * 0.25, h * 0.18, w * 0.75, h * 0.72), fill=(224, 180, 150))
    for x in (0.38, 0.62):
        d.ellipse((w * x - 14, h * 0.38 - 7, w * x + 14, h * 0.38 + 7), fill=(60, 40, 30))
    nose = (w * 0.5, h * 0.42, w * 0.47, h * 0.52, w * 0.52, h * 0.52)
    d.line(nose, fill=(150, 100, 80), width=3)
    d.arc((w * 0.40, h * 0.52, w * 0.60, h * 0.62), 20, 160, fill=(140, 60, 60), width=4)
    d.rectangle((w * 0.15, h * 0.78, w * 0.85, h), fill=(40, 60, 90))
    return img


def _portrait(name: str) -> Image.Image:
    path = FACES / name
    if not path.exists():
        log.warning("face photos not found; using a synthetic portrait")
        return _synthetic_face()
    with Image.open(path) as src:
        img = src.convert("RGB")
    w, h = img.size
    target = PHOTO_SIZE[0] / PHOTO_SIZE[1]
    if w / h > target:  # too wide: crop the sides around the centre
        nw = int(h * target)
        img = img.crop(((w - nw) // 2, 0, (w - nw) // 2 + nw, h))
    else:
        nh = int(w / target)
        img = img.crop((0, 0, w, nh))
    return img.resize(PHOTO_SIZE, Image.Resampling.LANCZOS)


def encode_photo(name: str, fmt: str) -> bytes:
    """A 15-30 KB JPEG, JP2 (boxes) or J2K (raw codestream) portrait, encoded in memory."""
    img = _portrait(name)
    lo, hi = PHOTO_TARGET
    goal = (lo + hi) // 2
    if fmt == "jpeg":
        best = b""
        for q in (90, 85, 80, 75, 70, 60, 50, 40, 30):
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=q, optimize=True)
            best = buf.getvalue()
            if len(best) <= hi:
                break
        return best
    raw = PHOTO_SIZE[0] * PHOTO_SIZE[1] * 3
    buf = io.BytesIO()
    img.save(buf, "JPEG2000", quality_mode="rates", quality_layers=[raw / goal],
             irreversible=True, no_jp2=(fmt == "j2k"))
    return buf.getvalue()
