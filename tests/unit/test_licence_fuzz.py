"""Property tests of the licence parsers: the one-line MRZ and DG1 raise only checkedid errors."""

from __future__ import annotations

from hw.vchip.licence import dg1 as build_dg1
from hw.vchip.personas import spec
from hypothesis import given
from hypothesis import strategies as st

from checkedid.errors import CheckedIDError
from checkedid.mrz.licence import parse_licence
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.lds.edl import parse_licence_dg1
from tests.fuzz import FUZZ
from tests.unit.test_lds_fuzz import mutated

EXAMPLE = "D1NLD11234567890ABCDEFGHIJKLM5"
MRZ_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
SEEDS = [build_dg1(spec("nl-driving-licence-bap")), build_dg1(spec("nl-driving-licence-pace"))]

_TAGS = [0x02, 0x87, 0x5F01, 0x5F02, 0x5F03, 0x5F04, 0x5F05, 0x5F06, 0x5F07, 0x5F08, 0x5F09,
         0x5F0A, 0x5F0B, 0x5F0C, 0x5F0D, 0x5F0E, 0x5F0F, 0x7F63]
_DATE_LIKE = st.one_of(st.binary(min_size=4, max_size=4), st.text("0123456789", min_size=8,
                                                                   max_size=8).map(str.encode))
_CATEGORY = st.lists(st.text(MRZ_CHARS + "0123456789.;", max_size=10), max_size=7).map(
    lambda parts: ";".join(parts).encode())


def _check_mrz(text: object, correct: bool) -> None:
    try:
        m = parse_licence(text, correct=correct)  # type: ignore[arg-type]
    except CheckedIDError:
        return
    assert isinstance(m.valid, bool) and len(m.lines[0]) == 30
    repr(m)


def _check_dg1(data: bytes) -> None:
    try:
        dg1 = parse_licence_dg1(data)
    except CheckedIDError:
        return
    assert dg1.raw == data
    dg1.licence.to_dict()
    repr(dg1.licence)


@FUZZ
@given(st.one_of(st.text(max_size=80), st.lists(st.text(max_size=40), max_size=3),
                 st.text(MRZ_CHARS, min_size=30, max_size=30)), st.booleans())
def test_fuzz_licence_mrz_text(text: object, correct: bool) -> None:
    _check_mrz(text, correct)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 29), st.sampled_from(MRZ_CHARS + "-a «")),
                max_size=8), st.booleans())
def test_fuzz_mutated_licence_mrz(edits: list[tuple[int, str]], correct: bool) -> None:
    line = list(EXAMPLE)
    for pos, ch in edits:
        line[pos] = ch
    _check_mrz("".join(line), correct)


def _tree() -> st.SearchStrategy[bytes]:
    leaf = st.one_of(
        st.builds(tlv.encode, st.sampled_from(_TAGS), st.binary(max_size=20)),
        st.builds(tlv.encode, st.sampled_from([0x5F06, 0x5F0A, 0x5F0B]), _DATE_LIKE),
        st.builds(tlv.encode, st.just(0x87), _CATEGORY))
    node = st.recursive(leaf, lambda inner: st.builds(
        tlv.encode, st.sampled_from([0x5F02, 0x7F63, *_TAGS]),
        st.lists(inner, max_size=12).map(b"".join)), max_leaves=16)
    return st.lists(node, max_size=4).map(lambda items: tlv.encode(0x61, b"".join(items)))


@FUZZ
@given(st.one_of(st.binary(max_size=200), mutated(SEEDS), _tree()))
def test_fuzz_licence_dg1(data: bytes) -> None:
    _check_dg1(data)


def test_seeds_parse() -> None:
    for seed in SEEDS:
        assert parse_licence_dg1(seed).raw == seed
    assert parse_licence(EXAMPLE).valid
