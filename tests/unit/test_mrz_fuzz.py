"""Property tests: whatever text arrives, parse() raises only checkedid errors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from checkedid.errors import CheckedIDError
from checkedid.mrz import parse
from tests.fuzz import FUZZ

TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<",
       "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")

MRZ_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_mrz_line = st.sampled_from([30, 36, 44]).flatmap(
    lambda n: st.text(alphabet=MRZ_CHARS, min_size=n, max_size=n))
_near_mrz = st.one_of(
    st.lists(_mrz_line, min_size=2, max_size=3),
    st.sampled_from([30, 36, 44]).flatmap(
        lambda n: st.lists(st.text(alphabet=MRZ_CHARS, min_size=n, max_size=n),
                           min_size=2, max_size=3)),
)


def _mutate(lines: tuple[str, ...], edits: list[tuple[int, int, str]]) -> list[str]:
    out = list(lines)
    for li, pos, ch in edits:
        row = out[li % len(out)]
        pos %= len(row)
        out[li % len(out)] = row[:pos] + ch + row[pos + 1:]
    return out


_edits = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 43),
                            st.sampled_from(MRZ_CHARS + "-. «a")), max_size=12)


def _check(text: object, correct: bool) -> None:
    try:
        m = parse(text, correct=correct)  # type: ignore[arg-type]
    except CheckedIDError:
        return
    assert isinstance(m.valid, bool)
    assert m.corrections >= 0
    repr(m)


@FUZZ
@given(st.one_of(st.text(max_size=200), st.lists(st.text(max_size=50), max_size=4)),
       st.booleans())
def test_fuzz_arbitrary_text(text: object, correct: bool) -> None:
    _check(text, correct)


@FUZZ
@given(_near_mrz, st.booleans())
def test_fuzz_mrz_shaped_text(lines: list[str], correct: bool) -> None:
    _check(lines, correct)


@FUZZ
@given(st.sampled_from([TD3, TD1]), _edits, st.booleans())
def test_fuzz_mutated_specimens(base: tuple[str, ...], edits: list[tuple[int, int, str]],
                                correct: bool) -> None:
    _check(_mutate(base, edits), correct)


@FUZZ
@given(st.sampled_from([TD3, TD1]), _edits,
       st.dictionaries(st.tuples(st.integers(0, 2), st.integers(0, 43)),
                       st.text(alphabet=MRZ_CHARS + "a-", max_size=3), max_size=6))
def test_fuzz_correction_with_alternatives(base: tuple[str, ...],
                                           edits: list[tuple[int, int, str]],
                                           alternatives: dict[tuple[int, int], str]) -> None:
    lines = _mutate(base, edits)
    try:
        m = parse(lines, correct=True, alternatives=alternatives)
    except CheckedIDError:
        return
    # corrections only ever change as many characters as reported
    if [len(x) for x in lines] == [len(x) for x in m.lines]:
        diff = sum(a != b for x, y in zip(lines, m.lines, strict=True)
                   for a, b in zip(x.upper(), y, strict=True))
        assert diff == m.corrections
