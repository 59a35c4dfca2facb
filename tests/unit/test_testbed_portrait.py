"""The test bed prints a data page's portrait, framed as such, on its document photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hw.testbed import FACES, _face_box, page_portrait

from checkedid.biometrics import FaceMatcher
from checkedid.demo import document_photo
from checkedid.docportrait import portrait_region
from checkedid.mrz.reader import read_zone


@pytest.mark.parametrize("photo", ["obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "biden_1.jpg",
                                   "astronaut_1.jpg"])
def test_portrait_is_head_and_shoulders(photo: str) -> None:
    image = np.asarray(cv2.imread(str(FACES / photo)), dtype=np.uint8)
    box = _face_box(photo)
    assert box is not None
    cut = page_portrait(image, photo)
    assert cut is not None and cut is not image
    height, width = cut.shape[:2]
    assert width / height == pytest.approx(0.77, abs=0.01)
    # the head (the face box and the forehead above it) is about three quarters of the height
    assert box[3] * 1.45 / height == pytest.approx(0.75, abs=0.02)


def test_unknown_photo_is_printed_whole() -> None:
    image = np.zeros((40, 30, 3), dtype=np.uint8)
    assert page_portrait(image, "not-listed.jpg") is image
    assert page_portrait(None, "obama_1.jpg") is None


def test_printed_face_is_found_where_the_mrz_places_it() -> None:
    photo = document_photo("utopia-id-pace-gm")
    mrz, corners = read_zone(photo)
    region = portrait_region(photo, corners, mrz.format)
    assert region is not None
    embedding = FaceMatcher().embed(region, role="document")
    width = embedding.face_box[2]
    # on an ID-1 card the printed face is a fifth of the region's width or more (ICAO framing)
    assert width >= region.shape[1] / 5
