"""The OCR-B recogniser: shipped model, training script, orientation, tesseract baseline."""

from __future__ import annotations

import numpy as np
import pytest

from checkedid.errors import BackendUnavailable, InternalError
from checkedid.mrz import ocr, train
from checkedid.mrz.ocr import CHARSET, FLIPPED, Model, OcrbEngine, cell_features, flip_features
from checkedid.mrz.segment import Band, rectify
from checkedid.mrz.tesseract import TesseractEngine, available


def rendered_band(lines: list[str], seed: int) -> Band:
    img = train.render_zone(lines, np.random.default_rng(seed))
    h, w = img.shape
    band = rectify(img, np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64))
    assert band is not None
    return band


def test_charset_is_the_mrz_alphabet() -> None:
    assert CHARSET == "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
    assert FLIPPED == 37


def test_shipped_model_is_small_and_loads() -> None:
    assert ocr.MODEL_PATH.stat().st_size < 1_000_000
    m = ocr.load_model()
    assert m.w1.shape[0] == ocr.N_FEATURES and m.w2.shape[1] == FLIPPED + 1


def test_shipped_model_reads_rendered_glyphs() -> None:
    rng = np.random.default_rng(20261125)
    x, y = train.dataset(45, rng)
    upright = y != FLIPPED
    model = ocr.load_model()
    pred = np.argmax(model.proba(x[upright])[:, :FLIPPED], axis=1)
    assert len(pred) > 2500
    assert float(np.mean(pred == y[upright])) > 0.99


def test_every_character_is_recognised_in_a_clean_zone() -> None:
    lines = [CHARSET[:30], CHARSET[7:37], "<<" + CHARSET[::-1][2:30]]
    band = rendered_band(lines, seed=3)
    proba = ocr.load_model().proba(cell_features(band))
    text = "".join(CHARSET[i] for i in np.argmax(proba[:, :FLIPPED], axis=1))
    assert text == "".join(lines)


def test_training_on_a_tiny_subset_runs(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x, y = train.dataset(6, rng)
    assert x.shape[1] == ocr.N_FEATURES and len(x) == len(y) > 300
    model = train.fit(x, y, rng, hidden=16, epochs=1)
    assert model.proba(x[:5]).shape == (5, FLIPPED + 1)
    assert np.allclose(model.proba(x[:5]).sum(axis=1), 1.0, atol=1e-5)
    path = tmp_path / "m.npz"
    model.save(path)
    again = ocr.load_model(path)
    assert np.allclose(again.logits(x[:5]), model.logits(x[:5]), atol=0.05)


def test_training_is_reproducible_with_its_seed() -> None:
    a = train.dataset(3, np.random.default_rng(train.SEED))
    b = train.dataset(3, np.random.default_rng(train.SEED))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_upside_down_band_is_recognised() -> None:
    band = rendered_band(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                          "L898902C36UTO7408122F1204159ZE184226B<<<<<10"], seed=5)
    assert not ocr.upside_down(band)
    assert ocr.upside_down(band.flipped())


def test_flip_features_is_an_involution() -> None:
    band = rendered_band(["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
                          "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"], seed=9)
    f = cell_features(band)
    assert f.shape == (90, ocr.N_FEATURES)
    assert np.array_equal(flip_features(flip_features(f)), f)
    g = cell_features(band.flipped())
    # The flipped band's cells are the rotated cells of the band (up to resampling).
    assert float(np.mean(np.abs(g - flip_features(f)))) < 0.05


def test_decode_never_emits_the_upside_down_class_and_respects_fields() -> None:
    band = rendered_band(["<" * 44, "A" * 44], seed=1)
    proba = np.zeros((88, FLIPPED + 1), np.float32)
    proba[:, FLIPPED] = 0.8
    proba[:, CHARSET.index("O")] = 0.1
    proba[:, CHARSET.index("0")] = 0.09
    lines = ocr.decode(proba, band)
    assert lines[0] == "O" * 44  # document code, state and name: letters only
    # TD3 line 2: number (either), dates and check digits (digits only), sex (letter).
    assert lines[1][:9] == "O" * 9 and lines[1][9] == "0"
    assert lines[1][13:20] == "0" * 7 and lines[1][20] == "O" and lines[1][21:28] == "0" * 7
    assert lines[1][42:] == "00"


def test_model_file_errors_are_reported(tmp_path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(InternalError, match="model file unusable") as info:
        ocr.load_model(bad)
    assert "python -m checkedid.mrz.train" in str(info.value)


def test_engine_protocol() -> None:
    assert isinstance(OcrbEngine(), ocr.Engine)
    assert isinstance(Model, type)


def test_tesseract_missing_binary_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(BackendUnavailable, match="apt install tesseract-ocr"):
        TesseractEngine()


@pytest.mark.skipif(not available(), reason="tesseract is not installed")
def test_tesseract_reads_a_clean_band() -> None:
    lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
             "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    band = rendered_band(lines, seed=11)
    got = TesseractEngine().read(band)
    assert len(got) == 2 and all(len(g) == 44 for g in got)
    agree = sum(a == b for g, t in zip(got, lines, strict=True) for a, b in zip(g, t, strict=True))
    assert agree > 70


def test_readings_put_the_likely_orientation_first() -> None:
    lines = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
             "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
    band = rendered_band(lines, seed=21)
    engine = OcrbEngine()
    first, second = engine.readings(band)
    assert first[1] == lines and first[0] is band
    turned_first = engine.readings(band.flipped())[0]
    assert turned_first[1] == lines
    assert second[1] != lines


@pytest.mark.parametrize("missing", ["first", "last"])
def test_grid_survives_a_lost_end_character(missing: str) -> None:
    top = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
    bottom = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    shown = " " + bottom[1:] if missing == "first" else bottom[:-1] + " "
    img = train.render_zone([top, shown], np.random.default_rng(4))
    h, w = img.shape
    band = rectify(img, np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64))
    assert band is not None and band.line_length == 44
    proba = ocr.load_model().proba(cell_features(band))
    text = "".join(CHARSET[i] for i in np.argmax(proba[:, :FLIPPED], axis=1))
    assert text[:44] == top
    kept = slice(1, 44) if missing == "first" else slice(0, 43)
    assert text[44:][kept] == bottom[kept]
