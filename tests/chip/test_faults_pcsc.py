"""Fault profiles over pcscd: each read recovers or ends in a clean checkedid error, in time.

The in-process suite (tests/unit/test_reader.py) runs every profile against both
base protocols; here a selection goes through the real PC/SC stack, where errors
surface as PC/SC return codes and empty answers rather than Python exceptions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hw.vchip.personas import build, spec
from hw.vchip.process import wait_absent

from checkedid.errors import AccessDenied, CheckedIDError, SecureMessagingError
from checkedid.nfc.iso7816.pcsc import PcscTransport
from checkedid.nfc.reader import ChipReader
from tests.chip.conftest import READER2, VPCD_PORT2, VChipFactory

PORT = VPCD_PORT2
READER = READER2
PERSONA = "utopia-id-pace-gm"


@pytest.fixture(autouse=True)
def slot_free(vchip: VChipFactory) -> Iterator[None]:
    wait_absent(READER)
    yield


def read(**kwargs: object) -> object:
    with PcscTransport(READER, timeout=5) as transport:
        return ChipReader(transport, timeout=20, **kwargs).read(spec(PERSONA).can)  # type: ignore[arg-type]


@pytest.mark.parametrize("fault", ["ssc-desync", "wrong-mac", "random-sw:0.3"])
def test_recoverable_faults_recover_with_a_new_session(vchip: VChipFactory, fault: str) -> None:
    vchip(PERSONA, fault=fault, port=PORT)
    t = time.monotonic()
    data = read()
    assert data.recoveries >= 1  # type: ignore[attr-defined]
    assert data.dg_bytes[2] == build(PERSONA).files[0x0102]  # type: ignore[attr-defined]
    assert time.monotonic() - t < 20


@pytest.mark.parametrize(("fault", "error"), [
    ("bad-pace-token", AccessDenied),
    ("truncated-response:0", SecureMessagingError),
])
def test_persistent_faults_end_in_a_clean_error(vchip: VChipFactory, fault: str,
                                                error: type[CheckedIDError]) -> None:
    vchip(PERSONA, fault=fault, port=PORT)
    t = time.monotonic()
    with pytest.raises(error):
        read(retries=2)
    assert time.monotonic() - t < 20
