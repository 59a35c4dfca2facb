"""Reading the MRZ from a camera, frame by frame, with per-character votes and guidance.

:class:`MRZScanner` is fed video frames (a kiosk camera, a phone preview, a video file).
Each frame is located and recognised like a photo (:mod:`checkedid.mrz.locate`,
:mod:`checkedid.mrz.ocr`), but instead of deciding per frame, the recogniser's class
probabilities of every character cell are added up (as log-probabilities) over the frames
that show the same zone: a character blurred or hidden by glare in one frame is outvoted by
the frames that saw it clearly. That matters most for the names, which no check digit
covers (ICAO Doc 9303-3 §4.9 covers numbers and dates only).

Cells that a reflection washed out (:func:`_washed_out`) cast no vote.

The scanner answers each frame with a :class:`ScanStatus`: the MRZ once the voted text has
every check digit holding and stayed the same over ``agree`` consecutive frames, else a
stable reason code with guidance for the person holding the document:

* ``mrz.not_found``: no zone in view;
* ``mrz.move_closer``: a zone is in view but its characters are too small to read;
* ``mrz.glare``: a reflection covers part of the zone;
* ``mrz.hold_still``: the zone is blurred (motion or focus) or frames disagree;
* ``mrz.reading``: readable, waiting for the next frame to confirm;
* ``mrz.done``: the MRZ is read (``status.mrz``).

Nothing is stored beyond the vote table of the current zone; :meth:`MRZScanner.reset`
clears it (call it between documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.errors import MRZError
from checkedid.mrz.locate import WORK_SIDE, candidates
from checkedid.mrz.model import MRZ
from checkedid.mrz.ocr import CHARSET, FLIPPED, allowed, cell_features, flip_features, load_model
from checkedid.mrz.parse import parse
from checkedid.mrz.reader import ImageInput, load_image
from checkedid.mrz.segment import PITCH, Band, rectify

__all__ = ["GUIDANCE", "REASONS", "MRZScanner", "ScanStatus"]

#: Reason code -> guidance for the person at the camera (English; translate by code).
GUIDANCE: Final = {
    "mrz.done": "Document read.",
    "mrz.reading": "Reading... keep the document where it is.",
    "mrz.not_found": "Show the page with the machine-readable zone (the lines with <<<) "
                     "to the camera.",
    "mrz.move_closer": "Move the document closer to the camera.",
    "mrz.glare": "Too much glare: tilt the document slightly away from the light.",
    "mrz.hold_still": "Hold the document still.",
}
REASONS: Final = tuple(GUIDANCE)

#: Characters smaller than this (pixels of pitch in the frame) cannot be read reliably.
MIN_PITCH_PX: Final = 6.5
#: Share of washed-out character cells (see :func:`_washed_out`) that counts as glare.
GLARE_SHARE: Final = 0.04
#: Sharpness (see :func:`_sharpness`) below which a band counts as blurred.
MIN_SHARPNESS: Final = 0.8
#: Frame sharpness (see :func:`_frame_sharpness`) below which a frame counts as blurred.
MIN_FRAME_SHARPNESS: Final = 0.55
_MAX_TRIES = 4
_FLOOR = 1e-3

Gray = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ScanStatus:
    """The scanner's answer to one frame.

    ``reason`` is one of :data:`REASONS`; ``message`` its guidance text; ``mrz`` is set
    when ``done``. ``frames`` counts the frames fed so far and ``votes`` those whose
    reading went into the vote table.
    """

    done: bool
    reason: str
    message: str
    mrz: MRZ | None
    frames: int
    votes: int


@dataclass
class _Frame:
    band: Band
    proba: Floats
    mrz: MRZ | None
    pitch_px: float
    glare: float
    sharpness: float


def _washed_out(band: Band) -> npt.NDArray[np.bool_]:
    """Per character cell (line by line), whether a reflection washed it out.

    Every MRZ cell holds a printed character (a filler ``<`` included), so a cell whose
    surroundings (two cells wide) show almost none of the band's contrast and are
    brighter than the paper is glare, not text.
    """
    img = band.image
    n = band.line_length
    out = np.zeros(band.n_lines * n, dtype=bool)
    lo, hi = (float(v) for v in np.percentile(img, (5, 95)))
    if hi - lo < 10:
        return out
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (PITCH + 1, PITCH // 2 + 1))
    spread = cv2.dilate(img, k).astype(np.float32) - cv2.erode(img, k).astype(np.float32)
    xs = np.clip(np.round(PITCH / 2 + np.arange(n) * PITCH).astype(int), 0, img.shape[1] - 1)
    for i, y in enumerate(band.line_y):
        row = int(np.clip(round(y), 0, img.shape[0] - 1))
        flat = spread[row, xs] < 0.3 * (hi - lo)
        bright = img[row, xs].astype(np.float32) > lo + 0.6 * (hi - lo)
        out[i * n:(i + 1) * n] = flat & bright
    return out


def _sharpness(band: Band) -> float:
    """Mean gradient energy of the band's text relative to its contrast (0 = flat)."""
    img = band.image.astype(np.float32)
    lo, hi = np.percentile(img, (5, 95))
    if hi - lo < 10:
        return 0.0
    lap = np.abs(cv2.Laplacian(img, cv2.CV_32F, ksize=3))
    return float(np.percentile(lap, 90) / (hi - lo))


