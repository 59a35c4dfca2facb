"""Fixtures for the end-to-end chip tests: pcscd + vpcd up, a virtual chip subprocess per test.

The chain under test is pyscard -> pcscd -> vpcd (libifdvpcd) -> TCP -> ``python -m hw.vchip``.
Every test in this directory is marked ``chip``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hw.vchip.process import ROOT, SLOTS, VChipProcess, vpcd_listening, wait_absent

#: vpcd slot for the chip tests (35963 = "Virtual PCD 00 00", 35964 = "... 00 01").
VPCD_PORT = int(os.environ.get("CHECKEDID_VPCD_PORT", str(min(SLOTS))))
#: the other slot, for tests that run a second chip or keep the first slot free.
VPCD_PORT2 = min(p for p in SLOTS if p != VPCD_PORT)

READER = SLOTS[VPCD_PORT]
READER2 = SLOTS[VPCD_PORT2]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.chip)


@pytest.fixture(scope="session")
def pcscd() -> None:
    """pcscd with the vpcd driver is running (starts it through hw/setup.sh if needed)."""
    if not vpcd_listening(VPCD_PORT):
        proc = subprocess.run(["bash", str(ROOT / "hw" / "setup.sh")], capture_output=True,  # noqa: S603, S607
                              text=True, timeout=300, check=False)
        if proc.returncode != 0:
            if os.environ.get("CI") == "true":  # CI always has the test bed: never skip there
                pytest.fail(f"pcscd/vpcd did not start: {proc.stderr.strip()[-300:]}")
            pytest.skip(f"pcscd/vpcd not available: {proc.stderr.strip()[-300:]}")


VChip = VChipProcess


VChipFactory = Callable[..., VChip]


@pytest.fixture
def vchip(pcscd: None) -> Iterator[VChipFactory]:
    """Factory: ``vchip("utopia-id-pace-gm", fault=None)`` starts a chip and waits for it."""
    started: list[VChip] = []

    def start(persona: str, fault: str | None = None, port: int = VPCD_PORT) -> VChip:
        for old in started:
            old.stop()
            # pcscd notices the old chip's removal with a delay: without this wait a new chip
            # can look present while the reader still holds the stale card state.
            wait_absent(old.reader)
        chip = VChip(persona, fault, port)
        started.append(chip)
        chip.wait_present()
        return chip

    yield start
    for chip in started:
        chip.stop()
    wait_absent(READER)



