"""The kiosk's HTTP face: an ASGI (Starlette) app over :class:`checkedid.kiosk.core.Kiosk`.

==============================  ==========================================================
``GET /``                       the kiosk page (plain HTML/CSS/JS from the package)
``GET /api/health``             status, readers, card present, trust store, model, delivery
``POST /api/verifications``     multipart ``document`` + ``selfie`` -> the result JSON
``WS /api/events``              state first, then card / step / progress / guidance / decision
``POST /api/kiosk/start``       the page starts a guided verification
``POST /api/kiosk/frame``       one camera frame of the document (image body)
``POST /api/kiosk/selfie``      one camera frame of the person (image body)
``POST /api/kiosk/reset``       back to the start screen, everything dropped
==============================  ==========================================================

Errors are JSON ``{"code": ..., "message": {nl, en, de}, "operator": ..., "input": ...}``
with a stable code (:mod:`checkedid.kiosk.messages`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from checkedid.kiosk import messages
from checkedid.kiosk.core import Busy, Kiosk, VerificationFailed

__all__ = ["create_app", "image_kind"]

_SIGNATURES = ((b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"BM", "bmp"),
               (b"RIFF", "webp"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"))


def image_kind(data: bytes) -> str | None:
    """The image format by its magic number (JPEG, PNG, BMP, WebP, TIFF) or ``None``."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic) and (kind != "webp" or data[8:12] == b"WEBP"):
            return kind
    return None


def _error(code: str, status: int, *, operator: str = "", input: str | None = None) -> Response:
    return JSONResponse(messages.describe(code, operator=operator, input=input), status_code=status)


def _static() -> str:
    return str(resources.files("checkedid.kiosk") / "static")


def create_app(kiosk: Kiosk) -> Starlette:
    """The ASGI app for ``kiosk`` (started and stopped with the app's lifespan)."""
    limit = kiosk.config.max_upload

    def check_image(data: bytes, which: str) -> Response | None:
        if not data:
            return _error("upload.missing", 400, operator=f"the {which} image is empty",
                          input=which)
        if len(data) > limit:
            return _error("upload.too_large", 413, input=which,
                          operator=f"the {which} image exceeds {limit} bytes")
        if image_kind(data) is None:
            return _error("image.invalid", 415, input=which,
                          operator=f"the {which} is not a JPEG, PNG, BMP, WebP or TIFF image")
        return None

    async def body(request: Request, which: str) -> bytes | Response:
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > limit:
            return _error("upload.too_large", 413, input=which,
                          operator=f"the {which} image exceeds {limit} bytes")
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > limit:
                return _error("upload.too_large", 413, input=which,
                              operator=f"the {which} image exceeds {limit} bytes")
        out = bytes(data)
        return check_image(out, which) or out

    async def index(_request: Request) -> Response:
        page = (resources.files("checkedid.kiosk") / "static" / "index.html").read_text("utf-8")
        return HTMLResponse(page.replace("{{LANG}}", kiosk.config.lang),
                            headers={"Cache-Control": "no-store"})

    async def health(_request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(kiosk.health))

    async def verifications(request: Request) -> Response:
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > 2 * limit + 65536:
            return _error("upload.too_large", 413, operator="the upload exceeds the size limit")
        try:
            kiosk.acquire()
        except Busy:
            return _error("kiosk.busy", 409, operator="another verification is running")
        try:
            try:
                form = await request.form(max_files=2, max_fields=4, max_part_size=limit)
            except Exception as exc:
                status = 413 if "size" in str(exc).lower() else 400
                return _error("upload.too_large" if status == 413 else "input.invalid", status,
                              operator=f"malformed multipart upload: {exc}")
            images: dict[str, bytes] = {}
            for which in ("document", "selfie"):
                part: Any = form.get(which)
                if part is None or isinstance(part, str):
                    return _error("upload.missing", 400, input=which,
                                  operator=f"the multipart field {which!r} (an image) is missing")
                data = await part.read(limit + 1)
                bad = check_image(data, which)
                if bad is not None:
                    return bad
                images[which] = data
            nonce = form.get("nonce")
            await form.close()
            try:
                out = await run_in_threadpool(kiosk.verify, images["document"], images["selfie"],
                                              nonce if isinstance(nonce, str) else None)
            except VerificationFailed as exc:
                return JSONResponse(exc.info, status_code=exc.status)
            finally:
                images.clear()
            return JSONResponse(out)
        finally:
            kiosk.release()

    async def start(_request: Request) -> Response:
        try:
            kiosk.begin()
        except Busy:
            return _error("kiosk.busy", 409, operator="another verification is running")
        return JSONResponse({"step": "document"})

    async def frame(request: Request) -> Response:
        data = await body(request, "document")
        if isinstance(data, Response):
            return data
        code = await run_in_threadpool(kiosk.frame, data)
        return JSONResponse({"code": code, "found": code == "mrz.found"})

    async def selfie(request: Request) -> Response:
        data = await body(request, "selfie")
        if isinstance(data, Response):
            return data
        return JSONResponse(await run_in_threadpool(kiosk.selfie, data))

    async def texts(_request: Request) -> Response:
        return JSONResponse({code: dict(zip(messages.LANGS, row, strict=True))
                             for code, row in messages.TEXTS.items()})

    async def reset(_request: Request) -> Response:
        await run_in_threadpool(kiosk.reset)
        return JSONResponse({"step": "idle"})

    async def events(ws: WebSocket) -> None:
        await ws.accept()
        queue = kiosk.hub.subscribe()
        try:
            await ws.send_json(kiosk.hub.snapshot())
            while True:
                await ws.send_json(await queue.get())
        except (WebSocketDisconnect, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            kiosk.hub.unsubscribe(queue)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(kiosk.start)
        try:
            yield
        finally:
            kiosk.stop()

    routes = [
        Route("/", index),
        Route("/api/health", health),
        Route("/api/verifications", verifications, methods=["POST"]),
        Route("/api/messages", texts),
        Route("/api/kiosk/start", start, methods=["POST"]),
        Route("/api/kiosk/frame", frame, methods=["POST"]),
        Route("/api/kiosk/selfie", selfie, methods=["POST"]),
        Route("/api/kiosk/reset", reset, methods=["POST"]),
        WebSocketRoute("/api/events", events),
        Mount("/static", StaticFiles(directory=_static()), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
