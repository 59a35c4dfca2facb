"""The one-line driving licence MRZ: parsing, check digit, BAP key seed, OCR, CLI."""

from __future__ import annotations

import json

import pytest

from checkedid.cli import main
from checkedid.errors import MRZError
from checkedid.mrz import read, synth
from checkedid.mrz.licence import is_licence_line, parse_licence
from checkedid.nfc.sm import kdf

EXAMPLE = "D1NLD11234567890ABCDEFGHIJKLM5"
#: K_seed of the example (SHA-1 of characters 2-29, first 16 bytes).
EXAMPLE_SEED = "857dc5155830abdd06156f70bf56e2e0"


def test_bap_key_seed_vector() -> None:
    key = parse_licence(EXAMPLE).access_key()
    assert bytes(key.buffer) == b"1NLD11234567890ABCDEFGHIJKLM"
    # BAC's key seed over the access key is BAP's key seed: the BAC code path opens licences
    assert kdf.bac_seed(key).hex() == EXAMPLE_SEED


def test_fields_and_check_digit() -> None:
    m = parse_licence(EXAMPLE)
    assert (m.format, m.document_code, m.bap_configuration, m.issuing_state, m.version,
            m.document_number) == ("DL1", "D", "1", "NLD", "1", "1234567890")
    assert m.valid and m.checks["composite"] is True
    assert [k for k, v in m.checks.items() if v is not None] == ["composite"]
    assert m.warnings == ()


def test_wrong_check_digit_is_not_valid() -> None:
    m = parse_licence(EXAMPLE[:-1] + "4")
    assert not m.valid and m.checks["composite"] is False


def test_repr_hides_personal_data() -> None:
    text = repr(parse_licence(EXAMPLE))
    assert "1234567890" not in text and "NLD" not in text and "valid=True" in text


@pytest.mark.parametrize(("text", "message", "position"), [
    ("D1NLD11234567890ABCDEFGHIJKL5", "29 characters", 30),
    ("P1NLD11234567890ABCDEFGHIJKLM5", "document code 'D'", 1),
    ("D1NLD11234567890ABCDEFGHIJ-LM5", "invalid character", 27),
    ("D1N1D11234567890ABCDEFGHIJKLM5", "digit in the issuing state", 4),
    ("D1NLD11234567890ABCDEFGHIJKLMX", "letter in the check digit", 30),
])
def test_malformed_text_names_the_position(text: str, message: str, position: int) -> None:
    with pytest.raises(MRZError, match=message) as exc:
        parse_licence(text)
    assert f"position {position}" in str(exc.value)


def test_two_lines_are_not_a_licence_mrz() -> None:
    with pytest.raises(MRZError, match="one line"):
        parse_licence([EXAMPLE, EXAMPLE])
    assert not is_licence_line([EXAMPLE, EXAMPLE])
    assert is_licence_line(EXAMPLE) and is_licence_line(f"  {EXAMPLE.lower()}\n")
    assert not is_licence_line("I<UTOD231458907<<<<<<<<<<<<<<<")


def test_unknown_state_and_bap_configuration_are_warnings() -> None:
    body = "D2XQZ11234567890ABCDEFGHIJKLM"
    from checkedid.mrz import check_digit

    m = parse_licence(body + check_digit(body))
    assert m.valid
    assert any("issuing state" in w for w in m.warnings)
    assert any("BAP configuration" in w for w in m.warnings)


def test_correction_repairs_look_alikes_in_letter_and_digit_fields() -> None:
    printed = "D1UTO11234567890ABCDEFGHIJKLM1"
    misread = "D1UT011234567890ABCDEFGHIJKLMI"  # O read as 0, 1 read as I
    m = parse_licence(misread, correct=True)
    assert m.lines == (printed,) and m.valid and m.corrections == 2
    assert parse_licence(EXAMPLE, correct=True).corrections == 0


def test_synthetic_licence_back_is_read() -> None:
    photo = synth.document_photo(lines=(EXAMPLE,), seed=3, difficulty="easy")
    assert photo.format == "DL1"
    m = read(photo.image)
    assert m.format == "DL1" and m.lines == (EXAMPLE,) and m.valid


def test_random_licence_lines_have_valid_check_digits() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    for _ in range(20):
        (line,) = synth.mrz_lines(synth.random_identity(rng, format="DL1"), "DL1")
        assert parse_licence(line).valid


def test_cli_mrz_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz", "--text", EXAMPLE]) == 0
    out = capsys.readouterr().out
    assert "driving licence" in out and "1234567890" in out and "check digit      ok" in out
    assert main(["mrz", "--json", "--text", EXAMPLE[:-1] + "0"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "DL1" and data["valid"] is False
