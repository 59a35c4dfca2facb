"""Tesseract baseline engine for rectified MRZ bands.

Tesseract (Debian package ``tesseract-ocr``) is run as a child process on the
band that :mod:`checkedid.mrz.locate` found, restricted to the MRZ alphabet of
ICAO Doc 9303 Part 3 section 4.2.2 (``--psm 6``, one uniform block of text).
The image goes in through stdin and the text comes back on stdout: nothing is
written to disk, as the band holds personal data.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import cv2
import numpy as np

from checkedid.errors import BackendUnavailable
from checkedid.mrz.segment import Band

__all__ = ["TesseractEngine", "available"]

_WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_NOT_MRZ = re.compile(r"[^A-Z0-9<]")
_TIMEOUT_S = 30.0
_HINT = "apt install tesseract-ocr"


def available() -> bool:
    """Whether a ``tesseract`` binary is on ``PATH``."""
    return shutil.which("tesseract") is not None


def _fit(line: str, n: int) -> str:
    return (line + "<" * n)[:n]


class TesseractEngine:
    """Reads a band with the ``tesseract`` command (baseline for the built-in recogniser)."""

    name = "tesseract"

    def __init__(self, binary: str | None = None) -> None:
        path = binary or shutil.which("tesseract")
        if path is None:
            raise BackendUnavailable(f"the tesseract engine needs the tesseract binary ({_HINT})")
        self._binary = path
        # One thread: OpenMP start-up costs more than it gains on a band this small.
        self._env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def _command(self) -> list[str]:
        return [self._binary, "stdin", "stdout", "-l", "eng", "--psm", "6",
                "-c", f"tessedit_char_whitelist={_WHITELIST}"]

    def run(self, image: np.ndarray) -> str:
        """Raw tesseract output for a grayscale image."""
        padded = cv2.copyMakeBorder(image, 16, 16, 16, 16, cv2.BORDER_REPLICATE)
        ok, buf = cv2.imencode(".png", padded)
        if not ok:
            raise BackendUnavailable("could not encode the band for tesseract")
        try:
            done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
                self._command(), input=buf.tobytes(), capture_output=True,
                timeout=_TIMEOUT_S, env=self._env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BackendUnavailable(
                f"tesseract could not be run ({type(exc).__name__}); {_HINT}") from None
        if done.returncode != 0:
            raise BackendUnavailable(f"tesseract failed with exit code {done.returncode}; "
                                     f"check the installation ({_HINT})")
        return done.stdout.decode("ascii", "replace")

    def read(self, band: Band) -> list[str]:
        n = band.line_length
        found = [_NOT_MRZ.sub("", ln.upper()) for ln in self.run(band.image).splitlines()]
        found = [ln for ln in found if len(ln) >= n // 2]
        if len(found) > band.n_lines:
            keep = sorted(sorted(range(len(found)), key=lambda i: -len(found[i]))[:band.n_lines])
            found = [found[i] for i in keep]
        return [_fit(ln, n) for ln in found]
