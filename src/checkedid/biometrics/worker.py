"""Embedding one image in a forked child process, so two faces use both cores.

dlib's descriptor network holds the GIL for its whole ~75 ms run (measured: two
threads take as long as one after the other), so threads cannot run the selfie's
and the chip photo's network passes at the same time. A forked child can: it
shares the loaded models copy-on-write, embeds one image, sends the result back
and leaves with ``os._exit`` (the kernel reclaims every page it used). The fork, the
child's copy-on-write faults and its exit add about 17 ms; a match drops from about
162 ms to 107 ms on an idle 2-core machine (docs/biometrics.md).

The child is a worker of the library's one fork-worker protocol
(:func:`checkedid.isolation.start`): the same framing, the same error crossing (a
:mod:`checkedid.errors` class comes back as itself, anything else as an
``InternalError`` without its message) and the same fork-safety check,
:func:`checkedid.isolation.fork_is_safe` — the caller falls back to threads where forking
is not safe. The embedding's metadata travels as JSON, its ``float64`` descriptor as the
reply's raw attachment, which is zeroed after use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from checkedid import isolation
from checkedid.biometrics.embed import Embedding
from checkedid.biometrics.quality import FaceQuality
from checkedid.secret import zero

__all__ = ["can_fork", "embed_in_child"]

#: True when forking is available and no other thread is running.
can_fork = isolation.fork_is_safe


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
    def child(_emit: isolation.Emit) -> isolation.Reply:
        emb = work()
        meta = {"role": emb.role, "face_box": list(emb.face_box),
                "quality": emb.quality.to_dict(), "warnings": list(emb.warnings),
                "faces": emb.faces, "grayscale": emb.grayscale, "timings": emb.timings}
        return isolation.Reply(meta, bytearray(emb.vector.astype(np.float64).tobytes()))

    worker = isolation.start(child)

    def wait() -> Embedding:
        reply = worker.wait()
        try:
            return _rebuild(reply.data, reply.attachment)
        finally:
            zero(reply.attachment)

    return wait
