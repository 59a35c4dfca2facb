"""The numpy face descriptor against dlib's own, on the aligned chips of the test faces.

dlib (``compute_face_descriptor``) is the reference: every component within 1e-3 and the
same match decision for every pair at the project threshold. The mutation tests show the
comparison is sharp enough to catch a wrong input normalisation or a wrong layer.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from checkedid.biometrics import DEFAULT_THRESHOLD
from checkedid.biometrics.backend import DlibBackend
from checkedid.biometrics.calibration import chip_version
from checkedid.biometrics.resnet import ARCHITECTURE, ResNetDescriptor
from checkedid.biometrics.resnet_weights import NetFile, _Reader, read_net
from checkedid.errors import BackendUnavailable, InputError
from tests.conftest import data_path

pytest.importorskip("dlib")

TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def model_file() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package still imports pkg_resources
        import face_recognition_models
    return Path(face_recognition_models.face_recognition_model_location())


@pytest.fixture(scope="module")
def net(model_file: Path) -> NetFile:
    return read_net(model_file.read_bytes())


@pytest.fixture(scope="module")
def reference() -> DlibBackend:
    return DlibBackend.shared("dlib")


def _chips_of(backend: DlibBackend, bgr: np.ndarray) -> list[np.ndarray]:
    rgb = cv2.cvtColor(bgr if bgr.ndim == 3 else cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR),
                       cv2.COLOR_BGR2RGB)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return [backend.align(rgb, backend.landmarks(rgb, box, 5)) for box in backend.detect(gray)]


@pytest.fixture(scope="module")
def chips(reference: DlibBackend) -> dict[str, np.ndarray]:
    """Every face of every photo, plus each photo's DG2-like colour and grayscale form."""
    out: dict[str, np.ndarray] = {}
    for path in sorted(data_path("faces").glob("*.jpg")):
        img = cv2.imread(str(path))
        assert img is not None, path
        forms = {"": img, "-dg2": chip_version(img), "-dg2gray": chip_version(img, grayscale=True)}
        for suffix, form in forms.items():
            for i, chip in enumerate(_chips_of(reference, form)):
                out[f"{path.stem}{suffix}#{i}"] = chip
    assert len(out) >= 20  # 8 faces in 7 photos, each in three forms
    return out


