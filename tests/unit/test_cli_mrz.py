"""The ``checkedid mrz`` command: text and photo input, JSON, exit codes."""

from __future__ import annotations

import io
import json

import pytest

from checkedid.cli import main
from tests.conftest import data_path

TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<",
       "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
ACCESS_KEY = "L898902C3674081221204159"


def test_text_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz", "--text", " ".join(TD3)]) == 0
    out = capsys.readouterr().out
    assert "TD3" in out and "ERIKSSON" in out and "ANNA MARIA" in out
    assert "1974-08-12" in out and "composite ok" in out and "valid            yes" in out
    assert ACCESS_KEY not in out


def test_text_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz", "--json", "--text", "\n".join(TD1)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "TD1" and data["valid"] is True
    assert data["checks"] == {"document_number": True, "birth_date": True, "expiry_date": True,
                              "optional_data": None, "composite": True}
    assert data["lines"] == list(TD1) and data["document_number"] == "D23145890"
    assert ACCESS_KEY not in json.dumps(data)


def test_failed_check_digit_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    bad = TD3[1][:27] + "0" + TD3[1][28:]
    assert main(["mrz", "--text", f"{TD3[0]} {bad}"]) == 1
    out = capsys.readouterr().out
    assert "expiry date FAILED" in out and "valid            NO" in out


def test_stdin_with_correction(monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join((TD1[0], TD1[1].replace("1204159", "12O4159"), TD1[2])) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["mrz", "--json", "--text", "-"]) == 2  # strict: a letter in a date
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["mrz", "--json", "--text", "-", "--correct"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["corrections"] == 1 and data["lines"] == list(TD1)


def test_malformed_text_exits_2_with_position(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz", "--text", f"{TD3[0]} {TD3[1][:30]}-{TD3[1][31:]}"]) == 2
    err = capsys.readouterr().err
    assert "line 2, position 31" in err and "ERIKSSON" not in err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz"]) == 2
    assert main(["mrz", "x.jpg", "--text", " ".join(TD3)]) == 2
    assert main(["mrz", "--json", "/nonexistent/document.jpg"]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert json.loads(out[-1])["error"]["exit_code"] == 2


def test_photo(capsys: pytest.CaptureFixture[str]) -> None:
    path = data_path("mrz", "td3.jpg")
    assert main(["mrz", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lines"] == list(TD3) and data["valid"]


def test_photo_without_mrz(capsys: pytest.CaptureFixture[str]) -> None:
    path = data_path("mrz", "nomrz.jpg")
    assert main(["mrz", str(path)]) == 2
    assert "no machine-readable zone" in capsys.readouterr().err
