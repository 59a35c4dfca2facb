"""Fixtures for the end-to-end chip tests: pcscd + vpcd up, a virtual chip subprocess per test.

The chain under test is pyscard -> pcscd -> vpcd (libifdvpcd) -> TCP -> ``python -m hw.vchip``.
Every test in this directory is marked ``chip``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VPCD_PORT = 35963
READER = "Virtual PCD 00 00"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.chip)


def _vpcd_listening() -> bool:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            text = Path(table).read_text()
        except OSError:
            continue
        for line in text.splitlines()[1:]:
            parts = line.split()
            if len(parts) > 3 and parts[1].endswith(f":{VPCD_PORT:04X}") and parts[3] == "0A":
                return True
    return False


@pytest.fixture(scope="session")
def pcscd() -> None:
    """pcscd with the vpcd driver is running (starts it through hw/setup.sh if needed)."""
    if not _vpcd_listening():
        proc = subprocess.run(["bash", str(ROOT / "hw" / "setup.sh")], capture_output=True,  # noqa: S603, S607
                              text=True, timeout=300, check=False)
        if proc.returncode != 0:
            pytest.skip(f"pcscd/vpcd not available: {proc.stderr.strip()[-300:]}")


class VChip:
    """A running ``python -m hw.vchip`` subprocess."""

    def __init__(self, persona: str, fault: str | None, port: int) -> None:
        self.persona, self.fault, self.port = persona, fault, port
        cmd = [sys.executable, "-m", "hw.vchip", "--persona", persona, "--port", str(port)]
        if fault:
            cmd += ["--fault", fault]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,  # noqa: S603
                                     stderr=subprocess.PIPE)

    def wait_present(self, timeout: float = 30.0) -> None:
        """Poll PC/SC until the card is present on the reader (vpcd reports no card until then)."""
        from checkedid.nfc.pcsc import list_readers

        deadline = time.monotonic() + timeout
        reader = READER if self.port == VPCD_PORT else "Virtual PCD 00 01"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"vchip exited with {self.proc.returncode}: {err[-2000:]}")
            if any(r.name == reader and r.card_present for r in list_readers()):
                return
            time.sleep(0.05)
        raise TimeoutError("the virtual chip did not appear on the vpcd reader")

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


VChipFactory = Callable[..., VChip]


@pytest.fixture
def vchip(pcscd: None) -> Iterator[VChipFactory]:
    """Factory: ``vchip("utopia-id-pace-gm", fault=None)`` starts a chip and waits for it."""
    started: list[VChip] = []

    def start(persona: str, fault: str | None = None, port: int = VPCD_PORT) -> VChip:
        for old in started:
            old.stop()
        chip = VChip(persona, fault, port)
        started.append(chip)
        chip.wait_present()
        return chip

    yield start
    for chip in started:
        chip.stop()
    _wait_absent()


def _wait_absent(timeout: float = 5.0) -> None:
    from checkedid.nfc.pcsc import list_readers

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(r.name == READER and r.card_present for r in list_readers()):
            return
        time.sleep(0.05)
