"""Full chip reads over pcscd + vpcd: BAC and PACE, progress, tearing, the read command.

The virtual chip runs on the second vpcd slot (``Virtual PCD 00 01`` by default).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hw.vchip.personas import build, spec
from hw.vchip.process import wait_absent

from checkedid.cli import main as cli_main
from checkedid.nfc.iso7816.pcsc import PcscTransport
from checkedid.nfc.reader import ChipReader
from checkedid.secret import Secret
from tests.chip.conftest import READER2, VPCD_PORT2, VChipFactory

PORT = VPCD_PORT2
READER = READER2


@pytest.fixture(autouse=True)
def slot_free(vchip: VChipFactory) -> Iterator[None]:
    """Start each test with slot 1 empty (PC/SC may report a stopped chip for a moment)."""
    wait_absent(READER)
    yield


def read(persona: str, *, mrz: bool = False, **kwargs: Any) -> tuple[Any, dict[str, list[Any]]]:
    s = spec(persona)
    access: Secret | str = s.can if (s.pace is not None and not mrz) else \
        Secret(s.mrz_information.encode("ascii"))
    events: dict[str, list[tuple[int, int]]] = defaultdict(list)
    with PcscTransport(READER, timeout=5) as transport:
        reader = ChipReader(transport, progress=lambda f, d, t: events[f].append((d, t)),
                            timeout=30, **kwargs)
        return reader.read(access), events


BASE_PERSONAS = ["utopia-passport-bac", "utopia-id-pace-gm", "utopia-id-pace-dh",
                 "utopia-id-pace-im", "utopia-id-pace-cam"]


@pytest.mark.parametrize("persona", BASE_PERSONAS)
def test_full_read_with_progress(vchip: VChipFactory, persona: str) -> None:
    """Every persona, end to end through pyscard -> pcscd -> vpcd -> vchip."""
    vchip(persona, port=PORT)
    data, events = read(persona)
    s = spec(persona)
    local = build(persona)  # DG1 and DG2 are deterministic; keys and SOD are per process
    assert data.dg_bytes[1] == local.files[0x0101]
    assert data.dg_bytes[2] == local.files[0x0102]
    assert set(data.dg_bytes) == set(data.com.data_groups)
    for name in ["COM", "SOD", *(f"DG{n}" for n in data.dg_bytes)]:
        done = [d for d, _ in events[name]]
        total = events[name][-1][1]
        assert done == sorted(done) and done[-1] == total == data.file_sizes[name]
    if s.pace is None:
        assert data.protocol == "BAC"
    else:
        assert data.protocol.startswith(f"PACE {s.pace.mapping}")
        assert data.protocol.endswith(s.pace.cipher)
    assert data.access_details["extended_length"] is s.extended_length
    if s.extended_length:
        assert len(events["DG2"]) == 1  # the whole photo in one extended READ BINARY
    else:
        chunk = data.access_details["chunk_size"]
        assert chunk <= 0xDF and chunk <= s.max_read
        assert len(events["DG2"]) == -(-data.file_sizes["DG2"] // chunk)
    assert data.face_image is not None and data.recoveries == 0
    assert data.active.verdict.value == ("PASSED" if s.aa else "NOT_SUPPORTED")
    assert data.chip.verdict.value == ("PASSED" if s.ca else "NOT_SUPPORTED")


@pytest.mark.parametrize("persona", ["utopia-id-pace-gm", "utopia-passport-bac"])
def test_tearing_resumes_after_the_card_returns(vchip: VChipFactory, persona: str) -> None:
    vchip(persona, fault="card-removed-mid-read:8000", port=PORT)
    data, events = read(persona)
    assert data.recoveries == 1
    assert data.dg_bytes[2] == build(persona).files[0x0102]
    # completed files were not read again: each file's progress starts once at its first chunk
    for name, seen in events.items():
        restarts = sum(1 for (a, _), (b, _) in itertools.pairwise(seen) if b < a)
        assert restarts == 0, name
    assert data.timings["total"] < 30


def test_pace_with_mrz_and_the_read_command(vchip: VChipFactory, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """One chip for: PACE with the MRZ, ``checkedid read --json --trust``, a wrong CAN."""
    from hw.pki import get_pki

    vchip("utopia-id-pace-gm", port=PORT)
    data, _ = read("utopia-id-pace-gm", mrz=True)
    assert data.access_details["password"] == "MRZ"  # noqa: S105 - the kind, not a secret

    get_pki().export(tmp_path)
    argv = ["read", "--reader", READER, "--can", "123456", "--json", "--trust", str(tmp_path)]
    assert cli_main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["verified"] is True
    assert summary["dg1"]["document_number"] == spec("utopia-id-pace-gm").document_number
    assert summary["dg1"]["birth_date"] == "1974-08-12"
    passive = summary["authentication"]["passive"]
    assert passive["verdict"] == "PASSED"
    assert [c["name"] for c in passive["checks"]] == [
        "sod_parse", "dg_hashes", "signed_attributes", "ds_signature", "csca_chain", "validity",
        "revocation"]

    assert cli_main([*argv, "--no-fields"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out)
    assert summary["protocol"].startswith("PACE ECDH-GM")
    assert "dg1" not in summary
    assert summary["authentication"]["chip"]["verdict"] == "PASSED"
    assert summary["authentication"]["active"]["verdict"] == "PASSED"
    assert "saved" not in summary and not any(tmp_path.glob("DG*"))
    assert summary["files"]["DG2"] == len(build("utopia-id-pace-gm").files[0x0102])
    s = spec("utopia-id-pace-gm")
    for needle in (s.document_number, "ERIKSSON", "740812"):
        assert needle not in out

    # Without --trust nothing is reported as passed: AA and CA are not bound to trusted data.
    assert cli_main(["read", "--reader", READER, "--can", "123456", "--json", "--no-fields"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["verified"] is None
    auth = summary["authentication"]
    assert auth["passive"]["verdict"] == "NOT_CHECKED"
    assert "Passive Authentication was not run" in auth["passive"]["reason"]
    for group, dg in (("active", "DG15"), ("chip", "DG14")):
        assert auth[group]["verdict"] == "NOT_CHECKED"
        assert f"without --trust that {dg} is not authenticated" in auth[group]["reason"]
    assert cli_main(["read", "--reader", READER, "--can", "123456", "--no-fields"]) == 0
    human = capsys.readouterr().out
    assert "verified: not checked (no --trust)" in human and "PASSED" not in human

    assert cli_main(["read", "--reader", READER, "--can", "000000", "--json"]) == 3
    assert "error" in json.loads(capsys.readouterr().out)
