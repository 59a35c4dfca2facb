"""A held chip read: the step-wise verification's state, kept where the personal data lives.

A kiosk reads the chip once and may need several selfies (the person blinked, the light
was poor). :class:`HeldWorker` keeps the chip result alive *inside* a forked worker
(see :mod:`checkedid.isolation`) between steps: the worker reads the document, then
waits on a command pipe for ``match`` (a selfie, answered with the face verdict only)
and ``finish`` (answered with the minimised result, after which it wipes and exits).
The parent never holds the chip's data, only progress events, face scores and the
final :class:`~checkedid.result.Result`.

The trade-off: the worker lives as long as the person stands at the kiosk, so the
personal data lives that long too (in the worker only). :meth:`HeldWorker.close`
(and a parent that disappears, which closes the pipe) ends it at once; ``idle``
bounds how long it waits for the next step (ICAO Doc 9303-11 leaves the session
lifetime to the inspection system).

The same worker holds other state between steps: :class:`checkedid.kiosk.scanner.HeldScanner`
keeps the MRZ scanner's votes in it (its ``match`` step takes a camera frame and answers a
guidance code) and, once the MRZ is read, :meth:`HeldWorker.hand_over` moves it on to the chip
read that the MRZ opens, on the same pipes, so the MRZ never leaves the worker.

Commands and answers use the framing, error crossing and worker hardening of
:mod:`checkedid.isolation` (lengths, JSON, an unused attachment). A selfie crosses the pipe
base64-encoded; a face answer is
``{"type": "face", "verdict": ..., "score": ..., "threshold": ..., "match": ...}``.
"""

from __future__ import annotations

import base64
import os
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from checkedid.errors import ChipTimeout, InternalError
from checkedid.isolation import (
    Emit,
    _error_message,
    _Reader,
    _reap,
    _rebuild_error,
    _send,
    harden_worker,
)

__all__ = ["IDLE_SECONDS", "HeldWorker"]

#: How long a held read waits for the next step before it wipes itself.
IDLE_SECONDS = 300.0

ReadFn = Callable[[Emit], tuple[Any, dict[str, Any]]]
MatchFn = Callable[[Any, bytes], dict[str, Any]]
FinishFn = Callable[[Any], dict[str, Any]]
#: In the worker, on a ``hand_over`` command: the held state and the command in, the next
#: stage's read / match / finish out (served on the same pipes, see :meth:`HeldWorker.hand_over`).
HandOverFn = Callable[[Any, dict[str, Any]], tuple[ReadFn, MatchFn, FinishFn]]


def _serve(read: ReadFn, match: MatchFn, finish: FinishFn, wfd: int, rfd: int,
           idle: float, hand_over: HandOverFn | None = None,
           ) -> None:  # pragma: no cover - runs in the forked worker
    code = 0
    try:
        harden_worker()  # before the read creates any personal data
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            held, summary = read(lambda event: _send(wfd, {"type": "event", **event}))
        except BaseException as exc:
            _send(wfd, _error_message(exc))
            raise SystemExit(1) from None
        _send(wfd, {"type": "held", "summary": summary})
        commands = _Reader(rfd)
        while True:
            msgs = commands.messages()
            if not msgs:
                if commands.eof:
                    return
                ready, _, _ = select.select([rfd], [], [], idle)
                if not ready:
                    return  # nobody came back: wipe by exiting
                commands.fill(0)
                continue
            for msg, _attachment in msgs:
                if msg.get("cmd") == "finish":
                    _send(wfd, {"type": "result", "data": finish(held)})
                    return
                if msg.get("cmd") == "hand_over" and hand_over is not None:
                    _serve(*hand_over(held, msg), wfd, rfd, idle)  # exits the worker
                try:
                    selfie = base64.b64decode(str(msg.get("selfie", "")))
                    _send(wfd, {"type": "face", **match(held, selfie)})
                except Exception as exc:  # an unusable selfie: tell, keep the read
                    _send(wfd, _error_message(exc))
    except SystemExit as exc:
        code = int(exc.code or 0)
    except BaseException as exc:
        code = 1
        try:
            _send(wfd, _error_message(exc))
        except OSError:
            code = 2
    finally:
        os._exit(code)


class HeldWorker:
    """Parent's handle on a forked worker that holds one chip read between steps."""

    def __init__(self, read: ReadFn, match: MatchFn, finish: FinishFn, *,
                 on_event: Callable[[dict[str, Any]], None] | None = None,
                 timeout: float | None = 60.0, idle: float = IDLE_SECONDS,
                 hand_over: HandOverFn | None = None) -> None:
        c2p_r, c2p_w = os.pipe()
        p2c_r, p2c_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the worker
            os.close(c2p_r)
            os.close(p2c_w)
            _serve(read, match, finish, c2p_w, p2c_r, idle, hand_over)
        os.close(c2p_w)
        os.close(p2c_r)
        self.pid: int | None = pid
        self._in = _Reader(c2p_r)
        self._out = p2c_w
        self._on_event = on_event
        self.summary: dict[str, Any] = {}
        try:
            self.summary = dict(self._answer(timeout, "held").get("summary", {}))
        except BaseException:
            self.close()
            raise

    def _answer(self, timeout: float | None, want: str) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for msg, _attachment in self._in.messages():
                kind = msg.get("type")
                if kind == "event":
                    if self._on_event is not None:
                        self._on_event({k: v for k, v in msg.items() if k != "type"})
                elif kind == "error":
                    raise _rebuild_error(msg)
                elif kind == want:
                    return msg
            if self._in.eof:
                raise InternalError("the verification worker ended without an answer")
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                self.close()
                raise ChipTimeout(f"the verification step did not finish within {timeout:.0f} s")
            self._in.fill(left)

    def match(self, selfie: bytes, timeout: float | None = 60.0) -> dict[str, Any]:
        """Compare ``selfie`` (encoded image bytes) with the held chip photo."""
        self._command({"cmd": "match", "selfie": base64.b64encode(selfie).decode("ascii")})
        msg = self._answer(timeout, "face")
        return {k: v for k, v in msg.items() if k != "type"}

    def hand_over(self, command: dict[str, Any], *,
                  on_event: Callable[[dict[str, Any]], None] | None = None,
                  timeout: float | None = 60.0) -> dict[str, Any]:
        """Move the worker on to its next stage (the ``hand_over`` it was started with) with
        what it holds: e.g. from the MRZ scanner's votes to the chip read that the MRZ opens,
        without the MRZ leaving the worker. Returns the new stage's summary; the worker is
        ended when that stage fails."""
        self._on_event = on_event
        self._command({**command, "cmd": "hand_over"})
        try:
            self.summary = dict(self._answer(timeout, "held").get("summary", {}))
        except BaseException:
            self.close()
            raise
        return self.summary

    def finish(self, timeout: float | None = 60.0) -> dict[str, Any]:
        """The minimised result; the worker wipes and exits afterwards."""
        self._command({"cmd": "finish"})
        try:
            data: dict[str, Any] = self._answer(timeout, "result")["data"]
            return data
        finally:
            self.close()

    def _command(self, msg: dict[str, Any]) -> None:
        if self.pid is None:
            raise InternalError("the held read was already finished or closed")
        try:
            _send(self._out, msg)
        except OSError:
            self.close()
            raise InternalError(
                "the verification worker is gone; read the document again") from None

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
