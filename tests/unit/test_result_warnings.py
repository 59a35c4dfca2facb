"""Weak algorithms (ICAO Doc 9303-12 §4 hash and signature algorithms) surface in
``Result.warnings``, in check order."""

from __future__ import annotations

import dataclasses
from typing import Any

from hw.pki import get_pki
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import Persona, _build_files, spec

from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.pki import pa
from checkedid.pipeline import check_warnings, run_pipeline
from checkedid.session import Session
from checkedid.verdict import CheckGroup, Verdict

DGS = {1: b"\x61\x03\x5f\x1f\x00", 2: b"\x75\x02\x01\x00"}


def test_sha1_sod_warning_reaches_the_result_warnings() -> None:
    pki = get_pki()
    weak = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-rsa", hash_alg="sha1"), DGS, None)
    strong = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-rsa"), DGS, None)
    assert any("SHA-1" in w for w in check_warnings(weak))
    assert check_warnings(strong) == []


def test_check_warnings_of_every_group_in_order() -> None:
    groups = [CheckGroup("passive", Verdict.PASSED, "", (), {"warnings": ["a", "b"]}),
              CheckGroup("active", Verdict.PASSED, "", (), {"warnings": "c"}),
              CheckGroup("chip", Verdict.NOT_SUPPORTED, "", (), {})]
    assert check_warnings(*groups) == ["a", "b", "c"]


def _chip(**changes: Any) -> VirtualChip:
    s = dataclasses.replace(spec("utopia-id-pace-gm"), **changes)
    return VirtualChip(Persona(s, *_build_files(s)))


def test_pipeline_reports_a_weak_sod_hash_in_result_warnings() -> None:
    from checkedid.demo import virtual_trust_store

    chip = _chip(name="weak-sha1", hash_alg="sha1")
    with Session(trust=virtual_trust_store(), isolation="none") as session:
        out = run_pipeline(session, None, None, transport=lambda: InProcessTransport(chip),
                           can=spec("utopia-id-pace-gm").can, fields=())
    assert out["checks"]["passive"]["verdict"] == "PASSED"
    assert any("SHA-1" in w for w in out["warnings"]), out["warnings"]
