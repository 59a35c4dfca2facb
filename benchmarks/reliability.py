"""Reliability benchmark: fault matrix, fuzz escapes and a soak, printed as JSON.

Three parts (``--parts faults,fuzz,soak``, all by default):

* ``faults``: every fault profile of the virtual chip (``hw.vchip.faults.FAULTS``, on the
  default persona) and every fault persona (``hw.vchip.personas.specs()`` with ``.fault``),
  plus the clean base personas, each verified over pcscd with ``checkedid.Session.verify``.
  Outcome: ``recovered`` (VERIFIED), ``clean failure`` (REJECTED / INCOMPLETE with reasons,
  or a :class:`checkedid.errors.CheckedIDError` other than ``InternalError``: class and
  message) or ``crash`` (anything else), with the time to the outcome. A fault *persona*
  (forged or broken data) that ends VERIFIED is reported as ``false accept``.
* ``fuzz``: every hypothesis test of ``tests/unit`` whose module is ``test_*fuzz*.py`` or
  whose name contains ``fuzz``, called directly (hypothesis runs its examples). Per test:
  the examples setting, the examples run, passed or the escape (exception class and first
  line), time. ``CHECKEDID_FUZZ_EXAMPLES`` sets the examples (``--fuzz-examples``).
* ``soak``: ``--soak N`` verifications in a row against one virtual chip, in one clean
  subprocess (as a kiosk would run): RSS sampled every 10 sessions and its linear slope,
  open file descriptors, threads, wall time per session; at the end the process searches
  its own memory for the persona's personal data (needles computed in a third process
  and handed over shifted, see ``tests/memscan.py``). The hits must be 0.

Usage: ``python benchmarks/reliability.py [--quick] [--soak N] [--parts ...]``.
Needs pcscd with vpcd (``bash hw/setup.sh``) for ``faults`` and ``soak``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import inspect
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT / "src"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

BASE_PERSONA = "utopia-id-pace-gm"
OUTCOME_TIMEOUT = 90.0
#: vpcd chip port given with --port (None: a free slot of the test bed for each chip)
PORT: int | None = None


def _err(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


# ------------------------------------------------------------------------ shared set-up
def _trust() -> Any:
    from checkedid.demo import virtual_trust_store

    return virtual_trust_store()


def _photo_png(persona: str) -> bytes:
    from checkedid.demo import document_photo

    return bytes(document_photo(persona, png=True))


def _selfie(persona: str) -> str:
    from hw.vchip.personas import spec

    from checkedid.demo import sample_selfie

    return str(sample_selfie(spec(persona).photo))


def classify(run: Callable[[], Any]) -> dict[str, Any]:
    """Run one verification and name its outcome."""
    from checkedid.errors import CheckedIDError, InternalError

    t0 = time.perf_counter()
    out: dict[str, Any]
    try:
        result = run()
    except InternalError as exc:
        out = {"outcome": "crash", "error": _err(exc)}
    except CheckedIDError as exc:
        out = {"outcome": "clean failure", "error": _err(exc)}
    except Exception as exc:  # whatever escapes is the finding
        out = {"outcome": "crash", "error": _err(exc)}
        traceback.print_exc(file=sys.stderr)
    else:
        decision = result.decision.value
        if decision == "VERIFIED":
            out = {"outcome": "recovered", "decision": decision}
        elif result.reasons:
            out = {"outcome": "clean failure", "decision": decision,
                   "reasons": list(result.reasons)}
        else:
            out = {"outcome": "crash", "decision": decision, "reasons": []}
        if result.warnings:
            out["warnings"] = list(result.warnings)
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


# ------------------------------------------------------------------------ fault matrix
def other_chips(port: int, mine: int) -> list[int]:
    """Pids of virtual chips on ``port`` that are not ours (the test bed may be shared)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == mine:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        if b"hw.vchip" in argv and str(port).encode() in argv:
            found.append(int(entry))
    return found


def fault_cases(quick: bool) -> list[tuple[str, str, str | None, str]]:
    """``(case, persona, fault profile, kind)`` for every profile and fault persona."""
    from hw.vchip.faults import FAULTS
    from hw.vchip.personas import specs

    cases: list[tuple[str, str, str | None, str]] = []
    bases = [s.name for s in specs() if not s.fault]
    for name in bases[:1] if quick else bases:
        cases.append((name, name, None, "clean"))
    for profile in sorted(FAULTS):
        cases.append((f"profile {profile}", BASE_PERSONA, profile, "profile"))
    for s in specs():
        if s.fault:
            cases.append((s.name, s.name, None, "persona"))
    return cases


