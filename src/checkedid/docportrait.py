"""The printed portrait: the face on the document's data page against the chip photo.

A document whose printed photo was replaced (a look-alike's photo glued onto a genuine
page) still carries a genuine chip whose DG2 (ICAO Doc 9303-10 §4.7.2) shows the real
holder. Comparing the face found in the document photo (the data page, Doc 9303-4 §2.2 /
-5 §2.2 zone V) with the chip photo is a third face comparison, next to selfie vs chip.

The check group ``document_portrait`` is **warning-level** by default
(:data:`POLICIES` ``"warn"``): when the faces were compared, its verdict and score are in
the result; a mismatch, or a portrait that could not be compared, adds a warning; the
decision does not depend on it, because a printed, laminated,
holographically overprinted photo matches less reliably than a selfie. With ``"decide"`` it
counts like every other group (a mismatch rejects; an unusable portrait leaves the result
INCOMPLETE). ``"off"`` skips it.

Where the portrait is: on every data page with an MRZ the portrait (zone V) lies on the
left, above the machine-readable zone (zone VII) — Doc 9303-4 §2.2 (TD3), -5 §2.2 (TD1
front), -6 §2.2 (TD2), -7 §2.2 (MRV-A/B). The MRZ, once read, fixes the page's position,
orientation and scale (its characters are 2.54 mm apart, Doc 9303-3 §4.1), so
:func:`portrait_region` cuts out just that part of the photo, turned upright at the
photo's own resolution; the face is searched there first and in the whole photo only when
the region holds none (a page photographed without its MRZ side, an unusual layout).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from checkedid.errors import BackendUnavailable, FaceQualityError, NoFaceError
from checkedid.result import FaceScore
from checkedid.verdict import Check, CheckGroup, Verdict

__all__ = ["GROUP", "PAGES", "POLICIES", "check_policy", "compare_portrait", "portrait_region"]

GROUP: Final = "document_portrait"
POLICIES: Final = ("warn", "decide", "off")
#: Page width and height (mm) and MRZ characters per line by MRZ format: Doc 9303-4 §2.1
#: (TD3), -5 §2.1 (TD1), -6 §2.1 (TD2), -7 §2.1 (MRV-A, MRV-B).
PAGES: Final = {"TD3": (125.0, 88.0, 44), "TD2": (105.0, 74.0, 36), "TD1": (85.6, 54.0, 30),
                "MRVA": (120.0, 80.0, 44), "MRVB": (105.0, 74.0, 36)}
#: MRZ character pitch (Doc 9303-3 §4.1: 10 characters per 25.4 mm).
PITCH_MM: Final = 2.54
#: The searched share of the page width, from its left edge (the portrait zone and the
#: field labels beside it), and the slack around the region for a page seen at an angle.
REGION_WIDTH: Final = 0.45
MARGIN_MM: Final = 5.0
#: The MRZ's top edge lies at least this far above the page's bottom edge (two or three
#: lines at 2.54 mm pitch with their bottom margin, Doc 9303-4 to -7 §4.1).
MRZ_TOP_MM: Final = 8.0
#: Below this rotation (radians) the region is cut out as it is, without resampling.
_STRAIGHT = 0.02


def portrait_region(image: npt.NDArray[np.uint8], corners: npt.NDArray[np.float64] | None,
                    mrz_format: str) -> npt.NDArray[np.uint8] | None:
    """The part of ``image`` (BGR) where the data page's portrait can be, upright, at the
    photo's resolution; ``None`` when the MRZ's place (``corners``: its top-left,
    top-right, bottom-right and bottom-left in the photo, upright) or the page layout of
    ``mrz_format`` is not known, or the region is off the photo.

    The page is laid out from the MRZ: its width is the characters per line times the pitch,
    centred on the page; the region runs from the page's left edge over
    :data:`REGION_WIDTH` of its width and from the page's top edge down to the MRZ.
    """
    page = PAGES.get(mrz_format)
    if corners is None or page is None or corners.shape != (4, 2):
        return None
    width_mm, height_mm, chars = page
    tl, tr, bl = corners[0], corners[1], corners[3]
    along, down = tr - tl, bl - tl
    length = float(np.hypot(along[0], along[1]))
    if length < 1.0 or float(np.hypot(down[0], down[1])) < 1.0:
        return None
    ppm = length / (chars * PITCH_MM)  # photo pixels per millimetre along the MRZ
    u = along / length
    v = np.array([-u[1], u[0]])  # a quarter turn from "along": down the page
    left_mm = (width_mm - chars * PITCH_MM) / 2.0 + MARGIN_MM  # MRZ's left end to the region's
    above_mm = height_mm - MRZ_TOP_MM + MARGIN_MM  # the page above the MRZ's top
    w_mm = REGION_WIDTH * width_mm + 2 * MARGIN_MM
    origin = tl - (left_mm * u + above_mm * v) * ppm
    out_w, out_h = round(w_mm * ppm), round(above_mm * ppm)
    h_img, w_img = image.shape[:2]
    if abs(float(np.arctan2(u[1], u[0]))) < _STRAIGHT:  # upright already: a plain slice
        x0, y0 = max(0, round(origin[0])), max(0, round(origin[1]))
        x1, y1 = min(w_img, round(origin[0]) + out_w), min(h_img, round(origin[1]) + out_h)
        if x1 - x0 < 32 or y1 - y0 < 32:
            return None
        return np.ascontiguousarray(image[y0:y1, x0:x1])
    import cv2

    src = np.array([origin, origin + u * out_w, origin + v * out_h], dtype=np.float32)
    dst = np.array([[0, 0], [out_w, 0], [0, out_h]], dtype=np.float32)
    if out_w < 32 or out_h < 32:
        return None
    return np.asarray(cv2.warpAffine(image, cv2.getAffineTransform(src, dst), (out_w, out_h),
                                     flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
                      dtype=np.uint8)


def check_policy(policy: str) -> str:
    """``policy`` if it is one of :data:`POLICIES`, else :class:`InputError`."""
    from checkedid.errors import InputError

    if policy not in POLICIES:
        raise InputError(f"document_portrait must be one of {', '.join(POLICIES)}")
    return policy


def _printed_embedding(matcher: Any, document_image: Any, printed: Callable[[], Any] | None,
                       region: Any) -> Any:
    """The printed portrait's embedding: from ``region`` first when there is one, from the
    whole photo when the region holds no face (or there is no region)."""
    first = region if region is not None else document_image
    try:
        return printed() if printed is not None else matcher.embed(first, role="document")
    except NoFaceError:
        if first is document_image:
            raise
    return matcher.embed(document_image, role="document")


def _group(verdict: Verdict, reason: str) -> CheckGroup:
    return CheckGroup.of(GROUP, [Check("printed_portrait", verdict, reason)])


def compare_portrait(matcher: Any, document_image: Any, chip_embedding: Any,
                     chip_image: Any = None,
                     track: Callable[[Any], Any] | None = None,
                     printed: Callable[[], Any] | None = None,
                     region: Any = None) -> tuple[CheckGroup, FaceScore | None]:
    """Find the face printed on the document photo and compare it with the chip photo.

    ``matcher`` is a :class:`checkedid.biometrics.FaceMatcher` (anything with its
    ``embed`` / ``compare``) or a function returning one; ``chip_embedding`` the chip
    photo's embedding, or ``None`` to compute it from ``chip_image``. ``track`` receives
    every embedding vector made here (to be wiped with the session). ``printed``, when
    given, returns the document photo's embedding computed elsewhere (e.g. on the second
    core while the chip photo was embedded). ``region``, when given, is the part of the
    photo searched first (:func:`portrait_region`; ``printed`` then embeds it); the whole
    photo is searched only when it holds no face. Never raises for a missing face or
    backend: that is a NOT_CHECKED group.
    """
    try:
        if not hasattr(matcher, "embed") and callable(matcher):
            matcher = matcher()
        if chip_embedding is None:
            chip_embedding = matcher.embed(chip_image, role="document")
            if track is not None:
                track(chip_embedding.vector)
        on_paper = _printed_embedding(matcher, document_image, printed, region)
        if track is not None:
            track(on_paper.vector)
    except NoFaceError:
        return _group(Verdict.NOT_CHECKED, "no face found on the document photo (or the chip "
                      "photo): photograph the whole data page, portrait included"), None
    except FaceQualityError as exc:
        return _group(Verdict.NOT_CHECKED, f"the printed portrait is not usable: {exc}"), None
    except BackendUnavailable as exc:
        return _group(Verdict.NOT_CHECKED, f"face matching is not available: {exc}"), None
    m = matcher.compare(on_paper, chip_embedding)
    score = FaceScore(float(m.score), float(m.threshold), bool(m.is_match))
    if m.is_match:
        return _group(Verdict.PASSED, f"printed portrait matches the chip photo "
                      f"(similarity {m.score:.3f} >= {m.threshold:.3f})"), score
    return _group(Verdict.FAILED, f"the printed portrait does not match the chip photo "
                  f"(similarity {m.score:.3f} < {m.threshold:.3f}): the photo on the document "
                  "may have been replaced"), score
