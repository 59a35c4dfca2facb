"""Camera frames to MRZ guidance, without the MRZ ever reaching the service's process.

:class:`FrameScanner` is the kiosk's adapter to the MRZ reader: each frame is read with
:func:`checkedid.mrz.read` (ICAO Doc 9303-3 §4.9 check digits) inside a short-lived
isolated worker (:func:`checkedid.isolation.run_isolated`), which answers only with a
guidance code. A video scanner that votes over frames can replace :meth:`feed`
without changing the service.
"""

from __future__ import annotations

from typing import Any

from checkedid import isolation
from checkedid.errors import CheckedIDError, ImageError, MRZError

__all__ = ["FOUND", "FrameScanner"]

FOUND = "mrz.found"


def scan_frame(frame: bytes, engine: str = "default") -> str:
    """The guidance code for one encoded frame (runs where the MRZ may exist)."""
    from checkedid import mrz

    try:
        found = mrz.read(frame, engine=engine)
    except MRZError:
        return "mrz.not_found"
    except ImageError:
        return "image.invalid"
    return FOUND if found.valid else "mrz.check_digits"


class FrameScanner:
    """Feed frames; :meth:`feed` answers ``mrz.found`` once a frame's MRZ holds its check
    digits, else ``mrz.not_found`` / ``mrz.check_digits`` (guidance for the person)."""

    def __init__(self, engine: str = "default", *, isolate: bool = True,
                 timeout: float = 20.0) -> None:
        self.engine = engine
        self.isolate = isolate and isolation.available()
        self.timeout = timeout
        self.frames = 0

    def feed(self, frame: bytes) -> str:
        self.frames += 1
        if not self.isolate:
            return scan_frame(frame, self.engine)

        def work(_emit: Any) -> dict[str, Any]:
            return {"code": scan_frame(frame, self.engine)}

        try:
            return str(isolation.run_isolated(work, timeout=self.timeout)["code"])
        except CheckedIDError:
            return "mrz.not_found"
