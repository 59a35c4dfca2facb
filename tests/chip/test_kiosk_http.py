"""The kiosk service over HTTP against the virtual chip: health, a VERIFIED headless
verification, the step-wise session keeping one chip read for several selfies, and a
recovered card removal recorded in the result's warnings."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

import checkedid
from checkedid.errors import NoFaceError
from checkedid.kiosk import Kiosk, KioskConfig, create_app
from tests.chip.conftest import VChipFactory
from tests.chip.kiosk_data import GOOD, kiosk_images


@pytest.fixture(scope="module")
def images() -> dict[str, bytes]:
    return kiosk_images(GOOD)


@pytest.fixture(scope="module")
def trust() -> object:
    from checkedid.demo import virtual_trust_store

    return virtual_trust_store()


def test_post_verifications_returns_verified(vchip: VChipFactory, images: dict[str, bytes],
                                             trust: object) -> None:
    chip = vchip(GOOD)
    kiosk = Kiosk(KioskConfig(reader=chip.reader, trust=trust, fields=("document_number",)))
    with TestClient(create_app(kiosk)) as client:
        health = client.get("/api/health").json()
        assert health["model_loaded"] is True
        assert [r["name"] for r in health["readers"]] == [chip.reader]
        assert health["card_present"] is True
        r = client.post("/api/verifications", files={
            "document": ("d.png", images["document"], "image/png"),
            "selfie": ("s.jpg", images["selfie"], "image/jpeg")})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["decision"] == "VERIFIED", body["result"]["reasons"]
        assert body["code"] == "decision.verified"
        assert set(body["result"]["fields"]) == {"document_number"}
        assert client.get("/api/health").json()["verifications"] == 1


def test_stepwise_session_reads_the_chip_once_for_several_selfies(
        vchip: VChipFactory, images: dict[str, bytes], trust: object) -> None:
    chip = vchip(GOOD)
    with checkedid.Session(trust=trust, reader=chip.reader) as session:
        events: list[str] = []
        read = session.read_document(images["document"], fields=(),
                                     progress=lambda e: events.append(f"{e.step}.{e.state}"))
        assert read.face_available and read.face is None
        with pytest.raises(NoFaceError):
            session.match_selfie(images["document"][:0] + _blank_png())
        first = session.match_selfie(images["impostor"])
        assert first.verdict == "FAILED" and not first.match
        second = session.match_selfie(images["selfie"])
        assert second.verdict == "PASSED" and second.match
        result = session.finish()
    assert result.decision.value == "VERIFIED"
    assert events.count("chip.start") == 1  # three selfies, one chip read
    assert events.count("face.end") == 3


def test_card_removed_mid_read_is_recovered_and_warned(
        vchip: VChipFactory, images: dict[str, bytes], trust: object) -> None:
    chip = vchip(GOOD, "card-removed-mid-read")
    events: list[str] = []
    with checkedid.Session(trust=trust, reader=chip.reader) as session:
        session.read_document(images["document"], selfie=images["selfie"], fields=(),
                              progress=lambda e: events.append(f"{e.step}.{e.state}"))
        result = session.finish()
    assert "chip.removed" in events, (events, result.warnings)
    assert result.decision.value == "VERIFIED"
    assert any("left the reader" in w for w in result.warnings)


def _blank_png() -> bytes:
    import cv2
    import numpy as np

    ok, enc = cv2.imencode(".png", np.full((480, 640, 3), 128, np.uint8))
    assert ok
    return bytes(enc.tobytes())
