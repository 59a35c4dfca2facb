"""The wire between checkedid and its forked workers, and what every worker does alike.

Wire format: a 4-byte big-endian JSON length, a 4-byte big-endian attachment length, the
UTF-8 JSON object and the attachment (raw bytes, e.g. a face descriptor, which the parent
reads into a buffer the caller zeroes). The objects: ``{"type": "event", ...}``,
``{"type": "result", "data": {...}}`` or
``{"type": "error", "kind": "<class name>", "message": "...", "attrs": {...}}``; a serving
worker first sends ``{"type": "ready", "data": {...}}``, then one ``{"type": "answer",
"data": {...}}`` (or an error) per command, which is any JSON object the parent sends.
:func:`send_message` writes one message, :class:`MessageReader` reads them; an error crosses
as its :mod:`checkedid.errors` class and attributes (:func:`error_message`,
:func:`rebuild_error`), any other exception as :class:`~checkedid.errors.InternalError`
without its message (it may quote personal data).

Before any personal data exists, a worker makes itself undumpable
(:func:`harden_worker`): no core file (``RLIMIT_CORE`` 0) and ``PR_SET_DUMPABLE`` 0
(Linux ``prctl(2)``), so a crash or another process of the same user (ptrace,
``/proc/PID/mem``) cannot copy MRZ, keys or the face out of it. :func:`in_worker` runs a
worker's body that way and ends it with ``os._exit``; :func:`reap` collects it. The
protocols on this wire: :mod:`checkedid.isolation` (one answer) and
:mod:`checkedid.serving` (a worker that answers commands).
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import struct
from collections.abc import Callable
from typing import Any

from checkedid import errors
from checkedid.errors import CheckedIDError, InternalError
from checkedid.secret import zero

__all__ = ["Emit", "MessageReader", "error_message", "harden_worker", "in_worker", "reap",
           "rebuild_error", "send_message"]

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]
_HEADER = struct.Struct(">II")
_MAX_MESSAGE = 64 * 1024 * 1024
_ERROR_ATTRS = ("sw", "step", "file", "line", "position", "offset")


def send_message(fd: int, msg: dict[str, Any], attachment: bytes = b"") -> None:
    payload = json.dumps(msg, default=str).encode("utf-8")
    view = memoryview(_HEADER.pack(len(payload), len(attachment)) + payload)
    while view:
        view = view[os.write(fd, view):]
    view = memoryview(attachment)
    while view:
        view = view[os.write(fd, view):]


def _error_kind(exc: CheckedIDError) -> str:
    """The nearest class of ``exc`` that :mod:`checkedid.errors` defines.

    Subclasses defined elsewhere (``bac.BACError`` is an ``AccessDenied``) cross the
    boundary as that class, not as ``InternalError``: they are clean failures, not bugs.
    """
    for cls in type(exc).__mro__:
        if getattr(errors, cls.__name__, None) is cls:
            return str(cls.__name__)
    return CheckedIDError.__name__


def error_message(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, CheckedIDError):
        attrs = {a: getattr(exc, a) for a in _ERROR_ATTRS if getattr(exc, a, None) is not None}
        return {"type": "error", "kind": _error_kind(exc), "message": str(exc), "attrs": attrs}
    # An unexpected exception's message may quote personal data: send its type only.
    return {
        "type": "error",
        "kind": "InternalError",
        "message": f"unexpected {type(exc).__name__} inside the verification worker",
        "attrs": {},
    }


def rebuild_error(msg: dict[str, Any]) -> CheckedIDError:
    cls = getattr(errors, str(msg.get("kind")), None)
    if not (isinstance(cls, type) and issubclass(cls, CheckedIDError)):
        cls = InternalError
    exc = cls.__new__(cls)
    Exception.__init__(exc, str(msg.get("message", "")))
    for key, value in dict(msg.get("attrs", {})).items():
        setattr(exc, key, value)
    return exc


_PR_SET_DUMPABLE = 4  # <linux/prctl.h>


def harden_worker() -> None:
    """No core dumps and not dumpable (no ptrace attach, no /proc/PID/mem by the same user).

    Both survive ``fork`` (the face-embedding children inherit them). Where ``prctl`` is
    not available (not Linux) only the core limit is set.
    """
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not os.uname().sysname == "Linux":
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def in_worker(body: Callable[[Emit], None], wfd: int) -> None:
    """Run ``body`` as a forked worker: hardened before any personal data exists, every
    failure answered as an error message, ended by ``os._exit`` whatever happens."""
    code = 0
    try:
        harden_worker()  # before the work creates any personal data
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        body(lambda event: send_message(wfd, {"type": "event", **event}))
    except BaseException as exc:  # the worker must always answer, whatever happened
        code = 1
        try:
            send_message(wfd, error_message(exc))
        except OSError:
            code = 2
    finally:
        os._exit(code)


class MessageReader:
    """Reads the messages arriving on ``fd`` (:meth:`fill`, then :meth:`messages`)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = bytearray()
        self.eof = False

    def fill(self, timeout: float | None) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return
        chunk = os.read(self.fd, 1 << 16)
        if chunk:
            self.buf += chunk
        else:
            self.eof = True

    def messages(self) -> list[tuple[dict[str, Any], bytearray]]:
        out = []
        while len(self.buf) >= _HEADER.size:
            n, extra = _HEADER.unpack_from(self.buf)
            if n + extra > _MAX_MESSAGE:
                raise InternalError("the worker sent an oversized message")
            end = _HEADER.size + n + extra
            if len(self.buf) < end:
                break
            msg = json.loads(bytes(self.buf[_HEADER.size : _HEADER.size + n]))
            attachment = bytearray(self.buf[_HEADER.size + n : end])
            self.buf[:end] = bytes(end)  # in place: the attachment may be personal data
            del self.buf[:end]
            out.append((msg, attachment))
        return out

    def close(self) -> None:
        zero(self.buf)
        self.buf.clear()
        os.close(self.fd)


def reap(pid: int) -> None:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) != signal.SIGKILL:
        log.warning("verification worker died with signal %d", os.WTERMSIG(status))
