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
both built on it. :func:`serve` (:mod:`checkedid.serving`, re-exported here) forks a worker
that keeps state between commands (the held chip read of :mod:`checkedid.held`): it answers
each command of its :class:`Server` on the same wire, until its handler says it is done, the
parent goes away or it has been idle too long. Every worker has the same hardening, the same
error crossing (:mod:`checkedid.workerwire`, which also describes the wire format) and the
same fork-safety check,
:func:`fork_is_safe`. The verification worker forks whatever :func:`fork_is_safe` says (it
is the privacy boundary and has no in-process fallback); the face worker forks only when it
is safe and falls back to a thread otherwise.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checkedid.errors import ChipTimeout, InternalError
from checkedid.secret import zero
from checkedid.serving import Handler, Server, Setup, serve
from checkedid.workerwire import (
    Emit,
    MessageReader,
    harden_worker,
    in_worker,
    reap,
    rebuild_error,
    send_message,
)

__all__ = ["Emit", "Handler", "Reply", "Server", "Setup", "Worker", "available",
           "fork_is_safe", "harden_worker", "run_isolated", "serve", "start"]


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


Work = Callable[[Emit], "dict[str, Any] | Reply"]


def _child(work: Work, wfd: int) -> None:
    def body(emit: Emit) -> None:
        result = work(emit)
        if isinstance(result, Reply):
            send_message(wfd, {"type": "result", "data": result.data}, bytes(result.attachment))
        else:
            send_message(wfd, {"type": "result", "data": result})

    in_worker(body, wfd)


class Worker:
    """A forked worker started by :func:`start`; :meth:`wait` once for its :class:`Reply`."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self._reader = MessageReader(fd)
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
            reap(self.pid)
        if outcome is None:
            raise InternalError("the worker ended without an answer")
        msg, attachment = outcome
        if msg["type"] == "error":
            zero(attachment)
            raise rebuild_error(msg)
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
