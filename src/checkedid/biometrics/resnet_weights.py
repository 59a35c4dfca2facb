"""Reader for dlib's serialized face ResNet (``dlib_face_recognition_resnet_model_v1.dat``).

The file is what dlib's ``serialize(net, out)`` writes for its ``loss_metric`` network
(dlib ``dnn/core.h``, ``dnn/layers.h``, ``cuda/tensor.h``, ``serialize.h``). Its rules:

* integers: one control byte (low 4 bits = number of value bytes, bit 0x80 = negative),
  then the magnitude little-endian;
* floating-point scalars: a mantissa and an exponent integer, value = mantissa * 2**exponent;
* strings: an integer length, then the bytes; booleans: the character ``'1'`` or ``'0'``;
* tensors: integer version 2, ``num_samples, k, nr, nc``, then little-endian IEEE float32;
  an alias tensor (a view into a layer's ``params``) stores version 1 and its four sizes.

A network is written outside-in: the loss layer, then every wrapping layer's version
integer down to the input layer (``add_layer`` = 2, tag/skip = 1), then the input layer,
then, inside-out, each ``add_layer``'s details (a version string and the layer's
parameters) followed by its cached training state. Tags and skips carry no payload, so
the file gives their *positions* (:attr:`NetFile.tokens`) but not their ids; the
architecture in :mod:`checkedid.biometrics.resnet` supplies those and is checked
against the positions.

Nothing here is personal data: the arrays are model weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from checkedid.errors import BackendUnavailable

__all__ = ["Layer", "NetFile", "read_net"]

F32Array = npt.NDArray[np.float32]

#: Version integers of dlib's ``add_layer`` and of ``add_tag_layer`` / ``add_skip_layer``.
_ADD_LAYER_VERSIONS = (2, 3)
_WRAPPER_VERSION = 1
#: float_details exponents that mark inf, -inf and NaN (dlib ``float_details.h``).
_SPECIAL_EXPONENTS = {32000: math.inf, 32001: -math.inf, 32002: math.nan}


@dataclass(frozen=True)
class Layer:
    """One computational layer as stored: its kind, integer settings and arrays.

    ``kind``: ``con``, ``affine``, ``relu``, ``max_pool``, ``avg_pool``, ``add_prev`` or ``fc``.
    ``ints``: the layer's integer settings (filter size, stride, padding, outputs...).
    ``arrays``: ``filters`` (F, C, kh, kw) and ``biases`` (F,) for ``con``; ``gamma`` and
    ``beta`` (C,) for ``affine``; ``weights`` (inputs, outputs) for ``fc``.
    """

    kind: str
    ints: dict[str, int] = field(default_factory=dict)
    arrays: dict[str, F32Array] = field(default_factory=dict)


@dataclass(frozen=True)
class NetFile:
    """A parsed network: input normalisation, layers (input side first) and wrapper positions.

    ``tokens``: inside-out sequence of ``"layer"`` (the next entry of ``layers``) and
    ``"wrap"`` (a tag or skip layer) exactly as nested in the file.
    """

    loss: str
    input_kind: str
    input_size: tuple[int, int]
    pixel_mean: tuple[float, float, float]
    layers: tuple[Layer, ...]
    tokens: tuple[str, ...]


class _Reader:
    """Sequential reader of dlib's serialization primitives over an in-memory file."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _fail(self, what: str) -> BackendUnavailable:
        return BackendUnavailable(
            f"the face model file is damaged ({what} at byte {self.pos}); "
            "reinstall the face_recognition_models package")

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise self._fail("unexpected end of data")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def peek_int(self) -> int:
        """The next integer without consuming it."""
        pos = self.pos
        try:
            return self.read_int()
        finally:
            self.pos = pos

    def read_int(self) -> int:
        control = self._take(1)[0]
        size = control & 0x0F
        if size == 0 or size > 8 or control & 0x70:
            raise self._fail("bad integer control byte")
        value = int.from_bytes(self._take(size), "little")
        return -value if control & 0x80 else value

    def read_float(self) -> float:
        mantissa, exponent = self.read_int(), self.read_int()
        if exponent in _SPECIAL_EXPONENTS:
            return _SPECIAL_EXPONENTS[exponent]
        return math.ldexp(float(mantissa), exponent)

    def string(self) -> str:
        size = self.read_int()
        if size > 256:
            raise self._fail("implausible string length")
        return self._take(size).decode("ascii", errors="replace")

    def read_bool(self) -> bool:
        ch = self._take(1)
        if ch not in (b"0", b"1"):
            raise self._fail("bad boolean")
        return ch == b"1"

    def shape(self, version: int) -> tuple[int, int, int, int]:
        if self.read_int() != version:
            raise self._fail("unexpected tensor version")
        n, k, nr, nc = (self.read_int() for _ in range(4))
        if min(n, k, nr, nc) < 0:
            raise self._fail("negative tensor size")
        return n, k, nr, nc

    def tensor(self) -> F32Array:
        shape = self.shape(2)
        count = int(np.prod(shape))
        raw = self._take(4 * count)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)


def _split(params: F32Array, *sizes: int) -> list[F32Array]:
    """Consecutive slices of a layer's flat ``params`` tensor (dlib alias tensors)."""
    flat = params.reshape(-1)
    out: list[F32Array] = []
    start = 0
    for size in sizes:
        out.append(flat[start:start + size])
        start += size
    if start != flat.size:
        raise BackendUnavailable("the face model file is damaged (parameter sizes disagree)")
    return out


