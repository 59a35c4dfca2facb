"""DG2 is read before Passive Authentication: a hostile DG2 must not amplify into gigabytes of
decoded pixels (ISO/IEC 19794-5 records of up to 255 templates x 16 faces). Only the face that
is used is decoded, and the face count is capped before any decoder runs; peak RSS is measured
in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from hw.vchip import lds_build

from checkedid.errors import LDSError
from checkedid.nfc.lds.dg2 import MAX_FACES, parse_dg2

ROOT = Path(__file__).resolve().parents[2]
SIDE = 2000  # 4 Mpx, 12 MB decoded, about 40 kB encoded (a flat grey JPEG)

_PROBE = """
import json, resource, sys
from checkedid.errors import LDSError
from checkedid.nfc.lds.dg2 import parse_dg2
raw = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    dg2 = parse_dg2(raw)
    outcome = sum(f.image is not None for f in dg2.faces)
except LDSError:
    outcome = "refused"
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "peak_growth_mb": (after - before) / 1024}))
"""


def _record() -> bytes:
    ok, jpeg = cv2.imencode(".jpg", np.full((SIDE, SIDE, 3), 128, np.uint8))
    assert ok
    return lds_build.face_record(jpeg.tobytes(), "jpeg", SIDE, SIDE)


def _probe(tmp_path: Path, raw: bytes) -> dict[str, object]:
    path = tmp_path / "dg2.bin"
    path.write_bytes(raw)
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True,  # noqa: S603
                          text=True, timeout=120, check=True,
                          env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"})
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_many_faces_are_refused_before_decoding_with_bounded_memory(tmp_path: Path) -> None:
    """255 faces of 12 MB each would be 3 GB of pixels."""
    out = _probe(tmp_path, lds_build.dg2([_record()] * 255))
    assert out["outcome"] == "refused"
    assert float(out["peak_growth_mb"]) < 64  # type: ignore[arg-type]


def test_only_the_face_used_is_decoded_with_bounded_memory(tmp_path: Path) -> None:
    """16 faces (the cap) of 12 MB each: one is decoded, not 192 MB of pixels."""
    out = _probe(tmp_path, lds_build.dg2([_record()] * MAX_FACES))
    assert out["outcome"] == 1
    assert float(out["peak_growth_mb"]) < 64  # type: ignore[arg-type]


def test_face_cap_counts_faces_across_templates() -> None:
    with pytest.raises(LDSError, match="at most 16"):
        parse_dg2(lds_build.dg2([_record()] * (MAX_FACES + 1)), decode=False)


def test_face_record_repr_hides_appearance() -> None:
    face = parse_dg2(lds_build.dg2([_record()]), decode=False).faces[0]
    text = repr(face)
    assert "gender" not in text.lower() and "FEMALE" not in text and "redacted" in text
