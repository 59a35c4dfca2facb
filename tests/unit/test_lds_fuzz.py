"""Property tests: every LDS parser, fed random or mutated files, raises only
checkedid errors (never IndexError, ValueError, struct.error …)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from hw.vchip import lds_build
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from checkedid.errors import CheckedIDError
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.lds import (
    parse_com,
    parse_dg1,
    parse_dg2,
    parse_dg11,
    parse_dg12,
    parse_dg14,
    parse_dg15,
)
from checkedid.nfc.lds.image import decode_image
from tests import keys
from tests.fuzz import FUZZ

Parser = Callable[[bytes], Any]


def _tiny(fmt: str) -> bytes:
    buf = io.BytesIO()
    img = Image.new("L" if fmt == "jpeg" else "RGB", (8, 8), 100)
    if fmt == "jpeg":
        img.save(buf, "JPEG", quality=50)
    else:
        img.save(buf, "JPEG2000")
    return buf.getvalue()


# Fixed keys: the seeds (and so every mutated input) are the same in every run.
_EC = keys.ec_key("lds-fuzz/ec")
_RSA = keys.rsa_key("lds-fuzz/rsa")
_DH = keys.dh_key("lds-fuzz/dh")
_TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
_TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]

SEEDS: dict[str, tuple[Parser, list[bytes]]] = {
    "com": (parse_com, [lds_build.com([1, 2, 11, 12, 14, 15])]),
    "dg1": (parse_dg1, [lds_build.dg1(_TD3), lds_build.dg1(_TD1)]),
    "dg2": (parse_dg2, [lds_build.dg2([lds_build.face_record(_tiny("jpeg"), "jpeg", 8, 8)]),
                        lds_build.dg2([lds_build.face_record(_tiny("jp2"), "jp2", 8, 8,
                                                             feature_points=[(1, 1, 2, 3)])])]),
    "dg11": (parse_dg11, [lds_build.dg11(full_name="A<<B", other_names=["C"],
                                         full_date_of_birth="19740812", place_of_birth="Z")]),
    "dg12": (parse_dg12, [lds_build.dg12(issuing_authority="U", date_of_issue="20210415",
                                         other_persons=["P"], personalisation_time="2021")]),
    "dg14": (parse_dg14, [lds_build.dg14(ca_key=_EC, aa_key=_EC, explicit=True, key_id=1,
                                         pace=[("0.4.0.127.0.7.2.2.4.2.2", 13)]),
                          lds_build.dg14(ca_key=_DH)]),
    "dg15": (parse_dg15, [lds_build.dg15(_RSA.public_key()),
                          lds_build.dg15(_EC.public_key(), explicit=True)]),
}


def _only_checkedid_errors(parse: Parser, data: bytes) -> None:
    try:
        parse(data)
    except CheckedIDError:
        pass


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A valid file with a few bytes replaced, inserted or deleted, or truncated."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 4))]
        elif kind == "truncate":
            del data[pos:]
    return bytes(data)


_TAGS = [0x02, 0x04, 0x06, 0x30, 0x31, 0x5C, 0x5F0E, 0x5F0F, 0x5F1F, 0x5F26, 0x5F2B, 0x5F2E,
         0x7F2E, 0x7F60, 0x7F61, 0xA0, 0xA1, 0x80, 0x81, 0x03]


def tlv_tree(root: int) -> st.SearchStrategy[bytes]:
    """Well-formed BER-TLV of plausible LDS tags under the file's template tag."""
    leaf = st.builds(tlv.encode, st.sampled_from(_TAGS), st.binary(max_size=24))
    node = st.recursive(leaf, lambda inner: st.builds(
        tlv.encode, st.sampled_from(_TAGS), st.lists(inner, max_size=3).map(b"".join)),
        max_leaves=6)
    return st.lists(node, max_size=4).map(lambda items: tlv.encode(root, b"".join(items)))


_ROOTS = {"com": 0x60, "dg1": 0x61, "dg2": 0x75, "dg11": 0x6B, "dg12": 0x6C, "dg14": 0x6E,
          "dg15": 0x6F}


def _inputs(name: str) -> st.SearchStrategy[bytes]:
    """Random bytes, mutated valid files and random TLV structures under the right tag."""
    return st.one_of(st.binary(max_size=200), mutated(SEEDS[name][1]), tlv_tree(_ROOTS[name]))


def _make(name: str) -> Callable[..., None]:
    parse = SEEDS[name][0]

    @FUZZ
    @given(_inputs(name))
    def fuzz(data: bytes) -> None:
        _only_checkedid_errors(parse, data)

    fuzz.__name__ = f"test_{name}_fuzz"
    return fuzz


test_com_fuzz = _make("com")
test_dg1_fuzz = _make("dg1")
test_dg2_fuzz = _make("dg2")
test_dg11_fuzz = _make("dg11")
test_dg12_fuzz = _make("dg12")
test_dg14_fuzz = _make("dg14")
test_dg15_fuzz = _make("dg15")


@FUZZ
@given(mutated([_tiny("jpeg"), _tiny("jp2"), _tiny("jp2")[12:]]))
def test_image_decoder_mutated(data: bytes) -> None:
    _only_checkedid_errors(decode_image, data)


def test_seeds_are_valid() -> None:
    for parse, seeds in SEEDS.values():
        for seed in seeds:
            assert parse(seed).raw == seed
