"""Train the OCR-B recogniser shipped as ``checkedid/mrz/data/ocrb_model.npz``.

``python -m checkedid.mrz.train`` renders random MRZ-shaped zones (2 x 44,
2 x 36 and 3 x 30 characters of the ICAO Doc 9303 Part 3 section 4.2.2
alphabet) in OCR-B from ``/usr/share/fonts/opentype/ocr-b/OCRB.otf``, degrades
them (scale, rotation, perspective, blur, noise, erosion/dilation, contrast,
uneven light, JPEG), runs the very same rectification and cell extraction the
reader uses, and fits :class:`checkedid.mrz.ocr.Model` with plain numpy
(mini-batch Adam on softmax cross-entropy). Cells of bands turned by 180
degrees teach the extra "upside down" class. A fixed seed makes the result
reproducible; nothing but the model file is written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from checkedid.mrz.ocr import (
    CHARSET,
    FLIPPED,
    MODEL_PATH,
    N_FEATURES,
    Model,
    cell_features,
    flip_features,
)
from checkedid.mrz.segment import rectify

__all__ = ["FONT_PATH", "SEED", "dataset", "fit", "main", "render_zone"]

FONT_PATH = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
SEED = 9303
#: Glyphs that look the same (or like another class) turned by 180 degrees.
_SELF_SYMMETRIC = set("HINOSXZ08")
_AMBIGUOUS_FLIP = set("69MW")
_FORMATS = ((2, 44), (2, 36), (3, 30))

Floats = npt.NDArray[np.float32]
Labels = npt.NDArray[np.int64]


def _random_line(rng: np.random.Generator, n: int) -> str:
    out: list[str] = [CHARSET[int(rng.integers(0, 36))]]
    while len(out) < n:
        if rng.random() < 0.25:
            out.extend("<" * int(rng.integers(1, 9)))
        else:
            out.append(CHARSET[int(rng.integers(0, 36))])
    return "".join(out[:n])


def render_zone(lines: list[str], rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A degraded grayscale picture of ``lines`` printed in OCR-B."""
    size = int(rng.integers(28, 56))
    font = ImageFont.truetype(str(FONT_PATH), size)
    advance = font.getlength("M")
    spacing = size * float(rng.uniform(1.35, 2.0))
    margin = int(size * rng.uniform(0.6, 1.6))
    width = int(advance * len(lines[0])) + 2 * margin
    height = int(spacing * (len(lines) - 1) + size * 1.2) + 2 * margin
    paper = int(rng.integers(150, 256))
    ink = int(rng.integers(0, max(1, paper - 90)))
    img = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * spacing), line, font=font, fill=ink)
    a: npt.NDArray[np.uint8] = np.asarray(img, dtype=np.uint8)
    if rng.random() < 0.4:
        k = np.ones((int(rng.integers(2, 4)),) * 2, np.uint8)
        a = np.asarray(cv2.erode(a, k) if rng.random() < 0.5 else cv2.dilate(a, k), np.uint8)
    h, w = a.shape
    jit = 0.03 * min(w, h) + 0.01 * w
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    dst = (src + rng.uniform(-jit, jit, (4, 2))).astype(np.float32)
    m = np.asarray(cv2.getPerspectiveTransform(src, dst), dtype=np.float64)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-4, 4)), 1.0)
    m = np.vstack([rot, [0.0, 0.0, 1.0]]) @ m
    a = np.asarray(cv2.warpPerspective(a, m, (w, h), borderValue=paper), dtype=np.uint8)
    pitch = float(rng.uniform(7.0, 30.0))
    stretch = float(np.exp(rng.uniform(-0.25, 0.25)))  # character width : height varies by issuer
    s = pitch / advance
    a = np.asarray(cv2.resize(a, None, fx=s, fy=s / stretch, interpolation=cv2.INTER_AREA),
                   np.uint8)
    yy, xx = np.mgrid[0:a.shape[0], 0:a.shape[1]].astype(np.float32)
    light = 1.0 + float(rng.uniform(-0.25, 0.25)) * (xx / a.shape[1] - 0.5) \
        + float(rng.uniform(-0.2, 0.2)) * (yy / a.shape[0] - 0.5)
    f = a.astype(np.float32) * light
    if rng.random() < 0.7:
        f = np.asarray(cv2.GaussianBlur(f, (0, 0), float(rng.uniform(0.3, 1.2))), np.float32)
    f += rng.normal(0.0, float(rng.uniform(0, 10)), f.shape).astype(np.float32)
    out = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
        if ok:
            out = np.asarray(cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE), dtype=np.uint8)
    pad = int(2 * pitch)
    return np.asarray(cv2.copyMakeBorder(out, pad, pad, pad, pad, cv2.BORDER_REPLICATE),
                      dtype=np.uint8)


