import os

import pytest

from checkedid import isolation
from checkedid.errors import AccessDenied, ChipTimeout, InternalError, MRZError


def test_result_and_events_cross_the_boundary():
    events = []

    def work(emit):
        emit({"step": "chip", "done": 1})
        emit({"step": "chip", "done": 2})
        return {"pid": os.getpid(), "big": "x" * 200_000}

    out = isolation.run_isolated(work, on_event=events.append)
    assert out["pid"] != os.getpid()  # really ran in another process
    assert len(out["big"]) == 200_000
    assert [e["done"] for e in events] == [1, 2]


def test_checkedid_errors_are_reraised_with_class_and_attributes():
    def work(emit):
        raise AccessDenied("the chip refused the access key", sw=0x6982, step="BAC")

    with pytest.raises(AccessDenied) as info:
        isolation.run_isolated(work)
    assert info.value.sw == 0x6982 and info.value.step == "BAC"
    assert "refused" in str(info.value)

    def work2(emit):
        raise MRZError("bad filler", line=2, position=7)

    with pytest.raises(MRZError) as info2:
        isolation.run_isolated(work2)
    assert info2.value.line == 2 and info2.value.position == 7


def test_unexpected_exception_message_is_not_carried_over():
    def work(emit):
        raise ValueError("invalid literal for int(): 'ERIKSSON'")

    with pytest.raises(InternalError) as info:
        isolation.run_isolated(work)
    assert "ERIKSSON" not in str(info.value)
    assert "ValueError" in str(info.value)


def test_worker_that_dies_without_answer():
    def work(emit):
        os._exit(9)

    with pytest.raises(InternalError, match="without an answer"):
        isolation.run_isolated(work)


def test_timeout_kills_the_worker():
    import time

    def work(emit):
        time.sleep(30)
        return {}

    t0 = time.monotonic()
    with pytest.raises(ChipTimeout):
        isolation.run_isolated(work, timeout=0.5)
    assert time.monotonic() - t0 < 20  # the worker would sleep 30 s: a margin, not a benchmark


def test_worker_is_not_dumpable_and_has_no_core_limit() -> None:
    """Checked inside the worker, where personal data lives (prctl(2) PR_GET_DUMPABLE = 3)."""
    import ctypes
    import resource

    from checkedid import isolation as iso

    def work(emit: object) -> dict[str, object]:
        libc = ctypes.CDLL(None)
        return {"dumpable": libc.prctl(3, 0, 0, 0, 0),
                "core": list(resource.getrlimit(resource.RLIMIT_CORE))}

    out = iso.run_isolated(work)
    assert out == {"dumpable": 0, "core": [0, 0]}
    assert ctypes.CDLL(None).prctl(3, 0, 0, 0, 0) == 1  # the parent is unchanged
