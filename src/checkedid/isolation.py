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

This is the one fork-worker protocol of the library: :func:`start` forks a worker and
returns a :class:`Worker` whose :meth:`Worker.wait` gives its :class:`Reply`;
:func:`run_isolated` (the verification) and
:func:`checkedid.biometrics.worker.embed_in_child` (one face embedding on a second core) are
both built on it. :func:`serve` forks a worker that keeps state between commands (the held
chip read of :mod:`checkedid.held`): it answers each command of its :class:`Server` on the
same wire, until its handler says it is done, the parent goes away or it has been idle too
long. Every worker has the same hardening, the same error crossing and the same fork-safety
check,
:func:`fork_is_safe`. The verification worker forks whatever :func:`fork_is_safe` says (it
is the privacy boundary and has no in-process fallback); the face worker forks only when it
is safe and falls back to a thread otherwise.

Wire format: a 4-byte big-endian JSON length, a 4-byte big-endian attachment length, the
UTF-8 JSON object and the attachment (raw bytes, e.g. a face descriptor, which the parent
reads into a buffer the caller zeroes). The objects: ``{"type": "event", ...}``,
``{"type": "result", "data": {...}}`` or
``{"type": "error", "kind": "<class name>", "message": "...", "attrs": {...}}``; a serving
worker first sends ``{"type": "ready", "data": {...}}``, then one ``{"type": "answer",
"data": {...}}`` (or an error) per command, which is any JSON object the parent sends.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checkedid import errors
from checkedid.errors import CheckedIDError, ChipTimeout, InternalError
from checkedid.secret import zero

__all__ = ["Emit", "Handler", "Reply", "Server", "Setup", "Worker", "available",
           "fork_is_safe", "harden_worker", "run_isolated", "serve", "start"]

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]
_HEADER = struct.Struct(">II")
_MAX_MESSAGE = 64 * 1024 * 1024
_ERROR_ATTRS = ("sw", "step", "file", "line", "position", "offset")


def available() -> bool:
    """True where ``os.fork`` exists (POSIX)."""
    return hasattr(os, "fork")


def fork_is_safe() -> bool:
    """True where forking cannot deadlock the child: ``os.fork`` exists and no other thread
    runs (a thread holding a lock at the fork leaves that lock held forever in the child)."""
    return available() and threading.active_count() == 1


@dataclass
class Reply:
    """A worker's answer: the JSON ``data`` and the raw ``attachment`` (zero it after use)."""

    data: dict[str, Any]
    attachment: bytearray = field(default_factory=bytearray, repr=False)


def _send(fd: int, msg: dict[str, Any], attachment: bytes = b"") -> None:
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


Work = Callable[[Emit], "dict[str, Any] | Reply"]


def _in_worker(body: Callable[[Emit], None], wfd: int) -> None:
    """Run ``body`` as a forked worker: hardened before any personal data exists, every
    failure answered as an error message, ended by ``os._exit`` whatever happens."""
    code = 0
    try:
        harden_worker()  # before the work creates any personal data
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        body(lambda event: _send(wfd, {"type": "event", **event}))
    except BaseException as exc:  # the worker must always answer, whatever happened
        code = 1
        try:
            _send(wfd, _error_message(exc))
        except OSError:
            code = 2
    finally:
        os._exit(code)


def _child(work: Work, wfd: int) -> None:
    def body(emit: Emit) -> None:
        result = work(emit)
        if isinstance(result, Reply):
            _send(wfd, {"type": "result", "data": result.data}, bytes(result.attachment))
        else:
            _send(wfd, {"type": "result", "data": result})

    _in_worker(body, wfd)


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


