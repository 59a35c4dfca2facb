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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from checkedid.errors import BackendUnavailable, FaceQualityError, NoFaceError
from checkedid.result import FaceScore
from checkedid.verdict import Check, CheckGroup, Verdict

__all__ = ["GROUP", "POLICIES", "check_policy", "compare_portrait"]

GROUP: Final = "document_portrait"
POLICIES: Final = ("warn", "decide", "off")


def check_policy(policy: str) -> str:
    """``policy`` if it is one of :data:`POLICIES`, else :class:`InputError`."""
    from checkedid.errors import InputError

    if policy not in POLICIES:
        raise InputError(f"document_portrait must be one of {', '.join(POLICIES)}")
    return policy


def _group(verdict: Verdict, reason: str) -> CheckGroup:
    return CheckGroup.of(GROUP, [Check("printed_portrait", verdict, reason)])


def compare_portrait(matcher: Any, document_image: Any, chip_embedding: Any,
                     chip_image: Any = None,
                     track: Callable[[Any], Any] | None = None,
                     printed: Callable[[], Any] | None = None
                     ) -> tuple[CheckGroup, FaceScore | None]:
    """Find the face printed on the document photo and compare it with the chip photo.

    ``matcher`` is a :class:`checkedid.biometrics.FaceMatcher` (anything with its
    ``embed`` / ``compare``) or a function returning one; ``chip_embedding`` the chip
    photo's embedding, or ``None`` to compute it from ``chip_image``. ``track`` receives
    every embedding vector made here (to be wiped with the session). ``printed``, when
    given, returns the document photo's embedding computed elsewhere (e.g. on the second
    core while the chip photo was embedded). Never raises for a missing face or backend:
    that is a NOT_CHECKED group.
    """
    try:
        if not hasattr(matcher, "embed") and callable(matcher):
            matcher = matcher()
        if chip_embedding is None:
            chip_embedding = matcher.embed(chip_image, role="document")
            if track is not None:
                track(chip_embedding.vector)
        on_paper = printed() if printed is not None \
            else matcher.embed(document_image, role="document")
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
