"""Face model backends: the :class:`Backend` protocol and the dlib implementation.

A backend does four things, each on images the caller has already prepared:

* ``detect(gray)``: face boxes in a grayscale image (HOG + linear SVM in dlib),
* ``landmarks(rgb, box, points)``: 5 (eye corners, nose) or 68 facial landmarks,
* ``align(rgb, landmarks5)``: the 150x150 aligned face chip the embedding model expects,
* ``describe(chip)``: the 128-dimensional face descriptor (dlib's ResNet-29 metric network,
  trained so that the Euclidean distance of two descriptors of one person is below 0.6).

The descriptor engine is ``"numpy"`` by default: dlib's network and weights evaluated by
:mod:`checkedid.biometrics.resnet` (equal to dlib's own to 1e-6, about a tenth of its CPU
time with dlib wheels built without BLAS); ``DlibBackend(descriptor="dlib")`` runs dlib's
own implementation, the reference the tests compare against.

Detection scale, cropping and quality policy live in :mod:`checkedid.biometrics.detect`
and :mod:`checkedid.biometrics.embed`, not here, so another backend only has to wrap models.

Models are loaded once per process (:func:`DlibBackend.shared`) and never downloaded: they
come from the ``face_recognition_models`` package of the ``face`` extra.

Measured on one core: dlib's ``describe`` holds the GIL (two threads run no faster than
one); ``detect`` releases it.
"""

from __future__ import annotations

import os
import pickle
import threading
import warnings
import weakref
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from checkedid.biometrics.resnet import ResNetDescriptor
from checkedid.errors import BackendUnavailable, InputError

__all__ = ["DESCRIPTORS", "INSTALL_HINT", "Backend", "Box", "DlibBackend"]

INSTALL_HINT = "face matching needs the face extra: pip install 'checkedid[face]'"

FloatArray = npt.NDArray[np.float64]
U8Array = npt.NDArray[np.uint8]

#: Size of the aligned face chip fed to the embedding network.
CHIP_SIZE = 150
#: Context around the face in the chip (dlib's default for its ResNet model).
CHIP_PADDING = 0.25
#: Descriptor engines of :class:`DlibBackend`: the numpy forward pass (default) or dlib's.
DESCRIPTORS = ("numpy", "dlib")


@dataclass(frozen=True)
class Box:
    """A face box in pixel coordinates of some image, with the detector's confidence."""

    left: float
    top: float
    right: float
    bottom: float
    score: float = 0.0

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    def scaled(self, factor: float, dx: float = 0.0, dy: float = 0.0) -> Box:
        """This box with coordinates multiplied by ``factor`` and then shifted by (dx, dy)."""
        return Box(self.left * factor + dx, self.top * factor + dy,
                   self.right * factor + dx, self.bottom * factor + dy, self.score)

    def as_xywh(self) -> tuple[int, int, int, int]:
        return (round(self.left), round(self.top), round(self.width), round(self.height))


@runtime_checkable
class Backend(Protocol):
    """What :class:`checkedid.biometrics.FaceMatcher` needs from a face model."""

    name: str

    def load(self) -> None:
        """Load the models (idempotent); raise :class:`BackendUnavailable` when missing."""

    def detect(self, gray: U8Array) -> list[Box]:
        """Face boxes in a grayscale image, in that image's coordinates."""

    def landmarks(self, rgb: U8Array, box: Box, points: int = 5) -> FloatArray:
        """``points`` x 2 landmark coordinates (5 or 68 points) for the face in ``box``."""

    def align(self, rgb: U8Array, landmarks5: FloatArray) -> U8Array:
        """The aligned RGB face chip for the embedding model."""

    def describe(self, chip: U8Array) -> FloatArray:
        """The face descriptor of an aligned chip."""


_LIVE: weakref.WeakSet[DlibBackend] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for backend in list(_LIVE):
        backend._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _import_dlib() -> tuple[Any, Any]:
    try:
        import dlib
    except ImportError as exc:
        raise BackendUnavailable(f"dlib is not installed; {INSTALL_HINT}") from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the package still imports pkg_resources
            import face_recognition_models
    except ImportError as exc:
        raise BackendUnavailable(f"the face model files are not installed; {INSTALL_HINT}") from exc
    return dlib, face_recognition_models


