"""The printed portrait: the face on the document's data page against the chip photo.

A document whose printed photo was replaced (a look-alike's photo glued onto a genuine
page) still carries a genuine chip whose DG2 (ICAO Doc 9303-10 §4.7.2) shows the real
holder. Comparing the face found in the document photo (the data page, Doc 9303-4 §2.2 /
-5 §2.2 zone V) with the chip photo is a third face comparison, next to selfie vs chip.

The check group ``document_portrait`` is **warning-level** by default
(:data:`POLICIES` ``"warn"``): its verdict and score are in the result and a mismatch adds
a warning, but the decision does not depend on it, because a printed, laminated,
holographically overprinted photo matches less reliably than a selfie. With ``"decide"`` it
counts like every other group (a mismatch rejects; an unusable portrait leaves the result
INCOMPLETE). ``"off"`` skips it.
"""

from __future__ import annotations

from typing import Any, Final

from checkedid.errors import FaceQualityError, NoFaceError
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


def compare_portrait(matcher: Any, document_image: Any,
                     chip_embedding: Any) -> tuple[CheckGroup, FaceScore | None]:
    """Find the face printed on the document photo and compare it with the chip photo.

    ``matcher`` is a :class:`checkedid.biometrics.FaceMatcher` (or anything with its
    ``embed`` / ``compare``); ``chip_embedding`` the chip photo's embedding.
    """
    try:
        printed = matcher.embed(document_image, role="document")
    except NoFaceError:
        return _group(Verdict.NOT_CHECKED, "no face found on the document photo: photograph "
                      "the whole data page, portrait included"), None
    except FaceQualityError as exc:
        return _group(Verdict.NOT_CHECKED, f"the printed portrait is not usable: {exc}"), None
    m = matcher.compare(printed, chip_embedding)
    score = FaceScore(float(m.score), float(m.threshold), bool(m.is_match))
    if m.is_match:
        return _group(Verdict.PASSED, f"printed portrait matches the chip photo "
                      f"(similarity {m.score:.3f} >= {m.threshold:.3f})"), score
    return _group(Verdict.FAILED, f"the printed portrait does not match the chip photo "
                  f"(similarity {m.score:.3f} < {m.threshold:.3f}): the photo on the document "
                  "may have been replaced"), score
