"""Transports (ISO/IEC 7816-3 ATR, ISO/IEC 7816-4 §5, §10.2).

A :class:`Transport` moves raw APDU bytes: :class:`checkedid.nfc.iso7816.pcsc.PcscTransport`
over PC/SC, :class:`InProcessTransport` straight into a chip object (the virtual chip
of ``hw.vchip`` in unit tests). Secure messaging wraps a transport one layer up
(:class:`checkedid.nfc.sm.SecureTransport`), and protocol code talks to the
:class:`checkedid.nfc.sm.connection.ApduConnection` that stacks the two.

Logging: only APDU headers, lengths and status words, at level ``TRAFFIC`` (5, below
DEBUG), and nothing once secure messaging is on. Data fields are never logged.
"""

from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

from checkedid.errors import (
    TransportError,
)

__all__ = [
    "TRAFFIC",
    "ChipLike",
    "InProcessTransport",
    "Transport",
    "atr_supports_extended",
]

log = logging.getLogger(__name__)

#: Log level for APDU headers and status words (below DEBUG).
TRAFFIC = 5


@runtime_checkable
class Transport(Protocol):
    """Moves raw APDUs to a card and back."""

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    @property
    def atr(self) -> bytes: ...

    def transmit(self, apdu: bytes) -> bytes: ...


class ChipLike(Protocol):
    """What :class:`InProcessTransport` needs from a chip (``hw.vchip.chip.VirtualChip``)."""

    def power_on(self) -> bytes: ...

    def process(self, apdu: bytes) -> bytes: ...


def atr_supports_extended(atr: bytes) -> bool:
    """True when the ATR's card-capabilities object announces extended Lc/Le.

    ISO/IEC 7816-3 §8.2 (ATR structure) and ISO/IEC 7816-4 §8.1.1.2.7: historical bytes
    with category indicator ``80`` hold compact-TLV objects; tag ``7`` (card capabilities)
    has bit ``0x40`` of its third byte set for extended length.
    """
    if len(atr) < 2:
        return False
    t0 = atr[1]
    k, y, i = t0 & 0x0F, t0 >> 4, 2
    while y:
        i += bin(y & 0x07).count("1")
        if y & 0x08:
            if i >= len(atr):
                return False
            y = atr[i] >> 4
            i += 1
        else:
            y = 0
    hist = atr[i:i + k]
    if len(hist) < 1 or hist[0] != 0x80:
        return False
    j = 1
    while j < len(hist):
        tag, length = hist[j] >> 4, hist[j] & 0x0F
        value = hist[j + 1:j + 1 + length]
        if tag == 0x7 and len(value) >= 3:
            return bool(value[2] & 0x40)
        j += 1 + length
    return False


class InProcessTransport:
    """A transport that hands APDUs straight to a chip object (no PC/SC)."""

    def __init__(self, chip: ChipLike) -> None:
        self.chip = chip
        self._atr = b""
        self.connected = False
        self.apdu_count = 0

    @property
    def atr(self) -> bytes:
        return self._atr

    @property
    def supports_extended(self) -> bool:
        return atr_supports_extended(self._atr)

    def connect(self) -> None:
        if not self.connected:
            self._atr = self.chip.power_on()
            self.connected = True

    def disconnect(self) -> None:
        if self.connected:
            power_off = getattr(self.chip, "power_off", None)
            if callable(power_off):
                power_off()
            self.connected = False

    def transmit(self, apdu: bytes) -> bytes:
        if not self.connected:
            raise TransportError("transmit: not connected; call connect() first")
        self.apdu_count += 1
        return bytes(self.chip.process(bytes(apdu)))

    def __enter__(self) -> InProcessTransport:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()
