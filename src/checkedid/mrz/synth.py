"""Synthetic identities, MRZ lines and document photos for tests, benchmarks and the demo.

Nothing here is used to verify a document. Identities are invented (names from a small
built-in list of made-up names, Utopia and other states, random dates and numbers) and
their MRZ lines carry correct check digits (ICAO Doc 9303-3 §4.9, layouts of Doc 9303-4,
-5 and -6). :func:`render_document` draws the page (:mod:`checkedid.mrz.synthdoc`) and
:func:`photograph` puts it in front of a camera: random background, position, scale,
rotation (any angle, upside down included), perspective, lighting, glare, blur, noise
and JPEG compression. :func:`document_photo` does all of it from a seed::

    photo = document_photo(seed=1, format="TD3", difficulty="easy")
    photo.image        # BGR uint8, 1200 x 900
    photo.lines        # the MRZ printed on the document
    photo.mrz_quad     # 4 x 2 corners of the MRZ band in the photo

Randomness is a seeded :class:`numpy.random.Generator` so that a seed always gives the
same photo; it is not, and need not be, cryptographic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.errors import InputError
from checkedid.mrz.checkdigit import check_digit
from checkedid.mrz.synthdoc import GEOMETRY, mrz_band, render_document

__all__ = ["DIFFICULTIES", "Identity", "SyntheticPhoto", "document_photo", "mrz_lines",
           "photograph", "random_identity", "render_document"]

BGR = npt.NDArray[np.uint8]

_SURNAMES = ("VANTERBERG", "OKANDRU", "MIRELLOS", "TASHKARO", "LINDQVARE", "DUBROVEN",
             "KESTRALI", "HOLMGRAVE", "PETRANOVIC", "ABERNAKI", "QUISTEROS", "ZELIANOV",
             "BRAXTONWELL", "NGORIMBE", "SALVERTAZ", "FJELLKORN", "MARCHETTIVANOSSELAERE", "OYE")
_GIVEN = ("ANNA MARIA", "TOMAS", "LEILANI", "JOHAN ERIK", "NOOR", "MIKA", "SOFIA", "RAFAEL",
          "INGRID", "KWAMELO", "YUKINE", "ELENA SOFIA", "PIETRO", "AMARA", "LUUK", "ZOYA",
          "MAXIMILIAN ALEXANDER FRIEDRICH", "JO")
_STATES = ("UTO", "UTO", "UTO", "D", "GBR", "FRA", "NLD", "CAN", "JPN", "BRA", "KEN", "XXA")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_REFERENCE = date(2025, 1, 1)  # fixed so a seed gives the same identity on any day


@dataclass(frozen=True)
class Identity:
    """An invented document holder and document (all fields in MRZ conventions)."""

    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: date
    sex: str  # "M", "F" or "X"
    expiry_date: date
    optional_data: str = ""


@dataclass(frozen=True)
class SyntheticPhoto:
    """A photographed synthetic document and what is printed on it."""

    image: BGR
    lines: tuple[str, ...]
    format: str
    mrz_quad: npt.NDArray[np.float32]


def _pick(rng: np.random.Generator, items: tuple[str, ...]) -> str:
    return items[int(rng.integers(len(items)))]


def _chars(rng: np.random.Generator, alphabet: str, n: int) -> str:
    return "".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), n))


def random_identity(rng: np.random.Generator, *, format: str = "TD3") -> Identity:
    """A random valid identity; ``format`` picks the document code (P, I, V)."""
    state = _pick(rng, _STATES)
    birth = _REFERENCE - timedelta(days=int(rng.integers(16 * 365, 85 * 365)))
    expiry = _REFERENCE + timedelta(days=int(rng.integers(-200, 10 * 365)))
    style = int(rng.integers(3))
    if style == 0:
        number = _chars(rng, _ALNUM[:26], 2) + _chars(rng, _ALNUM[26:], 7)
    elif style == 1:
        number = _chars(rng, _ALNUM, 9)
    else:
        number = _chars(rng, _ALNUM[:26], 1) + _chars(rng, _ALNUM[26:], int(rng.integers(6, 9)))
    optional = "" if rng.random() < 0.4 else _chars(rng, _ALNUM, int(rng.integers(5, 12)))
    if format == "DL1":  # licence numbers: 10 characters, mostly digits
        number = _chars(rng, _ALNUM[26:], 10) if rng.random() < 0.7 else _chars(rng, _ALNUM, 10)
    code = {"TD3": "P", "MRVA": "V", "MRVB": "V"}.get(format, "I" if rng.random() < 0.7 else "ID")
    return Identity(
        document_code=code, issuing_state=state, surname=_pick(rng, _SURNAMES),
        given_names=_pick(rng, _GIVEN), document_number=number,
        nationality=state if rng.random() < 0.85 else _pick(rng, _STATES),
        birth_date=birth, sex=_pick(rng, ("M", "F", "F", "M", "X")), expiry_date=expiry,
        optional_data=optional)


def _name_field(identity: Identity, width: int) -> str:
    text = identity.surname.replace(" ", "<") + "<<" + identity.given_names.replace(" ", "<")
    return text[:width].ljust(width, "<")


def _pad(text: str, width: int) -> str:
    return text[:width].ljust(width, "<")


def mrz_lines(identity: Identity, format: str = "TD3") -> tuple[str, ...]:
    """The MRZ of ``identity`` in ``format`` (TD1, TD2, TD3, MRVA, MRVB) with check digits.

    Document numbers longer than 9 characters use the TD1/TD2 long-number form
    (Doc 9303-5 §4.2.4).
    """
    g = GEOMETRY.get(format)
    if g is None:
        raise InputError(f"unknown MRZ format {format!r}; choose one of {', '.join(GEOMETRY)}")
    i = identity
    if format == "DL1":  # a driving licence: D, BAP config, state, version, number, random
        random = (i.surname + i.given_names.replace(" ", "") + i.optional_data)
        body = ("D1" + _pad(i.issuing_state, 3) + "1" + _pad(i.document_number, 10)
                + _pad(random, 13))
        return (body + check_digit(body),)
    code = _pad(i.document_code, 2)
    birth, expiry = i.birth_date.strftime("%y%m%d"), i.expiry_date.strftime("%y%m%d")
    sex = "<" if i.sex == "X" else i.sex
    state, nat = _pad(i.issuing_state, 3), _pad(i.nationality, 3)
    number, opt = i.document_number, i.optional_data
    if len(number) > 9 and format in ("TD1", "TD2"):
        number9, number_cd = number[:9], "<"
        opt = number[9:] + check_digit(number) + "<" + opt
    elif len(number) > 9:
        raise InputError(f"{format} cannot hold a document number longer than 9 characters")
    else:
        number9 = _pad(number, 9)
        number_cd = check_digit(number9)
    bcd, ecd = check_digit(birth), check_digit(expiry)
    if format == "TD1":
        l1 = code + state + number9 + number_cd + _pad(opt, 15)
        l2 = birth + bcd + sex + expiry + ecd + nat + _pad("", 11)
        comp = check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
        return l1, l2 + comp, _name_field(i, 30)
    width = g.n_chars
    l1 = code + state + _name_field(i, width - 5)
    core = number9 + number_cd + nat + birth + bcd + sex + expiry + ecd
    if format == "TD3":
        personal = _pad(opt, 14)
        body = core + personal + ("<" if not opt else check_digit(personal))
        return l1, body + check_digit(body[0:10] + body[13:20] + body[21:43])
    if format == "TD2":
        body = core + _pad(opt, 7)
        return l1, body + check_digit(body[0:10] + body[13:20] + body[21:35])
    return l1, core + _pad(opt, width - 28)


#: Camera presets: ranges (low, high) drawn uniformly, or fixed values.
DIFFICULTIES: dict[str, dict[str, Any]] = {
    "easy": {"rotation": (-6.0, 6.0), "flip": 0.0, "perspective": (0.0, 0.08),
             "scale": (0.72, 0.85), "blur": (0.0, 0.5), "noise": (0.0, 3.0),
             "jpeg_quality": (88, 96), "light": (0.0, 0.15), "glare": 0.0},
    "medium": {"rotation": (-30.0, 30.0), "flip": 0.2, "perspective": (0.05, 0.3),
               "scale": (0.55, 0.8), "blur": (0.3, 1.0), "noise": (2.0, 6.0),
               "jpeg_quality": (70, 90), "light": (0.1, 0.35), "glare": (0.0, 0.25)},
    "hard": {"rotation": (0.0, 360.0), "flip": 0.0, "perspective": (0.15, 0.5),
             "scale": (0.45, 0.75), "blur": (0.6, 1.6), "noise": (4.0, 10.0),
             "jpeg_quality": (50, 75), "light": (0.2, 0.5), "glare": (0.1, 0.45)},
}


def _scene(rng: np.random.Generator, w: int, h: int) -> BGR:
    """A plausible table/desk background: smooth colour field, texture and clutter."""
    tint = rng.integers(50, 190, 3)
    small = np.clip(tint + rng.integers(-35, 35, (6, 8, 3)), 0, 255).astype(np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    grain = cv2.resize(rng.integers(0, 30, (h // 8 + 1, w // 8 + 1), dtype=np.uint8), (w, h))
    img = cv2.subtract(img, cv2.merge([grain, grain, grain]))
    for _ in range(int(rng.integers(2, 6))):
        p, q = rng.integers(0, (w, h), 2), rng.integers(0, (w, h), 2)
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.line(img, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), colour,
                 int(rng.integers(2, 12)), cv2.LINE_AA)
    return np.asarray(img, dtype=np.uint8)


def _lighting(img: BGR, rng: np.random.Generator, light: float, glare: float) -> BGR:
    """Uneven light (a gradient in a random direction) and a specular highlight; computed
    on a coarse grid and resized, as both are smooth."""
    fh, fw = img.shape[:2]
    gh, gw = max(2, fh // 8), max(2, fw // 8)
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
    ang = rng.uniform(0, 2 * math.pi)
    ramp = (xx / gw - 0.5) * math.cos(ang) + (yy / gh - 0.5) * math.sin(ang)
    gain = 1.0 + light * 1.2 * ramp
    add = np.zeros_like(gain)
    if glare > 0:
        gx, gy = rng.uniform(0.2, 0.8) * gw, rng.uniform(0.2, 0.8) * gh
        r = rng.uniform(0.08, 0.2) * min(gw, gh)
        add = 255.0 * glare * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r))
    gain8 = np.clip(gain * 128.0, 0, 255).astype(np.uint8)
    add8 = np.clip(add, 0, 255).astype(np.uint8)
    gain_full = cv2.resize(gain8, (fw, fh), interpolation=cv2.INTER_LINEAR)
    add_full = cv2.resize(add8, (fw, fh), interpolation=cv2.INTER_LINEAR)
    out = cv2.multiply(img, cv2.merge([gain_full] * 3), scale=1.0 / 128.0)
    return np.asarray(cv2.add(out, cv2.merge([add_full] * 3)), dtype=np.uint8)


def _noise(img: BGR, rng: np.random.Generator, sigma: float) -> BGR:
    """Luminance sensor noise at half resolution (camera noise is spatially correlated
    after demosaicing); uint8 saturating arithmetic keeps it fast."""
    fh, fw = img.shape[:2]
    n = rng.standard_normal((fh // 2 + 1, fw // 2 + 1), dtype=np.float32) * sigma
    n = np.asarray(cv2.resize(n, (fw, fh), interpolation=cv2.INTER_NEAREST), dtype=np.float32)
    pos = cv2.merge([np.clip(n, 0, 255).astype(np.uint8)] * 3)
    neg = cv2.merge([np.clip(-n, 0, 255).astype(np.uint8)] * 3)
    return np.asarray(cv2.subtract(cv2.add(img, pos), neg), dtype=np.uint8)


def photograph(doc_img: BGR, rng: np.random.Generator, *, format: str = "TD3",
               band: npt.NDArray[np.float32] | None = None, size: tuple[int, int] = (1200, 900),
               scale: float = 0.8, rotation: float = 0.0, perspective: float = 0.0,
               blur: float = 0.0, noise: float = 0.0, jpeg_quality: int | None = None,
               light: float = 0.0, glare: float = 0.0
               ) -> tuple[BGR, npt.NDArray[np.float32]]:
    """Photograph a rendered document; returns the BGR photo and the MRZ band's corners.

    ``scale`` is the document's long side as a fraction of the frame's (reduced if the
    rotated document would not fit); ``rotation`` in degrees (counter-clockwise, any
    angle); ``perspective`` 0..1 moves the corners independently by up to 15 % of the
    document's short side; ``blur`` is the Gaussian sigma in pixels; ``noise`` the sensor
    noise standard deviation in grey levels; ``light`` the strength of an uneven light
    gradient and ``glare`` of a specular highlight (0..1). ``band`` defaults to the MRZ
    band of ``format`` (:func:`checkedid.mrz.synthdoc.mrz_band`).
    """
    fw, fh = size
    dh, dw = doc_img.shape[:2]
    src = np.array([[0, 0], [dw, 0], [dw, dh], [0, dh]], dtype=np.float32)
    if band is None:
        band = mrz_band(format, (dw, dh))
    theta = math.radians(rotation)
    c, s = math.cos(theta), math.sin(theta)
    rot = np.array([[c, s], [-s, c]], dtype=np.float32)  # counter-clockwise on screen
    k = scale * max(fw, fh) / max(dw, dh)
    centred = (src - [dw / 2, dh / 2]) * k @ rot.T
    jitter = rng.uniform(-1, 1, (4, 2)) * perspective * 0.15 * min(dw, dh) * k
    corners = centred + jitter
    span = corners.max(0) - corners.min(0)
    fit = min(1.0, 0.96 * fw / span[0], 0.96 * fh / span[1])
    corners *= fit
    span = corners.max(0) - corners.min(0)
    lo = -corners.min(0)
    room = np.array([fw, fh]) - span
    offset = lo + rng.uniform(0.0, 1.0, 2) * np.maximum(room, 0)
    dst = (corners + offset).astype(np.float32)
    homography = cv2.getPerspectiveTransform(src, dst)
    img = _scene(rng, fw, fh)
    cv2.warpPerspective(doc_img, homography, (fw, fh), dst=img, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    if light > 0 or glare > 0:
        img = _lighting(img, rng, light, glare)
    if blur > 0:
        img = np.asarray(cv2.GaussianBlur(img, (0, 0), blur), dtype=np.uint8)
    if noise > 0:
        img = _noise(img, rng, noise)
    if jpeg_quality is not None:
        ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        decoded = cv2.imdecode(enc, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            img = np.asarray(decoded, dtype=np.uint8)
    quad = cv2.perspectiveTransform(band.reshape(-1, 1, 2), homography).reshape(4, 2)
    return np.ascontiguousarray(img, dtype=np.uint8), quad.astype(np.float32)


def _draw(rng: np.random.Generator, spec: Any) -> Any:
    if isinstance(spec, tuple):
        lo, hi = spec
        return int(rng.integers(lo, hi + 1)) if isinstance(lo, int) else float(rng.uniform(lo, hi))
    return spec


def document_photo(lines: tuple[str, ...] | list[str] | None = None, *, seed: int | None = None,
                   format: str = "TD3", difficulty: str = "easy",
                   **overrides: Any) -> SyntheticPhoto:
    """A photo of a synthetic document showing ``lines`` (or a random identity's MRZ).

    ``difficulty`` picks camera settings from :data:`DIFFICULTIES`; any
    :func:`photograph` keyword (``rotation=180``, ``blur=2.0``, ``size=(1600, 1200)``, …)
    and ``doc_width`` (document pixels) override them; ``portrait`` (BGR) is the photo
    printed on the page (a persona's face, for the printed-portrait check). The same seed
    gives the same photo.
    """
    if difficulty not in DIFFICULTIES:
        raise InputError(f"unknown difficulty {difficulty!r}; choose easy, medium or hard")
    rng = np.random.default_rng(seed)
    if lines is None:
        lines = mrz_lines(random_identity(rng, format=format), format)
    else:
        lines = tuple(lines)
        width = len(lines[0]) if lines else 0
        format = {(3, 30): "TD1", (1, 30): "DL1", (2, 44): "MRVA" if lines[0][:1] == "V" else "TD3",
                  (2, 36): "MRVB" if lines[0][:1] == "V" else "TD2"}.get(
                      (len(lines), width), format)
    preset = {k: _draw(rng, v) for k, v in DIFFICULTIES[difficulty].items()}
    if preset.pop("flip") > rng.random():
        preset["rotation"] += 180.0
    doc_width = overrides.pop("doc_width", None)
    portrait = overrides.pop("portrait", None)
    preset.update(overrides)
    doc = render_document(lines, format=format, rng=rng, size=doc_width, portrait=portrait)
    image, quad = photograph(doc, rng, format=format, **preset)
    return SyntheticPhoto(image=image, lines=tuple(lines), format=format, mrz_quad=quad)
