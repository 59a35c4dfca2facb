"""Two faces on two cores: process, thread and sequential modes agree, errors cross the fork."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from checkedid.biometrics import FaceMatcher
from checkedid.biometrics.calibration import chip_version, selfie_version
from checkedid.biometrics.worker import embed_in_child
from checkedid.errors import ImageError, InputError, InternalError, NoFaceError
from tests.conftest import data_path

pytest.importorskip("dlib")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    faces: Path = data_path("faces")
    a = cv2.imread(str(faces / "obama_1.jpg"))
    b = cv2.imread(str(faces / "obama_2.jpg"))
    assert a is not None and b is not None
    selfie = selfie_version(np.asarray(a, np.uint8), (640, 480))
    return selfie, chip_version(np.asarray(b, np.uint8))


def _children() -> list[str]:
    try:
        with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as fh:
            return fh.read().split()
    except OSError:
        return []


def test_modes_give_identical_results(pair: tuple[np.ndarray, np.ndarray]) -> None:
    selfie, chip = pair
    before = _children()
    results = {mode: FaceMatcher(parallel=mode).match(selfie, chip)
               for mode in ("none", "thread", "process")}
    scores = {round(r.score, 9) for r in results.values()}
    assert len(scores) == 1 and results["process"].is_match
    assert set(results["process"].timings) == set(results["none"].timings)
    assert _children() == before  # the worker was reaped


def test_process_mode_embedding_is_complete(pair: tuple[np.ndarray, np.ndarray]) -> None:
    selfie, chip = pair
    m = FaceMatcher(parallel="process")
    live, doc = m.embed_pair(selfie, chip)
    here = m.embed(chip, role="document")
    assert np.array_equal(doc.vector, here.vector) and doc.vector.flags.writeable
    assert doc.role == "document" and doc.face_box == here.face_box
    assert doc.quality.to_dict() == here.quality.to_dict()
    assert live.role == "selfie"


@pytest.mark.parametrize(("bad", "error"), [(b"junk", ImageError),
                                            (np.zeros((100, 100, 3), np.uint8), NoFaceError)])
def test_errors_cross_the_fork(pair: tuple[np.ndarray, np.ndarray], bad: object,
                               error: type[Exception]) -> None:
    selfie, chip = pair
    m = FaceMatcher(parallel="process")
    before = _children()
    with pytest.raises(error, match=r"document photo|cannot be decoded"):
        m.match(selfie, bad)
    with pytest.raises(error, match=r"selfie|cannot be decoded"):
        m.match(bad, chip)
    assert _children() == before


def test_unexpected_child_failure_is_an_internal_error() -> None:
    def boom() -> object:
        raise KeyError("personal detail")

    wait = embed_in_child(boom)  # type: ignore[arg-type]
    with pytest.raises(InternalError) as info:
        wait()
    assert "personal detail" not in str(info.value) and "KeyError" in str(info.value)


def test_parallel_mode_is_validated() -> None:
    with pytest.raises(InputError):
        FaceMatcher(parallel="gpu")
