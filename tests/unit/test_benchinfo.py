"""The machine facts and timing statistics every benchmark reports."""

from __future__ import annotations

import os

import pytest

from checkedid.benchinfo import machine, percentile, timing_stats


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 0.0) == 10.0
    assert percentile(values, 0.5) == 30.0
    assert percentile(values, 1.0) == 50.0
    assert percentile(values, 0.95) == pytest.approx(48.0)
    assert percentile([7.0], 0.99) == 7.0
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 0.5)


def test_timing_stats_in_milliseconds() -> None:
    samples = [(0.100, 0.090), (0.300, 0.250), (0.200, 0.150), (0.400, 0.120), (0.500, 0.200)]
    st = timing_stats(samples)
    assert st == {"n": 5, "p50_ms": 300.0, "p95_ms": 480.0, "p99_ms": 496.0, "min_ms": 100.0,
                  "max_ms": 500.0, "cpu_p50_ms": 150.0}


def test_machine_names_cpu_cores_load_and_versions() -> None:
    m = machine()
    assert m["cores"] == os.cpu_count()
    assert 1 <= m["cores_usable"] <= m["cores"]
    assert len(m["load_average"]) == 3
    assert m["cpu"]
    assert {"numpy", "cryptography"} <= set(m["packages"])
    assert all(isinstance(v, str) and v[0].isdigit() for v in m["packages"].values())
