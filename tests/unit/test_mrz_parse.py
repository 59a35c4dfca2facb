"""MRZ parsing against the ICAO Doc 9303 specimens (parts 4, 5, 6, 7) and malformed input."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest

from checkedid.errors import MRZError
from checkedid.mrz import MRZ, check_digit, parse
from checkedid.mrz.checkdigit import STATE_CODES, is_known_state
from tests.conftest import data_path

TODAY = date(2026, 1, 1)

# Doc 9303-4 Appendix B: TD3 specimen
TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
# Doc 9303-5 Appendix B: TD1 specimen
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<",
       "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
# Doc 9303-6: TD2 specimen
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
       "D231458907UTO7408122F1204159<<<<<<<6")
# Doc 9303-7: MRV-A and MRV-B specimens
MRVA = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8988901C4XXX4009078F96121096ZE184226B<<<<<<")
MRVB = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "L8988901C4XXX4009078F9612109<<<<<<<<")


def test_check_digit_worked_examples() -> None:
    # Doc 9303-3 §4.9 worked example and the specimen fields
    assert check_digit("520727") == "3"
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert check_digit("<<<<<<<<<<<<<<") == "0"


def test_td3_specimen() -> None:
    m = parse(TD3, today=TODAY)
    assert (m.format, m.document_code, m.issuing_state, m.nationality) == ("TD3", "P", "UTO", "UTO")
    assert (m.surname, m.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert m.document_number == "L898902C3"
    assert m.birth_date == date(1974, 8, 12)
    assert m.expiry_date == date(2012, 4, 15)
    assert m.sex == "F"
    assert m.optional_data == "ZE184226B"
    assert m.checks == {"document_number": True, "birth_date": True, "expiry_date": True,
                        "optional_data": True, "composite": True}
    assert m.valid and m.corrections == 0 and m.warnings == ()
    assert m.lines == TD3


def test_td1_specimen() -> None:
    m = parse("\n".join(TD1), today=TODAY)
    assert (m.format, m.document_code, m.document_number) == ("TD1", "I", "D23145890")
    assert m.checks["optional_data"] is None
    assert m.checks["composite"] is True and m.valid
    assert (m.surname, m.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert m.birth_date == date(1974, 8, 12) and m.nationality == "UTO"


def test_td2_and_visas() -> None:
    m = parse(TD2, today=TODAY)
    assert m.format == "TD2" and m.valid and m.document_number == "D23145890"
    for lines, fmt in ((MRVA, "MRVA"), (MRVB, "MRVB")):
        v = parse(lines, today=TODAY)
        assert v.format == fmt and v.document_code == "V" and v.valid
        assert v.checks["composite"] is None and v.checks["optional_data"] is None
        assert v.document_number == "L8988901C" and v.nationality == "XXX"
        assert v.birth_date == date(1940, 9, 7) and v.expiry_date == date(1996, 12, 10)
    assert parse(MRVA).optional_data == "6ZE184226B"


def test_input_forms_are_equivalent() -> None:
    joined = "".join(TD3)
    for form in (TD3, list(TD3), "\n".join(TD3), " ".join(TD3), joined, "  " + joined.lower(),
                 "\r\n".join(TD1)):
        m = parse(form, today=TODAY)
        assert m.valid
    assert parse("".join(TD1)).lines == TD1


def test_td1_long_document_number() -> None:
    # Doc 9303-5 §4.2.4: number D23145890734, check digit 9 after the continuation
    line1 = "I<UTOD23145890<7349<<<<<<<<<<<"
    body = "7408122F1204159UTO<<<<<<<<<<<"
    comp = check_digit(line1[5:30] + body[0:7] + body[8:15] + body[18:29])
    m = parse([line1, body + comp, TD1[2]], today=TODAY)
    assert m.document_number == "D23145890734"
    assert m.checks["document_number"] is True and m.valid
    assert m.optional_data == ""
    assert m.access_key().reveal() == b"D23145890734" + b"9" + b"7408122" + b"1204159"


def test_access_key_is_mrz_information() -> None:
    # Doc 9303-11 Appendix D.2 worked example (document L898902C<, born 690806, expiry 940623)
    vec = json.loads(data_path("vectors", "icao9303.json").read_text())["bac_appendix_D"]
    number, dob, exp = vec["mrz_document_number"], vec["mrz_dob"], vec["mrz_expiry"]
    body = (number + check_digit(number) + "UTO" + dob + check_digit(dob) + "F" + exp
            + check_digit(exp) + "ZE184226B<<<<<")
    body += check_digit(body[28:42])
    line2 = body + check_digit(body[0:10] + body[13:20] + body[21:43])
    m = parse([TD3[0], line2])
    assert m.valid
    key = m.access_key()
    assert key.reveal() == vec["mrz_information_ascii"].encode("ascii")
    assert "L898902C" not in repr(key)
    key.wipe()
    assert key.wiped


def test_repr_redacts_personal_data() -> None:
    m = parse(TD3)
    for text in (repr(m), str(m)):
        for needle in ("ERIKSSON", "ANNA", "L898902C3", "740812", "1974"):
            assert needle not in text
    assert "TD3" in repr(m)


def test_failed_check_digits_are_reported() -> None:
    bad = TD3[1][:9] + "7" + TD3[1][10:]
    m = parse((TD3[0], bad))
    assert m.checks["document_number"] is False and m.checks["composite"] is False
    assert not m.valid


def test_empty_personal_number_with_filler_check_digit() -> None:
    body = "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<"
    comp = check_digit(body[0:10] + body[13:20] + body[21:43])
    m = parse((TD3[0], body + comp))
    assert m.checks["optional_data"] is True and m.valid and m.optional_data == ""


def test_unspecified_sex_and_unknown_codes() -> None:
    body = TD3[1][:20] + "<" + TD3[1][21:]
    m = parse((TD3[0].replace("UTO", "QQQ", 1), body))
    assert m.sex == "X"
    assert any("issuing state" in w for w in m.warnings)
    assert not any("QQQ" in w for w in m.warnings)
    d = parse(("P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<", TD3[1].replace("UTO", "D<<")))
    assert d.issuing_state == "D" and d.nationality == "D" and d.warnings == ()
    for code in ("UNO", "UNA", "UNK", "XXA", "XXB", "XXC", "XOM", "EUE", "GBR", "DEU"):
        assert is_known_state(code) and code in STATE_CODES


def test_unusual_document_code_is_a_warning() -> None:
    m = parse(("X" + TD3[0][1:], TD3[1]))
    assert m.valid and m.document_code == "X"
    assert any("document code" in w for w in m.warnings)
    assert parse(("AC" + TD1[0][2:], TD1[1], TD1[2])).warnings == ()


def test_centuries(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "L898902C36UTO2001015F4512319ZE184226B<<<<<1"
    body = body[:43] + "0"
    m = parse((TD3[0], body), today=date(2026, 6, 1))
    assert m.birth_date == date(2020, 1, 1)
    assert m.expiry_date == date(2045, 12, 31)
    later = parse((TD3[0], body), today=date(2019, 6, 1))
    assert later.birth_date == date(1920, 1, 1)
    old = parse((TD3[0], body.replace("451231", "501231")), today=date(2026, 6, 1))
    assert old.expiry_date == date(1950, 12, 31)


def test_unknown_or_impossible_dates_give_none_with_warning() -> None:
    body = TD3[1][:13] + "74<<<<" + TD3[1][19:]
    m = parse((TD3[0], body))
    assert m.birth_date is None and any("birth date" in w for w in m.warnings)
    body = TD3[1][:13] + "741399" + TD3[1][19:]
    assert parse((TD3[0], body)).birth_date is None


@pytest.mark.parametrize(("lines", "line", "position"), [
    ((TD3[0], TD3[1][:-1]), 2, 44),
    ((TD3[0][:40], TD3[1][:40]), 1, 41),
    ((TD3[0], TD3[1][:5] + "-" + TD3[1][6:]), 2, 6),
    ((TD3[0].replace("ERIKSSON", "ERIK5SON"), TD3[1]), 1, 10),
    ((TD3[0], TD3[1][:14] + "X" + TD3[1][15:]), 2, 15),
    ((TD3[0], TD3[1][:20] + "Q" + TD3[1][21:]), 2, 21),
    (("<" + TD3[0][1:], TD3[1]), 1, 1),
    ((TD1[0], TD1[1], TD1[2] + "<"), 3, 31),
])
def test_malformed_input_names_line_and_position(
        lines: tuple[str, ...], line: int, position: int) -> None:
    with pytest.raises(MRZError) as info:
        parse(lines)
    assert (info.value.line, info.value.position) == (line, position)
    assert "ERIKSSON" not in str(info.value) and "L898902" not in str(info.value)


@pytest.mark.parametrize("text", ["", "   \n ", "ABC", "\n".join(TD3 + TD3)])
def test_wrong_shape(text: str) -> None:
    with pytest.raises(MRZError):
        parse(text)


def test_not_text() -> None:
    with pytest.raises(MRZError):
        parse([1, 2])  # type: ignore[list-item]
    with pytest.raises(MRZError):
        parse(42)  # type: ignore[arg-type]


def test_model_is_frozen_and_not_hash_crashing() -> None:
    m = parse(TD3)
    with pytest.raises(AttributeError):
        m.surname = "X"  # type: ignore[misc]
    assert m == MRZ.from_lines(list(TD3))


def test_specimen_ground_truth_parses_valid() -> None:
    path = data_path("mrz", "ground_truth.csv")
    rows = [r for r in csv.DictReader(path.open()) if r["line1"]]
    assert len(rows) >= 5
    for row in rows:
        lines = [row[k] for k in ("line1", "line2", "line3") if row.get(k)]
        m = parse(lines)
        assert m.valid, row["file"]
        assert m.lines == tuple(lines)
