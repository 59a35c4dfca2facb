"""Helpers for the kiosk's browser tests: a fake-camera video, the service in a thread and
headless Debian Chromium driven by Selenium (no browser download: /usr/bin/chromium)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SIZE = (1280, 720)
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--use-fake-device-for-media-stream",
         "--use-fake-ui-for-media-stream", "--window-size=1280,960")


def _fit(image: np.ndarray[Any, Any], size: float = 0.95) -> np.ndarray[Any, Any]:
    """``image`` centred in the video frame on a gray desk, ``size`` of the frame."""
    w, h = SIZE
    scale = min(w / image.shape[1], h / image.shape[0]) * size
    small = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA)
    frame = np.full((h, w, 3), 90, np.uint8)
    y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    frame[y:y + small.shape[0], x:x + small.shape[1]] = small
    return frame


def write_y4m(path: Path, scenes: list[tuple[np.ndarray[Any, Any], float, float]],
              fps: int = 5) -> Path:
    """A YUV4MPEG2 (4:2:0) video of still ``scenes`` ``(BGR image, seconds, size)`` for
    Chromium's ``--use-file-for-fake-video-capture`` (which loops it)."""
    w, h = SIZE
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for image, seconds, size in scenes:
            yuv = cv2.cvtColor(_fit(image, size), cv2.COLOR_BGR2YUV_I420).tobytes()
            for _ in range(max(1, int(seconds * fps))):
                out.write(b"FRAME\n")
                out.write(yuv)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run the ASGI ``app`` with uvicorn in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", ws="wsproto"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the kiosk service did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@contextmanager
def chromium(video: Path, profile: Path) -> Iterator[Any]:
    """Headless Chromium whose camera plays ``video``, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium fetch a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--use-file-for-fake-video-capture={video}")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def wait_step(driver: Any, step: str, timeout: float = 90.0, *, passed_ok: bool = False) -> bool:
    """Wait until the page shows ``step`` (the ``data-step`` of ``[data-testid=step]``).

    True when the page shows it now. A step the page went through before it could be seen
    (a fast chip read) is an error, unless ``passed_ok``: then False (the page's own step
    history, ``window.kioskSteps``, is what the tests check for the whole sequence).
    """
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen, shown = driver.execute_script(  # one call: both from the same moment
            "return [document.querySelector('[data-testid=step]').dataset.step,"
            " window.kioskSteps || []]")
        if seen == step:
            return True
        if step in shown:
            if passed_ok:
                return False
            raise AssertionError(f"step {step!r} passed before it could be seen (now {seen!r})")
        time.sleep(0.1)
    guidance = driver.execute_script(
        "return document.querySelector('[data-testid=guidance]').dataset.code")
    raise AssertionError(f"page stayed on step {seen!r} (guidance {guidance!r}), not {step!r}")


def wait_video(driver: Any, timeout: float = 5.0) -> None:
    """Wait (briefly) until the camera's video has a picture, for a screenshot that shows it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.execute_script("const v = document.getElementById('video');"
                                 "return v.hidden || v.videoWidth > 0"):
            time.sleep(0.3)
            return
        time.sleep(0.05)


def wait_guidance(driver: Any, code: str, timeout: float = 30.0, *,
                  after: str | None = None) -> None:
    """Wait until the page has shown ``code`` (after its last ``after``, when given).

    The page's guidance history (``window.kioskGuidance``) is read, not only what the page
    shows now: a fast step may show its guidance and move on between two looks."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        seen = [g[0] for g in driver.execute_script("return window.kioskGuidance || []")]
        start = len(seen) - seen[::-1].index(after) if after in seen else 0
        if after is None or after in seen:
            if code in seen[start:]:
                return
        time.sleep(0.05)
    raise AssertionError(f"the page showed {seen!r}, never {code!r}"
                         + (f" after {after!r}" if after else ""))