def dataset(n_bands: int, rng: np.random.Generator) -> tuple[Floats, Labels]:
    """Features and labels of ``n_bands`` rendered zones (unrectifiable zones are skipped)."""
    xs: list[Floats] = []
    ys: list[Labels] = []
    for b in range(n_bands):
        n_lines, n = _FORMATS[b % len(_FORMATS)]
        lines = [_random_line(rng, n) for _ in range(n_lines)]
        img = render_zone(lines, rng)
        h, w = img.shape
        quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
        band = rectify(img, quad)
        if band is None or band.line_length != n or band.n_lines != n_lines:
            continue
        feats = cell_features(band)
        labels = np.array([CHARSET.index(c) for c in "".join(lines)], dtype=np.int64)
        xs.append(feats)
        ys.append(labels)
        flip = flip_features(feats)
        text = "".join(lines)[::-1]
        flip_labels = np.array([CHARSET.index(c) if c in _SELF_SYMMETRIC else FLIPPED
                                for c in text], dtype=np.int64)
        keep = np.array([c not in _AMBIGUOUS_FLIP for c in text]) & (rng.random(len(text)) < 0.3)
        xs.append(flip[keep])
        ys.append(flip_labels[keep])
    if not xs:
        return np.zeros((0, N_FEATURES), np.float32), np.zeros(0, np.int64)
    return np.vstack(xs), np.concatenate(ys)


def fit(x: Floats, y: Labels, rng: np.random.Generator, *, hidden: int = 160,
        epochs: int = 14, batch: int = 256, lr: float = 2e-3) -> Model:
    """Softmax perceptron with one ReLU hidden layer, trained with Adam."""
    n_cls = FLIPPED + 1
    mean = x.mean(axis=0)
    scale = (1.0 / (x.std(axis=0) + 0.05)).astype(np.float32)
    xn = ((x - mean) * scale).astype(np.float32)
    params = [
        (rng.standard_normal((x.shape[1], hidden)) * np.sqrt(2.0 / x.shape[1])).astype(np.float32),
        np.zeros(hidden, np.float32),
        (rng.standard_normal((hidden, n_cls)) * np.sqrt(1.0 / hidden)).astype(np.float32),
        np.zeros(n_cls, np.float32),
    ]
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    step = 0
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        rate = lr * (0.5 ** (epoch // 5))
        for start in range(0, len(y), batch):
            idx = order[start:start + batch]
            xb, yb = xn[idx], y[idx]
            w1, b1, w2, b2 = params
            pre = xb @ w1 + b1
            hid = np.maximum(pre, 0.0)
            z = hid @ w2 + b2
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1.0
            p /= len(yb)
            g_w2 = hid.T @ p + 1e-4 * w2
            g_b2 = p.sum(axis=0)
            dh = (p @ w2.T) * (pre > 0)
            g_w1 = xb.T @ dh + 1e-4 * w1
            g_b1 = dh.sum(axis=0)
            step += 1
            for i, g in enumerate((g_w1, g_b1, g_w2, g_b2)):
                m1[i] = 0.9 * m1[i] + 0.1 * g
                m2[i] = 0.999 * m2[i] + 0.001 * g * g
                mh = m1[i] / (1 - 0.9 ** step)
                vh = m2[i] / (1 - 0.999 ** step)
                params[i] = (params[i] - rate * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
    return Model(mean.astype(np.float32), scale, *params)


def accuracy(model: Model, x: Floats, y: Labels) -> float:
    """Share of rows whose most probable class is the label."""
    if len(y) == 0:
        return 0.0
    return float(np.mean(np.argmax(model.proba(x), axis=1) == y))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m checkedid.mrz.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bands", type=int, default=2400, help="training zones to render")
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    args = ap.parse_args(argv)
    if not FONT_PATH.exists():
        print(f"OCR-B font missing: {FONT_PATH} (apt install fonts-ocr-b)", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    x, y = dataset(args.bands, rng)
    xv, yv = dataset(max(30, args.bands // 10), rng)
    t1 = time.perf_counter()
    model = fit(x, y, rng, epochs=args.epochs)
    t2 = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"{len(y)} training cells ({t1 - t0:.1f} s), fit {t2 - t1:.1f} s; "
          f"train {accuracy(model, x, y):.4f}, held-out {accuracy(model, xv, yv):.4f}; "
          f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