class DlibBackend:
    """dlib's HOG detector, 5/68-point shape predictors and ResNet face descriptor.

    ``descriptor``: one of :data:`DESCRIPTORS`; both give the same descriptor (same
    network and weights), ``"numpy"`` at a fraction of the CPU time.

    Thread-safe: concurrent detections use separate detectors (dlib's
    ``object_detector`` keeps scratch state), and the shape predictors and the
    network (which keeps per-call buffers) run under one lock.
    """

    name = "dlib"
    _shared: ClassVar[dict[str, DlibBackend]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, descriptor: str = "numpy") -> None:
        if descriptor not in DESCRIPTORS:
            raise InputError(f"unknown face descriptor engine {descriptor!r}; "
                             f"use one of {', '.join(DESCRIPTORS)}")
        self.descriptor = descriptor
        self._resnet: ResNetDescriptor | None = None
        self._dlib: Any = None
        self._sp5: Any = None
        self._sp68: Any = None
        self._encoder: Any = None
        self._models: Any = None
        self._lock = threading.Lock()
        self._net_lock = threading.Lock()
        self._detector_blob = b""
        self._free: list[Any] = []  # idle detectors (dlib's object_detector keeps scratch state)
        _LIVE.add(self)

    def _after_fork(self) -> None:
        """In a forked child: fresh locks (another parent thread may have held one)."""
        self._lock = threading.Lock()
        self._net_lock = threading.Lock()

    @classmethod
    def shared(cls, descriptor: str = "numpy") -> DlibBackend:
        """The process-wide loaded instance per descriptor engine (models read once)."""
        with cls._shared_lock:
            inst = cls._shared.get(descriptor)
            if inst is None:
                inst = cls(descriptor)
                inst.load()
                cls._shared[descriptor] = inst
            return inst

    def load(self) -> None:
        with self._lock:
            if self._encoder is not None:
                return
            dlib, models = _import_dlib()
            try:
                detector = dlib.get_frontal_face_detector()
                sp5 = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
                resnet_path = models.face_recognition_model_location()
                if self.descriptor == "numpy":
                    self._resnet = ResNetDescriptor.shared(resnet_path)
                    encoder: Any = self._resnet
                else:
                    encoder = dlib.face_recognition_model_v1(resnet_path)
            except RuntimeError as exc:
                raise BackendUnavailable(
                    f"the face model files cannot be loaded; {INSTALL_HINT}") from exc
            self._dlib, self._models = dlib, models
            self._free.append(detector)
            self._detector_blob = pickle.dumps(detector)  # copying beats re-building (0.2 s)
            self._sp5, self._encoder = sp5, encoder

    def _need(self) -> Any:
        if self._encoder is None:
            self.load()
        return self._dlib

    def _predictor(self, points: int) -> Any:
        if points == 5:
            return self._sp5
        if points != 68:
            raise InputError("landmarks: points must be 5 or 68")
        with self._lock:
            if self._sp68 is None:
                try:
                    path = self._models.pose_predictor_model_location()
                    self._sp68 = self._dlib.shape_predictor(path)
                except RuntimeError as exc:
                    raise BackendUnavailable(
                        f"the 68-point model cannot be loaded; {INSTALL_HINT}") from exc
            return self._sp68

    def detect(self, gray: U8Array) -> list[Box]:
        self._need()
        with self._lock:  # a free detector, or a copy of the loaded one (kept for later)
            det = self._free.pop() if self._free else None
        if det is None:
            det = pickle.loads(self._detector_blob)  # noqa: S301 - our own bytes, 1 ms
        try:
            rects, scores, _ = det.run(np.ascontiguousarray(gray), 0, 0.0)
        finally:
            with self._lock:
                self._free.append(det)
        return [Box(float(r.left()), float(r.top()), float(r.right()), float(r.bottom()), float(s))
                for r, s in zip(rects, scores, strict=True)]

    def _shape(self, rgb: U8Array, box: Box, points: int) -> Any:
        dlib = self._need()
        rect = dlib.rectangle(round(box.left), round(box.top), round(box.right), round(box.bottom))
        predictor = self._predictor(points)
        with self._net_lock:
            return predictor(np.ascontiguousarray(rgb), rect)

    def landmarks(self, rgb: U8Array, box: Box, points: int = 5) -> FloatArray:
        shape = self._shape(rgb, box, points)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def align(self, rgb: U8Array, landmarks5: FloatArray) -> U8Array:
        dlib = self._need()
        pts = dlib.points()
        for x, y in landmarks5:
            pts.append(dlib.point(round(float(x)), round(float(y))))
        xs, ys = landmarks5[:, 0], landmarks5[:, 1]
        rect = dlib.rectangle(round(float(xs.min())), round(float(ys.min())),
                              round(float(xs.max())), round(float(ys.max())))
        shape = dlib.full_object_detection(rect, pts)
        with self._net_lock:
            chip = dlib.get_face_chip(np.ascontiguousarray(rgb), shape, size=CHIP_SIZE,
                                      padding=CHIP_PADDING)
        return np.asarray(chip, dtype=np.uint8)

    def describe(self, chip: U8Array) -> FloatArray:
        self._need()
        if self._resnet is not None:  # stateless forward pass: no lock
            return self._resnet.describe(np.ascontiguousarray(chip))
        with self._net_lock:
            vec = self._encoder.compute_face_descriptor(np.ascontiguousarray(chip), 0)
        return np.array(vec, dtype=np.float64)