def run_faults(quick: bool, isolation: str = "process", only: str | None = None) -> dict[str, Any]:
    from hw.vchip.process import VChipProcess
    from tests.procstats import free_vpcd_port

    import checkedid

    trust = _trust()
    photos: dict[str, bytes] = {}
    rows: list[dict[str, Any]] = []
    with checkedid.Session(trust=trust, isolation=isolation, preload=True) as session:
        for case, persona, profile, kind in fault_cases(quick):
            if only and only not in case:
                continue
            if persona not in photos:
                photos[persona] = _photo_png(persona)
            photo, selfie = photos[persona], Path(_selfie(persona)).read_bytes()
            row: dict[str, Any] = {"case": case, "kind": kind}
            for attempt in (1, 2):
                others: set[int] = set()
                slot = PORT or free_vpcd_port()
                try:
                    with VChipProcess(persona, profile, slot) as chip:
                        others = set(other_chips(slot, chip.proc.pid))
                        outcome = classify(partial(session.verify, photo, selfie,
                                                   reader=chip.reader, fields=(),
                                                   timeout=OUTCOME_TIMEOUT))
                        others |= set(other_chips(slot, chip.proc.pid))
                except (RuntimeError, TimeoutError) as exc:  # the test bed, not the library
                    outcome = {"outcome": "not run", "error": _err(exc),
                               "detail": str(exc).strip().splitlines()[-1][:300]}
                # A shared test bed: another chip on the same vpcd slot takes the reader over
                # (no card at connect time, PACE state lost, another card's data). Run such
                # a case once more and keep both answers.
                if others:
                    outcome["interference"] = sorted(others)
                interfered = others or str(outcome.get("error", "")).startswith("NoCardError")
                if attempt == 1 and interfered and outcome["outcome"] != "recovered":
                    row["first_attempt"] = outcome
                    continue
                break
            row.update(outcome)
            if kind == "persona" and row.get("outcome") == "recovered":
                row["outcome"] = "false accept"
            rows.append(row)
            print(f"fault {case}: {row['outcome']} ({row.get('seconds', '-')} s)", file=sys.stderr)
    summary: dict[str, int] = {}
    for row in rows:
        summary[row["outcome"]] = summary.get(row["outcome"], 0) + 1
    return {"cases": rows, "summary": summary}


# ------------------------------------------------------------------------ fuzz
def _fixture_value(module: Any, name: str, cache: dict[tuple[str, str], Any]) -> Any:
    """Call a module-level pytest fixture without pytest (fixtures without parameters only)."""
    key = (module.__name__, name)
    if key in cache:
        return cache[key]
    fix = getattr(module, name, None)
    if fix is None:
        raise LookupError(f"fixture {name!r} is not defined in {module.__name__}")
    for unwrap in ("_get_wrapped_function", "__wrapped__"):
        target = getattr(fix, unwrap, None)
        if target is not None:
            fn = target() if unwrap == "_get_wrapped_function" else target
            break
    else:
        wrapped = getattr(fix, "__pytest_wrapped__", None)
        fn = wrapped.obj if wrapped is not None else fix
    if inspect.signature(fn).parameters:
        raise LookupError(f"fixture {name!r} needs other fixtures")
    cache[key] = fn()
    return cache[key]


def fuzz_tests() -> list[tuple[str, Any, Any]]:
    import importlib

    found: list[tuple[str, Any, Any]] = []
    for path in sorted((ROOT / "tests" / "unit").glob("test_*.py")):
        fuzz_module = "fuzz" in path.stem
        text = path.read_text(encoding="utf-8")
        if not fuzz_module and "fuzz" not in text:
            continue
        try:
            module = importlib.import_module(f"tests.unit.{path.stem}")
        except Exception as exc:  # a broken test module is reported, not fatal
            found.append((f"{path.stem}::<import>", exc, None))
            continue
        for name, fn in vars(module).items():
            if not (name.startswith("test_") and callable(fn) and hasattr(fn, "hypothesis")):
                continue
            if fuzz_module or "fuzz" in name:
                found.append((f"{path.stem}::{name}", module, fn))
    return found


