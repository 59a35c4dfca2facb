"""The read command's access-key handling: CAN, MRZ information, MRZ text (no reader needed)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from hw.vchip.personas import spec

from checkedid.cli import build_parser
from checkedid.cli.chip_cmd import access_from_args
from checkedid.errors import InputError
from checkedid.secret import Secret


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["read", *argv])


def test_can_must_be_six_digits() -> None:
    assert access_from_args(args("--can", "123456")) == "123456"
    for bad in ("12345", "12345a", "1234567"):
        with pytest.raises(InputError, match="6 digits"):
            access_from_args(args("--can", bad))


@pytest.mark.parametrize("persona", ["utopia-passport-bac", "utopia-id-pace-gm"])
def test_mrz_information_and_mrz_text_give_the_same_key(persona: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    s = spec(persona)
    info = access_from_args(args("--mrz", s.mrz_information))
    assert isinstance(info, Secret) and info == s.mrz_information.encode()
    text = access_from_args(args("--mrz", s.mrz.replace("\n", " ")))
    assert isinstance(text, Secret) and text == info
    monkeypatch.setattr("sys.stdin", io.StringIO(s.mrz))
    assert access_from_args(args("--mrz", "-")) == info


def test_wrong_check_digit_is_an_input_error() -> None:
    info = spec("utopia-passport-bac").mrz_information
    broken = info[:9] + str((int(info[9]) + 1) % 10) + info[10:]
    with pytest.raises(InputError, match="check digit"):
        access_from_args(args("--mrz", broken))


def test_save_writes_owner_only_files(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from checkedid.cli.chip_cmd import _save

    data = SimpleNamespace(sod_bytes=b"\x77\x01\x00", dg_bytes={2: b"\x75\x00", 1: b"\x61\x00"})
    names = _save(tmp_path / "qa", data)
    assert names == ["EF.SOD", "DG1.bin", "DG2.bin"]
    assert (tmp_path / "qa" / "DG1.bin").read_bytes() == b"\x61\x00"
    assert all((tmp_path / "qa" / n).stat().st_mode & 0o077 == 0 for n in names)
    assert (tmp_path / "qa").stat().st_mode & 0o077 == 0


def test_can_from_stdin_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("654321\n"))
    assert access_from_args(args("--can", "-")) == "654321"
    monkeypatch.setenv("CHECKEDID_CAN", "112233")
    assert access_from_args(args()) == "112233"
    assert access_from_args(args("--can", "445566")) == "445566"  # the option wins
    monkeypatch.setenv("CHECKEDID_CAN", "12ab56")
    with pytest.raises(InputError, match="CHECKEDID_CAN must be the 6 digits"):
        access_from_args(args())
    monkeypatch.delenv("CHECKEDID_CAN")
    with pytest.raises(InputError, match="give --mrz, --mrz-image or --can"):
        access_from_args(args())


def _qa_data() -> object:
    from types import SimpleNamespace

    return SimpleNamespace(sod_bytes=b"\x77\x01\x00", dg_bytes={1: b"\x61\x00"})


def test_save_tightens_an_existing_directory_and_never_overwrites(tmp_path: Path) -> None:
    from checkedid.cli.chip_cmd import _save

    qa = tmp_path / "qa"
    qa.mkdir(mode=0o755)
    qa.chmod(0o755)
    _save(qa, _qa_data())
    assert qa.stat().st_mode & 0o777 == 0o700
    with pytest.raises(InputError, match="exists already"):
        _save(qa, _qa_data())


def test_save_follows_no_symlink(tmp_path: Path) -> None:
    from checkedid.cli.chip_cmd import _save

    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    qa = tmp_path / "qa"
    qa.mkdir()
    (qa / "EF.SOD").symlink_to(victim)
    with pytest.raises(InputError, match=r"EF\.SOD exists already"):
        _save(qa, _qa_data())
    assert victim.read_bytes() == b"keep"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(InputError, match="symbolic link"):
        _save(link, _qa_data())
