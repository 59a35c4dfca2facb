"""The kiosk's camera scan in a clean process that then searches its own memory for the MRZ
(``python -m tests.unit.kiosk_scan_probe``, run by ``test_kiosk_scanner.py``).

Reads a JSON request on stdin: the isolation (``"none"`` is the control: the scanner then
runs here), the directory of the clip's JPEG frames, the *shifted* MRZ
needles (:mod:`tests.memscan`) and a control string that the probe puts in its own memory
on purpose. Feeds the frames through :class:`checkedid.kiosk.scanner.HeldScanner` (the
voting scanner in its isolated worker) until the MRZ is read and, while the worker still
holds it, scans this process's memory. Writes a JSON report: the guidance codes, whether the
worker (or the in-process scanner) held the MRZ at the scan, and the hits per needle.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

from tests.memscan import scan, shift


class _Session:
    def __init__(self, isolation: str) -> None:
        self.isolation = isolation


def main() -> int:
    request = json.loads(sys.stdin.read())
    needles = [bytes.fromhex(h) for h in request["needles"]]
    control = bytearray(request["control"].encode("ascii"))  # plain, on purpose
    from checkedid.kiosk.scanner import FOUND, HeldScanner

    scanner = HeldScanner(_Session(request["isolation"]))
    codes = []
    for path in sorted(Path(request["frames"]).glob("*.jpg")):
        codes.append(scanner.feed(path.read_bytes()))
        if codes[-1] == FOUND:
            break
    worker = scanner._worker
    alive = worker is not None and worker.pid is not None and _alive(worker.pid)
    if request["isolation"] != "process":
        alive = scanner._local is not None and scanner._local.mrz is not None
    gc.collect()
    hits = scan([*needles, shift(control)])
    scanner.close()
    report = {"codes": codes, "alive": alive,
              "hits": [sum(1 for i, _n, _a in hits if i == k) for k in range(len(needles) + 1)]}
    sys.stdout.write(json.dumps(report))
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
