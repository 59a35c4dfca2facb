"""Resource counters of this process, for soak tests and the reliability benchmark (Linux /proc)."""

from __future__ import annotations

import os
from collections.abc import Sequence


def proc_stats() -> dict[str, int]:
    """VmRSS (KB), open file descriptors and threads of this process."""
    rss = threads = 0
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return {"rss_kb": rss, "fds": len(os.listdir("/proc/self/fd")), "threads": threads}


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of ``y`` over ``x`` (0 for fewer than two points)."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def free_vpcd_port(wait: float = 30.0) -> int:
    """A vpcd chip port whose reader shows no card (no other chip on it), slot 1 first.

    The test bed has two vpcd slots; a chip started on a slot that already serves another
    chip would fight it for the reader. The chip fixtures default to slot 0, so slot 1 is
    tried first. Falls back to slot 0 after ``wait`` seconds.
    """
    import time

    from hw.vchip.process import SLOTS

    from checkedid.nfc.iso7816.pcsc import list_readers

    deadline = time.monotonic() + wait
    while True:
        busy = {r.name for r in list_readers() if r.card_present}
        for port, reader in sorted(SLOTS.items(), reverse=True):
            if reader not in busy:
                return port
        if time.monotonic() > deadline:
            return min(SLOTS)
        time.sleep(0.5)
