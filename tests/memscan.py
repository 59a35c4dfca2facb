"""Search this process's own memory for byte strings, without holding them in plain form.

Needles are handed over *shifted* (every byte + 1 mod 256). The scanner reads each
writable mapping of ``/proc/self/mem``, applies the same shift to the bytes it read
and searches for the shifted needles. So a hit means the plain needle is in memory,
and the scanner's own buffers never contain a plain needle (shifting a shifted
needle gives +2, not +0).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

CHUNK = 4 << 20


def shift(data: bytes | bytearray) -> bytes:
    """The transform applied to needles and memory (+1 mod 256)."""
    return (np.frombuffer(bytes(data), dtype=np.uint8) + np.uint8(1)).tobytes()


def _regions() -> list[tuple[int, int, str]]:
    out = []
    with open("/proc/self/maps", encoding="ascii") as maps:
        for line in maps:
            parts = line.split()
            perms = parts[1]
            name = parts[5] if len(parts) > 5 else ""
            if "r" not in perms or "w" not in perms or name in ("[vvar]", "[vsyscall]", "[vdso]"):
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            out.append((lo, hi, name))
    return out


def scan(shifted_needles: Sequence[bytes]) -> list[tuple[int, str, int]]:
    """Return ``(needle index, mapping name, address)`` for every hit of a needle in memory."""
    hits: list[tuple[int, str, int]] = []
    overlap = max(len(n) for n in shifted_needles) - 1
    pattern = re.compile(b"|".join(re.escape(n) for n in shifted_needles))
    index = {n: i for i, n in enumerate(shifted_needles)}
    buf = np.empty(CHUNK + overlap, dtype=np.uint8)
    with open("/proc/self/mem", "rb", buffering=0) as mem:
        for lo, hi, name in _regions():
            addr = lo
            while addr < hi:
                size = min(CHUNK + overlap, hi - addr)
                try:
                    mem.seek(addr)
                    raw = mem.read(size)
                except (OSError, ValueError, OverflowError):
                    break
                if not raw:
                    break
                view = buf[: len(raw)]
                np.add(np.frombuffer(raw, dtype=np.uint8), np.uint8(1), out=view)
                del raw
                for m in pattern.finditer(view.tobytes()):
                    hits.append((index.get(m.group(0), -1), name, addr + m.start()))
                addr += CHUNK
    buf.fill(0)
    return hits


def labelled_hits(shifted_needles: Sequence[bytes], labels: Sequence[str]) -> list[list[str]]:
    """:func:`scan`, reported as sorted unique ``[label, mapping]`` pairs (JSON-ready)."""
    found = {(labels[i] if i >= 0 else "?", where or "anonymous")
             for i, where, _ in scan(shifted_needles)}
    return [list(pair) for pair in sorted(found)]
