"""Recursive TLV helpers refuse hostile nesting (ISO/IEC 7816-4 §5.2 BER-TLV)."""

from __future__ import annotations

import pytest


def test_recursive_tlv_helpers_refuse_hostile_nesting_with_a_tlv_error() -> None:
    from checkedid.errors import TLVError
    from checkedid.nfc.iso7816 import tlv

    shallow = tlv.encode(0x30, tlv.encode(0x31, tlv.encode(0x04, b"\x2a")))
    assert bytes(tlv.find(shallow, 0x04, recursive=True) or b"") == b"\x2a"
    assert tlv.parse(shallow, recursive=True) == [(0x30, [(0x31, [(0x04, b"\x2a")])])]

    deep = tlv.encode(0x04, b"")
    for _ in range(5000):  # ~20 KB: well within a DG's size
        deep = tlv.encode(0x30, deep)
    for call in (lambda: tlv.find(deep, 0x04, recursive=True),
                 lambda: tlv.parse(deep, recursive=True)):
        with pytest.raises(TLVError, match="nest"):
            call()
