"""Regenerate this directory's synthetic specimen photos (deterministic: fixed seeds).

    PYTHONPATH=src python tests/data/mrz/generate.py

The MRZ lines are those of the ICAO Doc 9303 specimen documents (Utopia, ERIKSSON ANNA MARIA;
Part 4 Appendix A, Part 5 Appendix A, Part 6 Appendix A, Part 7 Appendix A) and one
specimen-style GBR passport line pair; each is drawn by :mod:`checkedid.mrz.synth` (OCR-B,
background, perspective, lighting) at the "medium" difficulty. ``nomrz.jpg`` is the same
kind of camera scene with a face photo and no machine-readable zone.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from checkedid.mrz import synth

HERE = Path(__file__).resolve().parent
GENERATED = {
    "td1.jpg": 11, "td2.jpg": 12, "td3.jpg": 13, "mrva.jpg": 14, "mrvb.jpg": 15,
    "passport_gbr.jpg": 16,
}


def main() -> None:
    with (HERE / "ground_truth.csv").open(newline="") as fh:
        rows = {r["file"]: [r[k] for k in ("line1", "line2", "line3") if r[k]]
                for r in csv.DictReader(fh)}
    for name, seed in GENERATED.items():
        photo = synth.document_photo(tuple(rows[name]), seed=seed, difficulty="medium")
        ok, buf = cv2.imencode(".jpg", photo.image, [cv2.IMWRITE_JPEG_QUALITY, 70])
        assert ok
        (HERE / name).write_bytes(buf.tobytes())
    face = cv2.imread(str(HERE.parent / "faces" / "obama_2.jpg"))
    rng = np.random.default_rng(17)
    scene = np.full((720, 960, 3), 0, np.uint8)
    scene[:] = rng.integers(90, 160, 3, dtype=np.uint8)
    small = cv2.resize(face, (300, 512))
    scene[100:612, 330:630] = small
    ok, buf = cv2.imencode(".jpg", scene, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    (HERE / "nomrz.jpg").write_bytes(buf.tobytes())


if __name__ == "__main__":
    main()
