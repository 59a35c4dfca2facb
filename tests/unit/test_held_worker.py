"""The held read (checkedid.held.HeldWorker): a forked worker that keeps state between steps."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from checkedid import isolation
from checkedid.errors import ChipTimeout, FaceQualityError, InternalError, NoCardError
from checkedid.held import HeldWorker

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _read(emit: isolation.Emit) -> tuple[dict[str, Any], dict[str, Any]]:
    emit({"step": "chip", "state": "progress", "done": 3})
    return {"pid": os.getpid(), "matches": 0}, {"face_available": True, "pid": os.getpid()}


def _match(held: dict[str, Any], selfie: bytes) -> dict[str, Any]:
    if selfie == b"blurred":
        raise FaceQualityError("the selfie is blurred: hold the camera still")
    held["matches"] += 1
    return {"verdict": "PASSED", "score": len(selfie), "matches": held["matches"]}


def _finish(held: dict[str, Any]) -> dict[str, Any]:
    return {"decision": "VERIFIED", "matches": held["matches"], "pid": held["pid"]}


def test_the_read_is_held_across_steps_in_one_worker() -> None:
    events: list[dict[str, Any]] = []
    worker = HeldWorker(_read, _match, _finish, on_event=events.append, timeout=30)
    assert worker.summary["face_available"] is True
    assert worker.summary["pid"] != os.getpid() and worker.pid == worker.summary["pid"]
    assert events == [{"step": "chip", "state": "progress", "done": 3}]
    assert worker.match(b"abcd") == {"verdict": "PASSED", "score": 4, "matches": 1}
    with pytest.raises(FaceQualityError, match="blurred"):  # the read stays after a bad selfie
        worker.match(b"blurred")
    assert worker.match(b"ab")["matches"] == 2
    assert worker.finish() == {"decision": "VERIFIED", "matches": 2, "pid": worker.summary["pid"]}
    assert worker.pid is None
    with pytest.raises(InternalError, match="already finished"):
        worker.match(b"abcd")


def test_a_failed_read_raises_its_class_and_leaves_no_worker() -> None:
    def read(_emit: isolation.Emit) -> tuple[Any, dict[str, Any]]:
        raise NoCardError("no card on the reader")

    with pytest.raises(NoCardError, match="no card"):
        HeldWorker(read, _match, _finish, timeout=30)


def test_a_slow_step_times_out_and_ends_the_worker() -> None:
    def match(held: Any, selfie: bytes) -> dict[str, Any]:
        time.sleep(30)
        return {}

    worker = HeldWorker(_read, match, _finish, timeout=30)
    pid = worker.summary["pid"]
    with pytest.raises(ChipTimeout):
        worker.match(b"x", timeout=0.3)
    assert worker.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_an_idle_worker_wipes_itself() -> None:
    worker = HeldWorker(_read, _match, _finish, timeout=30, idle=0.2)
    time.sleep(0.6)
    with pytest.raises(InternalError, match=r"without an answer|gone"):
        worker.match(b"abcd", timeout=5)
    worker.close()
