"""The kiosk's HTTP API with a stand-in session: every endpoint, bad uploads and the
busy rule (a second verification while one runs gets 409 and never mixes sessions)."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import cv2
import numpy as np
import pytest

with warnings.catch_warnings():  # starlette's notice about its preferred HTTP client
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from checkedid.errors import FaceQualityError, MRZNotFound
from checkedid.kiosk import Kiosk, KioskConfig, create_app
from checkedid.kiosk.delivery import Delivery
from checkedid.result import Decision, Result
from checkedid.stepwise import ChipRead, FaceOutcome


def _png(value: int) -> bytes:
    ok, enc = cv2.imencode(".png", np.full((40, 60, 3), value, np.uint8))
    assert ok
    return bytes(enc.tobytes())


DOC, SELFIE = _png(10), _png(200)


class FakeSession:
    """Records which images each step saw; ``gate`` holds read_document until set."""

    isolation = "none"
    mrz_engine = "default"
    trust = None

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.reads: list[tuple[bytes, bytes | None]] = []
        self.fail: Exception | None = None
        self.wipes = 0
        self.prepared = False

    def prepare(self) -> None:
        self.prepared = True

    def face_matcher(self) -> object:
        return object()

    def read_document(self, document: bytes, *, selfie: bytes | None = None,
                      **_kw: Any) -> ChipRead:
        self.entered.set()
        assert self.gate.wait(10)
        if self.fail is not None:
            raise self.fail
        self.reads.append((document, selfie))
        return ChipRead("PACE", True, FaceOutcome("PASSED", 0.9, 0.4, True))

    def match_selfie(self, selfie: bytes, **_kw: Any) -> FaceOutcome:
        return FaceOutcome("PASSED", 0.9, 0.4, True)

    def finish(self, **_kw: Any) -> Result:
        return Result(decision=Decision.VERIFIED, checks={}, reasons=())

    def wipe(self) -> int:
        self.wipes += 1
        return 0


@pytest.fixture
def fake() -> FakeSession:
    return FakeSession()


def _client(fake: FakeSession, **config: Any) -> TestClient:
    kiosk = Kiosk(KioskConfig(transport=lambda: None, monitor=False, **config), session=fake)
    return TestClient(create_app(kiosk))


def _files(doc: bytes = DOC, selfie: bytes = SELFIE) -> dict[str, tuple[str, bytes, str]]:
    return {"document": ("d.png", doc, "image/png"), "selfie": ("s.png", selfie, "image/png")}


def test_health_and_page(fake: FakeSession) -> None:
    with _client(fake) as client:
        health = client.get("/api/health").json()
        assert health["model_loaded"] is True and health["busy"] is False
        assert fake.prepared  # the models were loaded when the kiosk started
        assert health["status"] == "degraded"  # no trust store: nothing can be VERIFIED
        assert any("trust" in p for p in health["problems"])
        assert health["readers"] == [] and health["delivery"] is None
        page = client.get("/")
        assert page.status_code == 200
        for testid in ("step", "progress", "guidance", "decision"):
            assert f'data-testid="{testid}"' in page.text
        assert "http" not in page.text.replace('http-equiv', '')  # no CDN, nothing external
        assert client.get("/static/kiosk.js").status_code == 200
        texts = client.get("/api/messages").json()
        assert texts["chip.removed"]["de"] == "Lassen Sie das Dokument auf dem Lesegerät"


def test_verification_passes_both_images_in_one_step(fake: FakeSession) -> None:
    with _client(fake) as client:
        r = client.post("/api/verifications", files=_files())
    assert r.status_code == 200
    assert r.json()["decision"] == "VERIFIED" and r.json()["code"] == "decision.verified"
    assert fake.reads == [(DOC, SELFIE)]  # the selfie goes up front: checked before the chip


@pytest.mark.parametrize(("which", "status", "code"), [
    ("document", 415, "image.invalid"), ("selfie", 415, "image.invalid")])
def test_not_an_image_names_the_input(fake: FakeSession, which: str, status: int,
                                      code: str) -> None:
    files = _files(**{"doc" if which == "document" else "selfie": b"%PDF-1.7 not an image"})
    with _client(fake) as client:
        r = client.post("/api/verifications", files=files)
    assert r.status_code == status
    assert (r.json()["code"], r.json()["input"]) == (code, which)
    assert set(r.json()["message"]) == {"nl", "en", "de"}
    assert fake.reads == []


def test_oversized_upload_is_413(fake: FakeSession) -> None:
    big = DOC + b"\0" * 5000
    with _client(fake, max_upload=4096) as client:
        r = client.post("/api/verifications", files=_files(doc=big))
        frame = client.post("/api/kiosk/frame", content=big)
    assert r.status_code == 413 and r.json()["code"] == "upload.too_large"
    assert frame.status_code == 413 and frame.json()["input"] == "document"
    assert fake.reads == []


def test_missing_selfie_is_400(fake: FakeSession) -> None:
    with _client(fake) as client:
        r = client.post("/api/verifications", files={"document": ("d.png", DOC, "image/png")})
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["input"]) == ("upload.missing", "selfie")


@pytest.mark.parametrize(("exc", "status", "code", "which"), [
    (FaceQualityError("the selfie is too dark: take a new selfie"), 422, "face.too_dark",
     "selfie"),
    (MRZNotFound("no MRZ found in the image"), 422, "mrz.not_found", "document"),
])
def test_errors_carry_a_stable_code(fake: FakeSession, exc: Exception, status: int, code: str,
                                    which: str) -> None:
    fake.fail = exc
    with _client(fake) as client:
        r = client.post("/api/verifications", files=_files())
    assert r.status_code == status
    body = r.json()
    assert (body["code"], body["input"]) == (code, which)
    assert body["operator"] == str(exc)
    assert body["message"]["nl"] != body["message"]["en"]


def test_concurrent_verification_gets_409_and_sessions_do_not_mix(fake: FakeSession) -> None:
    fake.gate.clear()
    answers: list[Any] = []
    with _client(fake) as client:
        first = threading.Thread(target=lambda: answers.append(
            client.post("/api/verifications", files=_files())))
        first.start()
        assert fake.entered.wait(10)
        second = client.post("/api/verifications", files=_files(doc=_png(99), selfie=_png(98)))
        start = client.post("/api/kiosk/start")
        assert client.get("/api/health").json()["busy"] is True
        fake.gate.set()
        first.join(10)
        third = client.post("/api/verifications", files=_files())
    assert second.status_code == 409 and second.json()["code"] == "kiosk.busy"
    assert start.status_code == 409
    assert answers[0].status_code == 200
    assert third.status_code == 200
    assert fake.reads == [(DOC, SELFIE), (DOC, SELFIE)]  # the 409'd images never reached it


def test_event_stream_sends_state_first_then_events(fake: FakeSession) -> None:
    with _client(fake) as client, client.websocket_connect("/api/events") as ws:
        state = ws.receive_json()
        assert state["type"] == "state" and state["step"] == "idle"
        assert client.post("/api/kiosk/start").status_code == 200
        event = ws.receive_json()
        assert (event["type"], event["step"]) == ("step.started", "document")
        assert event["seq"] == state["seq"] + 1
        assert event["guidance"]["code"] == "mrz.searching"
    # a page that reconnects gets the current step
    with client.websocket_connect("/api/events") as ws:
        assert ws.receive_json()["step"] == "document"
        client.post("/api/kiosk/reset")
        assert ws.receive_json()["type"] == "reset"


def test_delivery_retries_with_backoff_then_reports() -> None:
    calls: list[bytes] = []
    sleeps: list[float] = []
    answers = iter([503, 500, 201])

    def post(url: str, body: bytes, timeout: float) -> int:
        calls.append(body)
        return next(answers)

    d = Delivery("http://relying.example/hook", post=post, sleep=sleeps.append)
    assert d.send("a.b.c").state == "delivered"
    assert calls == [b"a.b.c"] * 3 and sleeps == [0.5, 1.0]
    failing = Delivery("http://relying.example/hook", post=lambda *_a: 400, sleep=sleeps.append)
    status = failing.send("a.b.c")
    assert (status.state, status.attempts, status.error) == ("failed", 1, "HTTP 400")


def test_signed_result_goes_to_the_webhook_and_a_failure_shows_in_health(
        fake: FakeSession) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from checkedid.signing import verify_signed_result

    key = ec.generate_private_key(ec.SECP256R1())
    posted: list[bytes] = []
    answers = iter([201, 503, 503, 503, 503])

    def post(url: str, body: bytes, timeout: float) -> int:
        posted.append(body)
        return next(answers)

    kiosk = Kiosk(KioskConfig(transport=lambda: None, monitor=False, sign_key=key,
                              webhook="http://relying.example/hook"), session=fake)
    assert kiosk.delivery is not None
    kiosk.delivery = Delivery("http://relying.example/hook", post=post, sleep=lambda _s: None)
    with TestClient(create_app(kiosk)) as client:
        ok = client.post("/api/verifications", files=_files()).json()
        failed = client.post("/api/verifications", files=_files()).json()
        health = client.get("/api/health").json()
    token = verify_signed_result(ok["signed"], key.public_key(), audience="checkedid-kiosk",
                                 nonce=_claims(ok["signed"])["nonce"])
    assert token["decision"] == "VERIFIED" and token["nonce"].startswith("kiosk-")
    assert posted[0] == ok["signed"].encode()
    assert ok["delivery"]["state"] == "delivered"
    assert (failed["delivery"]["state"], failed["delivery"]["attempts"]) == ("failed", 4)
    assert health["delivery"]["state"] == "failed" and health["delivery"]["delivered"] == 1


def _claims(token: str) -> dict[str, Any]:
    import base64
    import json

    body = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return claims


def test_a_relying_party_nonce_and_audience_bind_the_signed_result(fake: FakeSession) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from checkedid.signing import WrongNonce, verify_signed_result

    key = ec.generate_private_key(ec.SECP256R1())
    kiosk = Kiosk(KioskConfig(transport=lambda: None, monitor=False, sign_key=key,
                              audience="bank-42"), session=fake)
    with TestClient(create_app(kiosk)) as client:
        out = client.post("/api/verifications", files=_files(), data={"nonce": "rp-n-1"}).json()
    claims = verify_signed_result(out["signed"], key.public_key(), audience="bank-42",
                                  nonce="rp-n-1")
    assert claims["aud"] == "bank-42" and claims["nonce"] == "rp-n-1"
    with pytest.raises(WrongNonce):
        verify_signed_result(out["signed"], key.public_key(), audience="bank-42", nonce="other")
