"""DG2 in the ISO/IEC 39794-5 encoding (Doc 9303-10 §4.7.2, issued from 2025).

The two public samples (tests/data/samples/ICAO_39794_5_AP_DG2_*.dat, see the README there)
are the ICAO 39794-5 application-profile examples: one with every optional field, one with
the mandatory fields only; both hold the same JPEG 2000 portrait.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from checkedid.errors import LDSError
from checkedid.nfc.iso7816.tlv import encode
from checkedid.nfc.lds.dg2 import ImageDataType, parse_dg2
from checkedid.nfc.lds.face39794 import is_39794_block, parse_face_image_data_block

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
FACE = (SAMPLES / "ICAO_39794_5_AP_DG2_Face.jpg").read_bytes()


@pytest.mark.parametrize(("name", "size"), [("AllFields", (572, 731)), ("MandFields", (0, 0))])
def test_public_samples_parse_and_decode(name: str, size: tuple[int, int]) -> None:
    dg2 = parse_dg2((SAMPLES / f"ICAO_39794_5_AP_DG2_{name}.dat").read_bytes())
    assert len(dg2.faces) == 1
    face = dg2.faces[0]
    assert face.version == "39794-5:2019 generation 3"
    assert face.image_data_type is ImageDataType.JPEG2000
    assert (face.width, face.height) == size
    assert face.image_bytes == FACE
    assert dg2.image is not None and dg2.image.shape == (531, 413, 3)


def _int(v: int) -> bytes:
    return v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")  # INTEGER content octets


def face_image_data_block(images: list[tuple[bytes, int]], *, wrap: bool = True,
                          size: tuple[int, int] | None = None) -> bytes:
    """A FaceImageDataBlock (ISO/IEC 39794-5, ICAO profile) with one representation per image
    (``(image bytes, ImageDataFormatCode)``)."""
    reps = b""
    for i, (image, code) in enumerate(images):
        info = encode(0xA0, encode(0x80, _int(code)))
        if size is not None:
            info += encode(0xA7, encode(0x80, _int(size[0])) + encode(0x81, _int(size[1])))
        block2d = encode(0x80, image) + encode(0xA1, info)
        rep = encode(0x80, _int(i)) + encode(0xA1, encode(0xA0, encode(0xA0, block2d)))
        reps += encode(0x30, rep)
    version = encode(0xA0, encode(0x80, _int(3)) + encode(0x81, _int(2019)))
    fidb = encode(0x65, version + encode(0xA1, reps))
    return encode(0xA1, fidb) if wrap else fidb


def dg2_39794(block: bytes) -> bytes:
    header = encode(0xA1, encode(0x87, b"\x01\x01") + encode(0x88, b"\x00\x2a"))
    bit = encode(0x7F60, header + encode(0x7F2E, block))
    return encode(0x75, encode(0x7F61, encode(0x02, b"\x01") + bit))


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24, 32), (120, 90, 60)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


@pytest.mark.parametrize("wrap", [True, False])
def test_jpeg_representation_with_size(wrap: bool) -> None:
    jpeg = _jpeg()
    dg2 = parse_dg2(dg2_39794(face_image_data_block([(jpeg, 2)], wrap=wrap, size=(24, 32))))
    face = dg2.faces[0]
    assert face.image_data_type is ImageDataType.JPEG and (face.width, face.height) == (24, 32)
    assert dg2.image is not None and dg2.image.shape == (32, 24, 3)


def test_headers_only_without_decoding() -> None:
    reps = parse_face_image_data_block(face_image_data_block([(b"not an image", 4)]),
                                       decode=False)
    assert len(reps) == 1 and reps[0].image is None and reps[0].image_data_type == 1


def test_block_detection() -> None:
    assert is_39794_block(face_image_data_block([(_jpeg(), 2)]))
    assert not is_39794_block(b"FAC\x00010\x00")
    assert not is_39794_block(b"")


@pytest.mark.parametrize(("block", "message"), [
    (face_image_data_block([(_jpeg(), 7)]), "not JPEG or JPEG 2000"),
    (face_image_data_block([]), "1..16 RepresentationBlock"),
    (face_image_data_block([(b"", 2)]), "holds no image"),
    (face_image_data_block([(b"\xff\xd8garbage", 2)]), "EF.DG2"),
    (encode(0xA1, encode(0x30, b"")), "not an ISO/IEC 39794-5 FaceImageDataBlock"),
    (encode(0x65, encode(0xA1, b"")), "versionBlock"),
    (encode(0x65, encode(0xA0, encode(0x80, b"\x03") + encode(0x81, b"\x07\xe3"))
            + encode(0xA0, b"")), "appears twice"),
])
def test_malformed_blocks_raise_lds_errors(block: bytes, message: str) -> None:
    with pytest.raises(LDSError, match=message):
        parse_dg2(dg2_39794(block))
