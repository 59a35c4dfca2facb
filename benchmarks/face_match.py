"""Face matching benchmark: error rates of the default threshold and latency against a baseline.

Prints JSON (the same numbers as ``checkedid bench face --json``):

* ``colour`` / ``grayscale_chip``: selfie-sized photos (long side 640) against chip-sized
  480x640 JPEG q75 portraits of *another* photo; FNMR and FMR at the default threshold,
  the threshold for FMR <= 1 % and the FNMR there, failures to embed;
* ``latency``: p50/p95 of one match (selfie 640x480 + chip 480x640, both embedded) for
  checkedid and for the plain face_recognition pipeline (face_locations + face_encodings on
  both images) in the same run, and the ratio.

Usage: ``python benchmarks/face_match.py [--pairs DIR] [--repeat N]`` (default pairs:
../shared/data/faces relative to the repository).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from checkedid.biometrics.calibration import run_benchmark

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = ROOT.parent / "shared" / "data" / "faces"  # a larger optional set, when present
    p.add_argument("--pairs", type=Path,
                   default=shared if shared.is_dir() else ROOT / "tests" / "data" / "faces")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--threshold", type=float, default=None)
    args = p.parse_args(argv)
    result = run_benchmark(args.pairs, repeat=args.repeat, threshold=args.threshold)
    result["latency"].pop("samples")  # raw samples: checkedid bench face --samples FILE
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
