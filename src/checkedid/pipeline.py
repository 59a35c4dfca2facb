"""The verification pipeline: MRZ -> keys -> chip -> PA/AA/CA -> consistency -> face -> Result.

Each step is a plain call into a lower layer; this module only wires them,
times them (:mod:`checkedid.progress`), reports progress and minimises the outcome; the
face step is :mod:`checkedid.facestep`. It runs inside the
isolated worker (see :mod:`checkedid.isolation`) or, with
``Session(isolation="none")``, in the caller's process.
"""

from __future__ import annotations

import functools
import hmac
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from checkedid import imaging
from checkedid.api import ImageInput
from checkedid.document_fields import fields_from_chip
from checkedid.errors import InputError
from checkedid.facestep import embed_later, match_face
from checkedid.progress import ProgressEvent, StepTimer
from checkedid.result import FaceScore, Result, decide
from checkedid.verdict import Check, CheckGroup, Verdict, json_list

if TYPE_CHECKING:
    from checkedid.session import Session

__all__ = ["HeldRead", "ImageInput", "ProgressEvent", "TransportFactory", "check_warnings",
           "finish", "match_face", "preload", "read_document", "run_pipeline"]

log = logging.getLogger(__name__)

TransportFactory = Callable[[], Any]


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


def check_warnings(*groups: CheckGroup) -> list[str]:
    """The notes the checks leave in ``details["warnings"]`` (weak algorithms: SHA-1, RSA
    below 2048 bits, ...), so that :attr:`Result.warnings` shows them too."""
    out: list[str] = []
    for group in groups:
        out.extend(str(n) for n in json_list(group.details.get("warnings")))
    return out


def _same_mrz(a: Any, data: Any) -> bool:
    """The photographed MRZ is the chip's: DG1's MRZ, or for a licence (whose DG1 holds no
    MRZ) the licence number and issuing state of DG1 (ISO/IEC 18013-2 Annex C)."""
    if getattr(data, "application", "eMRTD") == "eDL":
        lic = data.dg1.licence
        left = f"{a.issuing_state}/{a.document_number}".encode("ascii", "replace")
        right = f"{lic.issuing_state}/{lic.licence_number}".encode("ascii", "replace")
        return hmac.compare_digest(left, right)
    b = data.dg1.mrz
    left = "\n".join(a.lines).encode("ascii", "replace")
    right = "\n".join(b.lines).encode("ascii", "replace")
    return hmac.compare_digest(left, right)


@dataclass
class HeldRead:
    """What the chip read leaves for the face step and the result (personal: worker only).

    :func:`read_document` returns it; :func:`match_face` may run any number of times
    against it (a bad selfie never costs a second chip read); :func:`finish` turns it
    into the minimised result. It never leaves the process that read the chip.
    """

    data: Any
    checks: dict[str, CheckGroup]
    warnings: list[str]
    steps: StepTimer
    fields: Sequence[str]
    face: FaceScore | None = None
    live: Any = None  # the selfie's embedding when the selfie was checked before the read
    chip_embedding: Any = None  # the chip photo's embedding, once computed
    document_image: Any = None  # for the printed-portrait check (None: not wanted)
    document_zone: Any = None  # the MRZ's corners in the document photo (None: unknown)
    document_format: str = ""  # the MRZ's format (TD1, TD2, TD3, MRVA, MRVB, DL1)
    portrait_policy: str = "warn"  # Session.document_portrait: "warn", "decide" or "off"
    portrait: FaceScore | None = None
    portrait_group: CheckGroup | None = None
    printed: Callable[[], Any] | None = None  # the printed portrait's embedding, under way
    document_region: Any = None  # where the printed portrait is searched first


#: Modules a worker would otherwise import on first use in every verification: numpy's
#: masked arrays (``np.percentile`` in the MRZ locator reaches them through ``np.unique``),
#: the MRZ correction, pycryptodome's cipher modes (secure messaging, Doc 9303-11 §9.8).
_LAZY_MODULES = ("numpy.ma", "checkedid.mrz.correct", "Crypto.Cipher._mode_ecb",
                 "Crypto.Cipher._mode_cbc", "encodings.ascii")


@functools.cache
def _chip_modules() -> None:
    """Every module of :mod:`checkedid.nfc` (the protocols import theirs on first use: PACE,
    BAC, CA, AA, PC/SC, PA, each chip taking its own path); the package walk runs once per
    process, not per verification."""
    import importlib
    import pkgutil

    from checkedid import nfc

    for info in pkgutil.walk_packages(nfc.__path__, "checkedid.nfc."):
        importlib.import_module(info.name)


