"""The face step: the selfie against the chip photo, and the printed portrait against it.

ICAO Doc 9303-10 §4.7.2 (DG2). :func:`match_face` works on the
:class:`~checkedid.pipeline.HeldRead` that :func:`checkedid.pipeline.read_document` left and
may run again with another selfie (a bad selfie never costs a second chip read). It runs
where the chip was read: in the isolated worker, or in the caller's process with
``Session(isolation="none")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from checkedid.api import ImageInput
from checkedid.result import FaceScore
from checkedid.verdict import CheckGroup, Verdict

if TYPE_CHECKING:
    from checkedid.pipeline import HeldRead
    from checkedid.session import Session

__all__ = ["checked_selfie", "embed_later", "embed_selfie", "match_face",
           "refuse_document_selfie"]


def refuse_document_selfie(image: ImageInput) -> None:
    """Raise :class:`~checkedid.errors.FaceQualityError` when the selfie shows an identity
    document: a machine-readable zone whose check digits all pass (ICAO Doc 9303-3 §4.9).

    The face on a document's data page matches its chip photo; holding the document (or a
    photo of it) up to the selfie camera is the simplest presentation attack (ISO/IEC
    30107-1), and a kiosk's camera has just seen the document. A zone that does not read
    with valid check digits is not taken as a document (a portrait's background can look
    like a zone; its characters then fail the check digits)."""
    from checkedid.errors import CheckedIDError, FaceQualityError
    from checkedid.mrz import reader

    try:
        mrz, _ = reader.read_zone(image)
    except CheckedIDError:  # no zone: a face photo (a bad image fails its embedding next)
        return
    if mrz.valid:
        raise FaceQualityError("the selfie shows an identity document, not the person: take "
                               "the photo of the person's face, with no document in view")


#: A face at least this share of the selfie's width leaves no room for a readable document
#: beside it: a data page's face is at most about a fifth of the page's width (ID-1 and TD3
#: layouts, Doc 9303-4/-5 §2) and its MRZ spans nine tenths of it, so a page whose MRZ is in
#: view shows a face of at most about 0.2 of the frame. Such selfies skip the MRZ search.
FACE_SHARE_WITHOUT_DOCUMENT = 0.25


def _frame_width(image: ImageInput) -> int | None:
    """The selfie's width in pixels from its array or its encoded header; ``None`` where it
    is not known without reading a file (the check then runs)."""
    if isinstance(image, np.ndarray):
        return int(image.shape[1]) if image.ndim >= 2 else None
    if not isinstance(image, (bytes, bytearray, memoryview)):
        return None
    from checkedid import imaging
    from checkedid.errors import CheckedIDError

    try:
        size = imaging.declared_size(image, max_pixels=imaging.MAX_PIXELS)
    except CheckedIDError:
        return None
    return size[0] if size is not None else None


def checked_selfie(embedding: Any, image: ImageInput) -> Any:
    """``embedding`` (of the selfie ``image``) once :func:`refuse_document_selfie` lets it
    pass; wiped when it does not. Skipped when the face is too large a share of the frame
    for a document to be readable beside it (:data:`FACE_SHARE_WITHOUT_DOCUMENT`)."""
    box = getattr(embedding, "face_box", None)
    width = _frame_width(image)
    if box is not None and width and box[2] >= FACE_SHARE_WITHOUT_DOCUMENT * width:
        return embedding
    try:
        refuse_document_selfie(image)
    except BaseException:
        wipe = getattr(embedding, "wipe", None)
        if callable(wipe):
            wipe()
        raise
    return embedding


def embed_selfie(matcher: Any, image: ImageInput) -> Any:
    """The selfie's embedding, through :func:`checked_selfie`. The matcher reads the image
    first, so its own errors (no face, poor quality, an undecodable file) come as they
    would without the document check."""
    return checked_selfie(matcher.embed(image, role="selfie"), image)


def embed_later(session: Session, image: ImageInput,
                role: Literal["selfie", "document"]) -> Callable[[], Any]:
    """Embedding ``image``, as a function that returns the embedding (and raises what
    embedding raises). With a matcher that asks for ``parallel="process"`` the work starts
    now in a forked child on the second core, beside the MRZ or the chip photo; otherwise
    (the default) calling the function embeds in this process. A child saves about 40 ms of
    wall time per face but costs about as much CPU again (the fork, and copy-on-write and
    first-touch page faults of a fresh process), measured with ``benchmarks/pipeline.py``:
    beside a chip read that takes seconds over the air, the CPU matters more."""
    from checkedid.biometrics.worker import can_fork, embed_in_child

    matcher = session.face_matcher()

    def embed() -> Any:
        if role == "selfie":
            return embed_selfie(matcher, image)
        return matcher.embed(image, role=role)

    if getattr(matcher, "parallel", "none") == "process" and can_fork():
        return embed_in_child(embed)
    return embed


def match_face(session: Session, held: HeldRead, selfie: ImageInput | None) -> CheckGroup:
    """Selfie against the chip photo (ICAO Doc 9303-10 §4.7.2 DG2); may be repeated.

    A selfie the matcher cannot use raises :class:`~checkedid.errors.NoFaceError` or
    :class:`~checkedid.errors.FaceQualityError` and leaves ``held`` as it was. The first
    time the chip photo is embedded, the printed portrait is compared with it too
    (:func:`_check_portrait`).
    """
    data, checks, steps = held.data, held.checks, held.steps
    with steps.step("face"):
        if selfie is None and held.live is None:
            checks["face"] = CheckGroup.single("face", Verdict.NOT_CHECKED, "no selfie was given")
        elif data.face_image is None:
            checks["face"] = CheckGroup.single(
                "face", Verdict.NOT_CHECKED, "the chip holds no readable face image"
            )
        else:
            matcher = session.face_matcher()
            pair = getattr(matcher, "embed_pair", None)
            if selfie is None:
                live_embedding = held.live
                if held.chip_embedding is None and held.document_image is not None \
                        and held.portrait_group is None:
                    # the printed portrait (in a forked child beside the chip photo's embedding
                    # with parallel="process"; else when _check_portrait asks for it)
                    held.printed = embed_later(session, _portrait_source(held), "document")
                chip_embedding = held.chip_embedding or matcher.embed(data.face_image,
                                                                      role="document")
            elif held.chip_embedding is not None:  # a retry: the chip photo is embedded
                chip_embedding = held.chip_embedding
                live_embedding = embed_selfie(matcher, selfie)
            elif callable(pair):  # both photos at once, on both cores where that helps
                live_embedding, chip_embedding = pair(selfie, data.face_image)
                # the chip photo's embedding stays for the next selfie if this one is refused
                session.track(chip_embedding.vector)
                held.chip_embedding = chip_embedding
                live_embedding = checked_selfie(live_embedding, selfie)
            else:
                chip_embedding = matcher.embed(data.face_image, role="document")
                live_embedding = embed_selfie(matcher, selfie)
            for emb in (chip_embedding, live_embedding):
                session.track(emb.vector)
            held.chip_embedding = chip_embedding
            _score_face(held, matcher.compare(live_embedding, chip_embedding))
            _check_portrait(session, matcher, held)
    return held.checks["face"]


def _check_portrait(session: Session, matcher: Any, held: HeldRead) -> None:
    """The printed portrait on the document photo against the chip photo (Doc 9303-10
    §4.7.2), once per read; warning-level unless the session makes it decide."""
    if held.document_image is None or held.portrait_group is not None:
        return
    from checkedid.docportrait import compare_portrait

    held.portrait_group, held.portrait = compare_portrait(
        matcher, held.document_image, held.chip_embedding, held.data.face_image,
        session.track, printed=held.printed, region=_portrait_source(held))
    held.printed = None
    held.document_image = held.document_region = None


def _portrait_source(held: HeldRead) -> Any:
    """Where the printed portrait is searched first: the part of the document photo the
    MRZ places it in (:func:`checkedid.docportrait.portrait_region`), else the photo."""
    if held.document_region is None:
        from checkedid.docportrait import portrait_region

        image = held.document_image
        region = portrait_region(image, held.document_zone, held.document_format) \
            if isinstance(image, np.ndarray) else None
        held.document_region = region if region is not None else image
    return held.document_region


def _score_face(held: HeldRead, m: Any) -> None:
    held.warnings.extend(m.warnings)
    held.face = FaceScore(float(m.score), float(m.threshold), bool(m.is_match))
    held.checks["face"] = CheckGroup.single(
        "face",
        Verdict.PASSED if m.is_match else Verdict.FAILED,
        f"similarity {m.score:.3f} {'>=' if m.is_match else '<'} threshold {m.threshold:.3f}",
    )
