"""Fault profiles for the virtual chip (``python -m hw.vchip --fault NAME[:ARG]``).

A :class:`Fault` gets three hooks from the router: :meth:`Fault.before` (may
answer instead of the chip or raise :class:`~hw.vchip.vpcd.CardRemoved`),
:meth:`Fault.after` (may alter the response bytes) and :meth:`Fault.on_read`
(called by READ BINARY with the file and byte range served). Profiles:

=======================  ==================================================================
card-removed-mid-read    the card leaves the field once ARG bytes (default 4096) were read
wrong-mac                the first secured READ BINARY response gets a corrupted DO'8E'
bad-sw                   the first secured READ BINARY answers ARG (hex SW, default 6F00)
slow-chip                every APDU is delayed by ARG milliseconds (default 30)
=======================  ==================================================================

Authenticity faults (tampered DG, bad SOD signature, unknown CSCA, cloned chip …)
are personas, not profiles: they change the data, not the behaviour.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from hw.vchip.vpcd import CardRemoved

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState

__all__ = ["FAULTS", "BadStatusWord", "CardRemovedMidRead", "Fault", "SlowChip", "WrongMac",
           "make_fault"]


class Fault:
    """No-op base: override the hooks you need."""

    name = "none"

    def __init__(self, arg: str | None = None) -> None:
        self.arg = arg
        self.fired = 0

    def before(self, chip: ChipState, apdu: bytes) -> bytes | None:
        return None

    def after(self, chip: ChipState, apdu: bytes, response: bytes) -> bytes:
        return response

    def on_read(self, chip: ChipState, fid: int, offset: int, length: int) -> None:
        return None

    def __repr__(self) -> str:
        return f"<Fault {self.name}{':' + self.arg if self.arg else ''}>"


def _secured_read(chip: ChipState, apdu: bytes) -> bool:
    return (len(apdu) >= 4 and apdu[0] & 0x0C != 0 and apdu[1] in (0xB0, 0xB1)
            and chip.sm is not None)


class CardRemovedMidRead(Fault):
    """Tearing: the card leaves the field in the middle of a file (once per process)."""

    name = "card-removed-mid-read"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.at = int(arg) if arg else 4096
        self.away = 2.0

    def on_read(self, chip: ChipState, fid: int, offset: int, length: int) -> None:
        if not self.fired and chip.counters["bytes_read"] >= self.at:
            self.fired += 1
            raise CardRemoved(self.away)


class WrongMac(Fault):
    """The first secured READ BINARY response carries a wrong MAC."""

    name = "wrong-mac"

    def after(self, chip: ChipState, apdu: bytes, response: bytes) -> bytes:
        if self.fired or not _secured_read(chip, apdu) or len(response) < 12:
            return response
        self.fired += 1
        out = bytearray(response)
        out[-3] ^= 0x01  # last byte of the DO'8E' checksum, just before SW1-SW2
        return bytes(out)


class BadStatusWord(Fault):
    """The first secured READ BINARY answers an unexpected status word."""

    name = "bad-sw"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.sw = int(arg, 16) if arg else 0x6F00

    def before(self, chip: ChipState, apdu: bytes) -> bytes | None:
        if self.fired or not _secured_read(chip, apdu):
            return None
        self.fired += 1
        return self.sw.to_bytes(2, "big")


class SlowChip(Fault):
    """Every APDU takes ARG extra milliseconds (a slow chip or a weak field)."""

    name = "slow-chip"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.delay = (int(arg) if arg else 30) / 1000.0

    def before(self, chip: ChipState, apdu: bytes) -> bytes | None:
        time.sleep(self.delay)
        return None


FAULTS: dict[str, type[Fault]] = {
    cls.name: cls for cls in (CardRemovedMidRead, WrongMac, BadStatusWord, SlowChip)
}


def make_fault(spec: str | None) -> Fault | None:
    """``"name"`` or ``"name:arg"`` -> a Fault; ``None`` -> ``None``; unknown names: KeyError."""
    if not spec:
        return None
    name, _, arg = spec.partition(":")
    if name not in FAULTS:
        raise KeyError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}")
    return FAULTS[name](arg or None)
