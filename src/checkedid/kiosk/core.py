"""The kiosk's engine: one verification at a time, card events, signing and delivery.

:class:`Kiosk` owns the :class:`checkedid.Session` (face model and trust store loaded
once), the event :class:`~checkedid.kiosk.events.Hub`, the card monitor thread and the
webhook :class:`~checkedid.kiosk.delivery.Delivery`. The HTTP layer
(:mod:`checkedid.kiosk.app`) only parses requests and calls it.

A verification runs step-wise (:meth:`checkedid.Session.read_document`, then
:meth:`~checkedid.Session.match_selfie` as often as needed, then
:meth:`~checkedid.Session.finish`), so a poor selfie never costs a second chip read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checkedid.api import Isolation
from checkedid.errors import BiometricError, CheckedIDError, InputError
from checkedid.kiosk import messages
from checkedid.kiosk.delivery import Delivery
from checkedid.kiosk.events import Hub
from checkedid.kiosk.scanner import FOUND, HeldScanner

__all__ = ["Busy", "Kiosk", "KioskConfig", "VerificationFailed"]

log = logging.getLogger(__name__)

#: How many non-matching selfies the kiosk takes before it decides.
SELFIE_TRIES = 3


class Busy(Exception):
    """Another verification is running (HTTP 409, code ``kiosk.busy``)."""


class VerificationFailed(Exception):
    """No decision: ``info`` is the code, texts, operator text and failed input."""

    def __init__(self, info: dict[str, Any], status: int) -> None:
        super().__init__(info["code"])
        self.info = info
        self.status = status


#: ``aud`` of signed results when ``--audience`` is not given (a kiosk without a named
#: relying party; production kiosks name theirs).
DEFAULT_AUDIENCE = "checkedid-kiosk"


@dataclass
class KioskConfig:
    """What ``checkedid kiosk`` is started with."""

    reader: str | None = None
    trust: Any = None
    fields: Sequence[str] = ()
    webhook: str | None = None
    sign_key: Any = None
    key_id: str | None = None
    audience: str | None = None
    lang: str = "en"
    max_upload: int = 8 << 20
    timeout: float = 90.0
    result_seconds: float = 60.0  # the service resets a decision screen the page did not
    abandon_seconds: float = 300.0  # a guided flow nobody finishes is dropped
    card_wait: float = 30.0
    isolation: Isolation | None = None
    policy: Any = None  # checkedid.policy.Policy
    transport: Callable[[], Any] | None = None
    monitor: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _status_for(exc: BaseException) -> int:
    from checkedid import errors

    if isinstance(exc, (errors.NoReaderError, errors.NoCardError)):
        return 503
    if isinstance(exc, errors.ChipError):
        return 502
    if isinstance(exc, (InputError, errors.MRZError, BiometricError)):
        return 422
    return 500


class Kiosk:
    """One kiosk: a session, the busy lock, the browser flow's state and the event hub."""

    def __init__(self, config: KioskConfig, *, session: Any = None) -> None:
        import checkedid

        self.config = config
        self.hub = Hub()
        self.session = session or checkedid.Session(
            trust=config.trust, reader=config.reader, transport=config.transport,
            isolation=config.isolation, policy=config.policy)
        self.delivery = Delivery(config.webhook) if config.webhook else None
        self.scanner: HeldScanner | None = None  # the document's scan, while one runs
        self._busy = threading.Lock()
        self._stop = threading.Event()
        self._selfie_tries = 0
        self.flow = "idle"  # idle / document / chip / selfie / decision
        self._generation = 0  # which guided flow a timer belongs to
        self.card_present = False
        self.model_loaded = False
        self.last_step: str | None = None
        self.verifications = 0

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Load the models (:meth:`checkedid.Session.prepare`) and start the card monitor."""
        try:
            self.session.prepare()
            self.model_loaded = True
        except CheckedIDError as exc:
            log.warning("face model not loaded: %s", exc)
        if self.config.monitor and self.config.transport is None:
            threading.Thread(target=self._watch_cards, name="card-monitor", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._drop_scan()
        self.session.wipe()

    def _watch_cards(self) -> None:
        from checkedid.nfc.iso7816.pcsc import monitor

        while not self._stop.is_set():
            try:
                for event in monitor(self.config.reader, poll=0.3, stop=self._stop.is_set):
                    self.card_present = event.kind == "placed"
                    self.hub.publish(f"card.{event.kind}", card_present=self.card_present)
                    if self.flow == "chip":
                        code = "chip.reading" if self.card_present else "chip.removed"
                        self.hub.publish("guidance", guidance=messages.describe(code))
            except CheckedIDError as exc:
                log.info("card monitor: %s", exc)
                self._stop.wait(2.0)

    # -- health ----------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        readers: list[dict[str, Any]] = []
        reader_error = None
        if self.config.transport is None:
            try:
                from checkedid.nfc.iso7816.pcsc import list_readers

                want = (self.config.reader or "").lower()
                readers = [r.to_dict() for r in list_readers() if want in r.name.lower()]
            except CheckedIDError as exc:
                reader_error = str(exc)
        trust = self.session.trust
        summary = getattr(trust, "summary", None)
        trust_info: Any = (summary() if callable(summary) else
                           {"loaded": trust is not None,
                            "certificates": len(getattr(trust, "certificates", ()) or ())})
        problems = [text for bad, text in (
            (not self.model_loaded, "the face model is not loaded"),
            (self.config.transport is None and not readers, "no PC/SC reader"),
            (trust is None, "no trust store: no result can be VERIFIED (give --trust)"),
        ) if bad]
        return {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "busy": self._busy.locked(),
            "step": self.flow,
            "readers": readers,
            "reader_error": reader_error,
            "card_present": any(r["card_present"] for r in readers) or self.card_present,
            "trust_store": trust_info,
            "model_loaded": self.model_loaded,
            "verifications": self.verifications,
            "delivery": None if self.delivery is None else self.delivery.status.to_dict(),
        }

    # -- the busy lock ---------------------------------------------------------------
    def acquire(self) -> None:
        if not self._busy.acquire(blocking=False):
            raise Busy()

    def _drop_scan(self) -> None:
        scanner, self.scanner = self.scanner, None
        if scanner is not None:
            scanner.close()

    def release(self) -> None:
        self._drop_scan()
        self.flow = "idle"
        if self._busy.locked():
            self._busy.release()

    # -- headless: both images at once -----------------------------------------------
    def verify(self, document: bytes, selfie: bytes, nonce: str | None = None) -> dict[str, Any]:
        """Whole verification from two images (caller holds the busy lock)."""
        try:
            self._read(document, selfie)
            return self._decide(nonce)
        finally:
            self.session.wipe()

    def _progress(self, event: Any) -> None:
        self.last_step = event.step
        if event.step == "chip":
            if event.state == "removed":
                self.hub.publish("guidance", guidance=messages.describe("chip.removed"))
                return
            pct = 10
            if event.state == "progress":
                share = event.done / event.total if event.total else 0.0
                pct = 20 + int(70 * share) if event.file == "DG2" else 15
                self.hub.publish("progress", step="chip", progress=pct, file=event.file,
                                 guidance=messages.describe("chip.reading"))
                return
        pct = {"authentication": 92, "consistency": 96, "face": 98}.get(event.step, 5)
        self.hub.publish(f"step.{event.state}", name=event.step, progress=pct)

    def _read(self, document: Any, selfie: bytes | None, **scanned: Any) -> Any:
        """The step-wise read; ``scanned``: what :meth:`HeldScanner.take` gave (the MRZ the
        camera scan holds, or its worker)."""
        self.last_step = None
        try:
            return self.session.read_document(
                document, selfie=selfie, fields=self.config.fields, progress=self._progress,
                timeout=self.config.timeout, card_wait=self.config.card_wait, retries=3,
                **scanned)
        except CheckedIDError as exc:
            raise VerificationFailed(messages.for_error(exc, self.last_step),
                                     _status_for(exc)) from None

    def _decide(self, nonce: str | None = None) -> dict[str, Any]:
        try:
            result = self.session.finish(timeout=self.config.timeout)
        except CheckedIDError as exc:
            raise VerificationFailed(messages.for_error(exc, "finish"), _status_for(exc)) from None
        self.verifications += 1
        out: dict[str, Any] = {"decision": result.decision.value,
                               "code": f"decision.{result.decision.value.lower()}",
                               "result": result.to_dict()}
        if self.config.sign_key is not None:
            out["signed"] = self._sign(result, nonce)
            if self.delivery is not None:
                out["delivery"] = self.delivery.send(out["signed"]).to_dict()
        return out

    def _sign(self, result: Any, nonce: str | None = None) -> str:
        """The JWS for the relying party: bound to ``--audience`` and to the request's
        ``nonce`` (the ``nonce`` form field of ``POST /api/verifications``). A verification
        started at the page has no relying-party request: the kiosk then makes a random
        nonce, which keeps the token unique (the receiver still checks aud, exp and jti)."""
        import secrets

        from checkedid.signing import sign_result

        return sign_result(result, self.config.sign_key, kid=self.config.key_id,
                           audience=self.config.audience or DEFAULT_AUDIENCE,
                           nonce=nonce or f"kiosk-{secrets.token_urlsafe(16)}")

    # -- the browser flow --------------------------------------------------------------
    def begin(self) -> None:
        """The person started at the page: show the document to the camera."""
        self.acquire()
        self.flow = "document"
        self._selfie_tries = 0
        self._drop_scan()
        self.scanner = HeldScanner(self.session, timeout=self.config.timeout,
                                   idle=self.config.abandon_seconds)
        self._generation += 1
        self._later(self.config.abandon_seconds, self._generation)
        self.hub.publish("step.started", step="document", name="document", progress=0,
                         decision=None, guidance=messages.describe("mrz.searching"))

    def frame(self, data: bytes) -> str:
        """One camera frame of the document, answered with the scanner's guidance code; when
        the voted MRZ holds (:class:`HeldScanner`), the chip read starts."""
        scanner = self.scanner
        if self.flow != "document" or scanner is None:
            return "kiosk.wrong_step"
        code = scanner.feed(data)
        if code == FOUND and self.flow == "document" and scanner is self.scanner:
            self.flow = "chip"
            self.hub.publish("step.started", step="chip", name="chip", progress=5,
                             guidance=messages.describe("chip.waiting"))
            threading.Thread(target=self._chip, name="chip-read", daemon=True).start()
        elif self.flow == "document":
            self.hub.publish("guidance", guidance=messages.describe(code))
        return code

    def _later(self, seconds: float, generation: int) -> None:
        """Reset after ``seconds`` unless another flow began meanwhile."""
        def fire() -> None:
            if self._generation == generation and self.flow != "idle":
                self.reset()

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        timer.start()

    def _chip(self) -> None:
        scanner, self.scanner = self.scanner, None
        try:
            if scanner is None:
                raise VerificationFailed(messages.describe("internal.error"), 500)
            scanned = scanner.take()
            read = self._read(scanned.pop("document_image"), None, **scanned)
        except VerificationFailed as exc:
            self._fail(exc.info)
            return
        except Exception as exc:  # the page must never hang on a step
            log.error("chip step failed: %s", type(exc).__name__)
            self._fail(messages.describe("internal.error", operator=type(exc).__name__))
            return
        finally:
            if scanner is not None:
                scanner.close()  # nothing left once taken; a failed take ends the worker
        if not read.face_available:
            self._finish()
            return
        self.flow = "selfie"
        self.hub.publish("step.started", step="selfie", name="selfie", progress=100,
                         guidance=messages.describe("chip.done"))

    def selfie(self, data: bytes) -> dict[str, Any]:
        """One camera frame of the person; a poor one is answered with guidance."""
        if self.flow != "selfie":
            return {"code": "kiosk.wrong_step"}
        try:
            outcome = self.session.match_selfie(data, timeout=self.config.timeout)
        except CheckedIDError as exc:
            info = messages.for_error(exc, "face")
            if isinstance(exc, (BiometricError, InputError)):
                self.hub.publish("guidance", guidance=info)
                return {"code": info["code"], "retry": True}
            self._fail(info)
            return {"code": info["code"]}
        self._selfie_tries += 1
        if not outcome.match and self._selfie_tries < SELFIE_TRIES:
            self.hub.publish("guidance", guidance=messages.describe("face.searching"))
            return {"code": "face.no_match", "retry": True}
        return self._finish()

    def _finish(self) -> dict[str, Any]:
        try:
            out = self._decide()
        except VerificationFailed as exc:
            self._fail(exc.info)
            return {"code": exc.info["code"]}
        self.flow = "decision"
        self._later(self.config.result_seconds, self._generation)
        delivery = out.get("delivery")
        self.hub.publish("decision", step="decision", decision=out["decision"], progress=100,
                         guidance=messages.describe(out["code"]),
                         delivery=delivery, warnings=len(out["result"].get("warnings", ())))
        if delivery is not None and delivery["state"] == "failed":
            self.hub.publish("guidance", guidance=messages.describe(
                "delivery.failed", operator=delivery["error"]))
        return {"code": out["code"], "decision": out["decision"]}

    def _fail(self, info: dict[str, Any]) -> None:
        self.session.wipe()
        self.flow = "decision"
        self._later(self.config.result_seconds, self._generation)
        self.hub.publish("error", step="decision", decision="ERROR", guidance=info)

    def reset(self) -> None:
        """Back to the start screen; drops whatever the flow held."""
        self.session.wipe()
        self.release()
        self.hub.reset()
