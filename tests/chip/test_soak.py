"""A short soak in CI: consecutive verifications against one virtual chip leak nothing.

``CHECKEDID_SOAK`` sessions (default 30) run one after another, each in its own
:class:`checkedid.Session` with process isolation (as a kiosk runs them). The test process's
resident memory may not grow with the number of sessions beyond allocator noise, open file
descriptors and threads may not grow at all, and every session ends in a decision. The long
run is ``python benchmarks/reliability.py --parts soak --soak 500`` (docs/reliability.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import checkedid
from checkedid.result import Decision
from tests.chip.conftest import VChipFactory
from tests.procstats import free_vpcd_port, proc_stats, slope

PERSONA = "utopia-id-pace-gm"
SESSIONS = int(os.environ.get("CHECKEDID_SOAK", "30"))
#: Allocator noise: a real leak of a session's data (chip files, face image, buffers of
#: tens of KB) shows far above this; the measured slope is below 1 KB/session.
RSS_SLOPE_KB = 16.0
WARM_UP = 2  # first sessions import modules and fill caches


def _document(persona: str) -> tuple[bytes, bytes]:
    from hw.vchip.personas import spec

    from checkedid.demo import document_photo, sample_selfie

    photo = document_photo(persona, seed=2, png=True)
    return photo, Path(sample_selfie(spec(persona).photo)).read_bytes()


def test_consecutive_sessions_leak_no_memory_fds_or_threads(vchip: VChipFactory) -> None:
    from checkedid.demo import virtual_trust_store

    trust = virtual_trust_store()
    photo, selfie = _document(PERSONA)
    chip = vchip(PERSONA, None, free_vpcd_port())
    samples: list[dict[str, Any]] = []
    decisions: list[Decision] = []
    reasons: set[str] = set()
    for i in range(WARM_UP + SESSIONS):
        n = i - WARM_UP
        if n >= 0 and n % 5 == 0:
            samples.append({"n": n, **proc_stats()})
        with checkedid.Session(trust=trust, reader=chip.reader) as session:
            result = session.verify(photo, selfie, fields=(), timeout=60)
        if n >= 0:
            decisions.append(result.decision)
            reasons.update(result.reasons)
    samples.append({"n": SESSIONS, **proc_stats()})

    assert decisions == [Decision.VERIFIED] * SESSIONS, (reasons, samples)
    rss = [(float(s["n"]), float(s["rss_kb"])) for s in samples]
    assert slope(rss) < RSS_SLOPE_KB, samples
    assert samples[-1]["fds"] <= samples[0]["fds"], samples
    assert samples[-1]["threads"] <= samples[0]["threads"], samples
