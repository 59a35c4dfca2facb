"""Card presence as an API over pcscd + vpcd: ``checkedid.nfc.wait_for_card`` and
``checkedid.nfc.monitor`` see the virtual chip arrive and leave."""

from __future__ import annotations

import threading
import time

import pytest

from checkedid import nfc
from checkedid.errors import NoCardError, NoReaderError
from tests.chip.conftest import READER, VChipFactory


def test_wait_for_card_times_out_then_sees_the_chip(vchip: VChipFactory) -> None:
    t0 = time.monotonic()
    with pytest.raises(NoCardError):
        nfc.wait_for_card(READER, timeout=0.5)
    assert 0.4 < time.monotonic() - t0 < 5.0
    with pytest.raises(NoReaderError):
        nfc.wait_for_card("no such reader", timeout=0.1)
    chip = vchip("utopia-id-pace-gm")
    info = nfc.wait_for_card(READER, timeout=10)
    assert info.name == chip.reader and info.card_present and info.atr


def test_monitor_reports_placed_and_removed(vchip: VChipFactory) -> None:
    stop = threading.Event()
    events: list[tuple[str, str]] = []

    def watch() -> None:
        for event in nfc.monitor(READER, poll=0.2, stop=stop.is_set):
            events.append((event.kind, event.reader))

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    chip = vchip("utopia-id-pace-gm")
    deadline = time.monotonic() + 10
    while ("placed", chip.reader) not in events and time.monotonic() < deadline:
        time.sleep(0.05)
    chip.stop()
    while ("removed", chip.reader) not in events and time.monotonic() < deadline + 10:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert events == [("placed", chip.reader), ("removed", chip.reader)]