def _frame_sharpness(gray: Gray) -> float:
    """Strongest edges of the frame (at half size) relative to its contrast; a frame
    smeared by motion or out of focus stays well below a sharp one."""
    small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    lo, hi = (float(v) for v in np.percentile(small, (5, 95)))
    if hi - lo < 30:
        return 1.0  # a plain frame: nothing to blur
    lap = np.abs(cv2.Laplacian(small.astype(np.float32), cv2.CV_32F))
    return float(np.percentile(lap, 99) / (hi - lo))


def _format(text0: str, shape: tuple[int, int]) -> str | None:
    visa = text0[:1] == "V"
    return {(3, 30): "TD1", (2, 44): "MRVA" if visa else "TD3",
            (2, 36): "MRVB" if visa else "TD2"}.get(shape)


def _decode(logp: Floats, shape: tuple[int, int]) -> list[str]:
    """The best admissible character per cell (field alphabets of Doc 9303-3 §4.2)."""
    p = logp[:, :FLIPPED]
    first = CHARSET[int(np.argmax(p[0]))]
    fmt = _format(first, shape)
    if fmt is not None:
        p = np.where(allowed(fmt), p, -np.inf)
    idx = np.argmax(p, axis=1)
    text = "".join(CHARSET[i] for i in idx)
    n = shape[1]
    return [text[i * n:(i + 1) * n] for i in range(shape[0])]


