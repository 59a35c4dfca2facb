"""read(): specimen and synthetic photos to MRZ, input handling, engines."""

from __future__ import annotations

import csv
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from checkedid.errors import ImageError, InputError, MRZNotFound
from checkedid.mrz.reader import MAX_PIXELS, _warm_up_photos, load_image, read, warm_up
from checkedid.mrz.tesseract import available
from tests.conftest import data_path


def ground_truth() -> list[tuple[str, list[str]]]:
    path = data_path("mrz", "ground_truth.csv")
    with path.open(newline="") as fh:
        rows = [(r["file"], [r[k] for k in ("line1", "line2", "line3") if r[k]])
                for r in csv.DictReader(fh)]
    return [r for r in rows if r[1]]


def specimen(name: str) -> Path:
    return data_path("mrz", name)


def png(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def test_every_specimen_reads_to_its_ground_truth() -> None:
    rows = ground_truth()
    assert len(rows) >= 8
    for name, lines in rows:
        mrz = read(specimen(name))
        assert list(mrz.lines) == lines, name
        assert mrz.valid, name


def test_photo_without_mrz_raises_not_found() -> None:
    # how fast is measured in benchmarks/mrz_ocr.py ("no_mrz")
    img = cv2.imread(str(specimen("nomrz.jpg")))
    with pytest.raises(MRZNotFound):
        read(img)


def test_random_noise_raises_not_found() -> None:
    rng = np.random.default_rng(7)
    with pytest.raises(MRZNotFound):
        read(rng.integers(0, 256, (960, 1280, 3), dtype=np.uint8))


def test_inputs_of_every_kind_read_the_same() -> None:
    path = specimen("td3.jpg")
    bgr = cv2.imread(str(path))
    expected = read(path).lines
    data = path.read_bytes()
    assert read(str(path)).lines == expected
    assert read(data).lines == expected
    assert read(bytearray(data)).lines == expected
    assert read(memoryview(data)).lines == expected
    assert read(bgr).lines == expected
    assert read(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)).lines == expected
    assert read(cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)).lines == expected
    assert read(bgr.astype(np.float32) / 255.0).lines == expected
    assert read(png(bgr)).lines == expected


@pytest.mark.parametrize("angle", [90, 180, 270, 23, 200])
def test_rotated_specimen_reads(angle: int) -> None:
    gray = cv2.imread(str(specimen("uto_id_td2_photo.jpg")), cv2.IMREAD_GRAYSCALE)
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 0.8)
    rotated = cv2.warpAffine(gray, m, (w, h), borderValue=255)
    mrz = read(rotated)
    assert mrz.valid
    assert mrz.lines == ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
                         "D231458907UTO7408122F1204159<<<<<<<6")


