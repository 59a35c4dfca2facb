"""Progress and timing of a verification's steps (no personal data ever passes here).

:class:`ProgressEvent` is what a caller's ``progress`` callback receives (it crosses the
isolated worker's pipe as a plain dict); :class:`StepTimer` times each step of
:mod:`checkedid.pipeline` and emits the start / progress / end events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from checkedid.errors import InternalError
from checkedid.verdict import JSONValue

__all__ = ["STEPS", "ProgressEvent", "State", "Step", "StepTimer"]

Step = Literal["selfie", "mrz", "chip", "authentication", "consistency", "face"]
State = Literal["start", "progress", "removed", "end"]
STEPS: tuple[Step, ...] = get_args(Step)


@dataclass(frozen=True)
class ProgressEvent:
    """A progress report: ``step`` is one of :data:`STEPS`; ``state`` is start / progress / end.

    During the chip read ``file`` names the file (``"DG2"``) and ``done``/``total`` count bytes.
    Events never carry personal data.
    """

    step: Step
    state: State
    file: str | None = None
    done: int = 0
    total: int = 0
    elapsed: float = 0.0

    @classmethod
    def from_dict(cls, d: Mapping[str, JSONValue]) -> ProgressEvent:
        step, state, file = d.get("step"), d.get("state"), d.get("file")
        if step not in STEPS or state not in get_args(State):
            raise InternalError(f"unknown progress event {step}/{state}")

        def number(key: str) -> float:
            value = d.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InternalError(f"progress event {step}/{state}: {key} is not a number")
            return value

        return cls(step, cast(State, state), file if isinstance(file, str) else None,
                   int(number("done")), int(number("total")), float(number("elapsed")))


class StepTimer:
    """Times steps (``timings``: seconds per step) and forwards progress events to ``emit``."""

    def __init__(self, emit: Callable[[dict[str, Any]], None] | None) -> None:
        self.emit = emit
        self.timings: dict[str, float] = {}
        self.t0 = time.perf_counter()

    def event(
        self, step: str, state: str, file: str | None = None, done: int = 0, total: int = 0
    ) -> None:
        if self.emit is not None:
            self.emit(
                {
                    "step": step,
                    "state": state,
                    "file": file,
                    "done": done,
                    "total": total,
                    "elapsed": round(time.perf_counter() - self.t0, 4),
                }
            )

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self.event(name, "start")
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - start
            self.event(name, "end")