def run_fuzz() -> dict[str, Any]:
    from hypothesis.errors import UnsatisfiedAssumption

    rows: list[dict[str, Any]] = []
    fixtures: dict[tuple[str, str], Any] = {}
    for test_id, module, fn in fuzz_tests():
        if fn is None:
            rows.append({"test": test_id, "status": "not run", "error": _err(module),
                         "examples_run": 0, "seconds": 0.0})
            continue
        settings = getattr(fn, "_hypothesis_internal_use_settings", None)
        row: dict[str, Any] = {"test": test_id,
                               "examples_setting": getattr(settings, "max_examples", None)}
        inner = fn.hypothesis.inner_test
        calls = [0]

        def counting(*a: Any, _inner: Any = inner, _calls: list[int] = calls, **kw: Any) -> Any:
            _calls[0] += 1
            return _inner(*a, **kw)

        fn.hypothesis.inner_test = counting
        t0 = time.perf_counter()
        try:
            given = set(getattr(fn.hypothesis, "_given_kwargs", {}) or {})
            params = [p for p in inspect.signature(fn).parameters if p not in given]
            kwargs = {p: _fixture_value(module, p, fixtures) for p in params}
            with contextlib.redirect_stdout(sys.stderr):
                fn(**kwargs)
            row["status"] = "passed"
        except LookupError as exc:
            row.update({"status": "not run", "error": str(exc)})
        except UnsatisfiedAssumption:
            row["status"] = "passed"
        except BaseException as exc:  # an escape (or a skip) is the finding
            if type(exc).__name__ in ("Skipped", "SkipTest"):
                row.update({"status": "skipped", "error": _err(exc)})
            elif isinstance(exc, KeyboardInterrupt):
                raise
            else:
                row.update({"status": "escape", "error": _err(exc)})
        finally:
            fn.hypothesis.inner_test = inner
        row["examples_run"] = calls[0]
        row["seconds"] = round(time.perf_counter() - t0, 2)
        rows.append(row)
        print(f"fuzz {test_id}: {row['status']} ({row['seconds']} s)", file=sys.stderr)
    return {
        "examples_env": os.environ.get("CHECKEDID_FUZZ_EXAMPLES", "2000 (default)"),
        "tests": rows,
        "escapes": sum(r["status"] == "escape" for r in rows),
        "examples_total": sum(r["examples_run"] for r in rows),
    }