def test_garbage_and_empty_inputs_raise_image_error() -> None:
    for bad in (b"", b"\x00" * 100, b"GIF89a-but-not-really", b"\x89PNG\r\n\x1a\n" + b"x" * 50,
                png(np.zeros((20, 20), np.uint8))[:40]):
        with pytest.raises(ImageError):
            read(bad)
    for arr in (np.zeros((0, 10), np.uint8), np.zeros((10, 10, 5), np.uint8),
                np.zeros((4, 4, 4, 4), np.uint8), np.array(["a"]), np.zeros((5, 5), complex)):
        with pytest.raises(ImageError):
            read(arr)
    with pytest.raises(MRZNotFound):  # grey + alpha is a valid layout, just far too small
        read(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(ImageError):
        read(object())  # type: ignore[arg-type]
    with pytest.raises(ImageError, match="cannot read"):
        read(Path("/nonexistent/photo.jpg"))


def huge_png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (the pixel data is a stub)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def test_decompression_bombs_are_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    from checkedid import imaging

    def no_decoder(*_args: object) -> None:
        raise AssertionError("the decoder must not see a bomb")

    monkeypatch.setattr(imaging, "decode_in_memory", no_decoder)
    with pytest.raises(ImageError, match="megapixel limit"):
        read(huge_png(100_000, 100_000))
    with pytest.raises(ImageError, match="megapixel limit"):
        read(huge_png(8000, 7000))
    side = int(MAX_PIXELS**0.5) + 2
    virtual = np.broadcast_to(np.zeros(1, np.uint8), (side, side))  # no memory behind it
    with pytest.raises(ImageError, match="megapixel limit"):
        read(virtual)


def test_tiny_images_have_no_mrz() -> None:
    for shape in ((1, 1), (15, 400), (3, 3, 3)):
        with pytest.raises(MRZNotFound):
            read(np.full(shape, 255, np.uint8))


def test_unknown_engine_is_an_input_error() -> None:
    with pytest.raises(InputError, match="engine"):
        read(specimen("td3.jpg"), engine="magic")


def test_load_image_returns_gray_uint8() -> None:
    img = load_image(np.zeros((12, 34, 3), np.uint16))
    assert img.shape == (12, 34) and img.dtype == np.uint8


def test_nothing_is_written_to_disk() -> None:
    data = specimen("mrvb.jpg").read_bytes()
    writes: list[str] = []
    active = True

    def hook(event: str, args: tuple[object, ...]) -> None:
        if active and event == "open" and len(args) > 1 and isinstance(args[1], str) \
                and any(m in args[1] for m in "wax+"):
            writes.append(str(args[0]))

    sys.addaudithook(hook)
    try:
        assert read(data).valid
        with pytest.raises(MRZNotFound):
            read(np.full((300, 400), 255, np.uint8))
    finally:
        active = False
    assert writes == []


@pytest.mark.skipif(not available(), reason="tesseract is not installed")
def test_tesseract_engine_reads_a_specimen() -> None:
    mrz = read(specimen("td3.jpg"), engine="tesseract")
    # The baseline is not perfect (it may take the Z of the optional data for a 2); the
    # check-digit protected fields must come out right.
    assert mrz.lines[1][:28] == "L898902C36UTO7408122F1204159"
    assert mrz.checks["document_number"] and mrz.checks["birth_date"] and mrz.checks["expiry_date"]


def synth_cases() -> list[tuple[str, float, float]]:
    return [(fmt, rot, persp) for fmt in ("TD1", "TD2", "TD3")
            for rot, persp in ((0.0, 0.0), (90.0, 0.1), (180.0, 0.0), (-35.0, 0.25), (250.0, 0.2))]


@pytest.mark.parametrize("fmt,rotation,perspective", synth_cases())
def test_synthetic_photos_read_exactly(fmt: str, rotation: float, perspective: float) -> None:
    synth = pytest.importorskip("checkedid.mrz.synth")
    seed = 100 + int(rotation) + int(perspective * 100) + len(fmt)
    photo = synth.document_photo(seed=seed, format=fmt, difficulty="easy", rotation=rotation,
                                 perspective=perspective)
    mrz = read(photo.image)
    assert mrz.lines == tuple(photo.lines)
    assert mrz.valid


def test_odd_arrays_have_no_mrz() -> None:
    rng = np.random.default_rng(3)
    for shape in ((40, 40), (64, 17, 3), (17, 64, 4), (200, 300)):
        with pytest.raises(MRZNotFound):
            read(rng.integers(0, 256, shape, dtype=np.uint8))


def test_small_document_in_a_large_photo_reads() -> None:
    synth = pytest.importorskip("checkedid.mrz.synth")
    photo = synth.document_photo(seed=701, format="TD2", difficulty="easy", scale=0.25,
                                 size=(3200, 2400), rotation=37.0)
    assert read(photo.image).lines == tuple(photo.lines)


_FIRST_READ_PROBE = """
import sys
from checkedid.mrz import reader, synth
from checkedid.mrz.ocr import load_model
load_model()
photo = synth.document_photo(seed=3, format="TD3").image
before = set(sys.modules)
mrz, _ = reader.read_zone(photo)
print(mrz.valid, sorted(set(sys.modules) - before))
"""


def test_the_first_read_imports_nothing_more() -> None:
    # A verification worker is forked from a parent that imported the reader and loaded the
    # weights: a module first imported by the read would be imported again in every worker.
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root / "src"), str(root)]))
    out = subprocess.run([sys.executable, "-c", _FIRST_READ_PROBE], env=env,  # noqa: S603
                         capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "True []"


def test_the_warm_up_reads_a_td1_and_a_td3_zone_once() -> None:
    formats = [read(photo) for photo in _warm_up_photos()]
    assert [(m.format, m.valid) for m in formats] == [("TD1", True), ("TD3", True)]
    warm_up()
    warm_up()
    assert warm_up.cache_info().misses == 1  # done once per process
