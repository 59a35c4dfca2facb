"""The PC/SC floor of ``benchmarks/chip_read.py``: trivial APDUs the chip answers in plain
before and after a read's secure-messaging session, paired with the reads they accompany."""

from __future__ import annotations

from typing import Any

import pytest
from benchmarks import chip_read
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import build

from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.reader import ChipReader


def test_floor_runs_before_and_after_a_read_under_secure_messaging() -> None:
    name = "utopia-passport-bac"
    chip = VirtualChip(build(name))
    with InProcessTransport(chip) as transport:
        before = chip.state.counters["apdus"]
        chip_read._floor(transport, 5)  # before any session
        assert chip.state.counters["apdus"] - before == 5
        data = ChipReader(transport, timeout=60).read(chip_read._access(name))
        assert data.apdu_count > 100
        assert chip.state.sm is not None  # the read left its session open
        spent = chip_read._floor(transport, data.apdu_count)  # ends that session, answers
        assert chip.state.sm is None
        assert set(spent) == {"cpu_s", "wall_s", "user_s", "system_s", "vcsw", "ivcsw"}
        assert spent["cpu_s"] >= 0 and spent["wall_s"] > 0
        again = ChipReader(transport, timeout=60).read(chip_read._access(name))
        assert again.apdu_count == data.apdu_count  # the next read starts as after any read


class _Refusing:
    def transmit(self, apdu: bytes) -> bytes:
        return b"\x6d\x00"


def test_floor_refuses_an_answer_that_is_not_a_challenge() -> None:
    with pytest.raises(SystemExit, match="answered 6d00 with 0 bytes"):
        chip_read._floor(_Refusing(), 3)


def test_floor_summary_pairs_each_read_with_its_floor() -> None:
    reads = [{"cpu_s": c / 1000, "user_s": u / 1000, "system_s": s / 1000}
             for c, u, s in ((10, 8, 2), (30, 10, 20), (20, 9, 11))]
    floors = [{"cpu_s": c / 1000, "user_s": u / 1000, "system_s": s / 1000, "wall_s": 0.004,
               "ivcsw": 100.0, "vcsw": 0.0}
              for c, u, s in ((2, 1, 1), (25, 5, 20), (4, 1, 3))]
    out = chip_read._floor_summary(reads, floors, 150)
    assert out["apdus"] == 150
    assert out["cpu_ms"] == 4.0 and out["user_ms"] == 1.0 and out["system_ms"] == 3.0
    # paired differences 8, 5, 16 (not the difference of the medians, 20 - 4 = 16)
    assert out["read_cpu_above_floor_ms"] == 8.0
    assert out["read_user_above_floor_ms"] == 7.0
    assert out["read_system_above_floor_ms"] == 1.0
    assert out["floor_share_of_host_cpu"] == 0.2
    assert out["cpu_ms_runs"] == [2.0, 25.0, 4.0]


def test_floors_alternate_sides_of_the_adaptive_read(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []

    def one(transport: Any, name: str, baseline: bool) -> dict[str, Any]:
        log.append("baseline" if baseline else "read")
        return {}

    def floor(transport: Any, apdus: int) -> dict[str, float]:
        log.append(f"floor{apdus}")
        return {}

    monkeypatch.setattr(chip_read, "_one", one)
    monkeypatch.setattr(chip_read, "_floor", floor)
    rows: dict[str, list[dict[str, Any]]] = {"adaptive": [], "baseline": []}
    floors: list[dict[str, float]] = []
    for i in range(2):
        for mode in chip_read._order(i):
            chip_read._measure(None, "x", mode, i, 7, rows, floors)
    assert log == ["read", "floor7", "baseline", "baseline", "floor7", "read"]
    assert len(floors) == len(rows["adaptive"]) == 2