class Worker:
    """A forked worker started by :func:`start`; :meth:`wait` once for its :class:`Reply`."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self._reader = _Reader(fd)
        self._done = False

    def wait(self, *, on_event: Callable[[dict[str, Any]], None] | None = None,
             timeout: float | None = None) -> Reply:
        """Events go to ``on_event`` as they come; the result is returned, an error re-raised
        as its :mod:`checkedid.errors` class. After ``timeout`` seconds the worker is killed
        and :class:`ChipTimeout` raised. The worker is always reaped."""
        if self._done:
            raise InternalError("a worker's answer can be awaited only once")
        self._done = True
        deadline = None if timeout is None else time.monotonic() + timeout
        reader = self._reader
        outcome: tuple[dict[str, Any], bytearray] | None = None
        try:
            while outcome is None and not reader.eof:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    os.kill(self.pid, signal.SIGKILL)
                    raise ChipTimeout(
                        f"verification did not finish within {timeout:.0f} s; try again")
                reader.fill(remaining)
                for msg, attachment in reader.messages():
                    if outcome is not None:
                        zero(attachment)
                    elif msg.get("type") == "event":
                        if on_event is not None:
                            on_event({k: v for k, v in msg.items() if k != "type"})
                    else:
                        outcome = (msg, attachment)
        finally:
            reader.close()
            _reap(self.pid)
        if outcome is None:
            raise InternalError("the worker ended without an answer")
        msg, attachment = outcome
        if msg["type"] == "error":
            zero(attachment)
            raise _rebuild_error(msg)
        return Reply(dict(msg["data"]), attachment)


def start(work: Work) -> Worker:
    """Fork a worker that runs ``work(emit)`` now; :meth:`Worker.wait` collects its answer.

    ``work`` returns a JSON-able dict, or a :class:`Reply` to send raw bytes along.
    A :class:`CheckedIDError` raised in the worker comes back as the same class with its
    attributes; any other exception becomes :class:`InternalError` without its message
    (it may quote personal data).
    """
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(rfd)
        _child(work, wfd)
    os.close(wfd)
    return Worker(pid, rfd)


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
    reply = start(work).wait(on_event=on_event, timeout=timeout)
    zero(reply.attachment)
    return reply.data


def _reap(pid: int) -> None:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) != signal.SIGKILL:
        log.warning("verification worker died with signal %d", os.WTERMSIG(status))


#: Runs first in a serving worker: returns its state and the ``ready`` data for the parent.
Setup = Callable[[Emit], tuple[object, dict[str, Any]]]
#: Answers one command with the worker's state: the answer's data, and True when it was the
#: last (the worker exits after sending it). An exception is sent as an error and the
#: worker keeps serving.
Handler = Callable[[object, dict[str, Any]], tuple[dict[str, Any], bool]]


def _serving(setup: Setup, handle: Handler, wfd: int, rfd: int,
             idle: float) -> Callable[[Emit], None]:  # pragma: no cover - the worker
    def body(emit: Emit) -> None:
        state, ready = setup(emit)
        _send(wfd, {"type": "ready", "data": ready})
        commands = _Reader(rfd)
        while True:
            msgs = commands.messages()
            if not msgs:
                if commands.eof:
                    return  # the parent went away
                ready_fds, _, _ = select.select([rfd], [], [], idle)
                if not ready_fds:
                    return  # nobody came back: wipe by exiting
                commands.fill(0)
                continue
            for msg, attachment in msgs:
                zero(attachment)
                try:
                    answer, last = handle(state, msg)
                except Exception as exc:  # e.g. an unusable selfie: tell, keep the state
                    _send(wfd, _error_message(exc))
                    continue
                _send(wfd, {"type": "answer", "data": answer})
                if last:
                    return
    return body


class Server:
    """The parent's handle on a serving worker started by :func:`serve`."""

    def __init__(self, pid: int, answers: int, commands: int, *,
                 on_event: Callable[[dict[str, Any]], None] | None) -> None:
        self.pid: int | None = pid
        self._in = _Reader(answers)
        self._out = commands
        self.on_event = on_event
        self.ready: dict[str, Any] = {}

    def command(self, msg: dict[str, Any]) -> None:
        """Send one command; :class:`OSError` when the worker is gone (it is then closed)."""
        if self.pid is None:
            raise InternalError("the worker was already finished or closed")
        try:
            _send(self._out, msg)
        except OSError:
            self.close()
            raise

    def answer(self, timeout: float | None, want: str = "answer") -> dict[str, Any]:
        """Wait for the next message of type ``want`` and return its data; events go to
        ``on_event``, an error is re-raised as its class. After ``timeout`` the worker is
        closed and :class:`ChipTimeout` raised."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for msg, attachment in self._in.messages():
                zero(attachment)
                kind = msg.get("type")
                if kind == "event":
                    if self.on_event is not None:
                        self.on_event({k: v for k, v in msg.items() if k != "type"})
                elif kind == "error":
                    raise _rebuild_error(msg)
                elif kind == want:
                    return dict(msg.get("data") or {})
            if self._in.eof:
                raise InternalError("the verification worker ended without an answer")
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                self.close()
                raise ChipTimeout(f"the verification step did not finish within {timeout:.0f} s")
            self._in.fill(left)

    def close(self) -> None:
        """End the worker (its memory, the personal data, goes back to the kernel)."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        for fd in (self._out, self._in.fd):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _reap(pid)


def serve(setup: Setup, handle: Handler, *, idle: float,
          on_event: Callable[[dict[str, Any]], None] | None = None,
          timeout: float | None = None) -> Server:
    """Fork a worker that runs ``setup(emit)``, then answers commands with ``handle`` until
    a handler says it was the last, the parent closes the pipe or ``idle`` seconds pass
    without a command. Returns once the worker is ready (:attr:`Server.ready` holds the
    data ``setup`` returned); a failed setup is raised here, and no worker is left."""
    answers_r, answers_w = os.pipe()
    commands_r, commands_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker
        os.close(answers_r)
        os.close(commands_w)
        _in_worker(_serving(setup, handle, answers_w, commands_r, idle), answers_w)
    os.close(answers_w)
    os.close(commands_r)
    server = Server(pid, answers_r, commands_w, on_event=on_event)
    try:
        server.ready = server.answer(timeout, "ready")
    except BaseException:
        server.close()
        raise
    return server
