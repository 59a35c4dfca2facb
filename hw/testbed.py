"""The demo's test bed: the virtual chip, its PKI, generated document photos and sample selfies.

This is the one place where the library meets ``hw/``: ``checkedid demo`` (and the tests and
benchmarks through :mod:`checkedid.demo`) load it with :func:`checkedid.demo.load_testbed`,
which works only from a source checkout. The library itself never imports ``hw``.

What :func:`run_demo` does, step by step:

1. the virtual eMRTD chip (``hw/vchip``) starts as a subprocess and connects to pcscd's vpcd
   driver, so the library sees it on reader ``Virtual PCD 00 00`` exactly as it would see a
   passport on a USB reader;
2. a photo of the persona's document is generated (:mod:`checkedid.mrz.synth`: OCR-B MRZ,
   background, perspective) — the MRZ is read from that photo, not taken from the persona;
3. the trust store is the test PKI's CSCAs, link certificate and CRLs, built in memory;
4. the selfie is another photo of the persona's face from the repository's sample faces
   (``tests/data/faces``, public-domain photos), or of somebody else with ``impostor=True``;
5. :meth:`checkedid.Session.verify` runs in its isolated worker and the session is wiped.

Nothing is written to disk. The persona catalogue (whose MRZ strings are the holder's data)
is imported only by the functions that need a persona, never at import time: the privacy test's
memory scan loads :func:`virtual_trust_store` and must not find those strings in its process.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from checkedid.api import FieldName
from checkedid.errors import InputError, NoReaderError
from checkedid.nfc.pki.trust import TrustStore
from checkedid.result import Result

#: The repository's public-domain sample faces (the virtual chip's portraits come from here).
FACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"

__all__ = ["DEFAULT_PERSONA", "FACES", "document_photo", "document_photo_png", "run_demo",
           "sample_selfie", "virtual_trust_store"]

DEFAULT_PERSONA = "utopia-id-pace-gm"

Say = Callable[[str], None]


def sample_selfie(photo: str, *, impostor: bool = False, faces: Path = FACES) -> Path:
    """Another photo of the person in ``photo`` (or of a different person when ``impostor``).

    Rows of ``labels.csv`` with a note (derived images kept for quality tests) are never used.
    """
    labels = faces / "labels.csv"
    try:
        with labels.open(newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r.get("identity") and not r.get("note")]
    except OSError:
        raise InputError(
            f"sample faces not found at {faces}: pass a selfie with --selfie IMAGE"
        ) from None
    who = {r["file"]: r["identity"] for r in rows}.get(photo)
    if who is None:
        raise InputError(f"the persona's photo {photo!r} is not among the sample faces")
    pick = [
        r["file"]
        for r in rows
        if (r["identity"] != who if impostor else r["identity"] == who and r["file"] != photo)
    ]
    if not pick:
        raise InputError("no suitable sample selfie: pass one with --selfie IMAGE")
    return faces / pick[0]


def document_photo(persona: str, *, seed: int = 1) -> npt.NDArray[np.uint8]:
    """A generated, easily readable photo of ``persona``'s document (BGR array).

    The MRZ printed on it is the persona's, so reading the photo opens that persona's chip,
    and its portrait is the persona's photo, so the printed-portrait check has a face to
    compare with the chip's.
    """
    import cv2

    from checkedid.mrz import synth
    from hw.vchip.personas import spec

    s = spec(persona)
    read = cv2.imread(str(FACES / s.photo), cv2.IMREAD_COLOR)
    portrait = page_portrait(None if read is None else np.asarray(read, dtype=np.uint8), s.photo)
    photo = synth.document_photo(lines=tuple(s.mrz.split("\n")), seed=seed, format=s.doc_type,
                                 difficulty="easy", portrait=portrait)
    return np.asarray(photo.image, dtype=np.uint8)


#: Chin to crown over the face box's height (dlib's box runs from the brows to the chin).
_HEAD_OVER_BOX = 1.45
#: The head's share of a printed portrait's height (ICAO's portrait guidance: about 70-80 %)
#: and the portrait's width over its height (the generated page's photo zone).
_HEAD_SHARE, _PORTRAIT_ASPECT = 0.75, 0.77


def _face_box(photo: str, faces: Path = FACES) -> tuple[int, int, int, int] | None:
    """The face box of ``photo`` from ``face_boxes.csv`` beside the faces (x, y, w, h)."""
    with (faces / "face_boxes.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["file"] == photo:
                return int(row["x"]), int(row["y"]), int(row["w"]), int(row["h"])
    return None


def page_portrait(image: npt.NDArray[np.uint8] | None,
                  photo: str) -> npt.NDArray[np.uint8] | None:
    """``image`` (the persona's photo) cut to the head and shoulders a data page prints: the
    head about three quarters of the height, centred (moved inwards where the photo ends),
    in the page's photo-zone proportions. Returned as it is when its face box is not known
    or the photo is too small for the cut."""
    box = _face_box(photo)
    if image is None or box is None:
        return image
    x, y, w, h = box
    height = round(h * _HEAD_OVER_BOX / _HEAD_SHARE)
    width = round(height * _PORTRAIT_ASPECT)
    crown = y - (_HEAD_OVER_BOX - 1.0) * h
    top = round(crown - (height - h * _HEAD_OVER_BOX) / 2)
    left = round(x + w / 2 - width / 2)
    rows, cols = image.shape[:2]
    if height > rows or width > cols:
        return image
    top, left = min(max(top, 0), rows - height), min(max(left, 0), cols - width)
    return np.ascontiguousarray(image[top:top + height, left:left + width])


def document_photo_png(persona: str, *, seed: int = 1) -> bytes:
    """:func:`document_photo` encoded as PNG (the form a camera upload would take)."""
    import cv2

    ok, encoded = cv2.imencode(".png", document_photo(persona, seed=seed))
    if not ok:
        raise InputError("the generated document photo could not be encoded")
    return bytes(encoded.tobytes())


def virtual_trust_store() -> TrustStore:
    """The trust store for the virtual chips: the test PKI's CSCAs, link certificate and CRLs."""
    from hw.pki import get_pki

    pki = get_pki()
    store = TrustStore()
    for der in pki.trusted_certificates.values():
        store.add_certificate(der)
    for der in pki.crls.values():
        store.add_crl(der)
    return store


def run_demo(
    *,
    persona: str | None = None,
    fault: str | None = None,
    selfie: str | Path | None = None,
    impostor: bool = False,
    fields: Sequence[FieldName] | None = None,
    progress: Callable[[Any], None] | None = None,
    say: Say | None = None,
    port: int | None = None,
) -> tuple[Result, dict[str, Any]]:
    """Run the full verification against the virtual chip; returns the result and demo facts."""
    import checkedid
    from checkedid.nfc.iso7816.pcsc import list_readers
    from hw.vchip.faults import make_fault
    from hw.vchip.personas import spec
    from hw.vchip.process import SLOTS, VChipProcess, vpcd_listening

    tell: Say = say or (lambda _text: None)
    name = persona or DEFAULT_PERSONA
    try:
        chip_spec = spec(name)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    try:
        make_fault(fault)
    except KeyError as exc:
        raise InputError(f"--fault {fault!r}: {exc.args[0]}") from None
    except ValueError:
        raise InputError(f"--fault {fault!r}: the value after ':' is not valid for this fault "
                         "(e.g. slow-chip:400 for 400 ms per command)") from None
    port = min(SLOTS) if port is None else port
    if port not in SLOTS:
        raise InputError(f"vpcd port {port} is not a virtual reader slot "
                         f"(slots: {', '.join(map(str, sorted(SLOTS)))})")
    if not vpcd_listening(port):
        raise NoReaderError(
            "pcscd with the vpcd virtual reader is not running: run 'bash hw/setup.sh'"
        )
    if any(r.name == SLOTS[port] and r.card_present for r in list_readers()):
        raise NoReaderError(
            f"the virtual reader {SLOTS[port]!r} already holds a card: another virtual chip "
            "is running on it (stop it, or use the other slot with --port)"
        )

    info: dict[str, Any] = {
        "persona": name,
        "fault": fault or chip_spec.fault,
        "description": chip_spec.description,
    }
    t0 = time.perf_counter()
    tell(f"* persona {name}: {chip_spec.description}")
    image = document_photo(name)
    info["document_photo"] = {
        "width": int(image.shape[1]),
        "height": int(image.shape[0]),
        "format": chip_spec.doc_type,
        "generated_ms": _ms(t0),
    }
    tell(
        f"* generated a {image.shape[1]}x{image.shape[0]} photo of the "
        f"{chip_spec.doc_type} document"
    )

    selfie_path = (
        Path(selfie) if selfie is not None else sample_selfie(chip_spec.photo, impostor=impostor)
    )
    try:
        selfie_bytes = selfie_path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the selfie {selfie_path}: {exc.strerror}") from None
    info["selfie"] = selfie_path.name
    tell(f"* selfie: {selfie_path.name}" + (" (a different person)" if impostor else ""))

    t = time.perf_counter()
    trust = virtual_trust_store()
    info["trust_store_ms"] = _ms(t)
    tell("* trust store: the test PKI's CSCAs, link certificate and CRLs (in memory)")

    t = time.perf_counter()
    with VChipProcess(name, fault, port) as chip:
        info["reader"] = chip.reader
        info["chip_start_ms"] = _ms(t)
        tell(f"* virtual chip is on reader {chip.reader!r}; verifying ...")
        with checkedid.Session(trust=trust, reader=chip.reader) as session:
            result = session.verify(image, selfie_bytes, fields=fields, progress=progress)
            info["wiped_objects"] = session.wipe()
    info["total_ms"] = _ms(t0)
    return result, info


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