@pytest.fixture(scope="module")
def pairs(reference: DlibBackend, model_file: Path,
          chips: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    ours = ResNetDescriptor.shared(model_file)
    return {name: (reference.describe(chip), ours.describe(chip)) for name, chip in chips.items()}


def test_descriptor_equals_dlib(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    for name, (ref, ours) in pairs.items():
        assert ours.shape == ref.shape == (128,), name
        assert ours.dtype == np.float64
        assert float(np.max(np.abs(ours - ref))) <= TOLERANCE, name


def test_same_match_decisions_as_dlib(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    decisions = set()
    for (a, (ra, oa)), (b, (rb, ob)) in itertools.combinations(pairs.items(), 2):
        ref_score = 1.0 - float(np.linalg.norm(ra - rb))
        our_score = 1.0 - float(np.linalg.norm(oa - ob))
        assert abs(ref_score - our_score) <= TOLERANCE, (a, b)
        ref_match = ref_score >= DEFAULT_THRESHOLD
        assert (our_score >= DEFAULT_THRESHOLD) == ref_match, (a, b)
        decisions.add(ref_match)
    assert decisions == {True, False}  # both outcomes occur among the test faces


def _mutated(net: NetFile, **changes: object) -> ResNetDescriptor:
    return ResNetDescriptor(dataclasses.replace(net, **changes))  # type: ignore[arg-type]


def _worst(model: ResNetDescriptor, pairs: dict[str, tuple[np.ndarray, np.ndarray]],
           chips: dict[str, np.ndarray]) -> float:
    """The largest component difference from dlib over all chips (what the equality test sees)."""
    return max(float(np.max(np.abs(model.describe(chip) - pairs[name][0])))
               for name, chip in chips.items())


def test_wrong_normalisation_is_caught(net: NetFile, chips: dict[str, np.ndarray],
                                       pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    bgr_means = _mutated(net, pixel_mean=net.pixel_mean[::-1])  # channel order mixed up
    assert _worst(bgr_means, pairs, chips) > TOLERANCE
    no_means = _mutated(net, pixel_mean=(0.0, 0.0, 0.0))
    assert _worst(no_means, pairs, chips) > 10 * TOLERANCE


def test_wrong_layer_is_caught(net: NetFile, chips: dict[str, np.ndarray],
                               pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    layers = list(net.layers)
    i = next(n for n, layer in enumerate(layers) if layer.kind == "con" and n > 0)
    flipped = layers[i].arrays["filters"][:, :, ::-1, ::-1]  # convolution, not correlation
    layers[i] = dataclasses.replace(layers[i], arrays={**layers[i].arrays, "filters": flipped})
    assert _worst(_mutated(net, layers=tuple(layers)), pairs, chips) > 10 * TOLERANCE


def test_file_structure_matches_the_architecture(net: NetFile) -> None:
    assert net.loss == "loss_metric_2"
    assert net.input_size == (150, 150)
    assert net.pixel_mean == pytest.approx((122.782, 117.001, 104.298), abs=1e-4)
    assert len(net.tokens) == len(ARCHITECTURE)
    convs = [layer for layer in net.layers if layer.kind == "con"]
    assert len(convs) == 29
    assert convs[0].arrays["filters"].shape == (32, 3, 7, 7)
    assert net.layers[-1].arrays["weights"].shape == (256, 128)


def test_file_of_another_network_is_refused(net: NetFile) -> None:
    with pytest.raises(BackendUnavailable, match="face ResNet"):
        _mutated(net, tokens=(*net.tokens[1:], "wrap"))
    with pytest.raises(BackendUnavailable, match="face ResNet"):
        _mutated(net, layers=net.layers[:-1])


def test_damaged_file_is_refused(model_file: Path) -> None:
    data = model_file.read_bytes()
    with pytest.raises(BackendUnavailable, match="end of data"):
        read_net(data[: len(data) // 2])
    with pytest.raises(BackendUnavailable, match="trailing data"):
        read_net(data + b"\x00")
    with pytest.raises(BackendUnavailable, match="not a metric network"):
        read_net(data.replace(b"loss_metric_2", b"loss_multiclass", 1))
    with pytest.raises(BackendUnavailable, match="integer control byte"):
        read_net(b"\x00" + data[1:])


def test_primitive_encodings() -> None:
    """dlib serialize.h: sign bit + byte count, little-endian; floats as mantissa, exponent."""
    r = _Reader(b"\x01\x05" + b"\x81\x05" + b"\x02\x00\x01" + b"\x01\x00"
                + b"\x03\x0a\xd7\xa3\x81\x1c" + b"\x81\x03\x81\x01" + b"\x01\x00\x02\x00\x7d"
                + b"\x01\x03abc" + b"10")
    assert [r.read_int(), r.read_int(), r.read_int(), r.read_int()] == [5, -5, 256, 0]
    assert r.read_float() == pytest.approx(0.04, rel=1e-7)  # 10737418 * 2**-28
    assert r.read_float() == -1.5
    assert r.read_float() == math.inf  # exponent 32000 marks infinity
    assert r.string() == "abc"
    assert (r.read_bool(), r.read_bool()) == (True, False)
    with pytest.raises(BackendUnavailable, match="end of data"):
        r.read_int()
    with pytest.raises(BackendUnavailable, match="integer control byte"):
        _Reader(b"\x71\x02").read_int()
    with pytest.raises(BackendUnavailable, match="bad boolean"):
        _Reader(b"x").read_bool()


def test_engine_selection(reference: DlibBackend, chips: dict[str, np.ndarray]) -> None:
    assert DlibBackend().descriptor == "numpy"
    assert reference.descriptor == "dlib"
    with pytest.raises(InputError, match="descriptor engine"):
        DlibBackend("onnx")
    chip = next(iter(chips.values()))
    fast = DlibBackend.shared()
    assert fast.describe(chip) == pytest.approx(reference.describe(chip), abs=TOLERANCE)


def test_chip_of_wrong_shape_is_refused(model_file: Path) -> None:
    ours = ResNetDescriptor.shared(model_file)
    with pytest.raises(InputError, match="150x150 RGB"):
        ours.describe(np.zeros((150, 150), np.uint8))
    with pytest.raises(InputError, match="150x150 RGB"):
        ours.describe(np.zeros((150, 150, 3), np.float32))  # type: ignore[arg-type]
