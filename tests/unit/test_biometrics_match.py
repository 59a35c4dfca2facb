"""Face matching on real photos: genuine and impostor pairs, chip-photo forms, face selection."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from checkedid.biometrics import DEFAULT_THRESHOLD, Embedding, FaceMatcher, MatchResult
from checkedid.biometrics.calibration import chip_version, selfie_version
from checkedid.errors import InputError, NoFaceError, SecretWipedError
from checkedid.secret import SecretRegistry
from tests.conftest import data_path

pytest.importorskip("dlib")


@pytest.fixture(scope="module")
def faces() -> Path:
    return data_path("faces")


@pytest.fixture(scope="module")
def matcher() -> FaceMatcher:
    return FaceMatcher().load()


def photo(faces: Path, name: str) -> np.ndarray:
    img = cv2.imread(str(faces / name))
    assert img is not None
    return img


@pytest.fixture(scope="module")
def obama_chip(faces: Path) -> np.ndarray:
    return chip_version(photo(faces, "obama_2.jpg"))


@pytest.fixture(scope="module")
def obama_doc(matcher: FaceMatcher, obama_chip: np.ndarray) -> Embedding:
    return matcher.embed(obama_chip, role="document")


def test_genuine_pair_matches(matcher: FaceMatcher, faces: Path, obama_doc: Embedding) -> None:
    selfie = matcher.embed(selfie_version(photo(faces, "obama_1.jpg"), (640, 480)))
    r = matcher.compare(selfie, obama_doc)
    assert isinstance(r, MatchResult)
    assert r.is_match and r.score >= r.threshold == DEFAULT_THRESHOLD
    assert r.score == pytest.approx(1.0 - r.distance)
    assert set(r.timings) >= {"selfie.detect", "selfie.describe", "document.describe", "compare"}


def test_impostor_pair_does_not_match(matcher: FaceMatcher, faces: Path,
                                      obama_doc: Embedding) -> None:
    for name in ("biden_1.jpg", "astronaut_1.jpg"):
        r = matcher.compare(matcher.embed(selfie_version(photo(faces, name))), obama_doc)
        assert not r.is_match, name
        assert r.score < DEFAULT_THRESHOLD - 0.05


def test_match_one_call_wipes_its_embeddings(matcher: FaceMatcher, faces: Path,
                                             obama_chip: np.ndarray) -> None:
    r = matcher.match(str(faces / "obama_3.jpg"), obama_chip)
    assert r.is_match
    assert r.timings["total"] > 0


def test_small_grayscale_chip_photo_matches(matcher: FaceMatcher, faces: Path) -> None:
    chip = chip_version(photo(faces, "obama_3.jpg"), grayscale=True)
    small = cv2.resize(cv2.cvtColor(chip, cv2.COLOR_BGR2GRAY), (240, 320),
                       interpolation=cv2.INTER_AREA)
    assert small.ndim == 2
    doc = matcher.embed(small, role="document")
    assert doc.grayscale
    live = matcher.embed(photo(faces, "obama_1.jpg"))
    assert matcher.compare(live, doc).is_match
    other = matcher.embed(photo(faces, "biden_1.jpg"))
    assert not matcher.compare(other, doc).is_match


def test_tiny_chip_photo_is_upsampled_for_detection(matcher: FaceMatcher, faces: Path) -> None:
    chip = chip_version(photo(faces, "obama_1.jpg"))
    tiny = cv2.resize(chip, (120, 160), interpolation=cv2.INTER_AREA)  # face ~60 px: below HOG size
    doc = matcher.embed(tiny, role="document")
    live = matcher.embed(photo(faces, "obama_2.jpg"))
    assert matcher.compare(live, doc).is_match


def test_no_face_raises_with_hint(matcher: FaceMatcher, faces: Path) -> None:
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    with pytest.raises(NoFaceError, match="ask the person to face the camera"):
        matcher.embed(noise)
    background = photo(faces, "obama_1.jpg")[:200, :150]  # curtain and flag, no face
    with pytest.raises(NoFaceError, match="document photo"):
        matcher.embed(background, role="document")


def test_two_faces_uses_the_largest_with_warning(matcher: FaceMatcher, faces: Path,
                                                 obama_doc: Embedding) -> None:
    big = selfie_version(photo(faces, "obama_1.jpg"))
    small = selfie_version(photo(faces, "biden_1.jpg"))
    small = np.asarray(cv2.resize(small, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA))
    canvas = np.zeros((big.shape[0], big.shape[1] + small.shape[1], 3), np.uint8)
    canvas[:, : big.shape[1]] = big
    canvas[: small.shape[0], big.shape[1]:] = small
    emb = matcher.embed(canvas)
    assert emb.faces == 2
    assert any("several faces" in w for w in emb.warnings)
    assert emb.face_box[0] < big.shape[1]  # the box lies in the larger (left) photo
    r = matcher.compare(emb, obama_doc)
    assert r.is_match and any("several faces" in w for w in r.warnings)
    # the same canvas mirrored so that the smaller face comes first: still the larger one
    emb2 = matcher.embed(np.ascontiguousarray(canvas[:, ::-1]))
    assert matcher.compare(emb2, obama_doc).is_match


def test_embedding_vector_is_wipeable_by_a_session_registry(matcher: FaceMatcher,
                                                            faces: Path) -> None:
    emb = matcher.embed(photo(faces, "biden_1.jpg"))
    assert emb.vector.dtype == np.float64 and emb.vector.shape == (128,)
    assert emb.vector.flags.writeable
    assert "vector" not in repr(emb) and str(emb.vector[0]) not in repr(emb)
    reg = SecretRegistry()
    reg.add(emb.vector)
    reg.wipe_all()
    assert emb.wiped and not emb.vector.any()
    with pytest.raises(SecretWipedError):
        matcher.compare(emb, emb)


def test_threshold_is_validated_and_applied(matcher: FaceMatcher, faces: Path,
                                            obama_doc: Embedding) -> None:
    with pytest.raises(InputError):
        FaceMatcher(threshold=float("nan"))
    with pytest.raises(InputError):
        FaceMatcher(threshold=3.0)
    strict = FaceMatcher(threshold=0.99, backend=matcher.backend)
    live = matcher.embed(photo(faces, "obama_3.jpg"))
    r = strict.compare(live, obama_doc)
    assert not r.is_match and r.threshold == 0.99


def test_role_is_validated(matcher: FaceMatcher, faces: Path) -> None:
    with pytest.raises(InputError):
        matcher.embed(photo(faces, "biden_1.jpg"), role="passport")


def test_missing_dlib_raises_backend_unavailable_with_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from checkedid.biometrics.backend import DlibBackend
    from checkedid.errors import BackendUnavailable

    monkeypatch.setitem(sys.modules, "dlib", None)  # import dlib -> ImportError
    with pytest.raises(BackendUnavailable, match=r"pip install 'checkedid\[face\]'"):
        DlibBackend().load()
    with pytest.raises(BackendUnavailable):
        FaceMatcher(backend=DlibBackend()).load()


def test_session_contract_embeddings_are_wiped_with_the_session(faces: Path) -> None:
    from checkedid.session import Session

    with Session(isolation="none", face_threshold=0.5) as s:
        m = s.face_matcher()
        assert isinstance(m, FaceMatcher) and m.threshold == 0.5
        doc = m.embed(chip_version(photo(faces, "obama_2.jpg")), role="document")
        live = m.embed(photo(faces, "obama_1.jpg"), role="selfie")
        for e in (doc, live):
            s.track(e.vector)
        assert m.compare(live, doc).is_match
    assert doc.wiped and live.wiped


def test_composite_photo_of_two_people_picks_the_larger_face(matcher: FaceMatcher, faces: Path,
                                                             obama_doc: Embedding) -> None:
    emb = matcher.embed(photo(faces, "two_people_composite.jpg"))
    assert emb.faces == 2 and any("several faces" in w for w in emb.warnings)
    assert matcher.compare(emb, obama_doc).is_match  # the larger face is the left one
