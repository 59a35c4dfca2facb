"""The printed-portrait check: verdicts, result schema, policy, portrait on synthetic pages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from checkedid.docportrait import GROUP, POLICIES, check_policy, compare_portrait
from checkedid.errors import InputError, NoFaceError
from checkedid.mrz import synth
from checkedid.mrz.synthdoc import render_document
from checkedid.result import Decision, FaceScore, Result, decide
from checkedid.verdict import Check, CheckGroup, Verdict


@dataclass
class _Match:
    score: float
    threshold: float
    is_match: bool


class _Matcher:
    """Embeds an image as its mean colour; similarity = 1 - colour distance / 255."""

    def __init__(self, threshold: float = 0.9) -> None:
        self.threshold = threshold
        self.roles: list[str] = []

    def embed(self, image: np.ndarray, *, role: str) -> np.ndarray:
        self.roles.append(role)
        if float(image.std()) == 0.0:
            raise NoFaceError("no face found in the document photo")
        return np.asarray(image.reshape(-1, 3).mean(axis=0))

    def compare(self, a: np.ndarray, b: np.ndarray) -> _Match:
        score = 1.0 - float(np.abs(a - b).max()) / 255.0
        return _Match(score, self.threshold, score >= self.threshold)


def _image(colour: tuple[int, int, int]) -> np.ndarray:
    img = np.zeros((40, 30, 3), np.uint8)
    img[:] = colour
    img[0, 0] = (colour[0] ^ 1, colour[1], colour[2])  # not flat: a "face" is found
    return img


def test_matching_portrait_passes_with_its_score() -> None:
    matcher = _Matcher()
    chip = matcher.embed(_image((10, 200, 30)), role="document")
    group, score = compare_portrait(matcher, _image((12, 198, 30)), chip)
    assert group.name == GROUP and group.verdict is Verdict.PASSED
    assert score is not None and score.is_match and score.score > 0.98
    assert matcher.roles == ["document", "document"]


def test_substituted_portrait_fails() -> None:
    matcher = _Matcher()
    chip = matcher.embed(_image((10, 200, 30)), role="document")
    group, score = compare_portrait(matcher, _image((200, 20, 30)), chip)
    assert group.verdict is Verdict.FAILED and "may have been replaced" in group.reason
    assert score is not None and not score.is_match


def test_no_face_on_the_document_is_not_checked() -> None:
    matcher = _Matcher()
    chip = matcher.embed(_image((10, 200, 30)), role="document")
    group, score = compare_portrait(matcher, np.full((40, 30, 3), 90, np.uint8), chip)
    assert group.verdict is Verdict.NOT_CHECKED and score is None
    assert "whole data page" in group.reason


def test_policy_values() -> None:
    assert POLICIES == ("warn", "decide", "off")
    assert check_policy("decide") == "decide"
    with pytest.raises(InputError, match="document_portrait must be one of"):
        check_policy("strict")


def test_result_carries_the_group_and_score_without_changing_the_decision() -> None:
    passed = {name: CheckGroup.of(name, [Check(name, Verdict.PASSED, "ok")])
              for name in ("mrz", "access", "passive", "active", "chip", "consistency", "face")}
    decision, reasons = decide(passed)
    assert decision is Decision.VERIFIED
    failed = CheckGroup.of(GROUP, [Check("printed_portrait", Verdict.FAILED, "mismatch")])
    result = Result(decision=decision, checks={**passed, GROUP: failed}, reasons=reasons,
                    document_portrait=FaceScore(0.2, 0.4, False))
    data = result.to_dict()
    assert data["decision"] == "VERIFIED"
    assert data["checks"][GROUP]["verdict"] == "FAILED"
    assert data["document_portrait"] == {"score": 0.2, "threshold": 0.4, "is_match": False}
    back = Result.from_dict(data)
    assert back.document_portrait == FaceScore(0.2, 0.4, False)
    assert back.checks[GROUP].verdict is Verdict.FAILED
    # made to decide, the same group rejects
    assert decide({**passed, GROUP: failed})[0] is Decision.REJECTED


def test_synthetic_page_prints_the_given_portrait() -> None:
    lines = synth.mrz_lines(synth.random_identity(np.random.default_rng(1)), "TD3")
    face = np.zeros((400, 300, 3), np.uint8)
    face[:] = (0, 0, 255)  # pure red (BGR)
    page = render_document(lines, format="TD3", rng=np.random.default_rng(2), portrait=face)
    # the photo zone starts 5 mm from the left and 9 mm from the top (8 px/mm)
    y, x = 9 * 8 + 60, 5 * 8 + 40
    assert tuple(int(v) for v in page[y, x]) == (0, 0, 255)
    plain = render_document(lines, format="TD3", rng=np.random.default_rng(2))
    assert tuple(int(v) for v in plain[y, x]) != (0, 0, 255)


def test_session_takes_the_policy() -> None:
    from checkedid.session import Session

    with pytest.raises(InputError, match="document_portrait must be one of"):
        Session(isolation="none", document_portrait="always")
    with Session(isolation="none", document_portrait="decide") as s:
        assert s.document_portrait == "decide"
    with Session(isolation="none") as s:
        assert s.document_portrait == "warn"


def test_chip_photo_embedded_here_when_there_was_no_selfie() -> None:
    matcher = _Matcher()
    group, score = compare_portrait(lambda: matcher, _image((12, 198, 30)), None,
                                    _image((10, 200, 30)))
    assert group.verdict is Verdict.PASSED and score is not None
    assert matcher.roles == ["document", "document"]


def test_unusable_chip_photo_is_not_checked() -> None:
    group, score = compare_portrait(_Matcher(), _image((12, 198, 30)), None,
                                    np.full((40, 30, 3), 90, np.uint8))
    assert group.verdict is Verdict.NOT_CHECKED and score is None
