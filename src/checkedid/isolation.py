"""Process isolation for the personal-data part of a verification.

``run_isolated(work)`` forks a short-lived worker process that runs ``work``
(OCR, chip read, authentication, face match). Personal data exists only in the
worker: it zeroes its Secrets, sends the *minimised* result to the parent over a
pipe, and exits with ``os._exit``, after which the kernel reclaims every page it
touched — including copies CPython and C libraries made that no ``wipe()`` can
reach (immutable ``str``/``bytes``, decoder buffers, allocator free lists).

The parent sees only progress events (step / file / byte counts) and the
minimised result dict, or an error re-raised as the same
:mod:`checkedid.errors` class. Models and the trust store are loaded in the
parent before the fork and shared copy-on-write, so a worker starts in
milliseconds.

Before any personal data exists, the worker makes itself undumpable
(:func:`harden_worker`): no core file (``RLIMIT_CORE`` 0) and ``PR_SET_DUMPABLE`` 0
(Linux ``prctl(2)``), so a crash or another process of the same user (ptrace,
``/proc/PID/mem``) cannot copy MRZ, keys or the face out of it.

The wire format is a 4-byte big-endian length followed by a UTF-8 JSON object:
``{"type": "event", ...}``, ``{"type": "result", "data": {...}}`` or
``{"type": "error", "kind": "<class name>", "message": "...", "attrs": {...}}``.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import struct
import time
from collections.abc import Callable
from typing import Any

from checkedid import errors
from checkedid.errors import CheckedIDError, ChipTimeout, InternalError

__all__ = ["Emit", "available", "harden_worker", "run_isolated"]

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]
_HEADER = struct.Struct(">I")
_MAX_MESSAGE = 64 * 1024 * 1024
_ERROR_ATTRS = ("sw", "step", "file", "line", "position", "offset")


def available() -> bool:
    """True where ``os.fork`` exists (POSIX)."""
    return hasattr(os, "fork")


def _send(fd: int, msg: dict[str, Any]) -> None:
    payload = json.dumps(msg, default=str).encode("utf-8")
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _error_kind(exc: CheckedIDError) -> str:
    """The nearest class of ``exc`` that :mod:`checkedid.errors` defines.

    Subclasses defined elsewhere (``bac.BACError`` is an ``AccessDenied``) cross the
    boundary as that class, not as ``InternalError``: they are clean failures, not bugs.
    """
    for cls in type(exc).__mro__:
        if getattr(errors, cls.__name__, None) is cls:
            return str(cls.__name__)
    return CheckedIDError.__name__


def _error_message(exc: BaseException) -> dict[str, Any]:
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


def _rebuild_error(msg: dict[str, Any]) -> CheckedIDError:
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


def _child(work: Callable[[Emit], dict[str, Any]], wfd: int) -> None:
    code = 0
    try:
        harden_worker()  # before the work creates any personal data
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        result = work(lambda event: _send(wfd, {"type": "event", **event}))
        _send(wfd, {"type": "result", "data": result})
    except BaseException as exc:  # the worker must always answer, whatever happened
        code = 1
        try:
            _send(wfd, _error_message(exc))
        except OSError:
            code = 2
    finally:
        os._exit(code)


class _Reader:
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

    def messages(self) -> list[dict[str, Any]]:
        out = []
        while len(self.buf) >= _HEADER.size:
            (n,) = _HEADER.unpack_from(self.buf)
            if n > _MAX_MESSAGE:
                raise InternalError("verification worker sent an oversized message")
            if len(self.buf) < _HEADER.size + n:
                break
            out.append(json.loads(bytes(self.buf[_HEADER.size : _HEADER.size + n])))
            del self.buf[: _HEADER.size + n]
        return out


def run_isolated(
    work: Callable[[Emit], dict[str, Any]],
    *,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run ``work(emit)`` in a forked worker and return the dict it returns.

    ``emit(event)`` in the worker delivers ``event`` to ``on_event`` in the parent.
    A :class:`CheckedIDError` raised in the worker is re-raised here as the same
    class; any other exception becomes :class:`InternalError`. ``timeout`` (seconds)
    bounds the whole run; the worker is killed and :class:`ChipTimeout` raised.
    """
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(rfd)
        _child(work, wfd)
    os.close(wfd)
    deadline = None if timeout is None else time.monotonic() + timeout
    reader = _Reader(rfd)
    outcome: dict[str, Any] | None = None
    try:
        while outcome is None and not reader.eof:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                raise ChipTimeout(f"verification did not finish within {timeout:.0f} s; try again")
            reader.fill(remaining)
            for msg in reader.messages():
                if msg.get("type") == "event":
                    if on_event is not None:
                        on_event({k: v for k, v in msg.items() if k != "type"})
                else:
                    outcome = msg
                    break
    finally:
        os.close(rfd)
        _reap(pid)
    if outcome is None:
        raise InternalError("the verification worker ended without an answer")
    if outcome["type"] == "error":
        raise _rebuild_error(outcome)
    data: dict[str, Any] = outcome["data"]
    return data


def _reap(pid: int) -> None:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) != signal.SIGKILL:
        log.warning("verification worker died with signal %d", os.WTERMSIG(status))
