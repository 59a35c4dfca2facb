"""repr() and str() of what a verification yields never carry personal data: a
``log.info("%s", result)`` or a debugger print must not leak names, numbers or photos."""

from __future__ import annotations

import logging

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import build

from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.reader import ChipReader
from checkedid.result import Decision, Result
from checkedid.verdict import Check, CheckGroup, Verdict

PERSONA = "utopia-id-pace-gm"
NEEDLES = ("ERIKSSON", "ANNA", "D23145890", "740812", "1974", "FEMALE", "UTO")


def _result() -> Result:
    checks = {n: CheckGroup.of(n, [Check(n, Verdict.PASSED)]) for n in ("mrz", "passive")}
    fields = {"surname": "ERIKSSON", "given_names": "ANNA MARIA",
              "document_number": "D23145890", "birth_date": "1974-08-12", "sex": "F"}
    return Result(Decision.VERIFIED, checks, fields=fields, photo_jpeg=b"\xff\xd8" + b"J" * 100_000)


@pytest.mark.parametrize("show", [repr, str])
def test_result_repr_names_fields_not_values(show: object) -> None:
    text = show(_result())  # type: ignore[operator]
    assert len(text) < 300
    assert "VERIFIED" in text and "passive=PASSED" in text
    assert "surname" in text and "document_number" in text and "photo" in text
    for needle in NEEDLES:
        assert needle not in text


def test_result_in_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("relying.party").info("%s", _result())
    assert "ERIKSSON" not in caplog.text and "JJJJ" not in caplog.text


def test_chipdata_and_its_parts_are_redacted() -> None:
    persona = build(PERSONA)
    transport = InProcessTransport(VirtualChip(persona))
    transport.connect()
    data = ChipReader(transport).read(persona.can)
    for obj in (data, data.dg1, data.dg2, data.dg2.faces[0]):
        for show in (repr, str):
            text = show(obj)
            for needle in NEEDLES[:4]:
                assert needle not in text, (type(obj).__name__, needle)
    assert "PACE" in repr(data) and "DG2:" in repr(data)