def _con(r: _Reader, version: str) -> Layer:
    params = r.tensor()
    filters, nr, nc, sy, sx, py, px = (r.read_int() for _ in range(7))
    fshape, bshape = r.shape(1), r.shape(1)
    for _ in range(4):  # learning-rate and weight-decay multipliers
        r.read_float()
    use_bias = r.read_bool() if version in ("con_5", "con_6") else True
    if version == "con_6":
        r.read_bool()  # use_relu (a fused activation dlib never sets for this model)
    fsize = int(np.prod(fshape))
    bsize = int(np.prod(bshape)) if use_bias else 0
    w, b = _split(params, fsize, bsize)
    channels = fshape[1]
    ints = {"filters": filters, "nr": nr, "nc": nc, "stride_y": sy, "stride_x": sx,
            "pad_y": py, "pad_x": px, "channels": channels}
    bias = b if use_bias else np.zeros(filters, dtype=np.float32)
    return Layer("con", ints, {"filters": w.reshape(filters, channels, nr, nc), "biases": bias})


def _affine(r: _Reader, version: str) -> Layer:
    params = r.tensor()
    g, b = r.shape(1), r.shape(1)
    mode = r.read_int()
    disabled = r.read_bool() if version == "affine_2" else False
    if disabled:
        raise BackendUnavailable("the face model file has a disabled affine layer (unsupported)")
    gamma, beta = _split(params, int(np.prod(g)), int(np.prod(b)))
    return Layer("affine", {"mode": mode}, {"gamma": gamma, "beta": beta})


def _pool(r: _Reader, kind: str) -> Layer:
    nr, nc, sy, sx, py, px = (r.read_int() for _ in range(6))
    return Layer(kind, {"nr": nr, "nc": nc, "stride_y": sy, "stride_x": sx,
                        "pad_y": py, "pad_x": px})


def _fc(r: _Reader, version: str) -> Layer:
    outputs, inputs = r.read_int(), r.read_int()
    params = r.tensor()
    wshape, _ = r.shape(1), r.shape(1)
    bias_mode = r.read_int()
    for _ in range(4):
        r.read_float()
    use_bias = r.read_bool() if version == "fc_3" else True
    has_bias = bias_mode == 0 and use_bias
    wsize = int(np.prod(wshape))
    w, b = _split(params, wsize, params.size - wsize)
    bias = b if has_bias and b.size else np.zeros(outputs, dtype=np.float32)
    return Layer("fc", {"outputs": outputs, "inputs": inputs, "bias_mode": bias_mode},
                 {"weights": w.reshape(inputs, outputs), "biases": bias})


def _details(r: _Reader) -> Layer:
    version = r.string()
    if version in ("con_4", "con_5", "con_6"):
        return _con(r, version)
    if version in ("affine_", "affine_2"):
        return _affine(r, version)
    if version in ("relu_", "relu_2"):
        if version == "relu_2" and r.read_bool():
            raise BackendUnavailable("the face model file has a disabled relu layer (unsupported)")
        return Layer("relu")
    if version == "max_pool_2":
        return _pool(r, "max_pool")
    if version == "avg_pool_2":
        return _pool(r, "avg_pool")
    if version == "add_prev_":
        return Layer("add_prev")
    if version in ("fc_2", "fc_3"):
        return _fc(r, version)
    raise r._fail(f"unsupported layer {version!r}")


def _training_state(r: _Reader, version: int) -> None:
    """Skip what ``add_layer`` stores after the details: flags and cached tensors."""
    for _ in range(3):
        r.read_bool()
    for _ in range(3):
        r.tensor()
    if version >= 3:
        r.read_int()  # sample expansion factor


def read_net(data: bytes) -> NetFile:
    """Parse a serialized dlib ``loss_metric`` network; raise BackendUnavailable if damaged."""
    r = _Reader(data)
    if r.read_int() != 1:
        raise r._fail("unexpected loss layer version")
    loss = r.string()
    if not loss.startswith("loss_metric"):
        raise r._fail(f"not a metric network ({loss!r})")
    r.read_float()  # margin
    r.read_float()  # distance threshold
    chain: list[int] = []
    while r.peek_int() in (*_ADD_LAYER_VERSIONS, _WRAPPER_VERSION):
        chain.append(r.read_int())
    input_kind = r.string()
    if not input_kind.startswith("input_rgb_image"):
        raise r._fail(f"unsupported input layer {input_kind!r}")
    mean = (r.read_float(), r.read_float(), r.read_float())
    size = (r.read_int(), r.read_int()) if input_kind == "input_rgb_image_sized" else (0, 0)
    layers: list[Layer] = []
    tokens: list[str] = []
    for version in reversed(chain):
        if version == _WRAPPER_VERSION:
            tokens.append("wrap")
            continue
        layers.append(_details(r))
        _training_state(r, version)
        tokens.append("layer")
    if r.pos != len(data):
        raise r._fail("trailing data")
    return NetFile(loss=loss, input_kind=input_kind, input_size=size, pixel_mean=mean,
                   layers=tuple(layers), tokens=tuple(tokens))
