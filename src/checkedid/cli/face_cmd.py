"""CLI commands: ``match`` — compare two face images; ``bench face`` — the face benchmark."""

from __future__ import annotations

import argparse
import importlib
import os
from pathlib import Path
from typing import Any

from checkedid.cli.output import EXIT_FAILED, EXIT_OK, add_json_flag, emit, not_available
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
    p.add_argument("image_a", metavar="IMAGE_A", help="live image (selfie)")
    p.add_argument("image_b", metavar="IMAGE_B", help="document photo (chip portrait)")
    p.add_argument("--threshold", type=float, default=None,
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
    p.add_argument("--repeat", type=int, default=20, help="latency repetitions (default 20)")
    p.add_argument("--threshold", type=float, default=None, help="threshold to evaluate")
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
    out += ["", f"latency of one match (selfie {lat['selfie'][0]}x{lat['selfie'][1]} + chip "
                f"{lat['chip'][0]}x{lat['chip'][1]}, {lat['repeat']} runs, "
                f"second core: {lat.get('parallel', '?')}):"]
    out.append(f"  checkedid         p50 {lat['checkedid']['p50_ms']:>7.1f} ms   "
               f"p95 {lat['checkedid']['p95_ms']:>7.1f} ms   "
               f"CPU p50 {lat['checkedid']['cpu_p50_ms']:>7.1f} ms")
    threads = lat.get("checkedid_threads")
    if threads:
        out.append(f"  (threads only)    p50 {threads['p50_ms']:>7.1f} ms   "
                   f"p95 {threads['p95_ms']:>7.1f} ms   CPU p50 {threads['cpu_p50_ms']:>7.1f} ms")
    reuse = lat.get("checkedid_document_reused")
    if reuse:
        out.append(f"  (chip embedded)   p50 {reuse['p50_ms']:>7.1f} ms   "
                   f"p95 {reuse['p95_ms']:>7.1f} ms   CPU p50 {reuse['cpu_p50_ms']:>7.1f} ms")
    base = lat.get("face_recognition")
    if base:
        out.append(f"  face_recognition  p50 {base['p50_ms']:>7.1f} ms   "
                   f"p95 {base['p95_ms']:>7.1f} ms   CPU p50 {base['cpu_p50_ms']:>7.1f} ms")
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

    if args.repeat < 1:
        raise InputError("--repeat must be at least 1")
    data = run_benchmark(_pairs_dir(args.pairs), repeat=args.repeat, threshold=args.threshold)
    emit(args, data, bench_table(data))
    return EXIT_OK
