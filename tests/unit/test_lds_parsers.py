"""EF.COM, DG1, DG11, DG12 and DG15: builder -> parser round trips and malformed input."""

from __future__ import annotations

import pytest
from asn1crypto import keys
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hw.vchip import lds_build

from checkedid.errors import LDSError, TLVError
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.lds import DG1, DG11, DG12, DG15, EFCom, parse_com, parse_dg1, parse_dg15

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]


# --------------------------------------------------------------------------- EF.COM
def test_com_hand_encoded() -> None:
    # 60 LL | 5F01 04 "0107" | 5F36 06 "040000" | 5C 04 61 75 6B 6F (DG1, DG2, DG11, DG15)
    raw = bytes.fromhex("601a5f0104303130375f36063034303030305c04" "61756b6f")
    raw = raw[:1] + bytes([len(raw) - 2]) + raw[2:]
    com = EFCom.from_bytes(raw)
    assert com.raw == raw and com.lds_version == "0107" and com.lds_version_tuple == (1, 7)
    assert com.unicode_version == "040000"
    assert com.tags == (0x61, 0x75, 0x6B, 0x6F) and com.data_groups == [1, 2, 11, 15]


def test_com_round_trip_every_dg_and_unknown_tags() -> None:
    com = parse_com(lds_build.com(range(1, 17), lds_version="0108"))
    assert com.data_groups == list(range(1, 17)) and com.lds_version == "0108"
    raw = tlv.encode(0x60, tlv.encode(0x5F01, b"0107") + tlv.encode(0x5F36, b"040000")
                     + tlv.encode(0x5C, b"\x61\x77\x99"))
    assert parse_com(raw).data_groups == [1]


@pytest.mark.parametrize(("raw", "match"), [
    (b"", "empty"),
    (tlv.encode(0x61, b""), "template tag"),
    (tlv.encode(0x60, tlv.encode(0x5F01, b"0107")), "missing"),
    (tlv.encode(0x60, tlv.encode(0x5F01, b"01x7") + tlv.encode(0x5F36, b"040000")
                + tlv.encode(0x5C, b"\x61")), "LDS version"),
    (tlv.encode(0x60, tlv.encode(0x5C, b"") * 2), "twice"),
    (tlv.encode(0x60, b"") + b"junk", "after the template"),
])
def test_com_malformed(raw: bytes, match: str) -> None:
    with pytest.raises(LDSError, match=match):
        parse_com(raw)


def test_com_padding_tolerated_truncation_refused() -> None:
    raw = lds_build.com([1, 2])
    assert parse_com(raw + b"\x00\xff\xff").data_groups == [1, 2]
    with pytest.raises(TLVError):
        parse_com(raw[:-1])


# --------------------------------------------------------------------------- DG1
@pytest.mark.parametrize(("lines", "fmt"), [(TD3, "TD3"), (TD1, "TD1"), (TD2, "TD2")])
def test_dg1_icao_specimens(lines: list[str], fmt: str) -> None:
    raw = lds_build.dg1(lines)
    dg1 = DG1.from_bytes(raw)
    assert dg1.raw == raw and dg1.mrz.format == fmt and dg1.mrz.valid
    assert dg1.mrz.surname == "ERIKSSON" and list(dg1.mrz.lines) == lines
    assert "ERIKSSON" not in repr(dg1)


def test_dg1_check_digit_error_is_reported_not_corrected() -> None:
    bad = [TD3[0], TD3[1][:9] + "7" + TD3[1][10:]]  # wrong document-number check digit
    dg1 = parse_dg1(lds_build.dg1(bad))
    assert dg1.mrz.valid is False and dg1.mrz.corrections == 0


@pytest.mark.parametrize(("raw", "match"), [
    (tlv.encode(0x61, tlv.encode(0x5F1F, b"P<UTO" * 3)), "characters"),
    (tlv.encode(0x61, tlv.encode(0x5F1F, "É".encode("latin-1") * 88)), "non-ASCII"),
    (tlv.encode(0x61, b""), "5F1F"),
    (tlv.encode(0x61, tlv.encode(0x5F1F, "".join(TD3).encode()) * 2), "5F1F"),
    (tlv.encode(0x61, tlv.encode(0x5F1F, b"\x01" * 88)), "does not parse"),
])
def test_dg1_malformed(raw: bytes, match: str) -> None:
    with pytest.raises(LDSError, match=match) as info:
        parse_dg1(raw)
    assert "ERIKSSON" not in str(info.value) and "L898902C3" not in str(info.value)


# --------------------------------------------------------------------------- DG11 / DG12
def test_dg11_every_field() -> None:
    raw = lds_build.dg11(
        full_name="ERIKSSON<<ANNA<MARIA", other_names=["ERIKSSON<<ANNE", "SVENSSON<<ANNA"],
        personal_number="ZE184226B", full_date_of_birth="19740812",
        place_of_birth="ZENITH<UTOPIA", address="1 MAIN ST<ZENITH", telephone="+1 555 0100",
        profession="ENGINEER", title="DR", personal_summary="NONE", proof_of_citizenship=b"\xff",
        other_travel_document_numbers=["X1", "X2"], custody_information="N/A")
    dg11 = DG11.from_bytes(raw)
    assert dg11.raw == raw and dg11.full_name == "ERIKSSON<<ANNA<MARIA"
    assert dg11.other_names == ("ERIKSSON<<ANNE", "SVENSSON<<ANNA")
    assert (dg11.personal_number, dg11.full_date_of_birth) == ("ZE184226B", "19740812")
    assert (dg11.place_of_birth, dg11.address, dg11.telephone) == \
        ("ZENITH<UTOPIA", "1 MAIN ST<ZENITH", "+1 555 0100")
    assert (dg11.profession, dg11.title, dg11.personal_summary) == ("ENGINEER", "DR", "NONE")
    assert dg11.proof_of_citizenship == b"\xff" and dg11.custody_information == "N/A"
    assert dg11.other_travel_document_numbers == ("X1", "X2")
    assert 0x5F0E in dg11.tag_list and 0xA0 in dg11.tag_list
    assert "ERIKSSON" not in repr(dg11) and "full_name" in repr(dg11)