def preload(session: Session, document: bool) -> None:
    """Import and load, in the process that forks the workers, what every verification's
    worker needs: the chip protocol modules, the modules libraries import lazily on first use
    (Pillow's common image plugins, read for image headers) and, with a document photo, the
    MRZ reader and its recogniser's weights. Loaded once here, every forked worker shares
    them instead of loading them again (about 80 ms of CPU per verification, measured with
    ``benchmarks/pipeline.py``)."""
    import importlib

    from PIL import Image

    _chip_modules()
    Image.preinit()
    for name in _LAZY_MODULES:
        importlib.import_module(name)
    if document:
        from checkedid.mrz import reader as mrz_reader  # noqa: F401
        from checkedid.mrz.ocr import load_model

        if session.mrz_engine in ("default", "ocrb"):
            load_model()


def read_document(
    session: Session,
    document_image: ImageInput | None,
    *,
    transport: TransportFactory,
    can: str | None,
    fields: Sequence[str],
    emit: Callable[[dict[str, Any]], None] | None = None,
    timeout: float | None = None,
    retries: int = 0,
    selfie: ImageInput | None = None,
    mrz: Any = None,
) -> HeldRead:
    """MRZ, chip read, authentication and consistency (ICAO Doc 9303-11 §4, §5, §6).

    ``mrz``: the zone already read (a video scanner's voted :class:`~checkedid.mrz.MRZ`);
    ``document_image`` is then not read again and serves the printed-portrait check only.

    ``retries``: how often a read interrupted by the document leaving the reader
    (:class:`~checkedid.errors.CardRemovedError`) is started again once the document is
    back; each recovered removal is recorded in the result's warnings. ``selfie``, when
    given, is checked first (a face of usable quality: ISO/IEC 29794-5) so that a bad
    selfie fails before the document is read.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    from checkedid.errors import CardRemovedError

    steps = StepTimer(emit)
    checks: dict[str, CheckGroup] = {}
    warnings: list[str] = []
    live = None
    # 0. the selfie's quality, known before anything touches the chip: embedded after the MRZ
    # (beside it, in a forked child, with the matcher's parallel="process")
    selfie_embedding = embed_later(session, selfie, "selfie") if selfie is not None else None

    policy = getattr(session, "document_portrait", "warn")
    # 1. MRZ from the photo (optional when a CAN is given).
    photo_mrz, zone, document_image = _read_mrz(session, document_image, mrz, policy, steps,
                                                checks, selfie_embedding)
    if selfie_embedding is not None:
        with steps.step("selfie"):
            live = selfie_embedding()
            session.track(live.vector)
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

    # 2. Chip access and reading (a licence MRZ or a licence number as CAN: the eDL).
    from checkedid.nfc.application import for_access

    application = for_access(can, getattr(photo_mrz, "format", "") == "DL1")
    with steps.step("chip"):
        progress = lambda file, done, total: steps.event("chip", "progress", file, done, total)  # noqa: E731
        attempt = 0
        while True:
            try:
                data = _read_chip(session, transport, access, progress, deadline,
                                  lambda: steps.event("chip", "removed"), application)
                break
            except CardRemovedError:
                if attempt >= retries:
                    raise
                attempt += 1
                steps.event("chip", "removed")
                warnings.append("the document left the reader during the read; the read was "
                                "restarted when it was back")
    warnings.extend(getattr(data, "warnings", ()))

    # 3. Authentication: PA with the session's trust store, AA/CA as read, trust rules.
    with steps.step("authentication"):
        from checkedid.nfc import genuine

        # PA; AA / CA bound to EF.SOD and required where it covers their keys' data groups
        # (DG15 / DG13 of a licence, DG14): a clone that hides them is REJECTED; PACE
        # required where the signed DG14 offers it.
        rules = getattr(session, "policy", None)
        checks.update(genuine.authenticate(
            data, session.trust, crl_grace=rules.crl_grace if rules is not None else None))
        if rules is not None and rules.require_chip_authentication:
            _require_chip_authentication(checks)
    warnings.extend(check_warnings(*(checks[n] for n in ("passive", "active", "chip"))))

    # 4. The photographed MRZ must be the chip's MRZ (catches a swapped chip/document).
    with steps.step("consistency"):
        if photo_mrz is None:
            checks["consistency"] = CheckGroup.single(
                "consistency",
                Verdict.NOT_CHECKED,
                "no document photo: the printed MRZ was not compared with the chip",
            )
        elif _same_mrz(photo_mrz, data):
            checks["consistency"] = CheckGroup.single(
                "consistency", Verdict.PASSED, "printed MRZ equals the chip's DG1"
            )
        else:
            checks["consistency"] = CheckGroup.single(
                "consistency", Verdict.FAILED, "the printed MRZ differs from the chip's DG1"
            )
    checks["face"] = CheckGroup.single("face", Verdict.NOT_CHECKED, "no selfie was given")
    return HeldRead(data, checks, warnings, steps, fields, live=live,
                    document_image=document_image if policy != "off" else None,
                    document_zone=zone, document_format=getattr(photo_mrz, "format", ""),
                    portrait_policy=policy)


def _read_mrz(session: Session, document_image: ImageInput | None, mrz: Any, policy: str,
              steps: StepTimer, checks: dict[str, CheckGroup],
              selfie_embedding: Callable[[], Any] | None) -> tuple[Any, Any, ImageInput | None]:
    """The MRZ step: the zone given (a video scanner's voted reading) or read from the document
    photo, its corners in the photo (``None`` when given) and the photo, decoded once (in
    colour when the printed portrait will be searched in it too)."""
    from checkedid.mrz import reader as mrzlib

    if document_image is None and mrz is None:
        checks["mrz"] = CheckGroup.single("mrz", Verdict.NOT_CHECKED, "no document photo was given")
        return None, None, None
    with steps.step("mrz"):
        try:
            if (document_image is not None and policy != "off"
                    and not isinstance(document_image, np.ndarray)):
                # decoded once, in colour, for the MRZ and the printed portrait alike
                document_image = imaging.load_image(document_image)
            if mrz is not None:
                photo_mrz, zone = mrz, None
            else:  # no zone given: there is a photo (see above)
                photo_mrz, zone = mrzlib.read_zone(cast("ImageInput", document_image),
                                                   engine=session.mrz_engine)
        except BaseException:
            if selfie_embedding is not None:  # the selfie is judged first, as without
                session.track(selfie_embedding().vector)  # the overlap
            raise
        checks["mrz"] = _mrz_group(photo_mrz)
    return photo_mrz, zone, document_image


def _require_chip_authentication(checks: dict[str, CheckGroup]) -> None:
    """The policy's stricter rule: a document whose chip offers neither Active nor Chip
    Authentication (so a clone cannot be told from it) is INCOMPLETE, not VERIFIED."""
    active, chip = checks["active"], checks["chip"]
    if Verdict.NOT_SUPPORTED is active.verdict is chip.verdict:
        checks["chip"] = CheckGroup.of("chip", [*chip.checks, Check(
            "required_by_policy", Verdict.NOT_CHECKED,
            "the policy requires chip authentication, and this chip offers neither Active "
            "nor Chip Authentication: it cannot be told from a clone")], **chip.details)


def _read_chip(session: Session, transport: TransportFactory, access: Any,
               progress: Callable[[str, int, int], None], deadline: float | None,
               on_removed: Callable[[], None], application: Any) -> Any:
    from checkedid.nfc.reader import ChipReader

    conn = transport()
    try:
        reader = ChipReader(conn, progress=progress, secrets=session.secrets, deadline=deadline,
                            application=application)
        reader.on_removed = on_removed
        return reader.read(access)
    finally:
        close = getattr(conn, "disconnect", None)
        if callable(close):
            close()


def finish(held: HeldRead) -> dict[str, Any]:
    """The decision and the minimised result (``Result.to_dict()``) of a held read."""
    data, checks, fields, warnings = held.data, held.checks, held.fields, held.warnings
    portrait_group = held.portrait_group
    if portrait_group is not None:
        from checkedid.docportrait import GROUP

        if held.portrait_policy == "decide":
            checks[GROUP] = portrait_group
        elif portrait_group.verdict is not Verdict.PASSED:
            warnings.append(f"{GROUP}: {portrait_group.reason}")
    decision, reasons = decide(checks)
    if portrait_group is not None and held.portrait is not None:  # compared: shown with its score
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
        face=held.face,
        document_portrait=held.portrait,
        protocol=data.protocol,
        fields=fields_from_chip(data, fields, date.today()),
        photo_jpeg=photo,
        timings=held.steps.timings,
        warnings=tuple(dict.fromkeys(warnings)),
    )
    log.info("verification finished: %s", decision.value)
    return result.to_dict()


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
    retries: int = 0,
) -> dict[str, Any]:
    """Run every step and return the minimised result as a dict (``Result.to_dict()``).

    ``timeout`` (seconds from the start) also bounds the chip read, which then ends in
    :class:`~checkedid.errors.ChipTimeout` (without process isolation nothing else would).
    """
    held = read_document(session, document_image, transport=transport, can=can, fields=fields,
                         emit=emit, timeout=timeout, retries=retries, selfie=selfie)
    match_face(session, held, None if held.live is not None else selfie)
    return finish(held)

