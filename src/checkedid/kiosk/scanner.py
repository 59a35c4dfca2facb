"""Camera frames to MRZ guidance, without the MRZ ever reaching the service's process.

:class:`HeldScanner` is the kiosk's adapter to :class:`checkedid.mrz.MRZScanner`, which
votes per character over the frames of one document and says what the person should do
(``mrz.hold_still``, ``mrz.move_closer``, ``mrz.glare`` ...; ICAO Doc 9303-3 §4.9 check
digits decide when it is done). The scanner and its vote table live in a persistent
isolated worker (a :class:`checkedid.held.HeldWorker`, the fork-worker protocol of
:mod:`checkedid.isolation`) that answers each frame with a guidance code only. Once the
MRZ holds, the worker keeps it with the frame it was read from; :meth:`HeldScanner.take`
hands the worker itself to :meth:`checkedid.Session.read_document`, which moves it on to
the chip read (``hand_over``), so the MRZ opens the chip without leaving the worker.

The worker ends, and its memory with the MRZ goes back to the kernel, when the person's
flow ends (:meth:`HeldScanner.close`: reset, timeout, decision), when the service's end of
the pipe closes, or after ``idle`` seconds without a frame. Without process isolation
(``isolation="none"``, no ``os.fork``) the scanner runs in the service's process.
"""

from __future__ import annotations

import threading
from typing import Any

from checkedid import isolation
from checkedid.errors import CheckedIDError, ImageError

__all__ = ["FOUND", "HeldScanner", "frame_code"]

FOUND = "mrz.found"
#: The scanner's own reason for "read" is reported as the kiosk's :data:`FOUND`.
_DONE = "mrz.done"


class _Scan:
    """What the worker holds: the voting scanner and, once read, the frame it ended on."""

    def __init__(self) -> None:
        from checkedid.mrz.scanner import MRZScanner

        self.scanner = MRZScanner()
        self.frame: Any = None

    def feed(self, data: bytes) -> str:
        """One encoded frame in, a guidance code out."""
        import cv2
        import numpy as np

        if self.scanner.result is not None:
            return FOUND
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise ImageError("the camera frame cannot be decoded")
        status = self.scanner.feed(image)
        if not status.done:
            return status.reason
        best = self.scanner.best_frame
        self.frame = best if best is not None else image
        return FOUND

    @property
    def mrz(self) -> Any:
        return self.scanner.result

    def wipe(self) -> None:
        self.scanner.reset()
        self.frame = None


def frame_code(scan: _Scan, data: bytes) -> str:
    """The guidance code for one frame (runs where the MRZ may exist)."""
    try:
        return scan.feed(data)
    except ImageError:
        return "image.invalid"


class HeldScanner:
    """The service's handle on one document's scan: :meth:`feed` frames, then :meth:`take`.

    ``session``: the :class:`checkedid.Session` whose chip read the MRZ is handed to (its
    face model and trust store are loaded before the worker forks, so the worker shares
    them). ``idle``: seconds the worker waits for the next frame before it wipes itself.
    """

    def __init__(self, session: Any, *, timeout: float = 20.0, idle: float = 300.0) -> None:
        self.session = session
        self.isolate = getattr(session, "isolation", "none") == "process" \
            and isolation.available()
        self.timeout = timeout
        self.idle = idle
        self.frames = 0
        self.found = False
        self._worker: Any = None  # checkedid.held.HeldWorker, isolated
        self._local: _Scan | None = None  # not isolated
        self._lock = threading.Lock()

    def _start(self) -> Any:
        from checkedid.held import HeldWorker
        from checkedid.mrz.ocr import load_model
        from checkedid.stepwise import scanned_steps

        load_model()  # the OCR model is shared with the worker, not loaded per person
        session = self.session

        def read(_emit: Any) -> tuple[_Scan, dict[str, Any]]:
            return _Scan(), {}

        def done(scan: _Scan) -> dict[str, Any]:
            scan.wipe()
            return {}

        def hand_over(scan: _Scan, command: dict[str, Any]) -> tuple[Any, Any, Any]:
            steps = scanned_steps(session, scan.mrz, scan.frame, command)
            scan.frame = None
            return steps

        return HeldWorker(read, lambda scan, data: {"code": frame_code(scan, data)}, done,
                          timeout=self.timeout, idle=self.idle, hand_over=hand_over)

    def feed(self, frame: bytes) -> str:
        """Guidance for one encoded camera frame; :data:`FOUND` once the MRZ is read."""
        with self._lock:
            self.frames += 1
            if self.found:
                return FOUND
            if not self.isolate:
                if self._local is None:
                    self._local = _Scan()
                code = frame_code(self._local, frame)
            else:
                try:
                    if self._worker is None:
                        self._worker = self._start()
                    code = str(self._worker.match(frame, timeout=self.timeout)["code"])
                except (CheckedIDError, OSError):  # the worker is gone (timed out, killed,
                    # no fork): this frame is lost, the next one starts afresh
                    self._close()
                    return "mrz.not_found"
            self.found = code == FOUND
            return code

    def take(self) -> dict[str, Any]:
        """Once found: the arguments for :meth:`checkedid.Session.read_document` that open
        the chip with the scanned MRZ (the worker itself when isolated). The scanner lets go
        of them: the session now ends the worker."""
        with self._lock:
            if not self.found:
                raise CheckedIDError("the document's MRZ has not been read yet")
            if self.isolate:
                worker, self._worker = self._worker, None
                return {"document_image": worker}
            local, self._local = self._local, None
            if local is None:
                raise CheckedIDError("the scan was closed")
            return {"document_image": local.frame, "mrz": local.mrz}

    def _close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()
        local, self._local = self._local, None
        if local is not None:
            local.wipe()

    def close(self) -> None:
        """End the scan: the worker (and the MRZ in it) goes, whatever it had read."""
        with self._lock:
            self._close()
            self.found = False
