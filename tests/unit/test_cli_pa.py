"""``checkedid pa``: offline Passive Authentication of saved chip files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hw.pki import TestPKI, get_pki

from checkedid.cli import main

DGS = {1: b"\x61\x05\x5f\x1f\x02AB", 2: b"\x75\x03\x01\x02\x03"}


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return get_pki()


@pytest.fixture
def files(pki: TestPKI, tmp_path: Path) -> Path:
    pki.export(tmp_path / "trust")
    for n, body in DGS.items():
        (tmp_path / f"DG{n}.bin").write_bytes(body)
    (tmp_path / "SOD.bin").write_bytes(pki.sign_sod(DGS, signer="ds-ec"))
    (tmp_path / "SOD-revoked.bin").write_bytes(pki.sign_sod(DGS, signer="ds-revoked"))
    return tmp_path


def args(d: Path, sod: str = "SOD.bin", *extra: str) -> list[str]:
    return ["pa", "--sod", str(d / sod), "--dg", f"1={d / 'DG1.bin'}",
            "--dg", f"DG2={d / 'DG2.bin'}", *extra]


def test_all_passed_exit_0(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args(files), "--trust", str(files / "trust")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Passive Authentication: PASSED")
    for name in ("sod_parse", "dg_hashes", "signed_attributes", "ds_signature", "csca_chain",
                 "validity", "revocation"):
        assert name in out


def test_json_output(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args(files), "--trust", str(files / "trust"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passive"]["verdict"] == "PASSED"
    # csca-rsa, csca-ec, csca-edl and the link certificate csca-rsa -> csca-rsa-2
    assert data["trust"]["certificates"] == 4
    assert any(s["kind"] == "master_list" and s["verified"] for s in data["trust"]["sources"])


def test_revoked_exit_1(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args(files, "SOD-revoked.bin"), "--trust", str(files / "trust")]) == 1
    out = capsys.readouterr().out
    assert "revocation" in out and "FAILED" in out


def test_tampered_dg_exit_1(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "DG2.bin").write_bytes(b"\x75\x03\x01\x02\x04")
    assert main([*args(files), "--trust", str(files / "trust")]) == 1
    assert "DG2" in capsys.readouterr().out


def test_without_trust_is_not_verified(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args(files)) == 1
    out = capsys.readouterr().out
    assert "NOT_CHECKED" in out and "no trust store" in out


def test_at_date(files: Path) -> None:
    assert main([*args(files), "--trust", str(files / "trust"), "--at", "2041-01-01"]) == 1
    assert main([*args(files), "--trust", str(files / "trust"), "--at", "2030-01-01"]) == 0


def test_garbage_sod_is_a_failed_check(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "junk.bin").write_bytes(b"\x77\x03\x30\x01\x00")
    assert main(args(files, "junk.bin")) == 1
    assert "sod_parse" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [["--dg", "17=x"], ["--dg", "one=x"], ["--dg", "1"],
                                 ["--at", "tomorrow"], ["--trust", "/nonexistent/trust"]])
def test_unusable_input_exit_2(files: Path, bad: list[str],
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args(files), *bad]) == 2
    assert "checkedid:" in capsys.readouterr().err


def test_missing_files_exit_2(files: Path) -> None:
    assert main(["pa", "--sod", str(files / "missing.bin")]) == 2
    assert main(["pa", "--sod", str(files / "SOD.bin"), "--dg", f"1={files / 'no.bin'}"]) == 2
