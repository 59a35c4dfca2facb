"""CLI commands: ``match`` — compare two face images; ``bench face`` — the face benchmark."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from checkedid.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    Progress,
    add_json_flag,
    emit,
    not_available,
    positive_int,
    readable_file,
    score_threshold,
)
from checkedid.errors import InputError

__all__ = ["register"]

#: The larger optional calibration set beside a checkout, then the checkout's own photos.
DEFAULT_PAIRS = (Path("..") / "shared" / "data" / "faces",
                 Path(__file__).resolve().parents[3] / "tests" / "data" / "faces")

#: ``checkedid bench TARGET``: targets other than ``face`` are run by ``run_bench(args)`` of
#: the named CLI module, when that module provides it.
BENCH_TARGETS = {"face": __name__, "mrz": "checkedid.cli.bench_scripts",
                 "chip": "checkedid.cli.bench_scripts", "pipeline": "checkedid.cli.bench_scripts"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "match", help="compare two face images",
        description="Compare a live image (IMAGE_A, e.g. a selfie) with a document photo "
                    "(IMAGE_B, e.g. the chip portrait). Exit 0 on a match, 1 on no match, "
                    "2 on bad input (unreadable image, no face, unusable quality).")
    p.add_argument("image_a", metavar="IMAGE_A", type=readable_file, help="live image (selfie)")
    p.add_argument("image_b", metavar="IMAGE_B", type=readable_file,
                   help="document photo (chip portrait)")
    p.add_argument("--threshold", type=score_threshold, default=None,
                   help="decision threshold on the score (score = 1 - descriptor distance)")
    p.add_argument("--no-quality", action="store_true",
                   help="skip the quality checks (compare also dark or blurred faces)")
    add_json_flag(p)
    p.set_defaults(func=cmd_match)

    p = sub.add_parser(
        "bench", help="run a benchmark",
        description="Run a benchmark with a same-run baseline. 'face': error rates of the face "
                    "threshold on labelled photos and the latency of one match, against "
                    "face_recognition. 'mrz': OCR accuracy and latency on synthetic and "
                    "specimen photos, against tesseract. 'chip': full chip reads over pcscd, "
                    "against fixed short reads. 'pipeline': end-to-end verifications against "
                    "the virtual chip, against the baseline engines. 'mrz', 'chip' and "
                    "'pipeline' run the source checkout's benchmarks/ scripts (JSON output).")
    p.add_argument("target", choices=sorted(BENCH_TARGETS), help="what to benchmark")
    p.add_argument("--pairs", metavar="DIR", default=None,
                   help="directory with labels.csv (file,identity,note) and photos "
                        "(default: $CHECKEDID_FACE_PAIRS, ../shared/data/faces if present, "
                        "else the checkout's tests/data/faces)")
    p.add_argument("--repeat", type=positive_int, default=20,
                   help="latency repetitions (default 20)")
    p.add_argument("--threshold", type=score_threshold, default=None,
                   help="threshold to evaluate")
    p.add_argument("--port", type=int, default=None,
                   help="chip, pipeline: vpcd chip port of the virtual reader slot to use")
    p.add_argument("--samples", metavar="FILE", type=Path, default=None,
                   help="face: also write every raw latency sample (engine, run, wall and CPU "
                        "seconds) to FILE as CSV")
    add_json_flag(p)
    p.set_defaults(func=cmd_bench)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def cmd_match(args: argparse.Namespace) -> int:
    from checkedid.biometrics import FaceMatcher

    matcher = FaceMatcher(threshold=args.threshold, quality=not args.no_quality).load()
    r = matcher.match(args.image_a, args.image_b)
    lines = [
        f"match      {'yes' if r.is_match else 'no'}",
        f"score      {r.score:.3f}  (threshold {r.threshold:.3f}; score = 1 - descriptor distance)",
    ]
    lines += [f"warning    {w}" for w in r.warnings]
    lines.append("timings    " + ", ".join(f"{k} {_ms(v)}" for k, v in r.timings.items()))
    emit(args, r.to_dict(), "\n".join(lines))
    return EXIT_OK if r.is_match else EXIT_FAILED


def _pairs_dir(arg: str | None) -> Path:
    given = arg or os.environ.get("CHECKEDID_FACE_PAIRS")
    candidates = (Path(given),) if given else DEFAULT_PAIRS
    path = next((p for p in candidates if p.is_dir()), candidates[-1])
    if not path.is_dir():
        raise InputError("no face pairs directory: pass --pairs DIR (labels.csv and photos)")
    return path


def _rate(v: Any) -> str:
    return f"{100 * float(v):.1f} %"


def bench_table(data: dict[str, Any]) -> str:
    """The benchmark result as a readable table."""
    out = [f"score: {data['score']}; default threshold {data['default_threshold']:.3f}", ""]
    out.append("checkedid vs face_recognition (baseline) on the same selfie / chip-photo pairs")
    out.append(f"{'chip photos':<16}{'photos':>7}{'genuine':>9}{'impostor':>9}{'FTE':>5}"
               f"{'FNMR':>9}{'FMR':>8}{'thr@FMR1%':>11}{'FNMR@FMR1%':>12}")
    for key, label in (("colour", "colour"), ("grayscale_chip", "grayscale")):
        a = data.get(key)
        if not a:
            continue
        out.append(f"{label:<16}{a['photos']:>7}{a['genuine_pairs']:>9}{a['impostor_pairs']:>9}"
                   f"{a['failures_to_embed']:>5}{_rate(a['fnmr']):>9}{_rate(a['fmr']):>8}"
                   f"{a['threshold_at_fmr_1pct']:>11.3f}{_rate(a['fnmr_at_fmr_1pct']):>12}")
        out.append(f"{'':<16}genuine scores min {a['genuine_min']} median {a['genuine_median']}; "
                   f"impostor max {a['impostor_max']} median {a['impostor_median']}")
        base = a.get("face_recognition")
        if base:
            out.append(f"{'  baseline':<16}{'':>7}{base['genuine_pairs']:>9}"
                       f"{base['impostor_pairs']:>9}{base['failures_to_embed']:>5}"
                       f"{_rate(base['fnmr']):>9}{_rate(base['fmr']):>8}"
                       f"{base['threshold_at_fmr_1pct']:>11.3f}{_rate(base['fnmr_at_fmr_1pct']):>12}")
    lat = data["latency"]
    m = data.get("machine")
    if m:
        out += ["", f"machine: {m['cpu']}, {m['cores_usable']}/{m['cores']} cores usable, "
                    f"load {' '.join(map(str, m['load_average']))}, Python {m['python']}",
                "versions: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items())]
        if m.get("blas"):
            out.append("BLAS: " + ", ".join(f"{b['role']} {b['name']} {b['version']}"
                                            for b in m["blas"]))
    out += ["", f"latency of one match (selfie {lat['selfie'][0]}x{lat['selfie'][1]} + chip "
                f"{lat['chip'][0]}x{lat['chip'][1]}, {lat['repeat']} runs, "
                f"second core: {lat.get('parallel', '?')}):"]
    out.append(f"  {'':<18}{'p50':>8}{'p95':>8}{'p99':>8}{'min':>8}{'max':>8}{'CPU p50':>9}  (ms)")
    for key, label in (("checkedid", "checkedid"), ("checkedid_thread", "(in threads)"),
                       ("checkedid_process", "(forked child)"),
                       ("checkedid_document_reused", "(chip embedded)"),
                       ("face_recognition", "face_recognition")):
        st = lat.get(key)
        if st:
            out.append(f"  {label:<18}{st['p50_ms']:>8.1f}{st['p95_ms']:>8.1f}"
                       f"{st['p99_ms']:>8.1f}{st['min_ms']:>8.1f}{st['max_ms']:>8.1f}"
                       f"{st['cpu_p50_ms']:>9.1f}")
    if lat.get("face_recognition"):
        out.append(f"  speed-up          p50 {lat['speedup_p50']:.2f}x   "
                   f"p95 {lat['speedup_p95']:.2f}x")
    else:
        out.append("  face_recognition  not installed: no baseline")
    return "\n".join(out)


def cmd_bench(args: argparse.Namespace) -> int:
    if args.target != "face":
        runner = getattr(importlib.import_module(BENCH_TARGETS[args.target]), "run_bench", None)
        if runner is None:
            return not_available(f"'checkedid bench {args.target}'", args)
        code: int = runner(args)
        return code
    from checkedid.biometrics.calibration import run_benchmark

    bar = Progress()
    stages: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        if bar.enabled:  # a terminal: one live line
            bar(f"bench face: {stage} {done}/{total}")
        elif not stages or stages[-1] != stage:  # a log: one line per stage
            stages.append(stage)
            sys.stderr.write(f"checkedid bench face: {stage} ...\n")
            sys.stderr.flush()

    try:
        data = run_benchmark(_pairs_dir(args.pairs), repeat=args.repeat,
                             threshold=args.threshold, progress=progress)
    finally:
        bar.done()
    samples = data["latency"].pop("samples")
    if args.samples is not None:
        _write_samples(args.samples, samples)
        data["latency"]["samples_file"] = str(args.samples)
    emit(args, data, bench_table(data))
    return EXIT_OK


def _write_samples(path: Path, samples: dict[str, list[tuple[float, float]]]) -> None:
    """Raw latency samples as CSV: engine, run, wall_s, cpu_s (no personal data: timings)."""
    import csv

    try:
        with path.open("w", newline="", encoding="ascii") as fh:
            out = csv.writer(fh)
            out.writerow(["engine", "run", "wall_s", "cpu_s"])
            for engine, runs in samples.items():
                for i, (wall, cpu) in enumerate(runs):
                    out.writerow([engine, i, f"{wall:.6f}", f"{cpu:.6f}"])
    except OSError as exc:
        raise InputError(f"cannot write the samples file {path}: {exc.strerror}") from None
