"""Fault profiles for the virtual chip (``python -m hw.vchip --fault NAME[:ARG]``).

A :class:`Fault` gets three hooks from the router: :meth:`Fault.before` (may
answer instead of the chip or raise :class:`~hw.vchip.vpcd.CardRemoved`),
:meth:`Fault.after` (may alter the response bytes) and :meth:`Fault.on_read`
(called by READ BINARY with the file and byte range served), plus two hooks on the
unwrapped command: :meth:`Fault.command` (may answer it instead of the handler; the
answer is still wrapped in secure messaging) and :meth:`Fault.response` (may change
the handler's plain answer before wrapping). Profiles:

=======================  ==================================================================
card-removed-mid-read    the card leaves the field once ARG bytes (default 4096) were read
wrong-mac                the first secured READ BINARY response gets a corrupted DO'8E'
bad-sw                   the first secured READ BINARY answers ARG (hex SW, default 6F00)
slow-chip                every APDU is delayed by ARG milliseconds (default 30)
truncated-response       ARG secured READ BINARY answers (default 1; 0 = all) lose half
                         their bytes on the way (the terminal's MAC check must catch it)
over-long-response       the first secured READ BINARY answer carries ARG junk bytes
                         (default 16) before the status word
ssc-desync               after ARG secured commands (default 6) the chip's send sequence
                         counter skips one step, so the next MAC fails on both sides
lying-length             DG2's header announces more (ARG ``long``, default) or fewer
                         (``short``) bytes than the file holds
bad-pace-token           the chip's PACE authentication token (DO'86') is wrong
random-sw                READ BINARY answers a random error status word with probability
                         ARG (``RATE[:SEED]``, default 0.2, seed 9303), wrapped in SM
wrong-length             READ BINARY with Le above ARG (default 1024) answers 6700
=======================  ==================================================================

Authenticity faults (tampered DG, bad SOD signature, unknown CSCA, cloned chip …)
are personas, not profiles: they change the data, not the behaviour.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

from hw.vchip.vpcd import CardRemoved

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState, Command, Response

__all__ = ["FAULTS", "BadStatusWord", "CardRemovedMidRead", "Fault", "SlowChip", "WrongMac",
           "make_fault", "secured_read"]


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

    def command(self, chip: ChipState, cmd: Command) -> Response | None:
        return None

    def response(self, chip: ChipState, cmd: Command, resp: Response) -> Response:
        return resp

    def __repr__(self) -> str:
        return f"<Fault {self.name}{':' + self.arg if self.arg else ''}>"


def secured_read(chip: ChipState, apdu: bytes) -> bool:
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
        if self.fired or not secured_read(chip, apdu) or len(response) < 12:
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
        if self.fired or not secured_read(chip, apdu):
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


def _read(cmd: Command) -> bool:
    return cmd.ins in (0xB0, 0xB1)


class TruncatedResponse(Fault):
    """Secured READ BINARY answers lose half their bytes (ARG times, 0 = always)."""

    name = "truncated-response"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.times = int(arg) if arg else 1

    def after(self, chip: ChipState, apdu: bytes, response: bytes) -> bytes:
        if not secured_read(chip, apdu) or (self.times and self.fired >= self.times):
            return response
        self.fired += 1
        body = response[:-2]
        return body[: len(body) // 2] + response[-2:]


class OverLongResponse(Fault):
    """The first secured READ BINARY answer carries ARG junk bytes before SW1-SW2."""

    name = "over-long-response"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.extra = int(arg) if arg else 16

    def after(self, chip: ChipState, apdu: bytes, response: bytes) -> bytes:
        if self.fired or not secured_read(chip, apdu) or len(response) < 4:
            return response
        self.fired += 1
        return response[:-2] + bytes(range(self.extra)) + response[-2:]


class SscDesync(Fault):
    """After ARG secured commands the chip's send sequence counter skips one step."""

    name = "ssc-desync"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.after_n = int(arg) if arg else 6
        self.seen = 0

    def before(self, chip: ChipState, apdu: bytes) -> bytes | None:
        if self.fired or chip.sm is None or len(apdu) < 1 or not apdu[0] & 0x0C:
            return None
        self.seen += 1
        if self.seen > self.after_n:
            self.fired += 1
            chip.sm.ssc += 1
        return None


class LyingLength(Fault):
    """DG2's BER-TLV header announces 4096 bytes more (``long``) or 256 fewer (``short``)."""

    name = "lying-length"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.delta = -256 if arg == "short" else 4096

    def response(self, chip: ChipState, cmd: Command, resp: Response) -> Response:
        at_start = (cmd.ins == 0xB0 and ((cmd.p1 & 0x80 and cmd.p2 == 0 and (cmd.p1 & 0x1F) == 2)
                                         or (not cmd.p1 & 0x80 and cmd.p1 == cmd.p2 == 0
                                             and chip.selected == 0x0102)))
        data = bytes(resp.data)
        if not at_start or len(data) < 4 or data[0] != 0x75 or data[1] != 0x82:
            return resp
        self.fired += 1
        length = int.from_bytes(data[2:4], "big") + self.delta
        return type(resp)(data[:2] + length.to_bytes(2, "big") + data[4:], resp.sw)


class BadPaceToken(Fault):
    """The chip's PACE authentication token T_IC (DO'86', Doc 9303-11 §4.4.3.4) is wrong."""

    name = "bad-pace-token"

    def response(self, chip: ChipState, cmd: Command, resp: Response) -> Response:
        data = bytes(resp.data)
        pos = data.find(b"\x86\x08")
        if cmd.ins != 0x86 or cmd.cla & 0x10 or pos < 0 or len(data) < pos + 10:
            return resp
        self.fired += 1
        out = bytearray(data)
        out[pos + 9] ^= 0x01
        return type(resp)(bytes(out), resp.sw)


class RandomStatusWord(Fault):
    """READ BINARY answers a random error SW with probability RATE (ARG ``RATE[:SEED]``)."""

    name = "random-sw"
    CHOICES = (0x6F00, 0x6581, 0x6A80, 0x6400, 0x6700)

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        rate, _, seed = (arg or "").partition(":")
        self.rate = float(rate) if rate else 0.2
        self.rng = random.Random(int(seed) if seed else 9303)  # noqa: S311 - test fault

    def command(self, chip: ChipState, cmd: Command) -> Response | None:
        if not _read(cmd) or chip.sm is None or self.rng.random() >= self.rate:
            return None
        self.fired += 1
        from hw.vchip.chip import Response

        return Response(b"", self.rng.choice(self.CHOICES))


class WrongLength(Fault):
    """READ BINARY with Le above ARG (default 1024) answers 6700 (wrong length)."""

    name = "wrong-length"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.limit = int(arg) if arg else 1024

    def command(self, chip: ChipState, cmd: Command) -> Response | None:
        if not _read(cmd) or cmd.le is None or cmd.le <= self.limit:
            return None
        self.fired += 1
        from hw.vchip.chip import Response

        return Response(b"", 0x6700)


FAULTS: dict[str, type[Fault]] = {
    cls.name: cls for cls in (CardRemovedMidRead, WrongMac, BadStatusWord, SlowChip,
                              TruncatedResponse, OverLongResponse, SscDesync, LyingLength,
                              BadPaceToken, RandomStatusWord, WrongLength)
}


def make_fault(spec: str | None) -> Fault | None:
    """``"name"`` or ``"name:arg"`` -> a Fault; ``None`` -> ``None``; unknown names: KeyError."""
    if not spec:
        return None
    name, _, arg = spec.partition(":")
    if name not in FAULTS:
        raise KeyError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}")
    return FAULTS[name](arg or None)