def test_dg11_bcd_date_utf8_and_loose_other_name() -> None:
    body = (tlv.encode(0x5F2B, bytes.fromhex("19740812")) + tlv.encode(0x5F0F, "ÅSA".encode())
            + tlv.encode(0x5F11, "Z\xfcrich".encode("latin-1")))
    dg11 = DG11.from_bytes(tlv.encode(0x6B, body))
    assert dg11.full_date_of_birth == "19740812" and dg11.other_names == ("ÅSA",)
    assert dg11.place_of_birth == "Zürich" and dg11.full_name is None


@pytest.mark.parametrize("body", [
    tlv.encode(0x5F2B, b"12-08-74"),
    tlv.encode(0x5F0E, b"A") * 2,
    tlv.encode(0xA0, tlv.encode(0x02, b"\x03") + tlv.encode(0x5F0F, b"A")),
    tlv.encode(0x5C, b"\x5F"),
])
def test_dg11_malformed(body: bytes) -> None:
    with pytest.raises(LDSError):
        DG11.from_bytes(tlv.encode(0x6B, body))


def test_dg12_every_field() -> None:
    raw = lds_build.dg12(
        issuing_authority="UTOPIA", date_of_issue="20210415", other_persons=["CHILD<<ONE"],
        endorsements="NONE", tax_exit_requirements="PAID", image_front=b"\xff\xd8",
        image_rear=b"\xff\xd9", personalisation_time="20210415093000",
        personalisation_device_serial="VCHIP-0001")
    dg12 = DG12.from_bytes(raw)
    assert dg12.raw == raw
    assert (dg12.issuing_authority, dg12.date_of_issue) == ("UTOPIA", "20210415")
    assert dg12.other_persons == ("CHILD<<ONE",)
    assert (dg12.endorsements, dg12.tax_exit_requirements) == ("NONE", "PAID")
    assert (dg12.image_front, dg12.image_rear) == (b"\xff\xd8", b"\xff\xd9")
    assert dg12.personalisation_time == "20210415093000"
    assert dg12.personalisation_device_serial == "VCHIP-0001"
    assert DG12.from_bytes(lds_build.dg12()).issuing_authority is None


def test_dg12_malformed() -> None:
    with pytest.raises(LDSError, match="date of issue"):
        DG12.from_bytes(tlv.encode(0x6C, tlv.encode(0x5F26, b"APRIL")))
    with pytest.raises(LDSError, match="template tag"):
        DG12.from_bytes(lds_build.dg11(full_name="X"))


# --------------------------------------------------------------------------- DG15
def test_dg15_rsa() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    dg15 = DG15.from_bytes(lds_build.dg15(key.public_key()))
    assert dg15.key_type == "rsa" and dg15.curve is None
    assert isinstance(dg15.public_key, rsa.RSAPublicKey)
    assert dg15.public_key.public_numbers() == key.public_key().public_numbers()


@pytest.mark.parametrize("curve", [ec.BrainpoolP256R1(), ec.SECP256R1(), ec.BrainpoolP384R1()])
@pytest.mark.parametrize("explicit", [False, True])
def test_dg15_ec_named_and_explicit(curve: ec.EllipticCurve, explicit: bool) -> None:
    key = ec.generate_private_key(curve)
    raw = lds_build.dg15(key.public_key(), explicit=explicit)
    dg15 = parse_dg15(raw)
    assert dg15.key_type == "ec" and dg15.curve is not None and dg15.curve.name == curve.name
    assert dg15.public_key == key.public_key()
    assert raw.endswith(dg15.spki) and dg15.raw == raw
    params = keys.PublicKeyInfo.load(dg15.spki)["algorithm"]["parameters"]
    assert params.name == ("specified" if explicit else "named")


def test_dg15_explicit_parameters_of_an_unknown_curve() -> None:
    raw = bytearray(lds_build.dg15(ec.generate_private_key(ec.BrainpoolP256R1()).public_key(),
                                   explicit=True))
    a = raw.index(bytes.fromhex("7D5A0975FC2C3057"))
    raw[a] ^= 0x01  # curve coefficient a changed: no named curve matches, and G leaves it
    with pytest.raises(LDSError, match="base point is not on the curve"):
        parse_dg15(bytes(raw))


@pytest.mark.parametrize("raw", [
    tlv.encode(0x6F, b""),
    tlv.encode(0x6F, tlv.encode(0x04, b"\x00")),
    tlv.encode(0x6F, tlv.encode(0x30, b"\x02\x01\x01")),
])
def test_dg15_malformed(raw: bytes) -> None:
    with pytest.raises(LDSError):
        parse_dg15(raw)
