"""``checkedid mrz --video FILE`` / ``--camera N``: the frame scanner on a video source.

Frames come from OpenCV's :class:`cv2.VideoCapture` (a file or a camera device) and go to
:class:`checkedid.mrz.scanner.MRZScanner` one by one. Each change of guidance is written
to standard error as ``reason-code: message`` (the person at the camera reads it; a kiosk
translates the code). Frames are never written anywhere.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.cli.output import fail
from checkedid.errors import InputError, MRZNotFound
from checkedid.mrz.model import MRZ
from checkedid.mrz.scanner import MRZScanner

__all__ = ["document_frame", "scan"]


def _open(args: argparse.Namespace) -> cv2.VideoCapture:
    if args.video is not None:
        if not Path(args.video).is_file():
            raise InputError(f"video file not found: {Path(args.video).name}")
        cap = cv2.VideoCapture(str(args.video))
        what = "the video file"
    else:
        cap = cv2.VideoCapture(int(args.camera))
        what = f"camera {int(args.camera)}"
    if not cap.isOpened():
        raise InputError(f"cannot open {what} (unsupported format, or no such device)")
    return cap


def scan(args: argparse.Namespace) -> MRZ | None:
    """Feed the source's frames to a scanner until it reads the MRZ; ``None`` (after
    reporting why) when the video ends or the camera times out first."""
    scanner = MRZScanner()
    return scanner.result if _run(args, scanner) else None


def document_frame(video: str | None, camera: int | None, timeout: float,
                   quiet: bool = False) -> npt.NDArray[np.generic]:
    """A frame of the video or camera whose MRZ the scanner confirmed over several frames
    (for ``checkedid verify --document-video/--document-camera``)."""
    args = argparse.Namespace(video=video, camera=camera, timeout=timeout, json=quiet)
    scanner = MRZScanner()
    if not _run(args, scanner):
        raise MRZNotFound("no machine-readable zone was read from the video: hold the "
                          "document's MRZ page still in front of the camera")
    if scanner.best_frame is None:
        raise MRZNotFound("the MRZ was read from the votes of several frames but no single "
                          "frame was sharp enough for the document photo: try again with "
                          "less glare")
    return scanner.best_frame


def _run(args: argparse.Namespace, scanner: MRZScanner) -> bool:
    cap = _open(args)
    deadline = time.monotonic() + float(getattr(args, "timeout", 60.0))
    last = ""
    try:
        while True:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            status = scanner.feed(frame)
            if status.reason != last:
                if not getattr(args, "json", False):
                    sys.stderr.write(f"{status.reason}: {status.message}\n")
                last = status.reason
            if status.done:
                return True
            if args.camera is not None and time.monotonic() > deadline:
                fail("no machine-readable zone was read before the timeout "
                     f"(last guidance: {status.reason})", 2, args, kind="MRZNotFound")
                return False
    finally:
        cap.release()
    fail(f"no machine-readable zone was read from the video (last guidance: {last or 'none'})",
         2, args, kind="MRZNotFound")
    return False
