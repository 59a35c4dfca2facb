"""Session: the safe front door. Owns every Secret of a verification and wipes them.

::

    with checkedid.Session(trust=["csca/", "masterlist.ml"]) as s:
        result = s.verify("document.jpg", "selfie.jpg", progress=print)
    # every buffer the session owned is zeroed here, also when an exception left the block

Isolation (``isolation="process"``, the default on POSIX): the personal-data
steps run in a forked worker process that exits after each verification, so
even the copies CPython and C libraries make (which no wipe can reach) are
returned to the kernel. The parent holds only the minimised :class:`Result`.
``isolation="none"`` runs everything in the caller's process (for debugging,
profiling and platforms without ``fork``); Secrets are still zeroed on wipe.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from checkedid import isolation
from checkedid.api import (
    FaceMatcherLike,
    FieldName,
    ImageInput,
    Isolation,
    TransportFactory,
    TrustInput,
)
from checkedid.errors import InputError
from checkedid.policy import Policy
from checkedid.result import Result, validate_fields
from checkedid.secret import Secret, SecretRegistry, Wipeable
from checkedid.stepwise import ChipRead, FaceOutcome

if TYPE_CHECKING:
    import numpy.typing as npt

    from checkedid.held import HeldWorker
    from checkedid.mrz.model import MRZ
    from checkedid.nfc.iso7816.transport import Transport
    from checkedid.nfc.pki.trust import TrustStore
    from checkedid.pipeline import ProgressEvent

__all__ = ["Session", "verify"]

#: What :meth:`Session.track` accepts: Secrets, mutable buffers and objects with ``wipe()``.
W = TypeVar("W", bound="Secret | bytearray | npt.NDArray[Any] | Wipeable")


def _load_trust(trust: TrustInput) -> TrustStore | None:
    if trust is None:
        return None
    from checkedid.nfc.pki.trust import TrustStore

    if isinstance(trust, TrustStore):
        return trust
    paths: Iterable[str | Path] = [trust] if isinstance(trust, (str, Path)) else trust
    return TrustStore.load(paths)


class Session:
    """Owner of the personal data and key material of verifications.

    ``trust``: CSCA trust material (a ``TrustStore`` or paths); without it Passive
    Authentication cannot reach a trusted CSCA and no result is VERIFIED.
    ``reader``: PC/SC reader name (substring) or ``None`` for the first with a card.
    ``transport``: a factory returning a connected ``Transport`` (tests, custom readers).
    ``preload``: load the face model and trust store now rather than on first use.
    ``mrz_engine``: the MRZ recogniser (``"default"``, our OCR-B classifier, or
    ``"tesseract"``, the baseline).
    ``face_matcher``: a matcher object to use instead of the built-in dlib one (anything
    with ``embed(image, role=)`` and ``compare(a, b)`` like
    :class:`checkedid.biometrics.FaceMatcher`, e.g. one built on another ``Backend``).
    ``document_portrait``: the printed portrait on the document photo against the chip
    photo (:mod:`checkedid.docportrait`): ``"warn"`` (reported, decision unchanged),
    ``"decide"`` (counts like the other checks) or ``"off"``.
    ``policy``: the operator's :class:`~checkedid.policy.Policy` (CRL grace period, chip
    authentication required, face threshold, printed portrait); ``face_threshold`` and
    ``document_portrait`` given here take precedence over the policy's.
    """

    def __init__(
        self,
        trust: TrustInput = None,
        *,
        reader: str | None = None,
        transport: TransportFactory | None = None,
        isolation: Isolation | None = None,
        face_threshold: float | None = None,
        preload: bool = False,
        mrz_engine: str = "default",
        face_matcher: FaceMatcherLike | None = None,
        document_portrait: str | None = None,
        policy: Policy | None = None,
    ) -> None:
        mode = isolation or ("process" if _fork_ok() else "none")
        if mode not in ("process", "none"):
            raise InputError("isolation must be 'process' or 'none'")
        if mode == "process" and not _fork_ok():
            raise InputError("process isolation needs os.fork (POSIX); use isolation='none'")
        self.isolation: Isolation = "process" if mode == "process" else "none"
        self.secrets = SecretRegistry()
        self.trust = _load_trust(trust)
        self.reader = reader
        self.policy = policy or Policy()
        self.face_threshold = face_threshold if face_threshold is not None \
            else self.policy.face_threshold
        self._transport = transport
        self.mrz_engine = mrz_engine
        from checkedid.docportrait import check_policy

        #: printed portrait vs chip photo: "warn" (default), "decide" or "off"
        self.document_portrait = check_policy(document_portrait or
                                               self.policy.document_portrait)
        self._matcher: FaceMatcherLike | None = face_matcher
        self._lock = threading.Lock()
        self._verify_lock = threading.Lock()
        self._held: Any = None  # the step-wise read: a HeldWorker or (process-less) a HeldRead
        if preload:
            self.face_matcher()

    # -- secrets -------------------------------------------------------------------
    def secret(
        self, data: bytes | bytearray | memoryview | int = 0, *, label: str = "secret"
    ) -> Secret:
        """Create a Secret owned by this session."""
        return self.secrets.new(data, label=label)

    def track(self, obj: W) -> W:
        """Register a wipeable object (Secret, bytearray, numpy array, object with ``wipe()``)."""
        self.secrets.add(obj)
        return obj

    def wipe(self) -> int:
        """Zero every buffer this session owns and drop a held read; returns how many
        objects were wiped."""
        held, self._held = self._held, None
        close = getattr(held, "close", None)
        if callable(close):
            close()
        return self.secrets.wipe_all()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.wipe()

    # -- shared resources (loaded once, inherited by workers) -----------------------
    def face_matcher(self) -> FaceMatcherLike:
        """The face matcher (model loaded once per session, shared with workers)."""
        with self._lock:
            if self._matcher is None:
                from checkedid.biometrics import FaceMatcher

                matcher = FaceMatcher(threshold=self.face_threshold)
                matcher.load()
                self._matcher = matcher
            return self._matcher

    def prepare(self, *, document: bool = True) -> None:
        """Load now what verifications need: the face model, the chip protocol modules and,
        with ``document``, the MRZ recogniser with its first-read state. For a long-running
        service (the kiosk calls it when it starts): the first verification is then as fast
        as the next, and every isolated worker inherits what was loaded here instead of
        loading it itself. Raises :class:`~checkedid.errors.BackendUnavailable` when a
        model cannot be loaded."""
        from checkedid.pipeline import preload

        self.face_matcher()
        preload(self, document)
        if document and self.mrz_engine in ("default", "ocrb"):
            from checkedid.mrz.reader import warm_up

            warm_up()

    def _transport_factory(self, reader: str | None, wait: float = 0.0) -> TransportFactory:
        if self._transport is not None:
            return self._transport
        name = reader if reader is not None else self.reader

        def open_reader() -> Transport:
            from checkedid.nfc.iso7816.pcsc import PcscTransport

            t = PcscTransport(name, timeout=wait)
            t.connect()
            return t

        return open_reader

    # -- the verification ----------------------------------------------------------
    def verify(
        self,
        document_image: ImageInput | None,
        selfie: ImageInput | None,
        *,
        reader: str | None = None,
        can: str | None = None,
        fields: Sequence[FieldName] | None = None,
        progress: Callable[[ProgressEvent], None] | None = None,
        timeout: float | None = 60.0,
    ) -> Result:
        """Verify one document: MRZ from ``document_image``, chip, PA/AA/CA, face match
        of ``selfie`` against the chip photo. Returns the minimised :class:`Result`.

        ``fields`` selects the personal fields in the result (default:
        :data:`checkedid.result.DEFAULT_FIELDS`; ``()`` for none). ``progress`` receives
        :class:`checkedid.pipeline.ProgressEvent` objects. Raises a
        :class:`checkedid.errors.CheckedIDError` when no decision can be made (no MRZ
        in the photo, no card, card removed, no face in the selfie, timeout).

        Secrets: everything the verification itself creates (the MRZ access key, session
        keys, chip files, embeddings) is zeroed before ``verify`` returns or raises, in
        both isolation modes. Secrets *you* registered on this session
        (:meth:`secret`, :meth:`track`) are never touched by ``verify``: they stay yours
        until :meth:`wipe` or the end of the ``with`` block.
        """
        from checkedid.pipeline import ProgressEvent, preload, run_pipeline

        wanted = validate_fields(fields)
        if can is not None and not (can.isascii() and can.isdigit() and len(can) == 6):
            if not (len(can) == 10 and can.isascii() and can.isalnum()):  # a licence number
                raise InputError("the CAN is the 6-digit number printed on the card (or a "
                                 "driving licence's 10-character licence number)")
        if selfie is not None:
            self.face_matcher()  # load before the fork so every worker shares it
        preload(self, document_image is not None)
        factory = self._transport_factory(reader)
        on_event = None
        if progress is not None:
            cb = progress
            on_event = lambda d: cb(ProgressEvent.from_dict(d))  # noqa: E731

        def work(emit: isolation.Emit) -> dict[str, Any]:
            # The verification's own Secrets go into a registry of their own, wiped when it
            # ends; the caller's (session.secret(), session.track()) are left alone.
            callers, self.secrets = self.secrets, SecretRegistry()
            try:
                return run_pipeline(
                    self,
                    document_image,
                    selfie,
                    transport=factory,
                    can=can,
                    fields=wanted,
                    emit=emit,
                    timeout=timeout,
                )
            finally:
                self.secrets.wipe_all()
                self.secrets = callers

        if self.isolation == "process":
            data = isolation.run_isolated(work, on_event=on_event, timeout=timeout)
        else:
            with self._verify_lock:  # one verification at a time owns the registry swap
                data = work(on_event if on_event is not None else (lambda _d: None))
        return Result.from_dict(data)


    # -- the step-wise verification -------------------------------------------------
    def read_document(
        self,
        document_image: ImageInput | HeldWorker,
        *,
        selfie: ImageInput | None = None,
        reader: str | None = None,
        can: str | None = None,
        fields: Sequence[str] | None = None,
        progress: Callable[[ProgressEvent], None] | None = None,
        timeout: float | None = 60.0,
        retries: int = 2,
        card_wait: float = 20.0,
        mrz: MRZ | None = None,
    ) -> ChipRead:
        """Step 1 of a step-wise verification: MRZ, chip, authentication, consistency.

        The chip result is *held* (in the isolated worker under process isolation) for
        :meth:`match_selfie`, which may run as often as needed, and :meth:`finish`. A
        ``selfie`` given here is quality-checked before the chip is touched (and
        matched). A read interrupted by the document leaving the reader restarts up to
        ``retries`` times once it is back (waiting up to ``card_wait`` seconds for it);
        each such recovery is a result warning.

        ``mrz``: the zone already read from a video (:class:`checkedid.mrz.MRZScanner`);
        ``document_image`` then serves the printed-portrait check only. ``document_image``
        may also be the :class:`checkedid.held.HeldWorker` of a scanner that holds the MRZ
        (:class:`checkedid.kiosk.scanner.HeldScanner`): the chip is read in that worker.
        """
        from checkedid.stepwise import read_document

        self.wipe()  # one held read at a time
        transport = self._transport_factory(reader, card_wait)
        self._held, summary = read_document(
            self, document_image, selfie=selfie, transport=transport, can=can,
            fields=validate_fields(fields), progress=progress, timeout=timeout, retries=retries,
            mrz=mrz, reader=reader if reader is not None else self.reader, card_wait=card_wait)
        return summary

    def match_selfie(self, selfie: ImageInput, *, timeout: float | None = 60.0) -> FaceOutcome:
        """Step 2 (repeatable): compare ``selfie`` with the held chip photo.

        Raises :class:`~checkedid.errors.NoFaceError` / ``FaceQualityError`` for an
        unusable selfie; the held read stays, so the person just tries again.
        """
        from checkedid.stepwise import match_selfie

        return match_selfie(self, self._held, selfie, timeout=timeout)

    def finish(self, *, timeout: float | None = 60.0) -> Result:
        """Step 3: the decision as a minimised :class:`Result`; then everything is wiped."""
        from checkedid.stepwise import finish

        held = self._held
        try:
            return finish(self, held, timeout=timeout)
        finally:
            self.wipe()


def _fork_ok() -> bool:
    return isolation.available() and os.name == "posix"


def verify(
    document_image: ImageInput | None,
    selfie: ImageInput | None,
    *,
    trust: TrustInput = None,
    reader: str | None = None,
    can: str | None = None,
    fields: Sequence[FieldName] | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    timeout: float | None = 60.0,
) -> Result:
    """One-shot verification: ``Session(trust=trust).verify(...)`` and wipe."""
    with Session(trust=trust, reader=reader) as s:
        return s.verify(
            document_image, selfie, can=can, fields=fields, progress=progress, timeout=timeout
        )
