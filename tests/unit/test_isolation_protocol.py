"""The one fork-worker protocol (checkedid.isolation.start): attachments, one wait, fork safety."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from checkedid import isolation
from checkedid.errors import InternalError, NoFaceError

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def test_reply_with_an_attachment_crosses_intact() -> None:
    blob = bytes(range(256)) * 64

    def work(emit: isolation.Emit) -> isolation.Reply:
        emit({"step": "face", "done": 1})
        return isolation.Reply({"pid": os.getpid()}, bytearray(blob))

    events: list[dict[str, Any]] = []
    reply = isolation.start(work).wait(on_event=events.append)
    assert reply.data["pid"] != os.getpid()
    assert bytes(reply.attachment) == blob and events == [{"step": "face", "done": 1}]


def test_errors_cross_the_same_way_for_every_worker() -> None:
    def work(_emit: isolation.Emit) -> dict[str, Any]:
        raise NoFaceError("no face in the document photo")

    with pytest.raises(NoFaceError, match="document photo"):
        isolation.start(work).wait()


def test_a_worker_is_awaited_once() -> None:
    worker = isolation.start(lambda _emit: {"ok": True})
    assert worker.wait().data == {"ok": True}
    with pytest.raises(InternalError, match="only once"):
        worker.wait()


def test_fork_is_unsafe_while_another_thread_runs() -> None:
    release = threading.Event()
    t = threading.Thread(target=release.wait)
    t.start()
    try:
        assert not isolation.fork_is_safe()
    finally:
        release.set()
        t.join()
    assert isolation.fork_is_safe() is (threading.active_count() == 1)


def test_the_face_worker_uses_the_same_safety_check() -> None:
    from checkedid.biometrics import worker

    assert worker.can_fork is isolation.fork_is_safe