def _alternatives(logp: Floats, shape: tuple[int, int]) -> dict[tuple[int, int], str]:
    """Per cell, the runner-up characters within reach of the best one."""
    p = logp[:, :FLIPPED]
    order = np.argsort(-p, axis=1)[:, 1:3]
    best = p.max(axis=1)
    out: dict[tuple[int, int], str] = {}
    for k in range(p.shape[0]):
        alts = "".join(CHARSET[j] for j in order[k] if best[k] - p[k, j] < 4.0)
        if alts:
            out[(k // shape[1], k % shape[1])] = alts
    return out


def _parse(lines: list[str], logp: Floats, shape: tuple[int, int]) -> MRZ | None:
    try:
        return parse(lines, correct=True, alternatives=_alternatives(logp, shape))
    except MRZError:
        return None


def _protected(m: MRZ) -> tuple[str, ...]:
    """What the check digits protect and the chip access key needs (Doc 9303-11 §9.7.2)."""
    return (m.format, m.document_number, m.birth_date.isoformat() if m.birth_date else "",
            m.expiry_date.isoformat() if m.expiry_date else "")


class MRZScanner:
    """Feed frames with :meth:`feed` until ``status.done``; see the module docstring.

    ``agree`` is how many consecutive frames must leave the valid voted text unchanged;
    ``max_side`` bounds the long side of the frame used for locating the zone.
    """

    def __init__(self, *, agree: int = 3, max_side: int = WORK_SIDE) -> None:
        self.agree = max(1, int(agree))
        self.max_side = max_side
        self.reset()

    def reset(self) -> None:
        """Forget everything seen (between documents)."""
        self._votes: Floats | None = None
        self._shape: tuple[int, int] | None = None
        self._streak: list[tuple[str, ...]] = []
        self._frames = 0
        self._count = 0
        self._result: MRZ | None = None
        self._valid_frames: dict[tuple[str, ...], npt.NDArray[np.generic]] = {}
        self._best: npt.NDArray[np.generic] | None = None

    @property
    def result(self) -> MRZ | None:
        """The MRZ once read, else ``None``."""
        return self._result

    @property
    def best_frame(self) -> npt.NDArray[np.generic] | None:
        """Once read: the latest frame that on its own gave a valid reading with the result's
        document number and dates (a document photo for the rest of a verification), or
        ``None`` when no single frame did. Held in memory only, dropped by :meth:`reset`."""
        return self._best

    def _status(self, reason: str, mrz: MRZ | None = None) -> ScanStatus:
        return ScanStatus(done=reason == "mrz.done", reason=reason, message=GUIDANCE[reason],
                          mrz=mrz, frames=self._frames, votes=self._count)

    def _look(self, gray: Gray) -> tuple[_Frame | None, float, int]:
        """The zone in this frame read once (best orientation), the largest pitch seen and
        the number of candidate blobs."""
        model = load_model()
        best: _Frame | None = None
        seen_pitch = 0.0
        quads = candidates(gray, self.max_side)[:_MAX_TRIES]
        for quad in quads:
            long = max(float(np.linalg.norm(quad[0] - quad[1])),
                       float(np.linalg.norm(quad[1] - quad[2])))
            band = rectify(gray, quad)
            if band is None:
                if quad is quads[0]:  # too small to rectify? (the widest zone is 44 long)
                    seen_pitch = max(seen_pitch, long / 44.0)
                continue
            pitch = long / band.line_length
            seen_pitch = max(seen_pitch, pitch)
            feats = cell_features(band)
            here, there = model.proba(feats), model.proba(flip_features(feats))
            if float(np.mean(there[:, FLIPPED])) < float(np.mean(here[:, FLIPPED])):
                band, here = band.flipped(), there
            logp = np.log(np.maximum(here, _FLOOR)).astype(np.float32)
            shape = (band.n_lines, band.line_length)
            mrz = _parse(_decode(logp, shape), logp, shape)
            washed = _washed_out(band)
            logp[washed] = np.log(1.0 / len(CHARSET))  # no vote where glare hid the print
            frame = _Frame(band, logp, mrz, pitch, float(np.mean(washed)), _sharpness(band))
            if mrz is not None and mrz.valid:
                return frame, seen_pitch, len(quads)
            if best is None or (mrz is not None and best.mrz is None):
                best = frame
        return best, seen_pitch, len(quads)

    def feed(self, frame: ImageInput) -> ScanStatus:
        """Take one frame (path, encoded bytes or BGR/gray array) and say what to do next."""
        self._frames += 1
        if self._result is not None:
            return self._status("mrz.done", self._result)
        gray = load_image(frame)
        if min(gray.shape[:2]) < 16:
            return self._status("mrz.not_found")
        seen, pitch, blobs = self._look(gray)
        if seen is None:
            return self._unseen(gray, pitch, blobs)
        if seen.mrz is None:
            self._streak.clear()
            return self._status(self._problem(seen) or "mrz.hold_still")
        self._keep_valid(seen.mrz, frame)
        voted = self._vote(seen, seen.mrz)
        if voted is None or not voted.valid:
            self._streak.clear()
            return self._status(self._problem(seen) or "mrz.reading")
        return self._agree(voted, seen)

    def _unseen(self, gray: Gray, pitch: float, blobs: int) -> ScanStatus:
        """Guidance for a frame in which no zone could be read: too far away (the zone's
        pitch below what OCR-B needs, Doc 9303-3 §4.1), blurred, or nothing there."""
        self._streak.clear()
        if 0 < pitch < MIN_PITCH_PX:
            return self._status("mrz.move_closer")
        if blobs and _frame_sharpness(gray) < MIN_FRAME_SHARPNESS:
            return self._status("mrz.hold_still")
        return self._status("mrz.not_found")

    def _keep_valid(self, mrz: MRZ, frame: ImageInput) -> None:
        """Remember the last few frames whose own reading passed every check digit (Doc 9303-3
        §4.9), keyed by what the digits protect, so the voted result can name its best frame."""
        if mrz.valid and isinstance(frame, np.ndarray):
            key = _protected(mrz)
            self._valid_frames.pop(key, None)
            self._valid_frames[key] = frame
            while len(self._valid_frames) > 4:
                self._valid_frames.pop(next(iter(self._valid_frames)))

    def _vote(self, seen: _Frame, mrz: MRZ) -> MRZ | None:
        """Add this frame's cell probabilities to the running vote (restarting it when the
        zone's shape changes, Doc 9303-3 §4.2 layouts) and read the voted zone."""
        shape = (seen.band.n_lines, seen.band.line_length)
        if self._shape != shape:
            self._votes, self._shape, self._count = None, shape, 0
            self._streak.clear()
        # cells washed out by glare read as fillers, and fillers can pass check digits: a
        # frame with glare on the zone is never taken as valid on its own
        clean = mrz.valid and seen.glare == 0.0
        weight = 1.0 if clean else 0.5
        self._votes = seen.proba * weight if self._votes is None \
            else self._votes + seen.proba * weight
        self._count += 1
        return _parse(_decode(self._votes, shape), self._votes, shape)

    def _agree(self, voted: MRZ, seen: _Frame) -> ScanStatus:
        """Accept a valid voted reading once :attr:`agree` consecutive frames produced the
        same lines; until then keep reading."""
        key = tuple(voted.lines)
        self._streak = [k for k in self._streak if k == key] + [key]
        if len(self._streak) >= self.agree:
            self._result = voted
            self._best = self._valid_frames.get(_protected(voted))
            self._valid_frames.clear()
            return self._status("mrz.done", voted)
        return self._status(self._problem(seen) or "mrz.reading")

    @staticmethod
    def _problem(seen: _Frame) -> str | None:
        if seen.pitch_px < MIN_PITCH_PX:
            return "mrz.move_closer"
        if seen.glare > GLARE_SHARE:
            return "mrz.glare"
        if seen.sharpness < MIN_SHARPNESS:
            return "mrz.hold_still"
        return None
