"""The ``checkedid match`` and ``checkedid bench face`` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from checkedid.cli import main
from checkedid.cli.face_cmd import bench_table
from tests.conftest import data_path

pytest.importorskip("dlib")


@pytest.fixture(scope="module")
def faces() -> Path:
    return data_path("faces")


def test_match_genuine_exits_0_with_json(faces: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["match", str(faces / "obama_1.jpg"), str(faces / "obama_2.jpg"),
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["is_match"] is True and out["score"] >= out["threshold"]
    assert out["timings"]["total"] > 0
    assert out["faces"]["a"]["role"] == "selfie" and out["faces"]["b"]["role"] == "document"
    assert out["faces"]["b"]["quality"]["eye_distance"] > 0


def test_match_impostor_exits_1(faces: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["match", str(faces / "obama_1.jpg"), str(faces / "biden_1.jpg")])
    out = capsys.readouterr().out
    assert code == 1
    assert "match      no" in out and "threshold 0.400" in out


def test_match_threshold_option(faces: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["match", str(faces / "obama_1.jpg"), str(faces / "obama_2.jpg"),
                 "--threshold", "0.99", "--json"])
    assert code == 1
    assert json.loads(capsys.readouterr().out)["threshold"] == 0.99


def test_match_bad_input_exits_2(tmp_path: Path, faces: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image at all")
    assert main(["match", str(junk), str(faces / "biden_1.jpg"), "--json"]) == 2
    err = json.loads(capsys.readouterr().out)["error"]
    assert err["kind"] == "ImageError"
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200, 3), 128, np.uint8))
    assert main(["match", str(blank), str(faces / "biden_1.jpg")]) == 2
    assert "no face found in the selfie" in capsys.readouterr().err
    assert main(["match", str(faces / "biden_1.jpg"), str(blank), "--threshold", "7"]) == 2


def test_bench_rejects_missing_pairs_dir(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "face", "--pairs", str(tmp_path / "none")]) == 2
    assert main(["bench", "face", "--pairs", str(tmp_path)]) == 2
    assert "labels.csv" in capsys.readouterr().err


def test_bench_table_renders_every_number() -> None:
    acc: dict[str, Any] = {
           "photos": 17, "identities": 6, "failures_to_embed": 0, "genuine_pairs": 46,
           "impostor_pairs": 226, "threshold": 0.4, "fnmr": 0.0217, "fmr": 0.0,
           "threshold_at_fmr_1pct": 0.305, "fnmr_at_fmr_1pct": 0.0, "fmr_at_that_threshold": 0.0,
           "genuine_min": 0.43, "genuine_median": 0.6, "impostor_max": 0.33,
           "impostor_median": 0.16}
    acc["face_recognition"] = {**acc, "fnmr": 0.0556, "failures_to_embed": 1}
    data = {"default_threshold": 0.4, "score": "1 - distance", "colour": acc,
            "latency": {"repeat": 5, "selfie": [640, 480], "chip": [480, 640],
                        "checkedid": {"p50_ms": 160.0, "p95_ms": 170.0, "p99_ms": 171.5,
                                      "min_ms": 150.2, "max_ms": 172.0, "cpu_p50_ms": 161.0},
                        "checkedid_document_reused": {"p50_ms": 81.0, "p95_ms": 90.0,
                                                      "p99_ms": 91.0, "min_ms": 79.0,
                                                      "max_ms": 92.0, "cpu_p50_ms": 80.5},
                        "face_recognition": {"p50_ms": 330.0, "p95_ms": 350.0,
                                             "p99_ms": 351.0, "min_ms": 301.0,
                                             "max_ms": 352.0, "cpu_p50_ms": 331.0},
                        "speedup_p50": 2.06, "speedup_p95": 2.06},
            "machine": {"cpu": "Test CPU 3000", "cores": 2, "cores_usable": 2,
                        "load_average": [0.5, 0.4, 0.3], "python": "3.11.7",
                        "packages": {"dlib-bin": "20.0"},
                        "blas": [{"role": "blas", "name": "openblas", "version": "0.3"}]}}
    text = bench_table(data)
    for needle in ("2.2 %", "0.305", "160.0", "330.0", "2.06x", "226", "80.5", "331.0",
                   "5.6 %", "baseline", "171.5", "150.2", "172.0", "Test CPU 3000",
                   "load 0.5 0.4 0.3", "dlib-bin 20.0", "blas openblas 0.3"):
        assert needle in text


def test_bench_other_targets_are_dispatched_or_reported_unavailable(
        capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    from checkedid.cli.face_cmd import BENCH_TARGETS

    for target, module in BENCH_TARGETS.items():
        if target == "face":
            continue
        if hasattr(importlib.import_module(module), "run_bench"):
            continue  # implemented by its module; tested there
        assert main(["bench", target]) == 2
        assert "not available" in capsys.readouterr().err


def test_bench_face_reports_progress_and_writes_raw_samples(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from checkedid.biometrics import calibration

    def fake_run(directory: Any, *, repeat: int, threshold: Any, progress: Any) -> dict[str, Any]:
        for stage in ("accuracy", "latency"):
            for i in range(repeat):
                progress(stage, i, repeat)
        stats = {"p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 2.0, "min_ms": 1.0, "max_ms": 2.0,
                 "cpu_p50_ms": 1.0}
        return {"default_threshold": 0.4, "score": "s",
                "latency": {"repeat": repeat, "selfie": [1, 1], "chip": [1, 1],
                            "checkedid": stats, "checkedid_document_reused": stats,
                            "samples": {"checkedid": [(0.5, 0.25), (0.75, 0.5)],
                                        "face_recognition": [(1.5, 1.25)]}}}

    monkeypatch.setattr(calibration, "run_benchmark", fake_run)
    samples = tmp_path / "samples.csv"
    assert main(["bench", "face", "--pairs", str(tmp_path), "--repeat", "3", "--json",
                 "--samples", str(samples)]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == ["checkedid bench face: accuracy ...",
                                "checkedid bench face: latency ..."]
    data = json.loads(out)
    assert "samples" not in data["latency"] and data["latency"]["samples_file"] == str(samples)
    assert samples.read_text().splitlines() == [
        "engine,run,wall_s,cpu_s", "checkedid,0,0.500000,0.250000",
        "checkedid,1,0.750000,0.500000", "face_recognition,0,1.500000,1.250000"]
