"""The base of the virtual chip's quirk layers (:mod:`hw.vchip.quirks`) and what they read
off the wire.

:class:`Quirk` is a :class:`hw.vchip.faults.Fault` that may also adapt the persona's files
once (:meth:`Quirk.install`) and act at power-on. The layers look at raw command APDUs
before secure messaging is removed: the instructions (ISO/IEC 7816-4 §5.4), the T=0 status
bytes (ISO/IEC 7816-3 §12.2), extended length (ISO/IEC 7816-4 §5.1) and whether a command
is protected (CLA bits b4-b3, ISO/IEC 7816-4 §5.4.1); EF.CardAccess and EF.ATR/INFO are the
master-file EFs they change (Doc 9303-10 §3.11, ISO/IEC 7816-4 §12.7.1).
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from asn1crypto import core

from hw.vchip.faults import Fault

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState
    from hw.vchip.personas import Persona

__all__ = ["FID_ATR_INFO", "FID_CARD_ACCESS", "INS", "SFI_CARD_ACCESS", "SW1", "Quirk",
           "is_extended", "oid_value", "protected", "sw_bytes"]


class INS(IntEnum):
    """The instructions the quirk layers look at (ISO/IEC 7816-4 §5.4)."""

    SELECT = 0xA4
    READ_BINARY = 0xB0
    READ_BINARY_ODD = 0xB1
    GET_RESPONSE = 0xC0
    MSE = 0x22
    GENERAL_AUTHENTICATE = 0x86
    INTERNAL_AUTHENTICATE = 0x88


class SW1(IntEnum):
    """First status bytes of the T=0 transport answers (ISO/IEC 7816-3 §12.2)."""

    MORE_DATA = 0x61
    WRONG_LE = 0x6C


def is_extended(apdu: bytes | bytearray) -> bool:
    """An extended-length command APDU (ISO/IEC 7816-4 §5.1: 00 after the header)."""
    return len(apdu) >= 7 and apdu[4] == 0


FID_CARD_ACCESS = 0x011C
SFI_CARD_ACCESS = 0x1C
FID_ATR_INFO = 0x2F01


def sw_bytes(sw: int) -> bytes:
    """A status word as the two bytes the chip answers."""
    return sw.to_bytes(2, "big")


def oid_value(dotted: str) -> bytes:
    """The content octets of an OBJECT IDENTIFIER (as in MSE:Set AT's DO'80')."""
    return bytes(core.ObjectIdentifier(dotted).contents)


def protected(apdu: bytes) -> bool:
    """A command under secure messaging (CLA b4-b3 set, ISO/IEC 7816-4 §5.4.1)."""
    return bool(apdu[0] & 0x0C)


class Quirk(Fault):
    """A behaviour layer; :meth:`install` may adapt the persona's files once."""

    def install(self, persona: Persona) -> None:
        return None

    def power_on(self, chip: ChipState) -> None:
        return None
