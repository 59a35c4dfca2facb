"""Command/Response APDU encoding (ISO/IEC 7816-4 §5.1) and status-word descriptions."""

from __future__ import annotations

import pytest

from checkedid.errors import ParseError
from checkedid.nfc.iso7816.apdu import INS, SW, Command, Response, describe


@pytest.mark.parametrize(
    ("cmd", "short", "extended"),
    [
        (Command(0x00, 0xA4, 0x04, 0x0C), "00A4040C", "00A4040C"),  # case 1
        (Command(0x00, 0x84, 0, 0, le=8), "0084000008", "0084000000" "0008"),  # case 2
        (Command(0x00, 0xB0, 0, 0, le=256), "00B0000000", "00B00000000100"),
        (Command(0x00, 0xA4, 2, 0x0C, bytes.fromhex("011E")), "00A4020C02011E",
         "00A4020C000002011E"),  # case 3
        (Command(0x0C, 0xB0, 0, 0, b"\x97\x01\x04", 256), "0CB0000003970104" "00",
         "0CB00000000003970104" "0100"),  # case 4
    ],
)
def test_encode_short_and_extended_and_parse_back(cmd: Command, short: str, extended: str) -> None:
    assert cmd.to_bytes().hex().upper() == short
    assert cmd.to_bytes(extended=True).hex().upper() == extended
    assert Command.from_bytes(bytes.fromhex(short)) == cmd
    assert Command.from_bytes(bytes.fromhex(extended)) == cmd


def test_auto_extended_when_needed() -> None:
    big = Command(0x00, 0xB1, 0, 0, bytes(300), 65536)
    raw = big.to_bytes()
    assert raw[4] == 0 and raw[5:7] == (300).to_bytes(2, "big") and raw[-2:] == b"\x00\x00"
    assert Command.from_bytes(raw) == big
    assert Command(0, 0xB0, 0, 0, le=0x1000).to_bytes() == bytes.fromhex("00B0000000" "1000")
    with pytest.raises(ParseError):
        big.to_bytes(extended=False)


@pytest.mark.parametrize(
    "raw",
    ["", "00", "00A404", "00A4040C0501", "00A4040C02011E0000", "00A4040C0000",
     "00A4040C000003AABB", "00A4040C000002AABB01"],
)
def test_malformed_commands_raise_parse_error(raw: str) -> None:
    with pytest.raises(ParseError):
        Command.from_bytes(bytes.fromhex(raw))


def test_field_ranges_checked() -> None:
    with pytest.raises(ParseError):
        Command(0x100, 0xA4, 0, 0)
    with pytest.raises(ParseError):
        Command(0, 0xB0, 0, 0, le=65537)


@pytest.mark.parametrize("field", ["cla", "ins", "p1", "p2"])
@pytest.mark.parametrize("value", [-1, -256, 0x100, 0x1FF])
def test_each_header_byte_outside_0_to_255_is_named(field: str, value: int) -> None:
    header = dict.fromkeys(("cla", "ins", "p1", "p2"), 0)
    header[field] = value
    with pytest.raises(ParseError, match=f"APDU {field.upper()} must be one byte"):
        Command(**header)
    header[field] = 0xFF  # the bounds themselves are bytes
    assert Command(**header).to_bytes() == bytes(header[f] for f in ("cla", "ins", "p1", "p2"))


def test_response() -> None:
    r = Response.from_bytes(bytes.fromhex("60145F019000"))
    assert r.data == bytes.fromhex("60145F01") and r.sw == SW.OK and r.ok
    assert (r.sw1, r.sw2) == (0x90, 0x00)
    assert r.to_bytes() == bytes.fromhex("60145F019000")
    err = Response.from_bytes(b"\x6a\x82")
    assert not err.ok and err.data == b"" and err.sw == SW.FILE_NOT_FOUND
    with pytest.raises(ParseError):
        Response.from_bytes(b"\x90")
    assert "60145F01" not in repr(r).upper()


def test_describe() -> None:
    assert describe(SW.SECURITY_STATUS_NOT_SATISFIED) == "security status not satisfied"
    assert "16 more" in describe(0x6110)
    assert "256 more" in describe(0x6100)
    assert "exactly 223" in describe(0x6CDF)
    assert "2 tries left" in describe(0x63C2)
    assert describe(0x1234) == "unknown status word"
    codes = {i.name: int(i) for i in INS}
    assert codes["GET_CHALLENGE"] == 0x84 and codes["GENERAL_AUTHENTICATE"] == 0x86
    assert codes["GET_RESPONSE"] == 0xC0 and codes["MSE"] == 0x22
    assert codes["READ_BINARY_ODD"] == 0xB1 and codes["EXTERNAL_AUTHENTICATE"] == 0x82
