"""The chip side of checkedid: APDUs, BER-TLV, transports, secure messaging, BAC/PACE,
reading the LDS and the chip authentication checks (ICAO Doc 9303-10, -11).

This package imports nothing at import time; use the submodules
(``checkedid.nfc.apdu``, ``checkedid.nfc.transport``, ``checkedid.nfc.sm`` ...).
Only :mod:`checkedid.nfc.pcsc` needs pyscard.
"""


def __getattr__(name: str) -> object:
    """``wait_for_card`` and ``monitor`` (card presence over PC/SC) load pyscard on first use."""
    if name in ("wait_for_card", "monitor", "CardEvent"):
        from checkedid.nfc import pcsc

        return getattr(pcsc, name)
    raise AttributeError(f"module 'checkedid.nfc' has no attribute {name!r}")
