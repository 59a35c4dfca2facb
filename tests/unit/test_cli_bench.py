import argparse
from pathlib import Path

import pytest

from checkedid.cli import bench_scripts
from checkedid.errors import InputError


def test_every_bench_target_has_its_script() -> None:
    for script, _, _ in bench_scripts.SCRIPTS.values():
        assert (bench_scripts.ROOT / "benchmarks" / script).is_file()


def test_without_a_checkout_the_error_says_what_to_do(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setattr(bench_scripts, "ROOT", tmp_path)
    with pytest.raises(InputError, match="source checkout"):
        bench_scripts.run_bench(argparse.Namespace(target="pipeline", repeat=1))


def test_script_main_receives_the_repetition_option(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "mrz_ocr.py").write_text(
        "SEEN = []\ndef main(argv):\n    assert argv == ['--n', '7'], argv\n    return 0\n")
    monkeypatch.setattr(bench_scripts, "ROOT", tmp_path)
    monkeypatch.setattr("sys.argv", ["checkedid", "bench", "mrz", "--repeat", "7"])
    assert bench_scripts.run_bench(argparse.Namespace(target="mrz", repeat=7)) == 0


def test_port_is_passed_to_the_benchmarks_that_start_a_chip(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "chip_read.py").write_text(
        "def main(argv):\n    assert argv == ['--port', '35964'], argv\n    return 0\n")
    monkeypatch.setattr(bench_scripts, "ROOT", tmp_path)
    monkeypatch.setattr("sys.argv", ["checkedid", "bench", "chip", "--port", "35964"])
    assert bench_scripts.run_bench(argparse.Namespace(target="chip", repeat=5, port=35964)) == 0
    with pytest.raises(InputError, match="--port is for the benchmarks that start a virtual"):
        bench_scripts.run_bench(argparse.Namespace(target="mrz", repeat=5, port=35964))
