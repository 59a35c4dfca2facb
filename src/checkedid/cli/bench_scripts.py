"""``checkedid bench mrz|chip|pipeline``: run the source checkout's benchmark scripts.

The MRZ, chip-read and pipeline benchmarks need the virtual chip, the test PKI and the
synthetic document generator, which live in the source checkout (``benchmarks/``, ``hw/``),
not in the installed package. Each script prints JSON with its same-run baseline; this
command runs it in-process, passing ``--repeat`` as the script's repetition count and
``--port`` (the vpcd slot of the virtual chip) to the chip and pipeline benchmarks.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from checkedid.errors import InputError

__all__ = ["SCRIPTS", "run_bench"]

ROOT = Path(__file__).resolve().parents[3]

#: bench target -> (script in benchmarks/, its repetition option, value when --repeat is unset)
SCRIPTS = {
    "mrz": ("mrz_ocr.py", "--n", None),
    "chip": ("chip_read.py", "--runs", None),
    "pipeline": ("pipeline.py", "--runs", "10"),
}


def run_bench(args: argparse.Namespace) -> int:
    """Run the benchmark script for ``args.target``; its JSON goes to stdout."""
    script, repeat_flag, default = SCRIPTS[args.target]
    if getattr(args, "port", None) is not None and args.target not in ("chip", "pipeline"):
        raise InputError(f"--port is for the benchmarks that start a virtual chip "
                         f"(chip, pipeline), not {args.target}")
    path = ROOT / "benchmarks" / script
    if not path.is_file():
        raise InputError(
            f"'checkedid bench {args.target}' needs a source checkout of checkedid "
            f"(benchmarks/{script}, hw/); clone the repository and run it there"
        )
    argv: list[str] = []
    explicit = "--repeat" in sys.argv
    if explicit or default is not None:
        argv += [repeat_flag, str(args.repeat if explicit else default)]
    if getattr(args, "port", None) is not None:
        argv += ["--port", str(args.port)]
    spec = importlib.util.spec_from_file_location(f"checkedid_bench_{args.target}", path)
    if spec is None or spec.loader is None:
        raise InputError(f"cannot load benchmarks/{script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code: int = module.main(argv)
    return code
