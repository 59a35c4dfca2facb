"""Check-digit-guided correction of OCR confusions (checkedid.mrz.correct)."""

from __future__ import annotations

import numpy as np
import pytest

from checkedid.errors import MRZError
from checkedid.mrz import check_digit, parse
from checkedid.mrz.correct import DIGIT_FOR_LETTER, LETTER_FOR_DIGIT, LOOKALIKES

TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<",
       "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")


def _put(line: str, pos: int, ch: str) -> str:
    return line[:pos] + ch + line[pos + 1:]


def test_valid_text_is_untouched() -> None:
    for lines in (TD3, TD1):
        m = parse(lines, correct=True)
        assert m.corrections == 0 and m.lines == lines and m.valid


@pytest.mark.parametrize(("line", "pos", "wrong"), [
    (1, 15, "O"),   # birth date 740812: 0 -> O (digit field)
    (1, 19, "Z"),   # birth date check digit 2 -> Z
    (1, 21, "I"),   # expiry 120415: 1 -> I
    (1, 43, "O"),   # composite 0 -> O
    (0, 7, "1"),    # name I -> 1 (ERIKSSON)
    (0, 4, "0"),    # issuing state UTO -> UT0 (letters-only field)
    (1, 12, "0"),   # nationality UTO -> UT0
    (0, 9, "5"),    # name S -> 5
])
def test_alphabet_repair(line: int, pos: int, wrong: str) -> None:
    lines = list(TD3)
    original = lines[line][pos]
    lines[line] = _put(lines[line], pos, wrong)
    m = parse(lines, correct=True)
    expected_ok = (original in LETTER_FOR_DIGIT.values() and wrong in LETTER_FOR_DIGIT) or \
        (original in DIGIT_FOR_LETTER.values() and wrong in DIGIT_FOR_LETTER)
    assert expected_ok
    assert m.lines == TD3 and m.valid and m.corrections == 1


def test_document_number_confusions_are_fixed_by_check_digits() -> None:
    # L898902C3: the '0' read as 'O' or 'D' (legal letters in an alphanumeric field)
    for wrong in ("O", "D"):
        lines = [TD3[0], _put(TD3[1], 5, wrong)]
        before = parse(lines)
        assert before.checks["document_number"] is False
        m = parse(lines, correct=True)
        assert m.lines == TD3 and m.valid and m.corrections == 1
        assert m.document_number == "L898902C3"


def test_ambiguous_candidates_are_left_as_read() -> None:
    # ZE184226B with its first '2' read as 'Z': both Z->2 at that position and 1->I
    # elsewhere make the personal-number and composite digits hold, so nothing is changed
    line2 = _put(TD3[1], 33, "Z")
    assert parse([TD3[0], line2]).checks["optional_data"] is False
    m = parse([TD3[0], line2], correct=True)
    assert m.lines == (TD3[0], line2) and m.corrections == 0 and not m.valid


def test_confusions_everywhere_at_once() -> None:
    line1 = TD3[0].replace("ERIKSSON", "ER1KS5ON")
    line2 = _put(_put(_put(TD3[1], 5, "O"), 15, "O"), 25, "I")
    m = parse([line1, line2], correct=True)
    assert m.lines == TD3 and m.valid
    assert m.corrections == 5


def test_td1_document_number() -> None:
    for pos, wrong in ((10, "S"), (13, "O")):
        line1 = _put(TD1[0], pos, wrong)
        m = parse([line1, TD1[1], TD1[2]], correct=True)
        assert m.lines == TD1 and m.valid and m.corrections == 1


def test_td1_long_number_continuation() -> None:
    number = "D23145890" + "705"
    line1 = ("I<UTO" + number[:9] + "<" + number[9:] + check_digit(number)).ljust(30, "<")
    body = "7408122F1204159UTO<<<<<<<<<<<"
    comp = check_digit(line1[5:30] + body[0:7] + body[8:15] + body[18:29])
    good = [line1, body + comp, TD1[2]]
    assert parse(good).valid
    m = parse([_put(line1, 16, "O"), good[1], good[2]], correct=True)
    assert m.lines == tuple(good) and m.document_number == number and m.corrections == 1


def test_correction_that_does_not_make_check_digits_hold_is_not_kept() -> None:
    # 'O' in the number (really '0') plus an unrelated misread of the number check digit
    # (6 -> 3): no look-alike substitution makes both the number check and the composite
    # hold, so the text stays as read and the checks report the failure.
    line2 = _put(_put(TD3[1], 4, "O"), 9, "3")
    m = parse([TD3[0], line2], correct=True)
    assert m.lines == (TD3[0], line2)
    assert m.corrections == 0
    assert m.checks["document_number"] is False and not m.valid


def test_non_confusion_error_in_date_is_not_papered_over() -> None:
    # birth date digit 4 -> 9 (no look-alike): the number field must not be "fixed" instead
    line2 = _put(TD3[1], 14, "9")
    m = parse([TD3[0], line2], correct=True)
    assert m.lines[1] == line2 and m.checks["birth_date"] is False and m.corrections == 0


def test_six_and_g_are_indistinguishable_by_check_digits() -> None:
    assert check_digit("G") == check_digit("6")
    # so a 6 read as G passes every check and is left as read
    line2 = _put(TD3[1], 35, "G")
    m = parse([TD3[0], line2], correct=True)
    assert m.valid and m.lines == (TD3[0], line2)


