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

The worker is a serving worker of :mod:`checkedid.isolation` (:func:`~checkedid.isolation.serve`:
the one fork-worker protocol, its framing, error crossing and hardening); this module only
says what its commands are. ``{"cmd": "match", "selfie": "<base64>"}`` is answered with the
face outcome (``verdict``, ``score``, ``threshold``, ``match``), ``{"cmd": "finish"}`` with
the minimised result, after which the worker exits.

The same worker holds other state between steps: :class:`checkedid.kiosk.scanner.HeldScanner`
keeps the MRZ scanner's votes in it (its ``match`` step takes a camera frame and answers a
guidance code) and, once the MRZ is read, :meth:`HeldWorker.hand_over` moves it on to the chip
read that the MRZ opens, on the same pipes, so the MRZ never leaves the worker.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from checkedid.errors import InternalError
from checkedid.isolation import Emit, serve

__all__ = ["IDLE_SECONDS", "HeldWorker"]

#: How long a held read waits for the next step before it wipes itself.
IDLE_SECONDS = 300.0

ReadFn = Callable[[Emit], tuple[Any, dict[str, Any]]]
MatchFn = Callable[[Any, bytes], dict[str, Any]]
FinishFn = Callable[[Any], dict[str, Any]]


#: In the worker, on a ``hand_over`` command: the held state and the command in, the next
#: stage's read / match / finish out (served on the same pipes, see :meth:`HeldWorker.hand_over`).
HandOverFn = Callable[[Any, dict[str, Any]], tuple[ReadFn, MatchFn, FinishFn]]


class _Stage:
    """In the worker: what is held now and the commands that act on it."""

    def __init__(self, read: ReadFn, match: MatchFn, finish: FinishFn,
                 hand_over: HandOverFn | None) -> None:
        self.match, self.finish, self.hand_over = match, finish, hand_over
        self._read = read
        self.emit: Emit = lambda _event: None
        self.held: Any = None

    def setup(self, emit: Emit) -> tuple[object, dict[str, Any]]:
        self.emit = emit
        self.held, summary = self._read(emit)
        return self, summary

    def handle(self, _state: object, msg: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        cmd = msg.get("cmd")
        if cmd == "finish":
            return self.finish(self.held), True
        if cmd == "hand_over":
            if self.hand_over is None:
                raise InternalError("this held worker has no next stage to hand over to")
            read, self.match, self.finish = self.hand_over(self.held, msg)
            self.hand_over = None
            self.held = None
            self.held, summary = read(self.emit)
            return summary, False
        return self.match(self.held, base64.b64decode(str(msg.get("selfie", "")))), False


class HeldWorker:
    """Parent's handle on a forked worker that holds one chip read between steps."""

    def __init__(self, read: ReadFn, match: MatchFn, finish: FinishFn, *,
                 on_event: Callable[[dict[str, Any]], None] | None = None,
                 timeout: float | None = 60.0, idle: float = IDLE_SECONDS,
                 hand_over: HandOverFn | None = None) -> None:
        stage = _Stage(read, match, finish, hand_over)
        self._server = serve(stage.setup, stage.handle, idle=idle, on_event=on_event,
                             timeout=timeout)
        self.summary: dict[str, Any] = self._server.ready

    @property
    def pid(self) -> int | None:
        """The worker's process id (``None`` once it was finished or closed)."""
        return self._server.pid

    def match(self, selfie: bytes, timeout: float | None = 60.0) -> dict[str, Any]:
        """Compare ``selfie`` (encoded image bytes) with the held chip photo."""
        self._command({"cmd": "match", "selfie": base64.b64encode(selfie).decode("ascii")})
        return self._server.answer(timeout)

    def hand_over(self, command: dict[str, Any], *,
                  on_event: Callable[[dict[str, Any]], None] | None = None,
                  timeout: float | None = 60.0) -> dict[str, Any]:
        """Move the worker on to its next stage (the ``hand_over`` it was started with) with
        what it holds: e.g. from the MRZ scanner's votes to the chip read that the MRZ opens,
        without the MRZ leaving the worker. Returns the new stage's summary; the worker is
        ended when that stage fails."""
        self._server.on_event = on_event
        self._command({**command, "cmd": "hand_over"})
        try:
            self.summary = self._server.answer(timeout)
        except BaseException:
            self.close()
            raise
        return self.summary

    def finish(self, timeout: float | None = 60.0) -> dict[str, Any]:
        """The minimised result; the worker wipes and exits afterwards."""
        self._command({"cmd": "finish"})
        try:
            return self._server.answer(timeout)
        finally:
            self.close()

    def _command(self, msg: dict[str, Any]) -> None:
        if self._server.pid is None:
            raise InternalError("the held read was already finished or closed")
        try:
            self._server.command(msg)
        except OSError:
            raise InternalError(
                "the verification worker is gone; read the document again") from None

    def close(self) -> None:
        """End the worker (its memory, the personal data, goes back to the kernel)."""
        self._server.close()
