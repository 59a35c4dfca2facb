"""Verdict integrity over pcscd + vpcd: clones that hide DG15 / DG14, a PACE -> BAC downgrade,
and a session bound to its reader and its chip across a card removal."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hw.pki import get_pki
from hw.vchip.personas import HIDES_CARD_ACCESS, spec
from hw.vchip.process import VChipProcess, wait_absent

from checkedid.cli import main as cli_main
from checkedid.errors import ChipTimeout, DocumentChangedError
from checkedid.nfc import genuine
from tests.chip.conftest import READER2 as READER
from tests.chip.conftest import VPCD_PORT, VPCD_PORT2, VChipFactory

PORT = VPCD_PORT2
OTHER_PORT = VPCD_PORT  # chip B of the two-reader tests


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
    if s.pace is not None and s.fault not in HIDES_CARD_ACCESS:
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


@pytest.mark.parametrize(("persona", "listed_in"), [
    ("fault-pace-downgrade", "DG14"),
    ("fault-pace-downgrade-cardsecurity", "EF.CardSecurity"),
])
def test_read_trust_rejects_a_pace_downgrade(vchip: VChipFactory, trust_dir: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             persona: str, listed_in: str) -> None:
    vchip(persona, port=PORT)
    argv = ["read", "--reader", READER, *_access(persona),
            "--trust", str(trust_dir), "--no-fields", "--json"]
    assert cli_main(argv) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"] == "BAC" and out["verified"] is False
    assert out["authentication"]["access"]["verdict"] == "FAILED"
    reason = out["authentication"]["access"]["reason"]
    assert genuine.DOWNGRADE in reason and f"signed {listed_in} lists PACEInfo" in reason


def test_read_trust_verifies_a_bac_chip_with_card_security(
        vchip: VChipFactory, trust_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vchip("utopia-passport-bac-cs", port=PORT)
    argv = ["read", "--reader", READER, *_access("utopia-passport-bac-cs"),
            "--trust", str(trust_dir), "--no-fields", "--json"]
    assert cli_main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"] == "BAC" and out["verified"] is True
    assert out["authentication"]["access"]["verdict"] == "PASSED"


# -- one reader, one chip per session -------------------------------------------------------
TWIN = "utopia-id-pace-gm"  # every chip process makes fresh keys: same CAN, another EF.SOD


def _read_from_first_card(other: list[VChipProcess], on_dg2: Callable[[], None] | None = None,
                          ) -> tuple[Any, str | None]:
    """Connect with no reader name (the first reader with a card, as a kiosk would), then put
    chip B (``other``) on the other slot, then read."""
    from checkedid.nfc.iso7816.pcsc import PcscTransport
    from checkedid.nfc.reader import ChipReader

    fired = []

    def progress(file: str, done: int, total: int) -> None:
        if on_dg2 is not None and file == "DG2" and done and not fired:
            fired.append(True)
            on_dg2()

    with PcscTransport(None, timeout=5) as transport:
        name = transport.reader_name
        other.append(VChipProcess(TWIN, port=OTHER_PORT))
        other[-1].wait_present()
        reader = ChipReader(transport, progress=progress, timeout=40, card_wait=4)
        return reader.read(spec(TWIN).can), name


def _stop(chips: list[VChipProcess]) -> None:
    for chip in chips:
        chip.stop()
        wait_absent(chip.reader)


def test_removal_continues_on_the_sessions_reader_only(vchip: VChipFactory) -> None:
    """Chip A leaves the field for 2 s mid-read while chip B sits on the other reader."""
    from checkedid.demo import virtual_trust_store
    from checkedid.nfc.pki import pa

    first = vchip(TWIN, fault="card-removed-mid-read:9000", port=PORT)
    other: list[VChipProcess] = []
    try:
        data, name = _read_from_first_card(other)
    finally:
        _stop(other)
    assert name == first.reader and data.recoveries >= 1
    # every data group matches the EF.SOD read before the removal: nothing came from chip B
    assert pa.passive_authenticate(data.sod_bytes, data.dg_bytes,
                                   virtual_trust_store()).passed


def test_a_chip_gone_for_good_is_not_replaced_by_another_reader(vchip: VChipFactory) -> None:
    first = vchip(TWIN, port=PORT)
    other: list[VChipProcess] = []
    try:
        with pytest.raises(ChipTimeout, match="did not come back"):
            _read_from_first_card(other, on_dg2=first.stop)
    finally:
        _stop(other)


def test_another_chip_placed_on_the_reader_ends_the_session(vchip: VChipFactory) -> None:
    first = vchip(TWIN, port=PORT)
    started: list[VChipProcess] = []

    def swap() -> None:
        first.stop()
        started.append(VChipProcess(TWIN, port=PORT))

    try:
        with pytest.raises(DocumentChangedError, match=r"another EF\.SOD"):
            _read_from_first_card(started, on_dg2=swap)
    finally:
        _stop(started)
