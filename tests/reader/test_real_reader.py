"""Tests against a real USB reader and a real document (opt in).

    bash scripts/test.sh tests/reader -m reader --reader "ACS ACR122U"

The document's access key comes from the environment, never from a file in the repository:
``CHECKEDID_TEST_CAN`` (6 digits, PACE-CAN) or ``CHECKEDID_TEST_MRZ`` (the MRZ text or the
24-character MRZ information). Nothing read is printed or kept: the tests assert on
structure (protocol, files present, lengths, verdict kinds), never on personal values.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from checkedid.nfc.iso7816.pcsc import PcscTransport, list_readers
from checkedid.nfc.reader import ChipReader
from checkedid.secret import SecretRegistry

pytestmark = pytest.mark.reader


def _access(secrets: SecretRegistry) -> Any:
    can = os.environ.get("CHECKEDID_TEST_CAN")
    if can:
        return can
    mrz = os.environ.get("CHECKEDID_TEST_MRZ")
    if not mrz:
        pytest.skip("set CHECKEDID_TEST_CAN or CHECKEDID_TEST_MRZ for the document on the reader")
    import argparse

    from checkedid.cli.chip_cmd import access_from_args

    return secrets.add(access_from_args(argparse.Namespace(can=None, mrz_image=None, mrz=mrz)))


@pytest.fixture
def reader_name(request: pytest.FixtureRequest) -> str:
    name = str(request.config.getoption("--reader"))
    if not any(name in r.name for r in list_readers()):
        pytest.fail(f"no PC/SC reader named like {name!r}; see 'checkedid readers'")
    return name


@pytest.fixture
def transport(reader_name: str) -> Iterator[PcscTransport]:
    t = PcscTransport(reader_name, timeout=20)
    t.connect()
    yield t
    t.disconnect()


def test_reader_lists_the_card(reader_name: str, transport: PcscTransport) -> None:
    info = [r for r in list_readers() if reader_name in r.name]
    assert info and info[0].card_present
    assert transport.atr[:1] in (b"\x3b", b"\x3f")


def test_read_the_document(transport: PcscTransport) -> None:
    secrets = SecretRegistry()
    try:
        data = ChipReader(transport, secrets=secrets).read(_access(secrets))
        assert data.protocol.startswith(("PACE", "BAC"))
        assert data.dg1 is not None and data.dg1.mrz.valid
        assert 1 in data.dg_bytes and 2 in data.dg_bytes and data.sod_bytes
        assert data.face_image is not None and data.face_image.ndim == 3
        assert data.active.verdict.value in ("PASSED", "NOT_SUPPORTED")
        assert data.chip.verdict.value in ("PASSED", "NOT_SUPPORTED")
    finally:
        secrets.wipe_all()
