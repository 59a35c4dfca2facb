"""Run the virtual chip as a subprocess on a vpcd slot and wait until PC/SC sees it.

Used by the chip test fixtures and by ``checkedid demo``:

>>> with VChipProcess("utopia-id-pace-gm") as chip:   # python -m hw.vchip ... on slot 0
...     chip.reader                                    # 'Virtual PCD 00 00'
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

__all__ = ["ROOT", "SLOTS", "VChipProcess", "vpcd_listening", "wait_absent"]

ROOT = Path(__file__).resolve().parents[2]


def _slots() -> dict[int, str]:
    """vpcd chip ports and the reader names pcscd gives them.

    ``CHECKEDID_VPCD_SLOTS="PORT=NAME,PORT=NAME"`` replaces the two default slots, for a test
    bed with more vpcd readers in ``/etc/reader.conf.d`` (several suites side by side).
    """
    spec = os.environ.get("CHECKEDID_VPCD_SLOTS", "").strip()
    if not spec:
        return {35963: "Virtual PCD 00 00", 35964: "Virtual PCD 00 01"}
    slots: dict[int, str] = {}
    for item in spec.split(","):
        port, _, name = item.partition("=")
        slots[int(port)] = name.strip()
    return slots


#: vpcd chip ports and the reader names pcscd gives them (the first is the default slot).
SLOTS = _slots()


def vpcd_listening(port: int = min(SLOTS)) -> bool:
    """True when pcscd's vpcd driver listens for a chip on ``port`` (reads /proc, not PC/SC)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            text = Path(table).read_text()
        except OSError:
            continue
        for line in text.splitlines()[1:]:
            parts = line.split()
            if len(parts) > 3 and parts[1].endswith(f":{port:04X}") and parts[3] == "0A":
                return True
    return False


def _card_present(reader: str) -> bool:
    """True when PC/SC reports a (responsive) card in ``reader`` (SCardGetStatusChange)."""
    from smartcard import scard

    rc, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if rc != scard.SCARD_S_SUCCESS:
        return False
    try:
        rc, names = scard.SCardListReaders(ctx, [])
        if rc != scard.SCARD_S_SUCCESS or reader not in names:
            return False
        rc, states = scard.SCardGetStatusChange(ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        if rc != scard.SCARD_S_SUCCESS:
            return False
        event = int(states[0][1])
        return bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
    finally:
        scard.SCardReleaseContext(ctx)


def wait_absent(reader: str = SLOTS[min(SLOTS)], timeout: float = 5.0) -> None:
    """Wait until no card is present on ``reader`` (after a chip process ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _card_present(reader):
        time.sleep(0.05)


class VChipProcess:
    """A running ``python -m hw.vchip --persona NAME [--fault F]`` connected to vpcd."""

    def __init__(self, persona: str, fault: str | None = None, port: int = min(SLOTS)) -> None:
        if port not in SLOTS:
            raise ValueError(f"vpcd has chip ports {sorted(SLOTS)}, not {port}")
        self.persona, self.fault, self.port = persona, fault, port
        self.reader = SLOTS[port]
        cmd = [sys.executable, "-m", "hw.vchip", "--persona", persona, "--port", str(port)]
        if fault:
            cmd += ["--fault", fault]
        path = [str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in path if p))
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,  # noqa: S603
                                     stderr=subprocess.PIPE)

    def wait_present(self, timeout: float = 30.0) -> None:
        """Poll PC/SC until the card is on the reader (no card until the chip connects)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                code = self.proc.returncode
                raise RuntimeError(f"the virtual chip exited with {code}: {err[-2000:]}")
            if _card_present(self.reader):
                return
            time.sleep(0.05)
        raise TimeoutError(
            f"the virtual chip did not appear on {self.reader!r} within {timeout:g} s: "
            "is pcscd running with the vpcd driver? (start it with 'bash hw/setup.sh')"
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def __enter__(self) -> VChipProcess:
        try:
            self.wait_present()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        wait_absent(self.reader)
