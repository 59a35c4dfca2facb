"""A selfie that shows an identity document is refused: its printed face would match the chip.

Holding the document (or a photo of it) up to the selfie camera is the simplest presentation
attack; the data page's portrait is the holder's, so without this check it would be VERIFIED.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import build, spec

from checkedid.demo import document_photo, sample_selfie, virtual_trust_store
from checkedid.errors import FaceQualityError
from checkedid.facestep import refuse_document_selfie
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.pipeline import match_face, read_document, run_pipeline
from checkedid.session import Session

PERSONA = "utopia-id-pace-gm"


def _png(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return encoded.tobytes()


@pytest.mark.parametrize("seed", [1, 3])
def test_document_photo_as_selfie_is_refused(seed: int) -> None:
    photo = document_photo(PERSONA, seed=seed)
    with pytest.raises(FaceQualityError, match="identity document"):
        refuse_document_selfie(photo)
    with pytest.raises(FaceQualityError, match="identity document"):
        refuse_document_selfie(_png(cv2.resize(photo, (640, 480))))  # a camera frame


@pytest.mark.parametrize("photo", ["obama_1.jpg", "obama_2.jpg", "biden_1.jpg",
                                   "astronaut_1.jpg"])
def test_face_photos_are_not_documents(photo: str) -> None:
    # obama_1.jpg's background reads as a zone, but not with valid check digits
    from hw.testbed import FACES

    refuse_document_selfie((FACES / photo).read_bytes())


def test_pipeline_refuses_the_document_as_selfie_and_keeps_the_read() -> None:
    chip = VirtualChip(build(PERSONA))
    photo = document_photo(PERSONA)
    with Session(trust=virtual_trust_store(), isolation="none") as session:
        with pytest.raises(FaceQualityError, match="identity document"):
            run_pipeline(session, photo, photo, transport=lambda: InProcessTransport(chip),
                         can=None, fields=())
        # step-wise: the read stands, the document shown as a selfie is refused, the
        # person's own selfie then matches
        held = read_document(session, photo, transport=lambda: InProcessTransport(chip),
                             can=None, fields=())
        with pytest.raises(FaceQualityError, match="identity document"):
            match_face(session, held, _png(photo))
        assert held.chip_embedding is not None  # kept for the next selfie
        selfie = sample_selfie(spec(PERSONA).photo).read_bytes()
        assert match_face(session, held, selfie).passed


def test_a_close_selfie_skips_the_document_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # a face of a quarter of the frame's width or more leaves no room for a readable MRZ
    from hw.testbed import FACES

    from checkedid import facestep
    from checkedid.biometrics import FaceMatcher

    searched: list[int] = []
    monkeypatch.setattr(facestep, "refuse_document_selfie", lambda _image: searched.append(1))
    matcher = FaceMatcher().load()
    facestep.embed_selfie(matcher, (FACES / "obama_2.jpg").read_bytes())  # face: 0.53 of width
    assert searched == []
    facestep.embed_selfie(matcher, _png(document_photo(PERSONA)))  # printed face: 0.15
    assert searched == [1]
    facestep.embed_selfie(matcher, str(FACES / "obama_2.jpg"))  # a path: width not known
    assert searched == [1, 1]
