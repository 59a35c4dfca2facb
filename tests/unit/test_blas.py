"""numpy's BLAS thread count: one thread by default where checkedid owns the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_PROBE = (
    "import os, sys; import checkedid.cli; "
    "print(os.environ.get('OPENBLAS_NUM_THREADS'), 'numpy' in sys.modules)"
)


def _cli_env(**extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,  # noqa: S603
                         text=True, check=True, timeout=120)
    return out.stdout.strip()


def test_the_command_line_runs_blas_on_one_thread_unless_told_otherwise() -> None:
    assert _cli_env() == "1 True"  # set before the command line loaded numpy
    assert _cli_env(OPENBLAS_NUM_THREADS="2") == "2 True"  # the operator's choice stays


def test_a_process_that_already_loaded_numpy_is_left_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy  # noqa: F401

    from checkedid.blas import default_to_one_thread

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    default_to_one_thread()
    assert "OPENBLAS_NUM_THREADS" not in os.environ  # too late to matter: not pretended


def test_single_thread_here_restores_the_thread_setting() -> None:
    from checkedid import blas

    setter = blas._openblas("openblas_set_num_threads_local")
    if setter is None:
        pytest.fail("numpy's wheel ships OpenBLAS with openblas_set_num_threads_local")
    before = setter(3)
    try:
        with blas.single_thread_here():
            assert setter(1) == 1  # inside: one thread on this thread
        assert setter(3) == 3  # restored afterwards
    finally:
        setter(max(before, 0))