def test_unfixable_letter_in_date_still_raises() -> None:
    with pytest.raises(MRZError) as info:
        parse([TD3[0], _put(TD3[1], 14, "X")], correct=True)
    assert (info.value.line, info.value.position) == (2, 15)


@pytest.mark.parametrize("base", [TD3, TD1], ids=["TD3", "TD1"])
def test_every_single_confusion_is_repaired_or_left_as_read(base: tuple[str, ...]) -> None:
    fixed = trials = 0
    for li, row in enumerate(base):
        for pos, ch in enumerate(row):
            for alt in LOOKALIKES.get(ch, ""):
                if {ch, alt} == {"6", "G"}:
                    continue  # equal check-digit values: undetectable by design
                lines = list(base)
                lines[li] = _put(row, pos, alt)
                m = parse(lines, correct=True)
                trials += 1
                # either repaired, or left exactly as read and reported invalid: never a
                # wrong text that claims validity
                if m.valid:
                    assert m.lines == base
                    fixed += 1
                else:
                    assert m.lines == tuple(lines) and m.corrections == 0
    assert trials > 20
    assert fixed / trials > 0.6


def test_recogniser_alternatives_break_ties() -> None:
    line2 = _put(TD3[1], 33, "Z")  # ambiguous on its own (see above)
    m = parse([TD3[0], line2], correct=True, alternatives={(1, 33): "2"})
    assert m.lines == TD3 and m.corrections == 1 and m.valid


def test_recogniser_alternatives_fix_digit_for_digit_misreads() -> None:
    line2 = _put(TD3[1], 14, "9")  # birth date 740812 -> 790812: no look-alike
    assert parse([TD3[0], line2], correct=True).checks["birth_date"] is False
    m = parse([TD3[0], line2], correct=True, alternatives={(1, 14): "84"})
    assert m.lines == TD3 and m.corrections == 1 and m.valid
    # a suggestion that does not make the check digits hold is not taken
    wrong = parse([TD3[0], line2], correct=True, alternatives={(1, 14): "7"})
    assert wrong.lines[1] == line2 and wrong.corrections == 0 and not wrong.valid


def test_recogniser_alternatives_in_alphabet_repair() -> None:
    line2 = _put(TD3[1], 14, "X")  # no look-alike table entry for X
    m = parse([TD3[0], line2], correct=True, alternatives={(1, 14): "K4"})
    assert m.lines == TD3 and m.valid


def test_state_codes_are_repaired_against_the_code_table() -> None:
    line2 = TD3[1].replace("UTO", "D<<")
    line2 = line2[:43] + check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    good = ("P<D<<ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", line2)
    assert parse(good).valid
    m = parse(("P<0<<" + good[0][5:], line2.replace("D<<", "0<<")), correct=True)
    assert m.lines == good and m.issuing_state == "D" and m.nationality == "D"
    assert m.corrections == 2


@pytest.mark.parametrize("fmt", ["TD3", "TD1", "TD2"])
def test_single_confusions_in_random_documents_never_give_a_wrong_valid_mrz(fmt: str) -> None:
    """Any one look-alike substitution in a field covered by a check digit, or in a
    state code, is either repaired exactly or left as read and reported invalid."""
    from checkedid.mrz import synth
    from checkedid.mrz.model import LAYOUTS

    layout = LAYOUTS[fmt]
    covered = {(s.line, p) for n, s in layout.fields.items()
               if n not in ("name", "document_code", "sex") for p in range(s.start, s.end)}
    rng = np.random.default_rng(11)
    fixed = trials = 0
    for _ in range(150):
        lines = synth.mrz_lines(synth.random_identity(rng, format=fmt), fmt)
        for li, pos in sorted(covered):
            ch = lines[li][pos]
            for alt in LOOKALIKES.get(ch, ""):
                if {ch, alt} == {"6", "G"} or rng.random() > 0.1:
                    continue
                bad = list(lines)
                bad[li] = _put(bad[li], pos, alt)
                m = parse(bad, correct=True)
                trials += 1
                if m.valid:
                    assert m.lines == lines
                    fixed += 1
                else:
                    assert m.lines == tuple(bad)
    assert trials > 200
    assert fixed / trials > 0.75


def test_unknown_state_code_one_look_alike_from_a_known_one() -> None:
    from checkedid.mrz import parse

    lines = ("P<BRAPETRANOVIC<<ANNA<MARIA<<<<<<<<<<<<<<<<<",
             "EU85003460BRA0302092M2605063<<<<<<<<<<<<<<<8")
    m = parse([lines[0].replace("P<BRA", "P<NLO"), lines[1].replace("BRA0", "UTD0")],
              correct=True)
    assert (m.issuing_state, m.nationality, m.valid) == ("NLD", "UTO", True)
    assert m.corrections == 2


def test_state_code_with_a_stray_letter_after_its_filler() -> None:
    from checkedid.mrz import parse

    lines = ("P<BRAPETRANOVIC<<ANNA<MARIA<<<<<<<<<<<<<<<<<",
             "EU85003460BRA0302092M2605063<<<<<<<<<<<<<<<8")
    m = parse([lines[0].replace("P<BRA", "P<D<K"), lines[1]], correct=True)
    assert m.issuing_state == "D" and m.lines[0].startswith("P<D<<PETRANOVIC")
