"""The chip side of checkedid: APDUs, BER-TLV, transports, secure messaging, BAC/PACE,
reading the LDS and the chip authentication checks (ICAO Doc 9303-10, -11).

This package imports nothing at import time; use the submodules
(``checkedid.nfc.iso7816.apdu``, ``checkedid.nfc.iso7816.transport``,
``checkedid.nfc.sm.messaging`` ...), layer by layer as docs/architecture.md draws them.
Only :mod:`checkedid.nfc.iso7816.pcsc` needs pyscard.
"""


def __getattr__(name: str) -> object:
    """``wait_for_card`` and ``monitor`` (card presence over PC/SC) load pyscard on first use."""
    if name in ("wait_for_card", "monitor", "CardEvent"):
        from checkedid.nfc.iso7816 import pcsc

        return getattr(pcsc, name)
    raise AttributeError(f"module 'checkedid.nfc' has no attribute {name!r}")
