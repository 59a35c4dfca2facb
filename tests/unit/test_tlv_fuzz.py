"""Property tests: the TLV codec never fails with anything but TLVError, and round-trips."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from checkedid.errors import TLVError
from checkedid.nfc.iso7816 import tlv
from tests.fuzz import FUZZ

_tags = st.one_of(
    st.integers(0x01, 0xFF).filter(lambda t: t & 0x1F != 0x1F),
    st.builds(lambda a, b: ((a | 0x1F) << 8) | b, st.integers(0, 0xC0), st.integers(0x1F, 0x7F)),
    st.builds(lambda a, b, c: ((a | 0x1F) << 16) | (b << 8) | c,
              st.integers(0, 0xC0), st.integers(0x81, 0xFF), st.integers(0, 0x7F)),
)


@FUZZ
@given(st.binary(max_size=300))
def test_decoding_arbitrary_bytes_raises_only_tlv_error(raw: bytes) -> None:
    try:
        items = list(tlv.iter_tlv(raw, allow_padding=True))
    except TLVError as exc:
        assert exc.offset is None or 0 <= exc.offset <= len(raw)
        return
    assert sum(1 for _ in items) <= len(raw)
    try:
        tlv.parse(raw, recursive=True)
        tlv.header_length(raw)
    except TLVError:
        pass


@FUZZ
@given(st.lists(st.tuples(_tags, st.binary(max_size=300)), max_size=5))
def test_encode_decode_round_trip(objects: list[tuple[int, bytes]]) -> None:
    buf = b"".join(tlv.encode(t, v) for t, v in objects)
    assert [(t, bytes(v)) for t, v, _ in tlv.iter_tlv(buf)] == objects
    if objects:
        tag, hlen, vlen = tlv.header_length(buf)
        assert (tag, vlen) == (objects[0][0], len(objects[0][1]))
        assert hlen == len(tlv.encode(*objects[0])) - vlen
