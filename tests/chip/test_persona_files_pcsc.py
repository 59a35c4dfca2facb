"""A dump from ``checkedid read --save``, served by the virtual chip, reads like a clone.

End to end over pcscd: read a genuine persona with ``--save``, start a virtual chip on the
saved directory, and read it again with ``--trust``: the data are genuine (Passive
Authentication passes), the chip is not (no keys: Active and Chip Authentication fail),
so the read is not verified.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hw.pki import get_pki
from hw.vchip.personas import spec
from hw.vchip.process import wait_absent

from checkedid.cli import main as cli_main
from tests.chip.conftest import READER, VChipFactory

PERSONA = "utopia-id-pace-gm"


def test_a_saved_read_served_again_is_a_clone(vchip: VChipFactory, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    trust = tmp_path / "trust"
    get_pki().export(trust)
    saved = tmp_path / "dump"
    chip = vchip(PERSONA)
    mrz_info = spec(PERSONA).mrz_information
    assert cli_main(["read", "--reader", READER, "--mrz", mrz_info, "--json", "--no-fields",
                     "--save", str(saved), "--trust", str(trust)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["verified"] is True
    assert {"EF.COM", "EF.SOD", "DG1.bin", "DG14.bin", "DG15.bin", "EF.CardAccess"} <= set(
        first["saved"]["files"])
    chip.stop()
    wait_absent(READER)

    vchip(str(saved))
    assert cli_main(["read", "--reader", READER, "--mrz", mrz_info, "--json", "--no-fields",
                     "--trust", str(trust)]) == 1
    again = json.loads(capsys.readouterr().out)
    auth = again["authentication"]
    assert auth["passive"]["verdict"] == "PASSED"  # the data are the genuine document's
    assert again["verified"] is False
    assert again["protocol"].startswith("PACE")  # EF.CardAccess was served too
    for group in ("active", "chip"):
        assert auth[group]["verdict"] == "FAILED", auth[group]
    assert any("possible clone" in c["reason"] for g in ("active", "chip")
               for c in auth[g]["checks"])
