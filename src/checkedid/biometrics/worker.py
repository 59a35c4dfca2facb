"""Embedding one image in a forked child process, so two faces use both cores.

dlib's descriptor network holds the GIL for its whole ~75 ms run (measured: two
threads take as long as one after the other), so threads cannot run the selfie's
and the chip photo's network passes at the same time. A forked child can: it
shares the loaded models copy-on-write, embeds one image, sends the result back
over a pipe and leaves with ``os._exit`` (the kernel reclaims every page it used,
the same argument as :mod:`checkedid.isolation`). The fork, the child's copy-on-write
faults and its exit add about 17 ms; a match drops from about 162 ms to 107 ms on an
idle 2-core machine (docs/biometrics.md).

Only used where it is safe: POSIX ``fork`` and a single-threaded caller (forking a
process whose other threads hold locks can deadlock the child); otherwise the
caller falls back to threads.

Wire format: a 12-byte header (metadata length, vector length, status) then the
metadata as UTF-8 JSON (face box, quality, warnings, timings — or the error class
and message) and the raw ``float64`` descriptor, read into a buffer that is zeroed
after use.
"""

from __future__ import annotations

import json
import os
import struct
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from checkedid import errors
from checkedid.biometrics.embed import Embedding
from checkedid.biometrics.quality import FaceQuality
from checkedid.errors import CheckedIDError, InternalError
from checkedid.secret import zero

__all__ = ["can_fork", "embed_in_child"]

_HEADER = struct.Struct(">III")
_PLAIN_ERRORS = (errors.BiometricError, errors.InputError, errors.SecretWipedError,
                 errors.InternalError)
_OK, _ERROR = 0, 1


def can_fork() -> bool:
    """True when forking is available and no other thread is running."""
    return hasattr(os, "fork") and threading.active_count() == 1


def _write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        chunk = os.readv(fd, [view[got:]])
        if chunk == 0:
            raise InternalError("the face worker ended without a result")
        got += chunk
    return buf


def _child(fd: int, work: Callable[[], Embedding]) -> None:
    try:
        emb = work()
        meta = json.dumps({"role": emb.role, "face_box": list(emb.face_box),
                           "quality": emb.quality.to_dict(), "warnings": list(emb.warnings),
                           "faces": emb.faces, "grayscale": emb.grayscale,
                           "timings": emb.timings}).encode()
        vec = emb.vector.astype(np.float64).tobytes()
        _write_all(fd, _HEADER.pack(len(meta), len(vec), _OK) + meta + vec)
    except BaseException as exc:  # everything goes back to the parent, nothing escapes
        kind = type(exc).__name__ if isinstance(exc, CheckedIDError) else "InternalError"
        message = str(exc) if isinstance(exc, CheckedIDError) else (
            f"{type(exc).__name__} in the face worker")
        meta = json.dumps({"kind": kind, "message": message}).encode()
        _write_all(fd, _HEADER.pack(len(meta), 0, _ERROR) + meta)


def _rebuild(meta: dict[str, Any], vec: bytearray) -> Embedding:
    vector = np.frombuffer(vec, dtype=np.float64).copy()
    q = meta["quality"]
    return Embedding(vector=vector, role=str(meta["role"]),
                     face_box=(int(meta["face_box"][0]), int(meta["face_box"][1]),
                               int(meta["face_box"][2]), int(meta["face_box"][3])),
                     quality=FaceQuality(**{k: float(v) for k, v in q.items()}),
                     warnings=tuple(str(w) for w in meta["warnings"]),
                     faces=int(meta["faces"]), grayscale=bool(meta["grayscale"]),
                     timings={str(k): float(v) for k, v in meta["timings"].items()})


def embed_in_child(work: Callable[[], Embedding]) -> Callable[[], Embedding]:
    """Start ``work()`` in a forked child now; the returned function waits for its result.

    The result is the same :class:`Embedding` (or the same :mod:`checkedid.errors`
    exception) ``work()`` would have given in this process.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns
        try:
            os.close(r)
            _child(w, work)
        finally:
            os._exit(0)
    os.close(w)

    def wait() -> Embedding:
        vec = bytearray()
        try:
            meta_len, vec_len, status = _HEADER.unpack(bytes(_read_exact(r, _HEADER.size)))
            meta = json.loads(bytes(_read_exact(r, meta_len)))
            vec = _read_exact(r, vec_len)
            if status != _OK:
                cls = getattr(errors, str(meta.get("kind")), InternalError)
                if not (isinstance(cls, type) and issubclass(cls, _PLAIN_ERRORS)):
                    cls = InternalError  # classes with extra constructor fields never occur here
                raise cls(str(meta.get("message", "face worker failed")))
            return _rebuild(meta, vec)
        finally:
            zero(vec)
            os.close(r)
            os.waitpid(pid, 0)

    return wait
