"""Chip read benchmark: full reads of every base persona over pcscd, printed as JSON.

Per persona, ``--runs`` full reads (``ChipReader.read``: access control, EF.COM,
EF.SOD, every DG, CA, AA, parsing) with checkedid's adaptive chunking (extended
length where card and reader allow it, else 223-byte short APDUs), and as the
same-run baseline the same reads with fixed 0xDF short-APDU chunks (what a reader
without extended-length support does). ``ms_per_apdu`` is the read time divided by
the APDUs (crypto and parsing included); ``apdu_round_trip_ms`` the mean time from
transmit to answer through PC/SC, vpcd and the chip. One warm-up read is discarded and the order
of the two modes alternates between runs. Reported (medians): total read time, time
spent reading files, APDUs, per-APDU latency, file bytes per second of file
reading, and the baseline/adaptive ratios.

Usage: ``python benchmarks/chip_read.py [--runs 5] [--personas a,b] [--in-process]``.
Needs pcscd with vpcd (``bash hw/setup.sh``) unless ``--in-process`` is given (then
the chip is called directly, without PC/SC, which measures the library alone).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT / "src"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

PERSONAS = ("utopia-passport-bac", "utopia-id-pace-gm", "utopia-id-pace-dh",
            "utopia-id-pace-im", "utopia-id-pace-cam")
PORT = 35964


def _access(name: str) -> Any:
    from hw.vchip.personas import spec

    from checkedid.secret import Secret

    s = spec(name)
    return s.can if s.pace is not None else Secret(s.mrz_information.encode("ascii"))


class _Timed:
    """Transport wrapper that measures each APDU's round trip (transmit to answer)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.count = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def transmit(self, apdu: bytes) -> bytes:
        t = time.perf_counter()
        try:
            out: bytes = self.inner.transmit(apdu)
            return out
        finally:
            self.seconds += time.perf_counter() - t
            self.count += 1


def _one(transport: Any, name: str, baseline: bool) -> dict[str, Any]:
    from checkedid.nfc.files import SHORT_SM_CHUNK, ChunkPolicy
    from checkedid.nfc.reader import ChipReader

    chunks = ChunkPolicy(extended=False, fixed=SHORT_SM_CHUNK) if baseline else None
    timed = _Timed(transport)
    t0 = time.perf_counter()
    data = ChipReader(timed, chunks=chunks, timeout=60).read(_access(name))
    total = time.perf_counter() - t0
    size = sum(data.file_sizes.values())
    return {"total_s": total, "files_s": data.timings["files"], "apdus": data.apdu_count,
            "rtt_s": timed.seconds / max(timed.count, 1),
            "bytes": size, "chunk": data.access_details["chunk_size"],
            "extended": data.access_details["extended_length"], "protocol": data.protocol}


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = statistics.median(r["total_s"] for r in rows)
    files = statistics.median(r["files_s"] for r in rows)
    apdus = int(statistics.median(r["apdus"] for r in rows))
    size = rows[0]["bytes"]
    return {"total_ms": round(total * 1000, 1), "files_ms": round(files * 1000, 1),
            "apdus": apdus, "ms_per_apdu": round(total * 1000 / apdus, 2),
            "apdu_round_trip_ms": round(statistics.median(r["rtt_s"] for r in rows) * 1000, 3),
            "file_bytes": size, "bytes_per_s": round(size / files) if files else None,
            "chunk_size": rows[0]["chunk"], "extended_length": rows[0]["extended"]}


def _order(i: int) -> tuple[str, str]:
    """Alternate which mode goes first, so neither profits from the other's warm caches."""
    return ("adaptive", "baseline") if i % 2 == 0 else ("baseline", "adaptive")


def bench_persona(name: str, runs: int, in_process: bool, port: int = PORT) -> dict[str, Any]:
    from checkedid.nfc.transport import InProcessTransport

    rows: dict[str, list[dict[str, Any]]] = {"adaptive": [], "baseline": []}
    if in_process:
        from hw.vchip.chip import VirtualChip
        from hw.vchip.personas import build

        chip = VirtualChip(build(name))
        with InProcessTransport(chip) as t:
            _one(t, name, False)  # warm-up: imports, caches
        for i in range(runs):
            for mode in _order(i):
                with InProcessTransport(chip) as t:
                    rows[mode].append(_one(t, name, mode == "baseline"))
    else:
        from hw.vchip.process import SLOTS, VChipProcess, wait_absent

        from checkedid.nfc.pcsc import PcscTransport, list_readers

        reader = SLOTS[port]
        wait_absent(reader, timeout=60)
        if any(r.name == reader and r.card_present for r in list_readers()):
            raise SystemExit(f"{reader} is busy with another chip; pick the other slot (--port)")
        with VChipProcess(name, port=port) as chip:
            with PcscTransport(chip.reader, timeout=10) as t:
                _one(t, name, False)  # warm-up: imports, caches, the chip's first answers
            for i in range(runs):
                for mode in _order(i):
                    with PcscTransport(chip.reader, timeout=10) as t:
                        rows[mode].append(_one(t, name, mode == "baseline"))
        wait_absent(chip.reader)
    adaptive, baseline = _summary(rows["adaptive"]), _summary(rows["baseline"])
    return {
        "persona": name, "protocol": rows["adaptive"][0]["protocol"],
        "adaptive": adaptive, "baseline_fixed_0xDF": baseline,
        "speedup_total": round(baseline["total_ms"] / adaptive["total_ms"], 2),
        "speedup_file_reading": round(baseline["files_ms"] / adaptive["files_ms"], 2)
        if adaptive["files_ms"] else None,
        "apdu_ratio": round(baseline["apdus"] / adaptive["apdus"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="reads per persona and mode (default 5)")
    p.add_argument("--personas", default=",".join(PERSONAS))
    p.add_argument("--in-process", action="store_true",
                   help="call the virtual chip directly instead of going through pcscd")
    p.add_argument("--port", type=int, default=PORT, help=f"vpcd chip port (default {PORT})")
    args = p.parse_args(argv)
    results = []
    for name in args.personas.split(","):
        row = bench_persona(name, args.runs, args.in_process, args.port)
        print(f"{name}: adaptive {row['adaptive']['total_ms']} ms, baseline "
              f"{row['baseline_fixed_0xDF']['total_ms']} ms", file=sys.stderr)
        results.append(row)
    out = {
        "benchmark": "chip_read",
        "transport": "in-process" if args.in_process else "pcscd+vpcd",
        "runs": args.runs,
        "python": platform.python_version(),
        "personas": results,
        "geomean_speedup_total": round(statistics.geometric_mean(
            r["speedup_total"] for r in results), 2),
        "geomean_speedup_file_reading": round(statistics.geometric_mean(
            r["speedup_file_reading"] for r in results if r["speedup_file_reading"]), 2),
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
