"""MRZ step CPU in a freshly forked worker: user and system time, minor page faults.

Usage: ``python benchmarks/mrz_fork.py [--samples 12] [--rounds 3] [--baseline main]``;
prints JSON.

A verification runs in a process forked per verification (:mod:`checkedid.pipeline`), whose
parent has imported the MRZ modules and loaded the recogniser's weights. In such a child
every new buffer is fresh memory: each 4 KiB page costs a minor fault (several microseconds
of system time), and memory a long-lived process would reuse is not there to reuse. This
benchmark measures exactly that: a parent prepared as a session prepares the process that forks
its workers (:func:`checkedid.pipeline.preload`: the chip modules, the modules libraries import
lazily, the MRZ reader and its weights) forks one child per sample, which
runs :func:`checkedid.mrz.reader.read_zone` once on a BGR photo and exits; the child's
user ms, system ms and minor faults come from ``os.wait4``.

Photos: ``pipeline`` (the 1200x900 document photo ``benchmarks/pipeline.py`` verifies,
:func:`checkedid.demo.document_photo`), ``td1`` and ``td3`` (1280x720 synthetic photos,
:func:`checkedid.mrz.synth.document_photo`, difficulty ``medium``) and four real-world
kinds of :mod:`mrz_realworld` (``small``, ``glare``, ``two_sided``, ``visa``). Every sample
also records whether the child read the printed MRZ exactly.

The photos are made once, by this tree, and read by every worker (the same pixels for
both trees). Same-run baseline: ``--baseline REF`` (default ``main``; ``none`` skips it) extracts
``src/`` of that git revision into a temporary directory; the rounds alternate between a
worker process on the baseline tree and one on this tree, each forking ``--samples``
children per photo, so both see the same machine load. Reported per tree and photo: p50 of
user ms, system ms, their sum and minor faults, the exact-read count; ``fork_floor`` is a
child that exits at once (what forking alone costs); ``ratio`` is each other configuration
over the baseline (p50 total CPU and faults). ``--warm-up`` adds ``this+warm_up``: this tree
with :func:`checkedid.mrz.reader.warm_up` run in the parent before it forks.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
REALWORLD = ("small", "glare", "two_sided", "visa")
SEED = 9303


def _photos() -> dict[str, tuple[Any, tuple[str, ...] | None]]:
    """Name -> (BGR photo, printed lines or None when not known)."""
    from checkedid.demo import document_photo
    from checkedid.mrz import synth

    sys.path.insert(0, str(BENCH))
    import mrz_realworld

    out: dict[str, tuple[Any, tuple[str, ...] | None]] = {
        "pipeline": (document_photo("utopia-id-pace-gm"), None)}
    for fmt in ("TD1", "TD3"):
        p = synth.document_photo(seed=SEED, format=fmt, difficulty="medium", size=(1280, 720))
        out[fmt.lower()] = (p.image, tuple(p.lines))
    for kind in REALWORLD:
        c = mrz_realworld.case(kind, SEED)
        out[kind] = (c.image, c.lines)
    return out


def _child(photo: Any, truth: tuple[str, ...] | None) -> int:
    """Exit status: 0 exact (or valid when the truth is unknown), 1 valid, 2 read, 3 none."""
    from checkedid.errors import CheckedIDError
    from checkedid.mrz.reader import read_zone

    try:
        mrz, _ = read_zone(photo)
    except CheckedIDError:
        return 3
    if truth is not None and tuple(mrz.lines) == truth:
        return 0
    if mrz.valid:
        return 0 if truth is None else 1
    return 2


def _fork(photo: Any, truth: tuple[str, ...] | None) -> dict[str, float]:
    pid = os.fork()
    if pid == 0:  # the worker: one read, no interpreter teardown
        code = 3
        try:
            code = _child(photo, truth) if photo is not None else 0
        finally:
            os._exit(code)
    _, status, ru = os.wait4(pid, 0)
    return {"user_ms": ru.ru_utime * 1000, "sys_ms": ru.ru_stime * 1000,
            "faults": float(ru.ru_minflt), "exit": float(os.waitstatus_to_exitcode(status))}


def worker(samples: int, photos_file: Path, warm_up: bool) -> dict[str, list[dict[str, float]]]:
    """The parent of the forked children: modules imported, weights loaded, photos read."""
    from types import SimpleNamespace

    import numpy as np

    from checkedid.pipeline import preload

    # what the session's parent loads before it forks a worker (modules, lazy imports, weights)
    preload(SimpleNamespace(mrz_engine="default"), True)  # type: ignore[arg-type]
    if warm_up:
        from checkedid.mrz.reader import warm_up as read_once

        read_once()
    with np.load(photos_file) as z:
        photos = {name: (np.ascontiguousarray(z[name]),
                         tuple(str(x) for x in z[f"{name}.lines"]) or None)
                  for name in z.files if not name.endswith(".lines")}
    out: dict[str, list[dict[str, float]]] = {"fork_floor": []}
    for _ in range(samples):
        out["fork_floor"].append(_fork(None, None))
        for name, (img, truth) in photos.items():
            out.setdefault(name, []).append(_fork(img, truth))
    return out


def _save_photos(path: Path) -> None:
    """The photos, made once by this tree, so that both trees read the same pixels."""
    import numpy as np

    arrays: dict[str, Any] = {}
    for name, (img, truth) in _photos().items():
        arrays[name] = img
        arrays[f"{name}.lines"] = np.array(truth or (), dtype=str)
    with path.open("wb") as fh:
        np.savez(fh, **arrays)


def _extract(ref: str, into: Path) -> Path:
    git = shutil.which("git") or "git"
    data = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [git, "-C", str(ROOT), "archive", "--format=tar", ref, "src", "hw"],
        check=True, capture_output=True).stdout
    tar = into / "src.tar"
    tar.write_bytes(data)
    with tarfile.open(tar) as t:
        t.extractall(into, filter="data")
    return into / "src"


def _run(src: Path, samples: int, photos: Path,
         warm_up: bool = False) -> dict[str, list[dict[str, float]]]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src), str(ROOT)]))
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as checkedid.blas sets it for the command line
    proc = subprocess.run([sys.executable, __file__, "--worker",  # noqa: S603 - no shell
                           "--samples", str(samples), "--photos", str(photos),
                           *(["--warm-up"] if warm_up else [])],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"worker on {src} failed:\n{proc.stderr}")
    result: dict[str, list[dict[str, float]]] = json.loads(proc.stdout)
    return result


def _summary(rows: list[dict[str, float]]) -> dict[str, Any]:
    def p50(key: str) -> float:
        return round(statistics.median(r[key] for r in rows), 1)

    total = [r["user_ms"] + r["sys_ms"] for r in rows]
    return {"samples": len(rows), "user_ms_p50": p50("user_ms"), "sys_ms_p50": p50("sys_ms"),
            "cpu_ms_p50": round(statistics.median(total), 1),
            "cpu_ms_mean": round(statistics.fmean(total), 1),
            "faults_p50": p50("faults"),
            "exact": sum(r["exit"] == 0 for r in rows)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=12, help="children per photo per round")
    ap.add_argument("--rounds", type=int, default=3, help="alternations of the configurations")
    ap.add_argument("--baseline", default="main", help="git revision to compare ('none': skip)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--photos", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--warm-up", action="store_true",
                    help="also measure this tree with checkedid.mrz.reader.warm_up() run in "
                         "the parent before it forks")
    args = ap.parse_args(argv)
    if args.worker:
        json.dump(worker(args.samples, args.photos, args.warm_up), sys.stdout)
        return 0
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    trees: dict[str, tuple[Path, bool]] = {"this": (ROOT / "src", False)}
    if args.warm_up:
        trees["this+warm_up"] = (ROOT / "src", True)
    with tempfile.TemporaryDirectory(prefix="mrz-fork-") as tmp:
        photos = Path(tmp) / "photos.npz"
        _save_photos(photos)
        if args.baseline != "none":
            trees = {"baseline": (_extract(args.baseline, Path(tmp)), False), **trees}
        rows: dict[str, dict[str, list[dict[str, float]]]] = {name: {} for name in trees}
        for _ in range(args.rounds):
            for name, (src, warm) in trees.items():
                for photo, samples in _run(src, args.samples, photos, warm).items():
                    rows[name].setdefault(photo, []).extend(samples)
    result: dict[str, Any] = {
        "baseline": args.baseline, "rounds": args.rounds, "samples_per_round": args.samples,
        "trees": {name: {photo: _summary(r) for photo, r in per.items()}
                  for name, per in rows.items()}}
    if "baseline" in rows:
        base = result["trees"]["baseline"]
        result["ratio"] = {name: {photo: {
            "cpu_ms_p50": round(per[photo]["cpu_ms_p50"] / max(base[photo]["cpu_ms_p50"], 0.1),
                                3),
            "faults_p50": round(per[photo]["faults_p50"] / max(base[photo]["faults_p50"], 1.0),
                                3)} for photo in per if photo != "fork_floor"}
            for name, per in result["trees"].items() if name != "baseline"}
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