# ------------------------------------------------------------------------ soak
def needles(persona: str) -> dict[str, Any]:
    """The persona's personal data, shifted (+1 per byte): run in a separate process."""
    import cv2
    import numpy as np
    from hw.vchip.personas import build, spec
    from tests.memscan import shift

    from checkedid.nfc.lds import dg2

    s = spec(persona)
    lines = s.mrz.split("\n")
    dg2_raw = build(persona).files[0x0102]
    image = bytes(dg2.parse(dg2_raw).faces[0].image_bytes)
    decoded = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("the persona's face image does not decode")
    h, w = decoded.shape[:2]
    plain = {
        "document number": s.document_number.encode(),
        "surname": lines[-1].split("<<")[0].encode(),
        "MRZ line": lines[1].encode(),
        "DG2 run": dg2_raw[len(dg2_raw) // 2: len(dg2_raw) // 2 + 32],
        "face pixels": decoded[h // 2, w // 2 - 6: w // 2 + 6].tobytes()[:32],
    }
    return {"labels": list(plain), "needles": [shift(v).hex() for v in plain.values()]}


def soak_worker(request: dict[str, Any]) -> dict[str, Any]:
    """N verifications in this process (reads no persona module), then the memory scan."""
    import gc

    from tests.memscan import scan
    from tests.procstats import proc_stats, slope

    import checkedid
    from checkedid.errors import CheckedIDError

    n = int(request["sessions"])
    trust = _trust()
    selfie = Path(request["selfie"]).read_bytes()
    photo = bytearray(base64.b64decode(request["photo"]))
    decisions: dict[str, int] = {}
    samples: list[dict[str, Any]] = []
    walls: list[float] = []
    errors: list[str] = []
    interfered = 0
    for i in range(n + 1):  # session 0 warms caches up and is not measured
        if i >= 1 and (i - 1) % 10 == 0:
            samples.append({"session": i - 1, **proc_stats()})
        t0 = time.perf_counter()
        try:
            with checkedid.Session(trust=trust, reader=request["reader"],
                                   isolation=request["isolation"]) as session:
                result = session.verify(photo, selfie, fields=(), timeout=OUTCOME_TIMEOUT)
                decision = result.decision.value
        except CheckedIDError as exc:
            decision = f"error {type(exc).__name__}"
            if len(errors) < 5:
                errors.append(_err(exc))
            if other_chips(int(request["port"]), int(request["chip_pid"])):
                interfered += 1
        if i:
            walls.append(time.perf_counter() - t0)
            decisions[decision] = decisions.get(decision, 0) + 1
    gc.collect()
    samples.append({"session": n, **proc_stats()})
    photo[:] = bytes(len(photo))
    del photo
    gc.collect()
    shifted = [bytes.fromhex(h) for h in request["needles"]]
    hits = scan(shifted)
    labels = request["labels"]
    walls.sort()
    rss = [(float(s["session"]), float(s["rss_kb"])) for s in samples]
    return {
        "sessions": n,
        "isolation": request["isolation"],
        "decisions": decisions,
        "first_errors": errors,
        "errors_with_another_chip_on_the_slot": interfered,
        "rss_kb_first": samples[0]["rss_kb"],
        "rss_kb_last": samples[-1]["rss_kb"],
        "rss_slope_kb_per_session": round(slope(rss), 3),
        "rss_slope_second_half_kb_per_session": round(slope(rss[len(rss) // 2:]), 3),
        "fds_first": samples[0]["fds"], "fds_last": samples[-1]["fds"],
        "fds_max": max(s["fds"] for s in samples),
        "threads_first": samples[0]["threads"], "threads_last": samples[-1]["threads"],
        "threads_max": max(s["threads"] for s in samples),
        "wall_s_per_session": {"mean": round(sum(walls) / len(walls), 3),
                               "p50": round(walls[len(walls) // 2], 3),
                               "p95": round(walls[int(len(walls) * 0.95)], 3),
                               "max": round(walls[-1], 3)},
        "samples": samples,
        "memory_scan_hits": len(hits),
        "memory_scan_labels": sorted({labels[i] if i >= 0 else "?" for i, _, _ in hits}),
    }


def _subprocess(args: list[str], stdin: str | None = None, timeout: float = 7200) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], cwd=ROOT, env=env,  # noqa: S603
                          input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {proc.stderr.strip()[-2000:]}")
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def run_soak(sessions: int, isolation: str, persona: str = BASE_PERSONA) -> dict[str, Any]:
    """Start one chip and run the soak in a clean subprocess."""
    from hw.vchip.process import VChipProcess
    from tests.procstats import free_vpcd_port

    shifted = _subprocess(["--needles", persona])
    photo = base64.b64encode(_photo_png(persona)).decode()
    request = {"sessions": sessions, "isolation": isolation, "photo": photo,
               "selfie": _selfie(persona), **shifted}
    with VChipProcess(persona, None, PORT or free_vpcd_port()) as chip:
        request.update(reader=chip.reader, port=chip.port, chip_pid=chip.proc.pid)
        return {"persona": persona, **_subprocess(["--soak-worker"], json.dumps(request))}


# ------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--soak", type=int, default=500, help="soak sessions (default 500)")
    p.add_argument("--quick", action="store_true",
                   help="one clean persona, 200 fuzz examples per test, a 50-session soak")
    p.add_argument("--parts", default="faults,fuzz,soak")
    p.add_argument("--isolation", default="process", choices=("process", "none"),
                   help="isolation of the verifications (default process, as in production)")
    p.add_argument("--case", help="run only the fault cases whose name contains this")
    p.add_argument("--port", type=int, default=None,
                   help="vpcd chip port to use (default: a free slot of the test bed)")
    p.add_argument("--fuzz-examples", type=int, default=None)
    p.add_argument("--needles", help=argparse.SUPPRESS)
    p.add_argument("--soak-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.needles:
        json.dump(needles(args.needles), sys.stdout)
        return 0
    if args.soak_worker:
        json.dump(soak_worker(json.loads(sys.stdin.read())), sys.stdout)
        return 0

    if args.port is not None:
        global PORT
        PORT = args.port
    examples = args.fuzz_examples
    if examples is None and args.quick and "CHECKEDID_FUZZ_EXAMPLES" not in os.environ:
        examples = 200
    if examples:
        os.environ["CHECKEDID_FUZZ_EXAMPLES"] = str(examples)
    sessions = 50 if args.quick and "--soak" not in " ".join(argv or sys.argv) else args.soak
    parts = {x.strip() for x in args.parts.split(",") if x.strip()}
    out: dict[str, Any] = {"benchmark": "reliability", "quick": args.quick}
    t0 = time.perf_counter()
    if "faults" in parts:
        out["faults"] = run_faults(args.quick, args.isolation, args.case)
    if "fuzz" in parts:
        out["fuzz"] = run_fuzz()
    if "soak" in parts:
        out["soak"] = run_soak(sessions, args.isolation)
    out["total_seconds"] = round(time.perf_counter() - t0, 1)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
