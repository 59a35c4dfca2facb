"""The frame scanner: votes over a clip, guidance codes, the video CLI."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from checkedid import mrz
from checkedid.cli import main
from checkedid.errors import CheckedIDError
from checkedid.mrz import synth
from checkedid.mrz.reader import read
from checkedid.mrz.scanner import GUIDANCE, REASONS, MRZScanner
from checkedid.mrz.synthclip import Clip, document_clip, motion_blur, write_video


@lru_cache(maxsize=4)
def clip(seed: int, fmt: str) -> Clip:
    return document_clip(seed, format=fmt)


@pytest.mark.parametrize(("seed", "fmt"), [(0, "TD3"), (1, "TD1")])
def test_votes_give_the_exact_mrz_where_single_frames_fail(seed: int, fmt: str) -> None:
    c = clip(seed, fmt)
    scanner = MRZScanner()
    status = None
    for frame in c.frames:
        status = scanner.feed(frame)
        if status.done:
            break
    assert status is not None and status.done and status.reason == "mrz.done"
    assert status.mrz is not None and tuple(status.mrz.lines) == c.lines
    assert status.mrz.valid and scanner.result is status.mrz
    singles = []
    for frame in c.frames[:status.frames]:
        try:
            singles.append(tuple(read(frame).lines) == c.lines)
        except CheckedIDError:
            singles.append(False)
    # the glare spot spoils most single frames; the votes still give every character
    assert sum(singles) < status.frames // 2
    # once done, further frames return the same result without reading
    again = scanner.feed(c.frames[0])
    assert again.done and again.mrz is status.mrz


def test_scanner_is_exported_from_the_package() -> None:
    assert mrz.MRZScanner is MRZScanner


def test_guidance_codes_are_stable() -> None:
    assert REASONS == ("mrz.done", "mrz.reading", "mrz.not_found", "mrz.move_closer",
                       "mrz.glare", "mrz.hold_still")
    assert all(GUIDANCE[r] for r in REASONS)


def test_empty_frames_are_not_found_and_never_done() -> None:
    scanner = MRZScanner()
    rng = np.random.default_rng(5)
    for frame in (np.full((720, 1280, 3), 170, np.uint8),
                  rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)):
        status = scanner.feed(frame)
        assert status.reason == "mrz.not_found" and not status.done and status.mrz is None
    assert scanner.result is None


def test_a_far_document_asks_to_move_closer() -> None:
    photo = synth.document_photo(seed=3, format="TD3", difficulty="easy", size=(1280, 720),
                                 scale=0.2, blur=0.0, noise=0.0)
    status = MRZScanner().feed(photo.image)
    assert status.reason == "mrz.move_closer"


def test_a_smeared_frame_asks_to_hold_still() -> None:
    photo = synth.document_photo(seed=4, format="TD1", difficulty="easy", size=(1280, 720))
    status = MRZScanner().feed(motion_blur(photo.image, 21, 0.3))
    assert status.reason == "mrz.hold_still"


def test_glare_over_the_zone_is_reported() -> None:
    c = clip(0, "TD3")
    reasons = [MRZScanner().feed(f).reason for f in c.frames[8:12]]
    assert reasons.count("mrz.glare") >= 3


def test_reset_forgets_the_document() -> None:
    c = clip(1, "TD1")
    scanner = MRZScanner(agree=1)
    for frame in c.frames:
        if scanner.feed(frame).done:
            break
    assert scanner.result is not None
    scanner.reset()
    assert scanner.result is None
    assert scanner.feed(np.full((720, 1280, 3), 170, np.uint8)).reason == "mrz.not_found"


def test_cli_reads_a_video_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = clip(1, "TD1")
    video = write_video(c.frames, tmp_path / "clip.avi")
    assert main(["mrz", "--json", "--video", str(video)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lines"] == list(c.lines) and data["valid"] is True


def test_cli_video_without_mrz_exits_2(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    frames = [np.full((360, 640, 3), 150, np.uint8)] * 3
    video = write_video(frames, tmp_path / "empty.avi")
    assert main(["mrz", "--video", str(video)]) == 2
    err = capsys.readouterr().err
    assert "mrz.not_found" in err and "no machine-readable zone" in err


def test_cli_missing_video_and_absent_camera(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz", "--video", str(tmp_path / "none.avi")]) == 2
    assert "video file not found" in capsys.readouterr().err
    assert main(["mrz", "--camera", "97"]) == 2
    assert "cannot open camera 97" in capsys.readouterr().err


def test_cli_refuses_two_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz", "--text", "X", "--camera", "0"]) == 2
    assert "one of IMAGE, --text, --video or --camera" in capsys.readouterr().err


def test_best_frame_reads_on_its_own_to_the_same_access_data(tmp_path: Path) -> None:
    from checkedid.cli.mrz_video import document_frame

    c = document_clip(1, format="TD1", glare=0.0)
    video = write_video(c.frames, tmp_path / "clip.avi")
    frame = document_frame(str(video), None, 30.0, quiet=True)
    single = read(frame)
    want = mrz.parse(c.lines)
    assert single.valid
    assert (single.document_number, single.birth_date, single.expiry_date) == (
        want.document_number, want.birth_date, want.expiry_date)


def test_glare_on_every_frame_gives_votes_but_no_document_frame() -> None:
    c = clip(0, "TD3")
    scanner = MRZScanner()
    for frame in c.frames:
        if scanner.feed(frame).done:
            break
    assert scanner.result is not None and tuple(scanner.result.lines) == c.lines
    assert scanner.best_frame is None


def test_verify_from_a_video_without_mrz_stops_before_the_chip(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = write_video([np.full((360, 640, 3), 150, np.uint8)] * 3, tmp_path / "empty.avi")
    selfie = tmp_path / "selfie.png"
    selfie.write_bytes(b"not used")
    assert main(["verify", "--document-video", str(video), "--selfie", str(selfie)]) == 2
    assert "no machine-readable zone was read from the video" in capsys.readouterr().err
