"""The kiosk's camera scan: the voting scanner held in one isolated worker against the
previous adapter (each frame read alone by ``mrz.read`` in a short-lived isolated worker).

Usage: ``python benchmarks/kiosk_scan.py [--clips 4] [--frames 30]``; prints JSON.

Both adapters get the same JPEG frames of ``--clips`` generated clips
(:func:`checkedid.mrz.synthclip.document_clip`: 1280x720, two motion-blurred frames, a
glare spot crossing the zone), one frame at a time as the page sends them, until they answer
``mrz.found`` (the baseline: a single frame whose check digits hold). Reported per adapter:
how many clips were found and after how many frames, the wall time per frame answer (p50 /
p95, what the page waits for) and the time to found; ``ratio`` is held / baseline for the
per-frame p50 and the time to found. The held adapter's worker fork is part of its first
frame. One core: the process pins itself to CPU 0 before anything is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import cv2

from checkedid import isolation
from checkedid.benchinfo import machine, timing_stats
from checkedid.kiosk.scanner import FOUND, HeldScanner
from checkedid.mrz.synthclip import document_clip


class _Session:
    isolation = "process"


def _single(frame: bytes) -> str:
    """The previous adapter: one frame read alone in a short-lived isolated worker."""
    def work(_emit: Any) -> dict[str, Any]:
        from checkedid import mrz
        from checkedid.errors import MRZError

        try:
            return {"code": FOUND if mrz.read(frame).valid else "mrz.check_digits"}
        except MRZError:
            return {"code": "mrz.not_found"}

    return str(isolation.run_isolated(work, timeout=20)["code"])


def _run(clips: list[list[bytes]], feed_for: Any) -> dict[str, Any]:
    samples: list[tuple[float, float]] = []
    found_after: list[int] = []
    to_found: list[float] = []
    for frames in clips:
        feed, close = feed_for()
        start = time.perf_counter()
        for i, frame in enumerate(frames, 1):
            t0, c0 = time.perf_counter(), time.process_time()
            code = feed(frame)
            samples.append((time.perf_counter() - t0, time.process_time() - c0))
            if code == FOUND:
                found_after.append(i)
                to_found.append(time.perf_counter() - start)
                break
        close()
    return {"found": f"{len(found_after)} of {len(clips)}", "frames_to_found": found_after,
            "frame": timing_stats(samples),
            "to_found_p50_ms": round(statistics.median(to_found) * 1000, 1) if to_found
            else None}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=4)
    ap.add_argument("--frames", type=int, default=30)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    from checkedid.mrz.ocr import load_model

    load_model()
    clips = []
    for seed in range(args.clips):
        clip = document_clip(seed, n_frames=args.frames, format=("TD3", "TD1")[seed % 2])
        clips.append([bytes(cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 92])[1])
                      for f in clip.frames])

    def held() -> tuple[Any, Any]:
        scanner = HeldScanner(_Session())
        return scanner.feed, scanner.close

    baseline = _run(clips, lambda: (_single, lambda: None))
    voting = _run(clips, held)
    ratio: dict[str, float | None] = {
        "frame_p50": round(voting["frame"]["p50_ms"] / baseline["frame"]["p50_ms"], 2)}
    if voting["to_found_p50_ms"] and baseline["to_found_p50_ms"]:
        ratio["to_found_p50"] = round(voting["to_found_p50_ms"] / baseline["to_found_p50_ms"], 2)
    print(json.dumps({"machine": machine(), "clips": args.clips, "frames": args.frames,
                      "held_voting": voting, "baseline_per_frame": baseline, "ratio": ratio},
                     indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
