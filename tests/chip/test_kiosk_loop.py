"""A kiosk's reader loop survives a run of bad documents, then verifies a good one.

One :class:`checkedid.Session` serves a queue of documents on the same reader, as a kiosk
does. The bad ones are the virtual chip's fault profiles and fault personas: the card pulled
mid-read, a wrong response MAC, a slow chip against the kiosk's deadline, a tampered DG1,
random error status words. Each must end in a verdict with reasons or a
:class:`checkedid.errors.CheckedIDError` (never ``InternalError``, which means a bug), within
its deadline; a tampered document is never VERIFIED; afterwards the good document VERIFIES.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import checkedid
from checkedid.errors import CheckedIDError, ChipTimeout, InternalError
from checkedid.result import Decision
from tests.chip.conftest import VChipFactory
from tests.procstats import free_vpcd_port

GOOD = "utopia-id-pace-gm"
#: (persona, fault profile, kiosk deadline in seconds, decisions allowed when a verdict)
QUEUE: list[tuple[str, str | None, float, set[Decision]]] = [
    (GOOD, "card-removed-mid-read", 30.0, {Decision.VERIFIED, Decision.INCOMPLETE}),
    (GOOD, "wrong-mac", 30.0, {Decision.VERIFIED, Decision.INCOMPLETE}),
    (GOOD, "slow-chip:400", 4.0, set()),  # must hit the deadline: ChipTimeout
    ("fault-tampered-dg1", None, 30.0, {Decision.REJECTED}),
    (GOOD, "random-sw:0.3:7", 30.0, {Decision.VERIFIED, Decision.INCOMPLETE}),
    ("utopia-passport-bac", "truncated-response", 30.0, {Decision.VERIFIED, Decision.INCOMPLETE}),
]
#: Time the worker gets beyond the deadline to be killed and reaped.
GRACE = 5.0


def _document(persona: str) -> tuple[bytes, bytes]:
    from hw.vchip.personas import spec

    from checkedid.demo import document_photo, sample_selfie

    photo = document_photo(persona, seed=4, png=True)
    return photo, Path(sample_selfie(spec(persona).photo)).read_bytes()


@pytest.fixture(scope="module")
def documents() -> dict[str, tuple[bytes, bytes]]:
    return {p: _document(p) for p in {q[0] for q in QUEUE} | {GOOD}}


def _present(session: checkedid.Session, vchip: VChipFactory, persona: str, fault: str | None,
             deadline: float, documents: dict[str, tuple[bytes, bytes]]) -> tuple[Any, float]:
    """Place one document on the reader and verify it like the kiosk loop does."""
    chip = vchip(persona, fault, free_vpcd_port())
    photo, selfie = documents[persona]
    t0 = time.monotonic()
    try:
        outcome: Any = session.verify(photo, selfie, reader=chip.reader, fields=(),
                                      timeout=deadline)
    except CheckedIDError as exc:  # the kiosk shows the message and waits for the next one
        outcome = exc
    return outcome, time.monotonic() - t0


def test_kiosk_loop_survives_faults_then_verifies(
        vchip: VChipFactory, documents: dict[str, tuple[bytes, bytes]]) -> None:
    from checkedid.demo import virtual_trust_store

    log: list[tuple[str, str, str]] = []
    with checkedid.Session(trust=virtual_trust_store(), preload=True) as session:
        for persona, fault, deadline, allowed in QUEUE:
            outcome, took = _present(session, vchip, persona, fault, deadline, documents)
            case = f"{persona} {fault or ''}".strip()
            assert took < deadline + GRACE, (case, took)
            if isinstance(outcome, CheckedIDError):
                log.append((case, "error", type(outcome).__name__))
                assert not isinstance(outcome, InternalError), (case, str(outcome))
                assert str(outcome), case  # an actionable message
            else:
                log.append((case, "verdict", outcome.decision.value))
                assert outcome.decision in allowed, (case, outcome.decision, outcome.reasons)
                if outcome.decision is not Decision.VERIFIED:
                    assert outcome.reasons, case
            if fault and fault.startswith("slow-chip"):
                assert isinstance(outcome, ChipTimeout), (case, outcome)

        good, _took = _present(session, vchip, GOOD, None, 60.0, documents)
    assert not isinstance(good, Exception), (log, good)
    assert good.decision is Decision.VERIFIED, (log, good.reasons)
