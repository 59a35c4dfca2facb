"""The kiosk service soaked through its HTTP API in a clean process that then scans its own
memory for personal data (``python -m tests.chip.kiosk_soak_probe``, run by
``test_kiosk_soak.py``).

Reads a JSON request on stdin (reader, document photo PNG base64, selfie path, shifted
needles, count, sample interval); runs the in-process Starlette app through its HTTP
interface; writes a JSON report: decisions, RSS/fd/thread samples, per-request seconds,
and the memory-scan hits.
"""

from __future__ import annotations

import base64
import gc
import json
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

from tests.memscan import labelled_hits
from tests.procstats import proc_stats


def main() -> int:
    request = json.loads(sys.stdin.read())
    needles = [bytes.fromhex(h) for h in request["needles"]]
    labels = request["labels"]
    count, every = int(request["count"]), int(request["every"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from checkedid.demo import virtual_trust_store
    from checkedid.kiosk import Kiosk, KioskConfig, create_app

    kiosk = Kiosk(KioskConfig(reader=request["reader"], trust=virtual_trust_store(), fields=(),
                              monitor=False))
    photo = base64.b64decode(request["photo"])
    selfie = Path(request["selfie"]).read_bytes()
    decisions: Counter[str] = Counter()
    samples, seconds = [], []
    with TestClient(create_app(kiosk)) as client:
        for i in range(count):
            if i % every == 0:
                samples.append({"n": i, **proc_stats()})
            t0 = time.perf_counter()
            r = client.post("/api/verifications", files={
                "document": ("d.png", photo, "image/png"),
                "selfie": ("s.jpg", selfie, "image/jpeg")})
            seconds.append(time.perf_counter() - t0)
            decisions[r.json().get("decision") or r.json().get("code", "?")] += 1
            del r
        samples.append({"n": count, **proc_stats()})
    del kiosk, client
    gc.collect()
    report = {
        "decisions": dict(decisions),
        "samples": samples,
        "seconds": seconds,
        "hits": labelled_hits(needles, labels),
    }
    sys.stdout.write(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
