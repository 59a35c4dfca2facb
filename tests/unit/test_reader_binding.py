"""A read is bound to one chip across a card removal: the chip placed back must open with the
session's access key and hold the same EF.SOD, else DocumentChangedError (never a mixed read)."""

from __future__ import annotations

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.faults import make_fault
from hw.vchip.personas import build
from hw.vchip.vpcd import CardRemoved

from checkedid.errors import CardRemovedError, DocumentChangedError
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.reader import ChipReader
from checkedid.secret import Secret


class SwapOnRemoval(InProcessTransport):
    """When the card leaves the field, another chip (``then``) is placed on the reader."""

    def __init__(self, chip: VirtualChip, then: VirtualChip | None) -> None:
        super().__init__(chip)
        self.then = then

    def transmit(self, apdu: bytes) -> bytes:
        try:
            return super().transmit(apdu)
        except CardRemoved:
            self.disconnect()
            if self.then is not None:
                self.chip, self.then = self.then, None
            raise CardRemovedError("transmit: the document left the reader") from None


def _first(persona: str) -> VirtualChip:
    return VirtualChip(build(persona), fault=make_fault("card-removed-mid-read:8000"))


def test_the_same_chip_back_on_the_reader_continues() -> None:
    transport = SwapOnRemoval(_first("utopia-id-pace-gm"), None)
    transport.connect()
    data = ChipReader(transport, card_wait=2).read(build("utopia-id-pace-gm").can)
    assert data.recoveries == 1
    assert data.dg_bytes[2] == build("utopia-id-pace-gm").files[0x0102]


def test_another_copy_with_the_same_access_key_is_refused() -> None:
    """Same holder data and CAN, other chip (other keys, other EF.SOD)."""
    twin = build("utopia-id-pace-gm", cache=False)
    assert twin.files[0x011D] != build("utopia-id-pace-gm").files[0x011D]
    transport = SwapOnRemoval(_first("utopia-id-pace-gm"), VirtualChip(twin))
    transport.connect()
    with pytest.raises(DocumentChangedError, match=r"another EF\.SOD"):
        ChipReader(transport, card_wait=2).read(twin.can)


def test_another_document_is_refused() -> None:
    transport = SwapOnRemoval(_first("utopia-id-pace-gm"),
                              VirtualChip(build("utopia-id-pace-dh")))
    transport.connect()
    with pytest.raises(DocumentChangedError, match="does not open"):
        ChipReader(transport, card_wait=2).read(build("utopia-id-pace-gm").can)


def test_the_same_chip_check_reports_no_progress_restart() -> None:
    """Progress of a completed file never starts over: the EF.SOD comparison is silent."""
    transport = SwapOnRemoval(_first("utopia-passport-bac"), None)
    transport.connect()
    seen: list[tuple[str, int]] = []
    p = build("utopia-passport-bac")
    ChipReader(transport, card_wait=2, progress=lambda f, d, t: seen.append((f, d))).read(
        Secret(p.mrz_information.encode("ascii")))
    sod = [d for f, d in seen if f == "SOD"]
    assert sod == sorted(sod) and sod[-1] == len(p.files[0x011D])
