"""BER-TLV codec (ISO/IEC 7816-4 §5.2.2, ICAO Doc 9303-10 §4)."""

from __future__ import annotations

import pytest

from checkedid.errors import TLVError
from checkedid.nfc.iso7816 import tlv

EF_COM = bytes.fromhex("60145F0104303130365F36063034303030305C026175")


def test_decode_ef_com_from_appendix_d() -> None:
    item = tlv.decode_one(EF_COM)
    assert item.tag == 0x60 and item.next_offset == len(EF_COM)
    inner = tlv.parse(item.value)
    assert inner == [(0x5F01, b"0106"), (0x5F36, b"040000"), (0x5C, b"\x61\x75")]
    assert bytes(tlv.find(EF_COM, 0x5C, recursive=True) or b"") == b"\x61\x75"
    assert tlv.find(EF_COM, 0x5C) is None
    assert tlv.parse(EF_COM, recursive=True) == [(0x60, inner)]


@pytest.mark.parametrize(("length", "encoded"),
                         [(0, "00"), (0x7F, "7F"), (0x80, "8180"), (0xFF, "81FF"),
                          (0x100, "820100"), (0x10000, "83010000"), (0x1000000, "8401000000")])
def test_length_forms(length: int, encoded: str) -> None:
    assert tlv.encode_length(length).hex().upper() == encoded
    hdr = tlv.encode_tag(0x77) + bytes.fromhex(encoded)
    assert tlv.header_length(hdr) == (0x77, len(hdr), length)


def test_round_trip_tags() -> None:
    for tag in (0x01, 0x53, 0x7F61, 0x5F1F, 0x7F2E, 0x5F8101, 0xBF8101):
        enc = tlv.encode(tag, b"abc")
        item = tlv.decode_one(enc)
        assert (item.tag, bytes(item.value), item.next_offset) == (tag, b"abc", len(enc))


def test_constructed() -> None:
    assert tlv.is_constructed(0x60) and tlv.is_constructed(0x7F61) and tlv.is_constructed(0x30)
    assert not tlv.is_constructed(0x5F1F) and not tlv.is_constructed(0x04)
    assert tlv.is_constructed(0xBF8101)


def test_header_length_learns_file_size_from_prefix() -> None:
    dg2_start = bytes.fromhex("7582" "3A5C" "7F61")
    assert tlv.header_length(dg2_start) == (0x75, 4, 0x3A5C)
    assert tlv.header_length(bytes.fromhex("778400010000")) == (0x77, 6, 0x10000)


def test_iter_and_padding() -> None:
    buf = tlv.encode(0x80, b"\x01") + b"\x00\xff" + tlv.encode(0x81, b"")
    assert [(t.tag, bytes(t.value)) for t in tlv.iter_tlv(buf, allow_padding=True)] == [
        (0x80, b"\x01"), (0x81, b"")]
    with pytest.raises(TLVError):
        list(tlv.iter_tlv(buf))
    assert [bytes(v) for v in tlv.find_all(tlv.encode(0x30, b"a") * 2, 0x30)] == [b"a", b"a"]


@pytest.mark.parametrize(("raw", "offset"), [
    ("", 0),            # nothing
    ("5F", 1),          # truncated multi-byte tag
    ("5F8181810100", 0),  # tag longer than 3 bytes
    ("30", 1),          # missing length
    ("3080", 1),        # indefinite length
    ("3085000000000100", 1),  # 5 length bytes
    ("308201", 1),      # truncated length field
    ("300501", 0),      # value runs past the end
    ("00", 0),          # invalid tag byte
])
def test_malformed(raw: str, offset: int) -> None:
    with pytest.raises(TLVError) as info:
        tlv.decode_one(bytes.fromhex(raw))
    assert info.value.offset == offset


def test_encode_rejects_bad_tags() -> None:
    for tag in (0x1F, 0x5F81, 0x1234, 0xFF1F, 0x00, 0x1_000_000, -1):
        with pytest.raises(TLVError):
            tlv.encode_tag(tag)
    with pytest.raises(TLVError):
        tlv.encode_length(1 << 32)


def test_views_and_bytearray_input() -> None:
    buf = bytearray(tlv.encode(0x04, b"xyz"))
    item = tlv.decode_one(memoryview(buf))
    assert isinstance(item.value, memoryview) and bytes(item.value) == b"xyz"
