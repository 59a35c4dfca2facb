"""Verdict integrity over pcscd + vpcd: clones that hide DG15 / DG14, a PACE -> BAC downgrade,
and a session bound to its reader and its chip across a card removal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hw.pki import get_pki
from hw.vchip.personas import spec
from hw.vchip.process import wait_absent

from checkedid.cli import main as cli_main
from checkedid.nfc import genuine
from tests.chip.conftest import READER2, VPCD_PORT2, VChipFactory

PORT = VPCD_PORT2
READER = READER2


@pytest.fixture(autouse=True)
def slot_free(vchip: VChipFactory) -> Iterator[None]:
    wait_absent(READER)
    yield


@pytest.fixture(scope="module")
def trust_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out: Path = tmp_path_factory.mktemp("trust")
    get_pki().export(out)
    return out


def _access(persona: str) -> list[str]:
    s = spec(persona)
    if s.pace is not None and s.fault != "pace-downgrade":
        return ["--can", s.can]
    return ["--mrz", s.mrz_information]


@pytest.mark.parametrize(("persona", "group", "dg"), [
    ("fault-clone-no-dg15", "active", 15),
    ("fault-clone-no-dg14", "chip", 14),
])
def test_read_trust_rejects_a_clone_hiding_a_covered_dg(
        vchip: VChipFactory, trust_dir: Path, capsys: pytest.CaptureFixture[str],
        persona: str, group: str, dg: int) -> None:
    vchip(persona, port=PORT)
    argv = ["read", "--reader", READER, *_access(persona), "--trust", str(trust_dir),
            "--no-fields"]
    assert cli_main([*argv, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["verified"] is False
    assert out["unread"] == {f"DG{dg}": "answered 6A82 for it"}
    auth = out["authentication"]
    assert auth["passive"]["verdict"] == "PASSED"  # the copied data is genuine
    assert auth[group]["verdict"] == "FAILED"
    assert genuine.CLONE in auth[group]["reason"] and f"DG{dg}" in auth[group]["reason"]

    assert cli_main(argv) == 1
    human = capsys.readouterr().out
    assert "verified: NO" in human and "verified: yes" not in human


def test_verify_rejects_a_clone_naming_the_group(vchip: VChipFactory) -> None:
    import checkedid
    from checkedid.demo import virtual_trust_store

    vchip("fault-clone-no-dg14", port=PORT)
    result = checkedid.verify(None, None, trust=virtual_trust_store(), reader=READER,
                              can=spec("fault-clone-no-dg14").can, fields=())
    assert result.decision.value == "REJECTED"
    assert any(r.startswith("chip: ") and genuine.CLONE in r for r in result.reasons)


def test_read_trust_rejects_a_pace_downgrade(vchip: VChipFactory, trust_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    vchip("fault-pace-downgrade", port=PORT)
    argv = ["read", "--reader", READER, *_access("fault-pace-downgrade"),
            "--trust", str(trust_dir), "--no-fields", "--json"]
    assert cli_main(argv) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"] == "BAC" and out["verified"] is False
    assert out["authentication"]["access"]["verdict"] == "FAILED"
    assert genuine.DOWNGRADE in out["authentication"]["access"]["reason"]
