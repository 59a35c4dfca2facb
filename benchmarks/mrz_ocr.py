"""MRZ reading benchmark: the built-in OCR-B recogniser against tesseract on the same bands.

Usage: ``python benchmarks/mrz_ocr.py [--n 99] [--seed 9303] [--no-tesseract]``; prints JSON.

Photos: ``--n`` synthetic document photos (:func:`checkedid.mrz.synth.document_photo`,
formats TD1 / TD2 / TD3 in turn, difficulties easy / medium / hard in turn, fixed
seeds) and the specimen photos of ``../shared/data/mrz`` with their ground truth.
For each photo and engine, :func:`checkedid.mrz.reader.read` runs the whole chain
(decode, locate, rectify, orientation, recognise, parse with correction); both engines
get the band the locator finds. Reported per engine and per photo group: character
accuracy (position by position against the truth; an unread photo counts as all
wrong), full-MRZ accuracy (every line exact), valid rate (all check digits pass),
end-to-end latency p50 / p95 and recognition-only latency (engine on the band).
``no_mrz`` times the rejection of frames without a zone (MRZNotFound).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from checkedid.errors import CheckedIDError, MRZNotFound
from checkedid.mrz.locate import bands
from checkedid.mrz.reader import get_engine, load_image, read

ROOT = Path(__file__).resolve().parents[1]
SPECIMENS = ROOT.parent / "shared" / "data" / "mrz"
FORMATS = ("TD1", "TD2", "TD3")
DIFFICULTIES = ("easy", "medium", "hard")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def score(got: tuple[str, ...] | None, truth: tuple[str, ...]) -> tuple[int, int]:
    total = sum(len(t) for t in truth)
    if got is None or len(got) != len(truth):
        return 0, total
    pairs = zip("".join(got), "".join(truth), strict=False)
    return sum(a == b for a, b in pairs), total


def photos(n: int, seed: int) -> list[tuple[str, np.ndarray, tuple[str, ...]]]:
    from checkedid.mrz import synth

    out = []
    for i in range(n):
        diff = DIFFICULTIES[i % 3]
        fmt = FORMATS[(i // 3) % 3]
        p = synth.document_photo(seed=seed + i, format=fmt, difficulty=diff)
        out.append((f"synthetic-{diff}", p.image, tuple(p.lines)))
    if (SPECIMENS / "ground_truth.csv").exists():
        with (SPECIMENS / "ground_truth.csv").open(newline="") as fh:
            for row in csv.DictReader(fh):
                lines = tuple(row[k] for k in ("line1", "line2", "line3") if row[k])
                if lines:
                    img = cv2.imread(str(SPECIMENS / row["file"]))
                    out.append(("specimen", img, lines))
    return out


def run_engine(name: str, items: list[tuple[str, np.ndarray, tuple[str, ...]]]) -> dict[str, Any]:
    engine = get_engine(name)
    groups: dict[str, dict[str, Any]] = {}
    recog: list[float] = []
    for group, img, truth in items:
        g = groups.setdefault(group, {"photos": 0, "chars_ok": 0, "chars": 0, "exact": 0,
                                      "valid": 0, "latency_s": []})
        t = time.perf_counter()
        try:
            mrz = read(img, engine=engine)
            got: tuple[str, ...] | None = tuple(mrz.lines)
            valid = mrz.valid
        except CheckedIDError:
            got, valid = None, False
        g["latency_s"].append(time.perf_counter() - t)
        ok, total = score(got, truth)
        g["photos"] += 1
        g["chars_ok"] += ok
        g["chars"] += total
        g["exact"] += got == truth
        g["valid"] += bool(valid)
        band = next(bands(load_image(img)), None)
        if band is not None:
            t = time.perf_counter()
            engine.read(band)
            recog.append(time.perf_counter() - t)
    report: dict[str, Any] = {}
    everything: list[float] = []
    for group, g in sorted(groups.items()):
        lat = g.pop("latency_s")
        everything += lat
        report[group] = {
            "photos": g["photos"],
            "char_accuracy": round(g["chars_ok"] / max(g["chars"], 1), 4),
            "full_mrz_accuracy": round(g["exact"] / g["photos"], 4),
            "valid_rate": round(g["valid"] / g["photos"], 4),
            "latency_ms_p50": round(1000 * pct(lat, 50), 1),
            "latency_ms_p95": round(1000 * pct(lat, 95), 1),
        }
    report["all"] = {"latency_ms_p50": round(1000 * pct(everything, 50), 1),
                     "latency_ms_p95": round(1000 * pct(everything, 95), 1),
                     "recognition_ms_p50": round(1000 * pct(recog, 50), 2),
                     "recognition_ms_p95": round(1000 * pct(recog, 95), 2)}
    return report


def no_mrz_latency(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    frames = [rng.integers(0, 256, (960, 1280, 3), dtype=np.uint8),
              np.full((960, 1280, 3), 180, np.uint8)]
    if (SPECIMENS / "nomrz.jpg").exists():
        frames.append(cv2.resize(cv2.imread(str(SPECIMENS / "nomrz.jpg")), (1280, 960)))
    times: list[float] = []
    wrong = 0
    for _ in range(10):
        for f in frames:
            t = time.perf_counter()
            try:
                read(f)
                wrong += 1
            except MRZNotFound:
                pass
            times.append(time.perf_counter() - t)
    return {"frames": len(times), "frame_size": "1280x960", "false_reads": wrong,
            "latency_ms_p50": round(1000 * statistics.median(times), 1),
            "latency_ms_p95": round(1000 * pct(times, 95), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=99, help="synthetic photos")
    ap.add_argument("--seed", type=int, default=9303)
    ap.add_argument("--no-tesseract", action="store_true")
    args = ap.parse_args(argv)
    items = photos(args.n, args.seed)
    result: dict[str, Any] = {"seed": args.seed, "synthetic": args.n,
                              "specimens": sum(1 for g, _, _ in items if g == "specimen")}
    read(items[0][1])  # load the model once before timing
    result["default"] = run_engine("default", items)
    if not args.no_tesseract:
        try:
            result["tesseract"] = run_engine("tesseract", items)
        except CheckedIDError as exc:
            result["tesseract"] = {"error": str(exc)}
        else:
            ours, theirs = result["default"]["all"], result["tesseract"]["all"]
            result["speed_ratio"] = {
                "end_to_end_p50": round(theirs["latency_ms_p50"] / ours["latency_ms_p50"], 1),
                "recognition_p50": round(theirs["recognition_ms_p50"]
                                         / max(ours["recognition_ms_p50"], 1e-3), 1),
            }
    result["no_mrz"] = no_mrz_latency(args.seed)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
