"""Synthetic camera clips of a document, for tests and benchmarks of the frame scanner.

:func:`document_clip` renders one invented document (:mod:`checkedid.mrz.synth`) and films
it: the hand holding it drifts a little from frame to frame, chosen frames are smeared by
motion blur and a reflection (glare) wanders over the machine-readable zone. The MRZ
printed on the document is the ground truth. :func:`write_video` stores frames as a
Motion-JPEG AVI file that :class:`cv2.VideoCapture` reads back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from checkedid.errors import InputError
from checkedid.mrz import synth
from checkedid.mrz.synthdoc import render_document

__all__ = ["Clip", "document_clip", "motion_blur", "write_video"]

BGR = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Clip:
    """Frames (BGR) of a filmed document and the MRZ printed on it."""

    frames: tuple[BGR, ...]
    lines: tuple[str, ...]
    format: str


def motion_blur(img: BGR, length: int, angle: float) -> BGR:
    """Linear motion blur of ``length`` pixels at ``angle`` radians."""
    n = max(3, length | 1)
    k = np.zeros((n, n), np.float32)
    c = (n - 1) / 2.0
    dx, dy = math.cos(angle) * c, math.sin(angle) * c
    cv2.line(k, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1,
             cv2.LINE_AA)
    return np.asarray(cv2.filter2D(img, -1, k / float(k.sum())), dtype=np.uint8)


def _glare(img: BGR, centre: tuple[float, float], radius: float, strength: float) -> BGR:
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = strength * np.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2)
                             / (2 * radius * radius))
    # a specular reflection adds light and clips the sensor at its centre
    out = img.astype(np.float32) + 320.0 * spot[..., None]
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


def document_clip(seed: int, *, n_frames: int = 30, format: str = "TD3",
                  blurred: Sequence[int] = (1, 2), glare: float = 0.7,
                  size: tuple[int, int] = (1280, 720)) -> Clip:
    """``n_frames`` frames of one document; ``blurred`` frames get motion blur and a glare
    spot of ``glare`` strength (0 for none) crosses the zone from left to right."""
    if n_frames < 1:
        raise InputError("a clip needs at least one frame")
    rng = np.random.default_rng(seed)
    lines = synth.mrz_lines(synth.random_identity(rng, format=format), format)
    page = render_document(lines, format=format, rng=rng)
    base_rot = float(rng.uniform(-4, 4))
    frames: list[BGR] = []
    for i in range(n_frames):
        shot = np.random.default_rng([seed, 1])  # same placement every frame
        img, quad = synth.photograph(page, shot, format=format, size=size, scale=0.72,
                                     rotation=base_rot + 0.8 * math.sin(i / 4.0),
                                     perspective=0.05, noise=3.0, light=0.1)
        if glare > 0:
            t = i / max(n_frames - 1, 1)
            left, right = quad[0] + (quad[3] - quad[0]) * 0.5, quad[1] + (quad[2] - quad[1]) * 0.5
            cx, cy = left + (right - left) * (0.1 + 0.8 * t)
            img = _glare(img, (float(cx), float(cy)), 0.05 * size[0], glare)
        if i in blurred:
            img = motion_blur(img, 15, float(rng.uniform(0, math.pi)))
        ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        frames.append(np.asarray(cv2.imdecode(enc, cv2.IMREAD_COLOR), np.uint8) if ok else img)
    return Clip(tuple(frames), tuple(lines), format)


def write_video(frames: Sequence[BGR], path: Path, fps: float = 15.0) -> Path:
    """Write ``frames`` as a Motion-JPEG AVI file at ``path``."""
    if not frames:
        raise InputError("no frames to write")
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
    if not writer.isOpened():
        raise InputError(f"cannot write a video file at {path.name}")
    try:
        for f in frames:
            writer.write(f)
    finally:
        writer.release()
    return path
