"""The chip side of checkedid: APDUs, BER-TLV, transports, secure messaging, BAC/PACE,
reading the LDS and the chip authentication checks (ICAO Doc 9303-10, -11).

This package imports nothing at import time; use the submodules
(``checkedid.nfc.apdu``, ``checkedid.nfc.transport``, ``checkedid.nfc.sm`` ...).
Only :mod:`checkedid.nfc.pcsc` needs pyscard.
"""
