"""DG2 image decoding: JPEG / JPEG 2000 headers, sizes, greyscale, decompression bombs."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image

from checkedid.errors import ImageError
from checkedid.nfc.lds import image as image_mod
from checkedid.nfc.lds.image import MAX_SIDE, DeferredImage, decode_image, image_info


def _encode(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    img = Image.new(mode, size, 128 if mode == "L" else (200, 40, 10))
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, "JPEG", quality=90)
    else:
        img.save(buf, "JPEG2000", no_jp2=(fmt == "j2k"))
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["jpeg", "jp2", "j2k"])
def test_decodes_to_declared_size_in_bgr(fmt: str) -> None:
    data = _encode(fmt, (64, 48))
    info = image_info(data)
    assert (info.format, info.width, info.height) == (fmt, 64, 48)
    img = decode_image(data)
    assert img.shape == (48, 64, 3) and img.dtype == np.uint8
    b, _g, r = (int(v) for v in img[24, 32])
    assert r > 150 and b < 60  # channels are BGR, not RGB


@pytest.mark.parametrize("fmt", ["jpeg", "jp2"])
def test_greyscale_becomes_three_channels(fmt: str) -> None:
    img = decode_image(_encode(fmt, (40, 30), mode="L"))
    assert img.shape == (30, 40, 3)
    assert np.all(img[..., 0] == img[..., 1]) and np.all(img[..., 1] == img[..., 2])


def _huge_jpeg(width: int, height: int) -> bytes:
    """A valid JPEG whose frame header is patched to declare ``width`` x ``height``."""
    data = bytearray(_encode("jpeg", (16, 16)))
    for marker in (0xC0, 0xC2):
        pos = data.find(bytes([0xFF, marker]))
        if pos > 0:
            data[pos + 5:pos + 7] = height.to_bytes(2, "big")
            data[pos + 7:pos + 9] = width.to_bytes(2, "big")
            return bytes(data)
    raise AssertionError("no SOF marker")


def _huge_j2k(width: int, height: int, fmt: str = "j2k") -> bytes:
    data = bytearray(_encode(fmt, (16, 16)))
    siz = data.find(b"\xff\x4f\xff\x51") + 4
    data[siz + 4:siz + 8] = width.to_bytes(4, "big")
    data[siz + 8:siz + 12] = height.to_bytes(4, "big")
    if fmt == "jp2":
        ihdr = data.find(b"ihdr") + 4
        data[ihdr:ihdr + 4] = height.to_bytes(4, "big")
        data[ihdr + 4:ihdr + 8] = width.to_bytes(4, "big")
    return bytes(data)


@pytest.mark.parametrize("make", [
    lambda: _huge_jpeg(65000, 65000),
    lambda: _huge_jpeg(MAX_SIDE + 1, 10),
    lambda: _huge_jpeg(4096, 4096),  # 16.8 MP: within the side limit, beyond the pixel limit
    lambda: _huge_j2k(100_000, 100_000),
    lambda: _huge_j2k(50_000, 50_000, "jp2"),
])
def test_decompression_bomb_refused_before_decoding(make: Callable[[], bytes],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    calls: list[int] = []
    real = cv2.imdecode

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cv2, "imdecode", spy)
    monkeypatch.setattr(image_mod, "_pillow_decode", lambda data: calls.append(1))
    with pytest.raises(ImageError, match="beyond the limit"):
        decode_image(make())
    assert calls == []


def test_jp2_header_and_codestream_must_agree() -> None:
    data = bytearray(_encode("jp2", (16, 16)))
    ihdr = data.find(b"ihdr") + 4
    data[ihdr:ihdr + 4] = (8).to_bytes(4, "big")  # header says 16x8, codestream 16x16
    with pytest.raises(ImageError, match="disagree"):
        image_info(bytes(data))


@pytest.mark.parametrize("data", [
    b"", b"GIF89a....", b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\xff\xd8\xff\xda",
    b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51\x00",
])
def test_malformed_headers(data: bytes) -> None:
    with pytest.raises(ImageError):
        decode_image(data)


def test_corrupt_body_is_image_error() -> None:
    data = _encode("jpeg", (64, 48))
    sof = data.find(b"\xff\xc0")
    broken = data[:sof + 19] + b"\x00" * 40  # headers only, no scan
    with pytest.raises(ImageError):
        decode_image(broken)


def test_zero_size_refused() -> None:
    with pytest.raises(ImageError, match="empty"):
        decode_image(_huge_jpeg(0, 10))


def test_pillow_fallback_when_opencv_lacks_jpeg2000(monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    monkeypatch.setattr(image_mod, "_cv2_reads_jpeg2000", lambda: False)
    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: None)
    img = decode_image(_encode("jp2", (20, 10)))
    assert img.shape == (10, 20, 3) and int(img[5, 10, 2]) > 150  # red lands in channel 2


def test_no_second_decoder_when_opencv_has_jpeg2000(monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    used: list[bytes] = []
    monkeypatch.setattr(image_mod, "_cv2_reads_jpeg2000", lambda: True)
    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: None)
    monkeypatch.setattr(image_mod, "_pillow_decode", used.append)
    with pytest.raises(ImageError, match="cannot be decoded"):
        decode_image(_encode("jp2", (20, 10)))
    assert used == []


@pytest.mark.parametrize(("shape", "dtype"), [
    ((8, 12, 2), np.uint8), ((8, 12, 1), np.uint8), ((8, 12, 4), np.uint8),
    ((8, 12, 3), np.uint16), ((8, 12, 5), np.uint8),
])
def test_channel_layouts_become_bgr_uint8(shape: tuple[int, ...], dtype: type) -> None:
    src: np.ndarray[Any, Any] = np.full(shape, 200 if dtype is np.uint8 else 51400, dtype=dtype)
    out = image_mod._to_bgr(src)
    assert out.shape == (8, 12, 3) and out.dtype == np.uint8 and int(out[0, 0, 0]) == 200


def test_portrait_and_caller_images_share_one_set_of_limits() -> None:
    from checkedid import imaging
    from checkedid.nfc.lds import image

    # the DG2 hostile-input bounds are the portrait entry of the one limits table
    assert (image.MAX_SIDE, image.MAX_PIXELS) == (4096, 16_000_000)
    assert imaging.PORTRAIT_LIMITS.max_side == image.MAX_SIDE
    assert imaging.PORTRAIT_LIMITS.max_pixels == image.MAX_PIXELS
    assert imaging.CALLER_LIMITS.max_pixels == imaging.MAX_PIXELS == 50_000_000
    assert imaging.PORTRAIT_LIMITS.max_bytes == imaging.CALLER_LIMITS.max_bytes
    # one check: the same size is fine for a photo and refused for a portrait
    imaging.CALLER_LIMITS.check_size(5000, 3000)
    with pytest.raises(ImageError, match="beyond the limit of 4096 pixels per side"):
        imaging.PORTRAIT_LIMITS.check_size(5000, 3000)
    with pytest.raises(ImageError, match="16-megapixel limit"):
        imaging.PORTRAIT_LIMITS.check_size(4096, 4000)
    with pytest.raises(ImageError, match="50-megapixel limit: resize it"):
        imaging.CALLER_LIMITS.check_size(10_000, 5_001)


def test_an_oversized_portrait_file_is_refused_before_its_header_is_read() -> None:
    from checkedid import imaging

    big = b"\xff\xd8\xff" + bytes(imaging.PORTRAIT_LIMITS.max_bytes)
    with pytest.raises(ImageError, match="larger than 64 MiB"):
        decode_image(big)


def _spy_decoders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import cv2

    calls: list[int] = []
    real = cv2.imdecode

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cv2, "imdecode", spy)
    return calls


def test_deferred_image_decodes_once_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy_decoders(monkeypatch)
    registered: list[Any] = []
    deferred = DeferredImage(_encode("jp2", (64, 48)), register=registered.append)
    assert (deferred.info.width, deferred.info.height) == (64, 48)
    assert calls == [] and not deferred.decoded and registered == []
    img = deferred.decode()
    assert img is not None and img.shape == (48, 64, 3) and deferred.decoded
    assert deferred.decode() is img and calls == [1] and registered == [img]
    deferred.wipe()
    assert not img.any() and deferred.decode() is img


def test_deferred_image_refuses_hostile_headers_before_any_decode(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy_decoders(monkeypatch)
    with pytest.raises(ImageError, match="beyond the limit"):
        DeferredImage(_huge_j2k(50_000, 50_000, "jp2"))
    with pytest.raises(ImageError, match="neither JPEG nor JPEG 2000"):
        DeferredImage(b"GIF89a....")
    assert calls == []


def test_deferred_image_keeps_the_decoder_failure() -> None:
    data = _encode("jpeg", (64, 48))
    sof = data.find(b"\xff\xc0")
    deferred = DeferredImage(data[:sof + 19] + b"\x00" * 40)  # the header is fine, no scan
    for _ in range(2):
        with pytest.raises(ImageError, match="cannot be decoded"):
            deferred.decode()


def test_deferred_image_wiped_before_use_yields_nothing() -> None:
    deferred = DeferredImage(_encode("jpeg"))
    deferred.wipe()
    assert deferred.decode() is None
