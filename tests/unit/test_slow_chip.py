"""A slow chip (persona ``quirk-slow-wtx``): at 106 kbit/s a real chip answers its public-key
commands in a second or so while the reader sends waiting-time extensions (ISO/IEC 14443-4
§7.3); the library sees slow transmits. The read finishes, progress keeps coming, and a chip
slower than the deadline ends with :class:`~checkedid.errors.ChipTimeout` naming the step."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.iso7816 import Command, Response
from hw.vchip.personas import Persona, build
from hw.vchip.quirks import SlowWtx

from checkedid.errors import ChipTimeout
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.reader import ChipReader

SLOW = "quirk-slow-wtx"


def _persona(quirk: str) -> Persona:
    p = build(SLOW)
    return Persona(replace(p.spec, quirk=quirk), p.files, dict(p.mf_files), p.aa_key, p.ca_key,
                   p.extras)


def _open(persona: Persona) -> tuple[VirtualChip, InProcessTransport]:
    chip = VirtualChip(persona)
    transport = InProcessTransport(chip)
    transport.connect()
    return chip, transport


@pytest.mark.parametrize(("cmd", "resp", "seconds"), [
    (Command(0x10, 0x86, 0, 0, b"\x7c\x00"), None, 0.4),  # GENERAL AUTHENTICATE (PACE)
    (Command(0x0C, 0x88, 0, 0, b"\x00" * 8), None, 1.0),  # INTERNAL AUTHENTICATE
    (Command(0x0C, 0x22, 0x41, 0xA4, b""), None, 0.3),  # MSE:Set AT of CA
    (Command(0x00, 0x22, 0xC1, 0xA4, b""), None, 0.0),  # MSE:Set AT of PACE: cheap
    (Command(0x0C, 0xB0, 0, 0, b"", 4047), Response(b"\x00" * 4047), 0.1 + 4047 * 8 / 106_000),
    (Command(0x0C, 0xB0, 0, 0, b"", 223), Response(b"\x00" * 223), 0.0),  # small read
    (Command(0x0C, 0xA4, 4, 0x0C, b"\xa0"), Response(b""), 0.0),  # SELECT
])
def test_costly_commands_are_slow_and_scale(cmd: Command, resp: Response | None,
                                            seconds: float) -> None:
    assert SlowWtx().delay(cmd, resp) == pytest.approx(seconds)
    assert SlowWtx("2.5").delay(cmd, resp) == pytest.approx(seconds * 2.5)


@pytest.mark.parametrize("arg", ["0", "-1"])
def test_scale_must_be_positive(arg: str) -> None:
    with pytest.raises(ValueError, match="SCALE must be a positive"):
        SlowWtx(arg)


def test_slow_chip_reads_completely_with_progress_in_several_chunks() -> None:
    chip, transport = _open(_persona("slow-wtx:0.05"))
    events: list[tuple[str, int, int]] = []
    data = ChipReader(transport, timeout=30,
                      progress=lambda f, d, n: events.append((f, d, n))).read(build(SLOW).can)
    quirk = chip.state.fault
    assert isinstance(quirk, SlowWtx) and quirk.fired >= 8 and quirk.slept > 0.2
    assert data.access_details["chunk_size"] < SlowWtx.MAX_RESPONSE  # EF.ATR/INFO honoured
    assert data.chip.passed and data.active.passed
    dg2 = [done for f, done, _ in events if f == "DG2"]
    assert len(dg2) >= 5 and dg2 == sorted(dg2) and dg2[-1] == len(data.dg_bytes[2])


def test_chip_slower_than_the_deadline_ends_in_chip_timeout() -> None:
    """PACE alone takes 1.6 s (four GENERAL AUTHENTICATEs): a 0.5 s deadline has passed when
    the first file command is due."""
    _, transport = _open(_persona("slow-wtx"))
    start = time.monotonic()
    with pytest.raises(ChipTimeout, match="SELECT application: the time allowed"):
        ChipReader(transport, timeout=0.5).read(build(SLOW).can)
    assert time.monotonic() - start < 3.0  # nothing after PACE was sent


@pytest.mark.parametrize(("last_file", "step"), [
    ("DG14", "Chip Authentication"), ("DG15", "Active Authentication")])
def test_deadline_is_checked_before_ca_and_aa(last_file: str, step: str) -> None:
    """The deadline passes once the file before the protocol step is read (moved to that
    moment): the step is not started (a slow chip would run a second or more past it)."""
    persona = build("utopia-id-pace-gm")
    _, transport = _open(persona)
    reader: dict[str, Any] = {}

    def stall(file: str, done: int, total: int) -> None:
        if file == last_file and done == total:
            reader["r"].deadline = time.monotonic()

    reader["r"] = ChipReader(transport, timeout=20, progress=stall)
    with pytest.raises(ChipTimeout, match=f"{step}: the time allowed"):
        reader["r"].read(persona.can)
