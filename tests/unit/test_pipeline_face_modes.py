"""The pipeline's face step gives the same result with and without forked embedding children.

By default the selfie, the chip photo and the printed portrait are embedded one after the
other in the worker; with ``FaceMatcher(parallel="process")`` the selfie and the printed
portrait are handed to :func:`checkedid.biometrics.worker.embed_in_child` (a forked child
beside the MRZ and the chip photo).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import build, spec

from checkedid.biometrics import FaceMatcher, worker
from checkedid.demo import document_photo, sample_selfie, virtual_trust_store
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.pipeline import run_pipeline
from checkedid.session import Session

PERSONA = "utopia-id-pace-gm"


def _verify(mode: str, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], int]:
    children = 0

    def counting(work: Callable[[], Any]) -> Callable[[], Any]:
        # the child's work, run when its result is asked for (forking itself is
        # test_biometrics_parallel's); other tests' threads must not turn the fork off here
        nonlocal children
        children += 1
        return work

    monkeypatch.setattr(worker, "embed_in_child", counting)
    monkeypatch.setattr(worker, "can_fork", lambda: True)
    chip = VirtualChip(build(PERSONA))
    selfie = sample_selfie(spec(PERSONA).photo).read_bytes()
    matcher = FaceMatcher(parallel=mode).load()
    with Session(trust=virtual_trust_store(), isolation="none", face_matcher=matcher) as session:
        out = run_pipeline(session, document_photo(PERSONA), selfie,
                           transport=lambda: InProcessTransport(chip), can=None, fields=())
    return out, children


def test_children_only_when_asked_and_the_same_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    inline, none_children = _verify("auto", monkeypatch)
    forked, process_children = _verify("process", monkeypatch)
    assert (none_children, process_children) == (0, 2)  # selfie and printed portrait
    for out in (inline, forked):
        assert out["decision"] == "VERIFIED"
        assert out["checks"]["document_portrait"]["verdict"] == "PASSED"
    assert forked["face"]["score"] == pytest.approx(inline["face"]["score"], abs=1e-9)
    assert forked["document_portrait"]["score"] == pytest.approx(
        inline["document_portrait"]["score"], abs=1e-9)
