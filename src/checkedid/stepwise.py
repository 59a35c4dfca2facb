"""The step-wise verification behind :meth:`checkedid.Session.read_document`,
:meth:`~checkedid.Session.match_selfie` and :meth:`~checkedid.Session.finish`.

A kiosk reads the chip once (ICAO Doc 9303-11: access, then the LDS), then compares as
many selfies as it takes with the chip photo, then decides. Under process isolation the
chip result stays inside a :class:`checkedid.held.HeldWorker`; without isolation it is a
:class:`checkedid.pipeline.HeldRead` in the caller's process. Either way the caller sees
only :class:`ChipRead` (no personal data), :class:`FaceOutcome` and the final Result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checkedid.errors import ImageError, InputError
from checkedid.result import Result

if TYPE_CHECKING:
    from checkedid.session import Session

__all__ = ["ChipRead", "FaceOutcome", "finish", "held_steps", "match_selfie", "read_document"]


@dataclass(frozen=True)
class ChipRead:
    """What the caller learns from a held read: no personal data.

    ``face_available``: the chip holds a face image to match a selfie against;
    ``face``: the face outcome when a selfie was given to ``read_document``.
    """

    protocol: str
    face_available: bool
    face: FaceOutcome | None = None


@dataclass(frozen=True)
class FaceOutcome:
    """One selfie compared with the chip photo: ``verdict`` is the face check's verdict."""

    verdict: str
    score: float | None
    threshold: float | None
    match: bool

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FaceOutcome:
        score = d.get("score")
        threshold = d.get("threshold")
        return cls(str(d["verdict"]), None if score is None else float(score),
                   None if threshold is None else float(threshold), bool(d.get("match")))


def _face_dict(held: Any) -> dict[str, Any]:
    group = held.checks["face"]
    face = held.face
    return {"verdict": group.verdict.value,
            "score": None if face is None else face.score,
            "threshold": None if face is None else face.threshold,
            "match": bool(face is not None and face.is_match)}


def _summary(held: Any, matched: bool) -> dict[str, Any]:
    return {"protocol": str(held.data.protocol),
            "face_available": held.data.face_image is not None,
            "face": _face_dict(held) if matched else None}


def _from_summary(d: dict[str, Any]) -> ChipRead:
    face = d.get("face")
    return ChipRead(str(d.get("protocol", "")), bool(d.get("face_available")),
                    FaceOutcome.from_dict(face) if isinstance(face, dict) else None)


def _selfie_bytes(selfie: Any) -> bytes:
    """The selfie as encoded image bytes (what crosses the pipe to the worker)."""
    if isinstance(selfie, (bytes, bytearray, memoryview)):
        return bytes(selfie)
    if isinstance(selfie, (str, Path)):
        try:
            return Path(selfie).read_bytes()
        except OSError as exc:
            raise ImageError(f"cannot read the selfie: {exc.strerror}") from None
    import cv2
    import numpy as np

    if isinstance(selfie, np.ndarray):
        ok, enc = cv2.imencode(".png", selfie)
        if ok:
            return bytes(enc.tobytes())
    raise ImageError("the selfie must be encoded image bytes, a path or an image array")


def held_steps(
    session: Session, document_image: Any, *, selfie: Any, transport: Callable[[], Any],
    can: str | None, fields: Sequence[str], timeout: float | None, retries: int,
    mrz: Any = None,
) -> tuple[Callable[[Callable[[dict[str, Any]], None]], tuple[Any, dict[str, Any]]],
           Callable[[Any, bytes], dict[str, Any]], Callable[[Any], dict[str, Any]]]:
    """The held read's three stages (read, match a selfie, finish) as
    :class:`checkedid.held.HeldWorker` runs them; ``mrz``: a zone already read (see
    :func:`checkedid.pipeline.read_document`)."""
    from checkedid import pipeline

    def read(emit: Callable[[dict[str, Any]], None]) -> tuple[Any, dict[str, Any]]:
        held = pipeline.read_document(session, document_image, transport=transport, can=can,
                                      fields=fields, emit=emit, timeout=timeout,
                                      retries=retries, selfie=selfie, mrz=mrz)
        if held.live is not None:
            pipeline.match_face(session, held, None)
        return held, _summary(held, held.live is not None)

    def match(held: Any, image: bytes) -> dict[str, Any]:
        pipeline.match_face(session, held, image)
        return _face_dict(held)

    def done(held: Any) -> dict[str, Any]:
        try:
            return pipeline.finish(held)
        finally:
            session.wipe()

    return read, match, done


