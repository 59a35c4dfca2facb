"""The machine-readable zone: model, parser, check digits, correction, OCR, test images.

ICAO Doc 9303-3 (common MRZ rules, check digits), -4 (TD3), -5 (TD1), -6 (TD2),
-7 (MRV-A, MRV-B); the one-line driving licence MRZ (ISO/IEC 18013-1, :mod:`.licence`).

>>> from checkedid.mrz import parse
>>> m = parse(["P<UTOSPECIMEN<<SAMPLE<<<<<<<<<<<<<<<<<<<<<<<",
...            "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])
>>> m.format, m.valid, m.checks["composite"]
('TD3', True, True)

:func:`read` (photo -> MRZ) lives in :mod:`checkedid.mrz.reader` and :class:`MRZScanner`
(video frames -> MRZ, with per-character votes and guidance) in
:mod:`checkedid.mrz.scanner`; both are imported lazily, so parsing needs neither OpenCV nor
the OCR models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checkedid.mrz.checkdigit import check_digit, verify_check_digit
from checkedid.mrz.licence import LicenceMRZ, parse_licence
from checkedid.mrz.model import CHECK_KEYS, LAYOUTS, MRZ, Layout
from checkedid.mrz.parse import parse

if TYPE_CHECKING:
    from checkedid.mrz.reader import read
    from checkedid.mrz.scanner import MRZScanner, ScanStatus

__all__ = ["CHECK_KEYS", "LAYOUTS", "MRZ", "Layout", "LicenceMRZ", "MRZScanner", "ScanStatus",
           "check_digit", "parse", "parse_licence", "read", "verify_check_digit"]


def __getattr__(name: str) -> Any:
    if name == "read":
        from checkedid.mrz.reader import read

        return read
    if name in ("MRZScanner", "ScanStatus"):
        from checkedid.mrz import scanner

        return getattr(scanner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
