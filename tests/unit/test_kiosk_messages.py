"""Stable codes and texts of the kiosk, and the step-wise session's order of checks."""

from __future__ import annotations

from typing import Any

import pytest

import checkedid
from checkedid import errors
from checkedid.kiosk import messages


def test_every_code_has_three_languages_and_distinct_dutch_german() -> None:
    for code, row in messages.TEXTS.items():
        assert len(row) == 3 and all(row), code
        if code != "button.start":
            assert row[0] != row[2], code  # nl and de are translated, not copied


@pytest.mark.parametrize(("exc", "step", "code", "which"), [
    (errors.CardRemovedError("transmit: the document left the field"), "chip", "chip.removed",
     None),
    (errors.NoCardError("no document on the reader"), "chip", "chip.no_card", None),
    (errors.FaceQualityError("the selfie is blurred: take a new selfie"), "face",
     "face.blurred", "selfie"),
    (errors.FaceQualityError("the selfie is too dark: take a new selfie"), "selfie",
     "face.too_dark", "selfie"),
    (errors.NoFaceError("no face found in the selfie"), "face", "face.not_found", "selfie"),
    (errors.ImageError("the image cannot be decoded"), "mrz", "image.invalid", "document"),
    (errors.ImageError("the image cannot be decoded"), "selfie", "image.invalid", "selfie"),
    (errors.MRZNotFound("no MRZ"), "mrz", "mrz.not_found", "document"),
])
def test_errors_map_to_codes_and_inputs(exc: Exception, step: str, code: str,
                                        which: str | None) -> None:
    info = messages.for_error(exc, step)
    assert info["code"] == code
    assert info.get("input") == which
    assert info["operator"] == str(exc)
    assert info["message"]["en"] == messages.text(code, "en")


def test_status_words_go_to_the_operator_only() -> None:
    info = messages.for_error(errors.AccessDenied("EXTERNAL AUTHENTICATE refused", sw=0x6982))
    assert info["code"] == "chip.access_denied"
    assert info["operator"].endswith("(SW 6982)")
    assert all("6982" not in text for text in info["message"].values())


class _Matcher:
    def embed(self, image: Any, *, role: str = "selfie") -> Any:
        raise errors.FaceQualityError("the selfie is too dark: take a new selfie")


def test_a_poor_selfie_given_up_front_fails_before_the_chip_is_touched() -> None:
    opened: list[int] = []

    def transport() -> Any:
        opened.append(1)
        raise AssertionError("the chip must not be read")

    with checkedid.Session(isolation="none", transport=transport,
                           face_matcher=_Matcher()) as session:
        with pytest.raises(errors.FaceQualityError, match="too dark"):
            session.read_document(b"not read", selfie=b"dark selfie")
        with pytest.raises(errors.InputError, match="read_document first"):
            session.match_selfie(b"selfie")
    assert opened == []
