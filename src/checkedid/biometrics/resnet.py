"""dlib's face-recognition ResNet evaluated in numpy: the 128-d face descriptor of a chip.

The network is the one dlib ships as ``dlib_face_recognition_resnet_model_v1.dat``
(dlib ``examples/dnn_face_recognition_ex.cpp``): a 150x150 RGB input scaled as
``(pixel - mean) / 256``, a 7x7/2 convolution with 32 filters, affine, relu, 3x3/2 max
pooling, residual blocks of two 3x3 convolutions (32 x3; 64, 128, 256 each opened by a
stride-2 block whose shortcut is 2x2/2 average pooling, then x3, x2, x2; a last stride-2
256 block), global average pooling and a 128x256 linear map without bias. The weights
and every setting (filter sizes, strides, padding, pixel means) come from the file
(:mod:`checkedid.biometrics.resnet_weights`); the tag/skip wiring, which the file does
not name, comes from :data:`ARCHITECTURE` and is checked against the file's nesting.

dlib conventions reproduced here: convolutions are cross-correlations with zero padding;
a pooling window of size 0 covers the whole input; a residual sum of two tensors of
different sizes has the larger size with the smaller one zero-extended (this happens in
the last two stride-2 blocks, where a 3x3 and a 4x4 map meet). Affine layers are folded
into the convolution before them. Activations are float32 in height x width x channels.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

from checkedid.biometrics.resnet_weights import Layer, NetFile, read_net
from checkedid.blas import single_thread_here
from checkedid.errors import BackendUnavailable, InputError

__all__ = ["ARCHITECTURE", "ResNetDescriptor"]

F32Array = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]
U8Array = npt.NDArray[np.uint8]


def _block(down: bool) -> list[str]:
    """One residual unit (dlib ``ares`` / ``ares_down``) as tokens, input side first."""
    body = ["tag1", "con", "affine", "relu", "con", "affine"]
    if down:
        return [*body, "tag2", "skip1", "avg_pool", "add_prev2", "relu"]
    return [*body, "add_prev1", "relu"]


def _architecture() -> tuple[str, ...]:
    tokens = ["con", "affine", "relu", "max_pool"]
    for down, count in ((False, 3), (True, 4), (True, 3), (True, 3), (True, 1)):
        tokens += _block(down)
        tokens += [t for _ in range(count - 1) for t in _block(False)]
    return (*tokens, "avg_pool", "fc")


#: The network's layers, input side first; ``tagN``/``skipN`` are dlib's tag and skip
#: layers, ``add_prevN`` adds the output of ``tagN``.
ARCHITECTURE: tuple[str, ...] = _architecture()


@dataclass(frozen=True)
class _Op:
    """One step of the forward pass."""

    kind: str  # conv, relu, max_pool, avg_pool, mean, tag, skip, add, fc
    tag: int = 0
    size: int = 0
    stride: int = 1
    pad: int = 0
    weights: F32Array | None = None  # conv: (kh*kw*C, F); fc: (inputs, outputs)
    bias: F32Array | None = None


def _conv_op(con: Layer, affine: Layer | None) -> _Op:
    ints = con.ints
    if ints["nr"] != ints["nc"] or ints["stride_y"] != ints["stride_x"] \
            or ints["pad_y"] != ints["pad_x"]:
        raise BackendUnavailable("the face model file has a non-square convolution (unsupported)")
    filters = con.arrays["filters"].astype(np.float32)  # (F, C, kh, kw)
    bias = con.arrays["biases"].astype(np.float32)
    if affine is not None:  # y = (conv + b) * gamma + beta
        gamma, beta = affine.arrays["gamma"], affine.arrays["beta"]
        filters = filters * gamma[:, None, None, None]
        bias = bias * gamma + beta
    f, c, kh, kw = filters.shape
    matrix = np.ascontiguousarray(filters.transpose(2, 3, 1, 0).reshape(kh * kw * c, f))
    return _Op("conv", size=kh, stride=ints["stride_y"], pad=ints["pad_y"],
               weights=matrix, bias=np.ascontiguousarray(bias))


def _compile(net: NetFile) -> tuple[_Op, ...]:
    """Check the file against :data:`ARCHITECTURE` and turn it into forward-pass steps."""
    expected = ["wrap" if t[:3] in ("tag", "ski") else "layer" for t in ARCHITECTURE]
    kinds = [t.rstrip("12") for t in ARCHITECTURE if t[:3] not in ("tag", "ski")]
    if list(net.tokens) != expected or [layer.kind for layer in net.layers] != kinds:
        raise BackendUnavailable("the face model file does not hold dlib's face ResNet v1")
    layers = iter(net.layers)
    ops: list[_Op] = []
    pending: Layer | None = None
    for token in ARCHITECTURE:
        if token[:3] in ("tag", "ski"):
            ops.append(_Op("tag" if token.startswith("tag") else "skip", tag=int(token[-1])))
            continue
        layer = next(layers)
        if pending is not None and layer.kind != "affine":
            ops.append(_conv_op(pending, None))
            pending = None
        if layer.kind == "con":
            pending = layer
        elif layer.kind == "affine":
            if pending is None:
                raise BackendUnavailable("the face model file: an affine layer without convolution")
            ops.append(_conv_op(pending, layer))
            pending = None
        elif layer.kind in ("max_pool", "avg_pool"):
            ops.append(_pool_op(layer))
        elif layer.kind == "add_prev":
            ops.append(_Op("add", tag=int(token[-1])))
        elif layer.kind == "fc":
            ops.append(_Op("fc", weights=np.ascontiguousarray(layer.arrays["weights"]),
                           bias=layer.arrays["biases"]))
        else:
            ops.append(_Op(layer.kind))
    return tuple(ops)


def _pool_op(layer: Layer) -> _Op:
    ints = layer.ints
    if ints["nr"] == 0 and ints["nc"] == 0:
        return _Op("mean")
    if ints["nr"] != ints["nc"] or ints["stride_y"] != ints["stride_x"] \
            or ints["pad_y"] or ints["pad_x"]:
        raise BackendUnavailable("the face model file has a padded or non-square pooling layer")
    return _Op(layer.kind, size=ints["nr"], stride=ints["stride_y"])


def _conv(x: F32Array, op: _Op) -> F32Array:
    """Convolution (cross-correlation) of an H x W x C map as one matrix product (im2col).

    Each patch row is ``k`` runs of ``k * C`` contiguous values, so the patch matrix is a
    strided view of the (padded) map copied once, in the (kh, kw, C) order of the weights.
    """
    assert op.weights is not None and op.bias is not None
    k, s, p = op.size, op.stride, op.pad
    if p:
        padded = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p, x.shape[2]), dtype=np.float32)
        padded[p:-p, p:-p, :] = x
        x = padded
    else:
        x = np.ascontiguousarray(x)
    h, w, c = x.shape
    ho, wo = 1 + (h - k) // s, 1 + (w - k) // s
    rs, cs, vs = x.strides
    patches = as_strided(x, shape=(ho, wo, k, k * c), strides=(s * rs, s * cs, rs, vs),
                         writeable=False)
    out = patches.reshape(ho * wo, k * k * c) @ op.weights
    out += op.bias
    return out.reshape(ho, wo, -1)


def _pool(x: F32Array, op: _Op) -> F32Array:
    """Max or average pooling without padding (windows inside the map, as dlib places them)."""
    k, s = op.size, op.stride
    h, w, _ = x.shape
    ho, wo = 1 + (h - k) // s, 1 + (w - k) // s
    views = [x[i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s, :]
             for i in range(k) for j in range(k)]
    if op.kind == "max_pool":
        return np.asarray(np.maximum.reduce(views), dtype=np.float32)
    total = np.add.reduce(views)
    return np.asarray(total / np.float32(k * k), dtype=np.float32)


def _add(a: F32Array, b: F32Array) -> F32Array:
    """dlib's residual sum: the larger shape, the smaller tensor zero-extended."""
    if a.shape == b.shape:
        return a + b
    shape = tuple(max(m, n) for m, n in zip(a.shape, b.shape, strict=True))
    out = np.zeros(shape, dtype=np.float32)
    out[:a.shape[0], :a.shape[1], :a.shape[2]] += a
    out[:b.shape[0], :b.shape[1], :b.shape[2]] += b
    return out


