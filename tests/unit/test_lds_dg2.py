"""DG2: ISO/IEC 19794-5:2005 face records in the biometric template, builder -> parser."""

from __future__ import annotations

import io

import pytest
from hw.vchip import lds_build
from hw.vchip.personas import PHOTO_SIZE, encode_photo
from PIL import Image

from checkedid.errors import ImageError, LDSError, ParseError
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.lds import DG2, parse_dg2
from checkedid.nfc.lds.dg2 import (
    Expression,
    EyeColour,
    FaceImageError,
    Gender,
    ImageDataType,
    parse_face_records,
)


def _image(fmt: str, size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGB", size, (90, 120, 200))
    if fmt == "jpeg":
        img.save(buf, "JPEG")
    else:
        img.save(buf, "JPEG2000")
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["jpeg", "jp2"])
def test_portrait_round_trip(fmt: str) -> None:
    photo = encode_photo("obama_1.jpg", fmt)
    w, h = PHOTO_SIZE
    raw = lds_build.dg2([lds_build.face_record(photo, fmt, w, h)])
    dg2 = DG2.from_bytes(raw)
    assert dg2.raw == raw and len(dg2.faces) == 1
    face = dg2.faces[0]
    assert face.version == "010" and face.image_bytes == photo
    assert face.image_data_type == (ImageDataType.JPEG if fmt == "jpeg" else ImageDataType.JPEG2000)
    assert (face.width, face.height) == (w, h)
    assert dg2.image is not None and dg2.image.shape == (h, w, 3)
    assert face.gender is Gender.FEMALE and face.expression is Expression.NEUTRAL


def test_several_faces_feature_points_and_unknown_codes() -> None:
    rec1 = lds_build.face_record(_image("jpeg", (40, 50)), "jpeg", 40, 50, gender=1,
                                 eye_colour=3, expression=2,
                                 feature_points=[(1, 0x11, 10, 20), (1, 0x12, 30, 20)])
    rec2 = lds_build.face_record(_image("jp2", (24, 32)), "jp2", 24, 32, gender=0x7E,
                                 eye_colour=0xFF)
    dg2 = parse_dg2(lds_build.dg2([rec1, rec2]))
    a, b = dg2.faces
    assert a.feature_points == 2 and a.gender is Gender.MALE and a.eye_colour is EyeColour.BROWN
    assert a.image is not None and a.image.shape == (50, 40, 3)
    assert b.image is None and (b.width, b.height) == (24, 32)  # only the face used is decoded
    assert int(b.gender) == 0x7E and b.gender.name == "UNKNOWN_126"
    assert b.eye_colour is EyeColour.OTHER


def test_headers_only_without_decoding() -> None:
    rec = lds_build.face_record(b"\xff\xd8\xff not really a jpeg", "jpeg", 10, 10)
    dg2 = parse_dg2(lds_build.dg2([rec]), decode=False)
    assert dg2.image is None and dg2.faces[0].width == 10
    with pytest.raises(ImageError):
        parse_dg2(lds_build.dg2([rec]))


def test_bomb_inside_dg2_is_image_and_parse_error() -> None:
    data = bytearray(_image("jpeg", (16, 16)))
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = (60000).to_bytes(2, "big") * 2
    raw = lds_build.dg2([lds_build.face_record(bytes(data), "jpeg", 16, 16)])
    with pytest.raises(FaceImageError) as info:
        parse_dg2(raw)
    assert isinstance(info.value, ImageError) and isinstance(info.value, ParseError)
    assert info.value.file == "EF.DG2"


def _rewrap(record: bytes, count: bytes = b"\x01") -> bytes:
    header = tlv.encode(0xA1, tlv.encode(0x81, b"\x02"))
    bit = tlv.encode(0x7F60, header + tlv.encode(0x5F2E, record))
    return tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, count) + bit))


def test_structural_errors() -> None:
    rec = lds_build.face_record(_image("jpeg", (8, 8)), "jpeg", 8, 8)
    with pytest.raises(LDSError, match="instance count"):
        parse_dg2(_rewrap(rec, b"\x02"))
    with pytest.raises(LDSError, match="not an ISO/IEC 19794-5"):
        parse_dg2(_rewrap(b"FIR\x00" + rec[4:]))
    with pytest.raises(LDSError, match="version"):
        parse_dg2(_rewrap(rec[:4] + b"030\x00" + rec[8:]))
    with pytest.raises(LDSError, match=r"truncated|inconsistent"):
        parse_face_records(rec[:30])
    with pytest.raises(LDSError, match="faces"):
        parse_face_records(rec[:12] + b"\x00\x00" + rec[14:])
    with pytest.raises(LDSError, match="template tag"):
        parse_dg2(tlv.encode(0x61, b""))
    with pytest.raises(LDSError, match="7F61"):
        parse_dg2(tlv.encode(0x75, tlv.encode(0x02, b"\x01")))
    bit = tlv.encode(0x7F60, tlv.encode(0x5F2E, rec))  # no A1 header
    with pytest.raises(LDSError, match="header"):
        parse_dg2(tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + bit)))


def test_enciphered_form_tag_accepted() -> None:
    rec = lds_build.face_record(_image("jpeg", (8, 8)), "jpeg", 8, 8)
    header = tlv.encode(0xA1, tlv.encode(0x81, b"\x02"))
    bit = tlv.encode(0x7F60, header + tlv.encode(0x7F2E, rec))
    raw = tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + bit))
    assert parse_dg2(raw).faces[0].width == 8
