"""The verification pipeline: MRZ -> keys -> chip -> PA/AA/CA -> consistency -> face -> Result.

Each step is a plain call into a lower layer; this module only wires them,
times them, reports progress and minimises the outcome. It runs inside the
isolated worker (see :mod:`checkedid.isolation`) or, with
``Session(isolation="none")``, in the caller's process.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from checkedid.errors import InputError
from checkedid.result import FaceScore, Result, decide
from checkedid.verdict import Check, CheckGroup, Verdict

if TYPE_CHECKING:
    from checkedid.session import Session

__all__ = ["ImageInput", "ProgressEvent", "TransportFactory", "check_warnings", "run_pipeline",
           "verify"]

log = logging.getLogger(__name__)

ImageInput = Any  # path (str/Path), encoded bytes, or a numpy BGR array
TransportFactory = Callable[[], Any]
STEPS = ("mrz", "chip", "authentication", "consistency", "face")


@dataclass(frozen=True)
class ProgressEvent:
    """A progress report: ``step`` is one of :data:`STEPS`; ``state`` is start / progress / end.

    During the chip read ``file`` names the file (``"DG2"``) and ``done``/``total`` count bytes.
    Events never carry personal data.
    """

    step: str
    state: str
    file: str | None = None
    done: int = 0
    total: int = 0
    elapsed: float = 0.0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProgressEvent:
        return cls(
            str(d["step"]),
            str(d["state"]),
            d.get("file"),
            int(d.get("done", 0)),
            int(d.get("total", 0)),
            float(d.get("elapsed", 0.0)),
        )


class _Steps:
    """Times steps and forwards progress events."""

    def __init__(self, emit: Callable[[dict[str, Any]], None] | None) -> None:
        self.emit = emit
        self.timings: dict[str, float] = {}
        self.t0 = time.perf_counter()

    def event(
        self, step: str, state: str, file: str | None = None, done: int = 0, total: int = 0
    ) -> None:
        if self.emit is not None:
            self.emit(
                {
                    "step": step,
                    "state": state,
                    "file": file,
                    "done": done,
                    "total": total,
                    "elapsed": round(time.perf_counter() - self.t0, 4),
                }
            )

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self.event(name, "start")
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - start
            self.event(name, "end")


def _group(name: str, verdict: Verdict, reason: str, **details: Any) -> CheckGroup:
    return CheckGroup.of(name, [Check(name, verdict, reason)], **details)


def _mrz_group(mrz: Any) -> CheckGroup:
    checks = [
        Check(
            f"{field}_check_digit",
            Verdict.PASSED if ok else Verdict.FAILED,
            "" if ok else "check digit does not match: re-take the photo of the document",
        )
        for field, ok in mrz.checks.items()
        if ok is not None
    ]
    return CheckGroup.of("mrz", checks)


def _fields_from_mrz(mrz: Any, wanted: Sequence[str], today: date) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in wanted:
        if name == "photo":
            continue
        if name == "document_type":
            out[name] = mrz.document_code
        elif name == "age":
            b = mrz.birth_date
            out[name] = (
                (today.year - b.year - ((today.month, today.day) < (b.month, b.day))) if b else None
            )
        elif name in ("birth_date", "expiry_date"):
            d = getattr(mrz, name)
            out[name] = d.isoformat() if d else None
        else:
            out[name] = getattr(mrz, name)
    return out


def check_warnings(*groups: CheckGroup) -> list[str]:
    """The notes the checks leave in ``details["warnings"]`` (weak algorithms: SHA-1, RSA
    below 2048 bits, ...), so that :attr:`Result.warnings` shows them too."""
    out: list[str] = []
    for group in groups:
        notes = group.details.get("warnings", ())
        out.extend([notes] if isinstance(notes, str) else [str(n) for n in notes])
    return out


def _same_mrz(a: Any, b: Any) -> bool:
    left = "\n".join(a.lines).encode("ascii", "replace")
    right = "\n".join(b.lines).encode("ascii", "replace")
    return hmac.compare_digest(left, right)


def run_pipeline(
    session: Session,
    document_image: ImageInput | None,
    selfie: ImageInput | None,
    *,
    transport: TransportFactory,
    can: str | None,
    fields: Sequence[str],
    emit: Callable[[dict[str, Any]], None] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run every step and return the minimised result as a dict (``Result.to_dict()``).

    ``timeout`` (seconds from the start) also bounds the chip read, which then ends in
    :class:`~checkedid.errors.ChipTimeout` (without process isolation nothing else would).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    from checkedid import mrz as mrzlib
    from checkedid.nfc.reader import ChipReader

    steps = _Steps(emit)
    checks: dict[str, CheckGroup] = {}
    warnings: list[str] = []
    photo_mrz = None

    # 1. MRZ from the photo (optional when a CAN is given).
    if document_image is not None:
        with steps.step("mrz"):
            photo_mrz = mrzlib.read(document_image, engine=session.mrz_engine)
            checks["mrz"] = _mrz_group(photo_mrz)
    else:
        checks["mrz"] = _group("mrz", Verdict.NOT_CHECKED, "no document photo was given")
    access: Any
    if can is not None:
        access = can
    elif photo_mrz is None:
        raise InputError("without a document photo the chip can only be opened with the CAN")
    elif not photo_mrz.valid:
        raise InputError(
            "the MRZ in the document photo did not pass its check digits, so the chip cannot be "
            "opened: re-take the photo (flat, sharp, no glare on the MRZ) or enter the CAN"
        )
    else:
        access = session.track(photo_mrz.access_key())

    # 2. Chip access and reading.
    with steps.step("chip"):
        progress = lambda file, done, total: steps.event("chip", "progress", file, done, total)  # noqa: E731
        conn = transport()
        try:
            data = ChipReader(conn, progress=progress, secrets=session.secrets,
                              deadline=deadline).read(access)
        finally:
            close = getattr(conn, "disconnect", None)
            if callable(close):
                close()
    checks["access"] = _group(
        "access", Verdict.PASSED, f"{data.protocol} succeeded", **data.access_details
    )
    warnings.extend(getattr(data, "warnings", ()))

    # 3. Authentication: PA with the session's trust store, AA/CA as read, trust rules.
    with steps.step("authentication"):
        from checkedid.nfc import ca, pa

        passive = pa.passive_authenticate(data.sod_bytes, data.dg_bytes, session.trust)
        active, chip = ca.apply_trust(
            data.active, data.chip, passive, pa.covered_dgs(data.sod_bytes)
        )
        checks.update(passive=passive, active=active, chip=chip)
    warnings.extend(check_warnings(passive, active, chip))

    chip_mrz = data.dg1.mrz
    # 4. The photographed MRZ must be the chip's MRZ (catches a swapped chip/document).
    with steps.step("consistency"):
        if photo_mrz is None:
            checks["consistency"] = _group(
                "consistency",
                Verdict.NOT_CHECKED,
                "no document photo: the printed MRZ was not compared with the chip",
            )
        elif _same_mrz(photo_mrz, chip_mrz):
            checks["consistency"] = _group(
                "consistency", Verdict.PASSED, "printed MRZ equals the chip's DG1"
            )
        else:
            checks["consistency"] = _group(
                "consistency", Verdict.FAILED, "the printed MRZ differs from the chip's DG1"
            )

    # 5. Face: selfie against the chip photo.
    face = None
    with steps.step("face"):
        if selfie is None:
            checks["face"] = _group("face", Verdict.NOT_CHECKED, "no selfie was given")
        elif data.face_image is None:
            checks["face"] = _group(
                "face", Verdict.NOT_CHECKED, "the chip holds no readable face image"
            )
        else:
            matcher = session.face_matcher()
            pair = getattr(matcher, "embed_pair", None)
            if callable(pair):  # both photos at once, on both cores where that helps
                live_embedding, chip_embedding = pair(selfie, data.face_image)
            else:
                chip_embedding = matcher.embed(data.face_image, role="document")
                live_embedding = matcher.embed(selfie, role="selfie")
            for emb in (chip_embedding, live_embedding):
                session.track(emb.vector)
            m = matcher.compare(live_embedding, chip_embedding)
            warnings.extend(m.warnings)
            face = FaceScore(float(m.score), float(m.threshold), bool(m.is_match))
            checks["face"] = _group(
                "face",
                Verdict.PASSED if m.is_match else Verdict.FAILED,
                f"similarity {m.score:.3f} {'>=' if m.is_match else '<'} "
                f"threshold {m.threshold:.3f}",
            )

    # 6. The printed portrait on the document photo against the chip photo (Doc 9303-10
    # §4.7.2); warning-level unless the session asks for it to decide.
    portrait, portrait_group = None, None
    policy = getattr(session, "document_portrait", "warn")
    if policy != "off" and document_image is not None and data.face_image is not None:
        from checkedid.docportrait import GROUP, compare_portrait

        portrait_group, portrait = compare_portrait(
            session.face_matcher, document_image,
            chip_embedding if face is not None else None, data.face_image, session.track)
        if policy == "decide":
            checks[GROUP] = portrait_group
        elif portrait_group.verdict is not Verdict.PASSED:
            warnings.append(f"{GROUP}: {portrait_group.reason}")
    decision, reasons = decide(checks)
    if portrait_group is not None and portrait is not None:  # compared: shown with its score
        checks.setdefault(portrait_group.name, portrait_group)
    photo = None
    if "photo" in fields and data.face_image is not None:
        import cv2

        ok, enc = cv2.imencode(".jpg", data.face_image)
        photo = enc.tobytes() if ok else None
    result = Result(
        decision=decision,
        checks=checks,
        reasons=reasons,
        face=face,
        document_portrait=portrait,
        protocol=data.protocol,
        fields=_fields_from_mrz(chip_mrz, fields, date.today()),
        photo_jpeg=photo,
        timings=steps.timings,
        warnings=tuple(dict.fromkeys(warnings)),
    )
    log.info("verification finished: %s", decision.value)
    return result.to_dict()


def verify(
    document_image: ImageInput | None,
    selfie: ImageInput | None,
    *,
    trust: Any = None,
    reader: str | None = None,
    can: str | None = None,
    fields: Sequence[str] | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    timeout: float | None = 60.0,
) -> Result:
    """One-shot verification: ``Session(trust=trust).verify(...)`` and wipe."""
    from checkedid.session import Session

    with Session(trust=trust, reader=reader) as s:
        return s.verify(
            document_image, selfie, can=can, fields=fields, progress=progress, timeout=timeout
        )
