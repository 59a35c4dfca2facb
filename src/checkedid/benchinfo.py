"""What every benchmark records beside its numbers: the machine and the timing statistics.

A latency figure means little without the machine it was measured on and its load at the
time, so ``checkedid bench`` and the scripts in ``benchmarks/`` put :func:`machine` into
their JSON, and summarise timing samples with :func:`timing_stats` (p50/p95/p99/min/max
of wall time, p50 of CPU time), so that runs on different machines can be compared.
"""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence
from importlib import metadata
from typing import Any

__all__ = ["machine", "percentile", "timing_stats"]

#: Distributions whose versions shape the numbers (decoders, maths, the face model).
_PACKAGES = ("checkedid", "numpy", "opencv-python-headless", "dlib-bin", "dlib",
             "face_recognition_models", "face_recognition", "pillow", "cryptography",
             "pycryptodome", "pyscard")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> list[dict[str, Any]]:
    """numpy's BLAS/LAPACK as numpy reports it (no extra dependency)."""
    try:
        import numpy as np

        config = np.show_config(mode="dicts")
    except (ImportError, TypeError, AttributeError):  # numpy < 1.25 has no mode="dicts"
        return []
    deps = (config or {}).get("Build Dependencies", {})
    return [{"role": role, "name": d.get("name"), "version": d.get("version")}
            for role, d in deps.items() if isinstance(d, dict)]


def machine() -> dict[str, Any]:
    """CPU model, cores usable by this process, load average, Python and library versions."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 1
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        load = []
    versions: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "load_average": load,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": versions,
        "blas": _blas(),
        "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_CORETYPE",
                                           "OPENBLAS_NUM_THREADS") if k in os.environ},
    }


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) of already sorted values, by linear interpolation."""
    if not sorted_values:
        raise ValueError("no samples")
    pos = q * (len(sorted_values) - 1)
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def timing_stats(samples: Sequence[tuple[float, float]]) -> dict[str, float]:
    """``(wall_s, cpu_s)`` samples -> p50/p95/p99/min/max of wall time and p50 of CPU, in ms."""
    wall = sorted(w for w, _ in samples)

    def ms(seconds: float) -> float:
        return round(seconds * 1000, 1)

    return {"n": len(wall), "p50_ms": ms(percentile(wall, 0.50)),
            "p95_ms": ms(percentile(wall, 0.95)), "p99_ms": ms(percentile(wall, 0.99)),
            "min_ms": ms(wall[0]), "max_ms": ms(wall[-1]),
            "cpu_p50_ms": ms(statistics.median(c for _, c in samples))}
