"""The kiosk's camera scan: the voting MRZ scanner in a held isolated worker answers frames of
generated clips (motion blur, glare, a far document) with guidance, then ``mrz.found``; the
worker opens the chip with the MRZ it holds; the MRZ never reaches the service's process."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import build

import checkedid
from checkedid.demo import document_photo, virtual_trust_store
from checkedid.kiosk import messages
from checkedid.kiosk.scanner import FOUND, HeldScanner
from checkedid.mrz import synth
from checkedid.mrz.scanner import REASONS
from checkedid.mrz.synthclip import Clip, document_clip, motion_blur
from checkedid.nfc.iso7816.transport import InProcessTransport
from tests.memscan import shift

PERSONA = "utopia-id-pace-gm"


class _Isolated:
    isolation = "process"


class _InProcess:
    isolation = "none"


def _jpeg(image: np.ndarray[Any, Any]) -> bytes:
    ok, enc = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return bytes(enc.tobytes())


@lru_cache(maxsize=2)
def _clip(seed: int) -> Clip:
    return document_clip(seed, n_frames=24)


def _far(seed: int) -> bytes:
    photo = synth.document_photo(seed=seed, format="TD3", difficulty="easy", size=(1280, 720),
                                 scale=0.2, blur=0.0, noise=0.0)
    ok, enc = cv2.imencode(".png", photo.image)  # lossless: the small print stays crisp
    assert ok
    return bytes(enc.tobytes())


def _scan(scanner: HeldScanner, frames: list[bytes]) -> list[str]:
    codes = []
    for frame in frames:
        codes.append(scanner.feed(frame))
        if codes[-1] == FOUND:
            break
    return codes


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("session", [_Isolated(), _InProcess()], ids=["isolated", "in-process"])
def test_a_clip_gets_guidance_then_found(session: Any) -> None:
    clip = _clip(0)
    frames = [_far(3)] + [_jpeg(f) for f in clip.frames]
    scanner = HeldScanner(session)
    codes = _scan(scanner, frames)
    assert codes[0] == "mrz.move_closer"  # the far document
    assert codes[-1] == FOUND and FOUND not in codes[:-1]
    # the clip's smeared frames and the reflection crossing the zone were told apart
    assert {"mrz.hold_still", "mrz.glare"} <= set(codes)
    assert set(codes) <= {*REASONS, FOUND}
    for code in set(codes):  # every code the page shows has words and an operator text
        described = messages.describe(code)
        assert described["message"]["en"] != messages.text("internal.error")
        assert described["operator"] != code
    assert scanner.feed(frames[1]) == FOUND  # read: later frames change nothing
    if session.isolation == "process":
        worker = scanner._worker
        assert worker is not None and worker.pid is not None
        pid = worker.pid
        assert _alive(pid)
    scanner.close()
    if session.isolation == "process":
        assert not _alive(pid)  # reaped: the MRZ went with its memory


def test_the_page_reset_ends_the_worker_and_a_new_scan_starts_empty() -> None:
    clip = _clip(0)
    scanner = HeldScanner(_Isolated())
    assert scanner.feed(_jpeg(clip.frames[5])) in REASONS
    worker = scanner._worker
    assert worker is not None and worker.pid is not None
    pid = worker.pid
    scanner.close()
    assert not _alive(pid)
    # a frame that is no image is guidance, not a crash of the scan
    assert scanner.feed(b"\xff\xd8\xff not really a jpeg") == "image.invalid"
    with pytest.raises(checkedid.errors.CheckedIDError, match="not been read"):
        scanner.take()
    scanner.close()


def test_a_worker_that_went_away_is_replaced() -> None:
    scanner = HeldScanner(_Isolated(), idle=0.2)
    frame = _jpeg(_clip(0).frames[5])
    scanner.feed(frame)
    worker = scanner._worker
    assert worker is not None and worker.pid is not None
    os.waitpid(worker.pid, 0)  # idle: the worker wiped itself by exiting
    assert scanner.feed(frame) == "mrz.not_found"  # this frame is lost, the next is read
    assert scanner.feed(frame) in REASONS
    scanner.close()


@pytest.mark.parametrize("isolation", ["process", "none"])
def test_the_scanned_mrz_opens_the_chip_in_the_scanning_worker(isolation: str) -> None:
    photo = document_photo(PERSONA, seed=3)
    frames = [_jpeg(motion_blur(photo, 21, 0.3))] + [_jpeg(photo)] * 4
    chip = VirtualChip(build(PERSONA))
    opened: list[int] = []

    def transport() -> InProcessTransport:
        opened.append(1)
        return InProcessTransport(chip)

    class _Matcher:  # no selfie in this test: the face is never compared
        def embed(self, *_a: Any, **_k: Any) -> Any:
            raise AssertionError("no face is embedded without a selfie")

        def compare(self, *_a: Any, **_k: Any) -> Any:
            raise AssertionError("no face is compared without a selfie")

    with checkedid.Session(trust=virtual_trust_store(), transport=transport,
                           isolation=isolation,  # type: ignore[arg-type]
                           face_matcher=_Matcher(), document_portrait="off") as session:
        scanner = HeldScanner(session)
        codes = _scan(scanner, frames)
        assert codes[0] == "mrz.hold_still" and codes[-1] == FOUND
        steps: list[str] = []
        read = session.read_document(**scanner.take(), fields=(),
                                     progress=lambda e: steps.append(e.step), timeout=60)
        scanner.close()  # let go: the session holds the read now
        assert read.face_available and read.protocol.startswith("PACE")
        result = session.finish(timeout=60)
    checks = result.to_dict()["checks"]
    assert checks["mrz"]["verdict"] == "PASSED"
    access = checks["access"]["details"]
    assert access["password"] == "MRZ"  # noqa: S105 - opened with the scanned MRZ
    assert checks["passive"]["verdict"] == "PASSED"
    assert "chip" in steps
    # under isolation the chip was opened in the worker: this process never called transport
    assert opened == ([] if isolation == "process" else [1])


@pytest.mark.parametrize("isolation", ["process", "none"])
def test_the_mrz_never_reaches_the_service_process(tmp_path: Path, isolation: str) -> None:
    """The memory scan of the service's process: no MRZ under isolation; the in-process
    scanner (``isolation="none"``) is the control that shows the scan finds it."""
    clip = _clip(1)
    for i, frame in enumerate(clip.frames):
        (tmp_path / f"{i:03d}.jpg").write_bytes(_jpeg(frame))
    number = clip.lines[1][:9] if clip.format == "TD3" else clip.lines[0][5:14]
    needles = [shift(line.encode("ascii")) for line in clip.lines] + \
        [shift(number.encode("ascii"))]
    control = f"CONTROL-{secrets.token_hex(8)}"
    request = {"isolation": isolation, "frames": str(tmp_path),
               "needles": [n.hex() for n in needles], "control": control}
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    proc = subprocess.run([sys.executable, "-m", "tests.unit.kiosk_scan_probe"],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=300, cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["codes"][-1] == FOUND and report["alive"]  # the MRZ is held at the scan
    *mrz_hits, control_hits = report["hits"]
    assert control_hits > 0  # the scan sees what is in this process's memory
    if isolation == "process":
        assert mrz_hits == [0] * len(needles)
    else:
        assert all(hits > 0 for hits in mrz_hits)


def test_every_scanner_code_has_words_and_an_operator_text() -> None:
    codes = [r for r in REASONS if r != "mrz.done"] + [FOUND, "image.invalid"]
    for code in codes:
        assert code in messages.TEXTS and code in messages.OPERATOR, code
        described = messages.describe(code)
        assert len(set(described["message"].values())) == 3, code
        assert described["operator"] == messages.OPERATOR[code]
