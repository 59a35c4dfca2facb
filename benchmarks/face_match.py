"""Face matching benchmark: error rates of the default threshold and latency against a baseline.

Prints JSON (the same numbers as ``checkedid bench face --json``):

* ``colour`` / ``grayscale_chip``: selfie-sized photos (long side 640) against chip-sized
  480x640 JPEG q75 portraits of *another* photo; FNMR and FMR at the default threshold,
  the threshold for FMR <= 1 % and the FNMR there, failures to embed;
* ``latency``: p50/p95 of one match (selfie 640x480 + chip 480x640, both embedded) for
  checkedid and for the plain face_recognition pipeline (face_locations + face_encodings on
  both images) in the same run, and the ratio;
* ``descriptor``: CPU time (``time.process_time``, all threads) of one 128-d descriptor of a
  150x150 aligned chip, p50/p95, for the default numpy engine and dlib's own
  ``compute_face_descriptor``, interleaved on the same chips in the same run, the ratio, and
  the largest component difference between the two.

Usage: ``python benchmarks/face_match.py [--pairs DIR] [--repeat N] [--descriptor-only]``
(default pairs: ../shared/data/faces relative to the repository).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from checkedid.blas import default_to_one_thread

default_to_one_thread()  # as the checkedid command line runs (before numpy loads)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from checkedid.benchinfo import machine  # noqa: E402
from checkedid.biometrics.backend import DlibBackend  # noqa: E402
from checkedid.biometrics.calibration import run_benchmark  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def aligned_chips(directory: Path, backend: DlibBackend) -> list[np.ndarray]:
    """The 150x150 aligned chip of every face in the photos of ``directory``."""
    chips = []
    for path in sorted(p for p in directory.rglob("*") if p.suffix in (".jpg", ".png")):
        img = cv2.imread(str(path))
        if img is None:
            continue
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        chips += [backend.align(rgb, backend.landmarks(rgb, box, 5))
                  for box in backend.detect(gray)]
    return chips


def descriptor_cpu(directory: Path, repeat: int) -> dict[str, Any]:
    """CPU ms per descriptor, numpy engine vs dlib's, interleaved on the same chips."""
    engines = {name: DlibBackend.shared(name) for name in ("numpy", "dlib")}
    chips = aligned_chips(directory, engines["dlib"])[:12]
    samples: dict[str, list[float]] = {name: [] for name in engines}
    worst = 0.0
    for chip in chips:  # warm-up and equality check
        worst = max(worst, float(np.max(np.abs(engines["numpy"].describe(chip)
                                                - engines["dlib"].describe(chip)))))
    for _ in range(repeat):
        for chip in chips:
            for name, backend in engines.items():
                t0 = time.process_time()
                backend.describe(chip)
                samples[name].append(time.process_time() - t0)
    out: dict[str, Any] = {"chips": len(chips), "calls_per_engine": len(samples["dlib"]),
                           "max_abs_difference": worst}
    for name, values in samples.items():
        ms = np.array(values) * 1000.0
        out[name] = {"cpu_ms_p50": round(float(np.percentile(ms, 50)), 2),
                     "cpu_ms_p95": round(float(np.percentile(ms, 95)), 2)}
    out["ratio_p50"] = round(out["dlib"]["cpu_ms_p50"] / out["numpy"]["cpu_ms_p50"], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = ROOT.parent / "shared" / "data" / "faces"  # a larger optional set, when present
    p.add_argument("--pairs", type=Path,
                   default=shared if shared.is_dir() else ROOT / "tests" / "data" / "faces")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("--descriptor-only", action="store_true",
                   help="only the descriptor CPU comparison (numpy engine vs dlib)")
    args = p.parse_args(argv)
    if args.descriptor_only:
        result: dict[str, Any] = {"machine": machine()}
    else:
        result = run_benchmark(args.pairs, repeat=args.repeat, threshold=args.threshold)
        result["latency"].pop("samples")  # raw samples: checkedid bench face --samples FILE
    result["descriptor"] = descriptor_cpu(args.pairs, max(1, args.repeat // 3))
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