class ResNetDescriptor:
    """dlib's face descriptor network, weights read once from the model file.

    Thread-safe: the forward pass keeps no state between calls.
    """

    _shared: ClassVar[dict[str, ResNetDescriptor]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, net: NetFile) -> None:
        self.input_size = net.input_size
        self.mean = np.array(net.pixel_mean, dtype=np.float32)
        self._ops = _compile(net)

    @classmethod
    def from_file(cls, path: str | Path) -> ResNetDescriptor:
        """Read a ``dlib_face_recognition_resnet_model_v1.dat`` file."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise BackendUnavailable(f"the face model file cannot be read: {exc.strerror}") from exc
        return cls(read_net(data))

    @classmethod
    def shared(cls, path: str | Path) -> ResNetDescriptor:
        """The process-wide instance for the model file at ``path`` (read once per content)."""
        key = str(Path(path).resolve())
        with cls._shared_lock:
            inst = cls._shared.get(key)
            if inst is None:
                inst = cls.from_file(path)
                cls._shared[key] = inst
            return inst

    @staticmethod
    def file_digest(path: str | Path) -> str:
        """SHA-256 of a model file (which network a benchmark or calibration used)."""
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    def describe(self, chip: U8Array) -> FloatArray:
        """The 128-d descriptor of an aligned RGB face chip (the network's input size)."""
        arr = np.asarray(chip)
        if arr.dtype != np.uint8 or arr.shape != (*self.input_size, 3):
            raise InputError(f"the face chip must be a {self.input_size[0]}x{self.input_size[1]} "
                             "RGB uint8 image")
        with single_thread_here():
            return self._forward(arr)

    def _forward(self, arr: U8Array) -> FloatArray:
        x: F32Array = (arr.astype(np.float32) - self.mean) / np.float32(256.0)
        tags: dict[int, F32Array] = {}
        for op in self._ops:
            if op.kind == "conv":
                x = _conv(x, op)
            elif op.kind == "relu":
                np.maximum(x, 0, out=x)
            elif op.kind in ("max_pool", "avg_pool"):
                x = _pool(x, op)
            elif op.kind == "tag":
                tags[op.tag] = x
            elif op.kind == "skip":
                x = tags[op.tag]
            elif op.kind == "add":
                x = _add(x, tags[op.tag])
            elif op.kind == "mean":
                x = x.reshape(-1, x.shape[-1]).mean(axis=0, dtype=np.float32)
            else:  # fc
                assert op.weights is not None and op.bias is not None
                x = x.reshape(-1) @ op.weights + op.bias
        return np.asarray(x, dtype=np.float64)