def read_document(
    session: Session, document_image: Any, *, selfie: Any, transport: Callable[[], Any],
    can: str | None, fields: Sequence[str], progress: Callable[[Any], None] | None,
    timeout: float | None, retries: int, mrz: Any = None, reader: str | None = None,
    card_wait: float = 20.0,
) -> tuple[Any, ChipRead]:
    """Read and hold; returns the holder (worker or HeldRead) and its :class:`ChipRead`.

    ``document_image`` may be a :class:`checkedid.held.HeldWorker` that holds a scanned MRZ
    (the kiosk's camera scanner): it is handed the chip read (its ``hand_over``), so the
    MRZ never leaves that worker.
    """
    from checkedid import pipeline
    from checkedid.held import HeldWorker

    if can is not None and not (can.isascii() and can.isdigit() and len(can) == 6):
        raise InputError("the CAN is the 6-digit number printed on the card")
    session.face_matcher()  # load before the fork so the worker shares it
    pipeline.preload(session, document_image is not None)
    on_event = None
    if progress is not None:
        cb = progress
        on_event = lambda d: cb(pipeline.ProgressEvent.from_dict(d))  # noqa: E731
    if isinstance(document_image, HeldWorker):
        if selfie is not None or can is not None:
            raise InputError("a scanned document is read with its MRZ only (no CAN, no selfie)")
        summary = document_image.hand_over(
            {"fields": list(fields), "timeout": timeout, "retries": retries, "reader": reader,
             "card_wait": card_wait},
            on_event=on_event, timeout=timeout)
        return document_image, _from_summary(summary)
    read, match, done = held_steps(session, document_image, selfie=selfie, transport=transport,
                                   can=can, fields=fields, timeout=timeout, retries=retries,
                                   mrz=mrz)
    if session.isolation == "process":
        worker = HeldWorker(read, match, done, on_event=on_event, timeout=timeout)
        return worker, _from_summary(worker.summary)
    held, summary = read(on_event if on_event is not None else (lambda _d: None))
    return held, _from_summary(summary)


def scanned_steps(session: Session, mrz: Any, document_image: Any,
                  command: dict[str, Any]) -> tuple[Any, Any, Any]:
    """In a scanning worker, on ``hand_over``: the held read's stages for the ``mrz`` the
    worker's scanner voted (and its frame, for the printed-portrait check), with the
    fields, timeout, retries and reader of :func:`read_document`'s ``command``."""
    if mrz is None or not getattr(mrz, "valid", False):
        raise InputError("the document's MRZ has not been read yet: keep it in front of "
                         "the camera")
    transport = session._transport_factory(command.get("reader"),
                                           float(command.get("card_wait", 20.0)))
    timeout = command.get("timeout")
    return held_steps(session, document_image, selfie=None, transport=transport, can=None,
                      fields=tuple(command.get("fields", ())),
                      timeout=None if timeout is None else float(timeout),
                      retries=int(command.get("retries", 2)), mrz=mrz)


def _need(held: Any) -> Any:
    if held is None:
        raise InputError("no document was read in this session: call read_document first")
    return held


def match_selfie(session: Session, held: Any, selfie: Any, *,
                 timeout: float | None) -> FaceOutcome:
    from checkedid import pipeline
    from checkedid.held import HeldWorker

    holder = _need(held)
    if isinstance(holder, HeldWorker):
        return FaceOutcome.from_dict(holder.match(_selfie_bytes(selfie), timeout=timeout))
    pipeline.match_face(session, holder, selfie)
    return FaceOutcome.from_dict(_face_dict(holder))


def finish(session: Session, held: Any, *, timeout: float | None) -> Result:
    from checkedid import pipeline
    from checkedid.held import HeldWorker

    holder = _need(held)
    if isinstance(holder, HeldWorker):
        return Result.from_dict(holder.finish(timeout=timeout))
    return Result.from_dict(pipeline.finish(holder))
