"""The real-world benchmark generator and the reading of its hard cases.

The generator (``benchmarks/mrz_realworld.py``) must give exact, valid ground truth for
every kind; a few cases per kind that the reader gets right are pinned, so a regression in
locating (pieces split by glare, a column cut by the border, patterned visa backgrounds,
two card sides in one scan) or in recognition (small upscaled glyphs) shows here.
"""

from __future__ import annotations

import pytest
from benchmarks import mrz_realworld as rw

from checkedid.mrz import parse
from checkedid.mrz.reader import read


@pytest.mark.parametrize("kind", rw.KINDS)
def test_ground_truth_is_a_valid_mrz_of_the_intended_kind(kind: str) -> None:
    for seed in (9303, 9304):
        c = rw.case(kind, seed)
        m = parse(c.lines)
        assert m.valid and c.kind == kind
        assert c.image.ndim == 3 and c.image.shape[0] <= 720 and c.image.shape[1] <= 1280
        if kind == "us_card":
            assert m.document_code in rw.US_CODES and m.issuing_state == "USA"
        elif kind == "state_filler":
            assert len(m.issuing_state) == 2 and c.lines[0][2:5].endswith("<")
        elif kind == "long_number":
            assert len(m.document_number) > 9
        elif kind == "visa":
            assert m.format in ("MRVA", "MRVB")


def test_same_seed_same_case() -> None:
    a, b = rw.case("small", 11), rw.case("small", 11)
    assert a.lines == b.lines and (a.image == b.image).all()


@pytest.mark.parametrize(("kind", "seed"), [
    ("visa", 9303), ("visa", 9308), ("visa", 9305),
    ("border", 9304), ("border", 9309),
    ("glare", 9303), ("glare", 9304),
    ("two_sided", 9303), ("small", 9303), ("us_card", 9303), ("state_filler", 9303),
    ("long_number", 9303),
])
def test_hard_case_reads_exactly(kind: str, seed: int) -> None:
    c = rw.case(kind, seed)
    m = read(c.image)
    assert m.valid and tuple(m.lines) == c.lines
