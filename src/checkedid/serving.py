"""A forked worker that keeps state between commands (the held chip read of
:mod:`checkedid.held`).

:func:`serve` forks a worker that runs its :data:`Setup`, then answers each command of its
:class:`Server` with its :data:`Handler` on the wire of :mod:`checkedid.workerwire`, until
its handler says it is done, the parent goes away or it has been idle too long. It has the
hardening, the error crossing and the fork-safety check of every worker
(:mod:`checkedid.isolation`).
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from checkedid.errors import ChipTimeout, InternalError
from checkedid.secret import zero
from checkedid.workerwire import (
    Emit,
    MessageReader,
    error_message,
    in_worker,
    reap,
    rebuild_error,
    send_message,
)

__all__ = ["Handler", "Server", "Setup", "serve"]

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
        send_message(wfd, {"type": "ready", "data": ready})
        commands = MessageReader(rfd)
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
                    send_message(wfd, error_message(exc))
                    continue
                send_message(wfd, {"type": "answer", "data": answer})
                if last:
                    return
    return body


class Server:
    """The parent's handle on a serving worker started by :func:`serve`."""

    def __init__(self, pid: int, answers: int, commands: int, *,
                 on_event: Callable[[dict[str, Any]], None] | None) -> None:
        self.pid: int | None = pid
        self._in = MessageReader(answers)
        self._out = commands
        self.on_event = on_event
        self.ready: dict[str, Any] = {}

    def command(self, msg: dict[str, Any]) -> None:
        """Send one command; :class:`OSError` when the worker is gone (it is then closed)."""
        if self.pid is None:
            raise InternalError("the worker was already finished or closed")
        try:
            send_message(self._out, msg)
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
                    raise rebuild_error(msg)
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
        reap(pid)


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
        in_worker(_serving(setup, handle, answers_w, commands_r, idle), answers_w)
    os.close(answers_w)
    os.close(commands_r)
    server = Server(pid, answers_r, commands_w, on_event=on_event)
    try:
        server.ready = server.answer(timeout, "ready")
    except BaseException:
        server.close()
        raise
    return server
