"""A verification's worker imports nothing: what it needs is loaded before the fork.

Each forked worker would otherwise import the modules it needs again, every verification
(the protocol modules alone cost about 50 ms of CPU). In a fresh interpreter, after
:func:`checkedid.pipeline.preload`, a whole verification of each kind of chip (PACE-GM,
PACE-DH, PACE-CAM, BAC, a BAP licence) must import no module at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chip.conftest import VChipFactory

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import json, sys
from checkedid import Session
from checkedid.demo import document_photo, sample_selfie, virtual_trust_store
from checkedid.pipeline import preload
from hw.vchip.personas import spec

persona, reader = sys.argv[1:3]
photo = document_photo(persona)
selfie = sample_selfie(spec(persona).photo).read_bytes()
with Session(trust=virtual_trust_store(), reader=reader, isolation="none") as session:
    session.face_matcher()
    preload(session, True)
    before = set(sys.modules)
    result = session.verify(photo, selfie, fields=())
    new = sorted(set(sys.modules) - before)
print(json.dumps({"decision": result.decision.value, "new": new}))
"""


@pytest.mark.parametrize("persona", ["utopia-id-pace-gm", "utopia-id-pace-dh",
                                     "utopia-id-pace-cam", "utopia-passport-bac",
                                     "nl-driving-licence-bap"])
def test_verification_imports_nothing_after_preload(vchip: VChipFactory, persona: str) -> None:
    chip = vchip(persona)
    out = subprocess.run([sys.executable, "-c", PROGRAM, persona, chip.reader],  # noqa: S603
                         cwd=ROOT, capture_output=True, text=True, timeout=180,
                         env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin",
                              "OPENBLAS_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["decision"] == "VERIFIED"
    assert report["new"] == []
