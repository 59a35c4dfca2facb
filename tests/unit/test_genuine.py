"""A chip must prove it is genuine where EF.SOD vouches for its keys (Doc 9303-11 §6.1, §6.2,
§4.2): clones hiding DG15 / DG14 and a PACE -> BAC downgrade are REJECTED, genuine chips are
still VERIFIED-capable, and the rule itself is exercised on hand-made groups."""

from __future__ import annotations

from typing import Any

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.faults import Fault
from hw.vchip.personas import HIDES_CARD_ACCESS, build

from checkedid.demo import virtual_trust_store
from checkedid.errors import StatusWordError
from checkedid.nfc import genuine
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.reader import ChipReader
from checkedid.result import decide
from checkedid.secret import Secret
from checkedid.verdict import Check, CheckGroup, Verdict


def read_and_authenticate(name: str) -> tuple[Any, dict[str, CheckGroup]]:
    persona = build(name)
    transport = InProcessTransport(VirtualChip(persona))
    transport.connect()
    access: Secret | str = persona.can if persona.pace is not None and \
        persona.fault not in HIDES_CARD_ACCESS \
        else Secret(persona.mrz_information.encode("ascii"))
    data = ChipReader(transport, timeout=20).read(access)
    return data, genuine.authenticate(data, virtual_trust_store())


def passing(groups: dict[str, CheckGroup]) -> dict[str, CheckGroup]:
    """The chip groups plus PASSED stand-ins for the steps without a chip (MRZ, face...)."""
    ok = {n: CheckGroup.of(n, [Check(n, Verdict.PASSED)]) for n in
          ("mrz", "consistency", "face")}
    return {**ok, **groups}


@pytest.mark.parametrize(("persona", "group", "dg"), [
    ("fault-clone-no-dg15", "active", 15),
    ("fault-clone-no-dg14", "chip", 14),
])
def test_clone_hiding_a_covered_dg_is_rejected_naming_the_group(persona: str, group: str,
                                                                 dg: int) -> None:
    data, groups = read_and_authenticate(persona)
    assert data.unread == {dg: "answered 6A82 for it"}
    assert groups["passive"].verdict is Verdict.PASSED  # the copied data is genuine
    assert groups[group].verdict is Verdict.FAILED
    decision, reasons = decide(passing(groups))
    assert decision.value == "REJECTED"
    (reason,) = reasons
    assert reason.startswith(f"{group}: ")
    assert genuine.CLONE in reason and f"DG{dg}" in reason and "6A82" in reason


@pytest.mark.parametrize("persona", ["utopia-passport-bac", "utopia-id-pace-gm",
                                     "utopia-id-pace-im", "utopia-id-pace-cam"])
def test_genuine_chips_still_pass_every_chip_group(persona: str) -> None:
    data, groups = read_and_authenticate(persona)
    assert data.unread == {}
    decision, reasons = decide(passing(groups))
    assert decision.value == "VERIFIED", reasons


def test_pace_downgrade_is_rejected() -> None:
    data, groups = read_and_authenticate("fault-pace-downgrade")
    assert data.protocol == "BAC"
    access = groups["access"]
    assert access.verdict is Verdict.FAILED
    assert genuine.DOWNGRADE in access.reason
    decision, reasons = decide(passing(groups))
    assert decision.value == "REJECTED"
    assert [r for r in reasons if r.startswith("access: ")]


def _g(name: str, verdict: Verdict) -> CheckGroup:
    return CheckGroup.of(name, [Check(name, verdict, "as given")])


class _DG14:
    def __init__(self, ca_key: bool) -> None:
        self.ca_public_keys = [object()] if ca_key else []
        self.pace_infos: list[Any] = []


def test_rule_not_required_when_sod_does_not_cover_the_dg() -> None:
    active, chip = _g("active", Verdict.NOT_SUPPORTED), _g("chip", Verdict.NOT_SUPPORTED)
    assert genuine.require_chip_proof(active, chip, {1, 2}, {}, None) == (active, chip)


def test_rule_dg14_without_a_chip_key_needs_no_ca() -> None:
    chip = _g("chip", Verdict.NOT_SUPPORTED)
    _, out = genuine.require_chip_proof(_g("active", Verdict.NOT_SUPPORTED), chip, {1, 14}, {},
                                        _DG14(ca_key=False))
    assert out is chip


def test_rule_served_but_unusable_key_is_incomplete_not_verified() -> None:
    _, chip = genuine.require_chip_proof(_g("active", Verdict.NOT_SUPPORTED),
                                         _g("chip", Verdict.NOT_SUPPORTED), {1, 14}, {},
                                         _DG14(ca_key=True))
    assert chip.verdict is Verdict.NOT_CHECKED


def test_rule_refused_dg15_fails_active() -> None:
    active, _ = genuine.require_chip_proof(_g("active", Verdict.NOT_SUPPORTED),
                                           _g("chip", Verdict.NOT_SUPPORTED), {1, 15},
                                           {15: "answered 6982 for it"}, None)
    assert active.verdict is Verdict.FAILED and "6982" in active.reason


class _SelectAnswers6282(Fault):
    """Every SELECT answers 6282 (protected like any answer under secure messaging)."""

    name = "select-6282"

    def response(self, chip: Any, cmd: Any, resp: Any) -> Any:
        return type(resp)(b"", 0x6282) if cmd.ins == 0xA4 else resp


def test_6282_is_never_a_successful_select() -> None:
    persona = build("utopia-id-pace-gm")
    transport = InProcessTransport(VirtualChip(persona, fault=_SelectAnswers6282()))
    transport.connect()
    with pytest.raises(StatusWordError) as info:
        ChipReader(transport, timeout=10, retries=1).read(persona.can)
    assert info.value.sw == 0x6282 and "SELECT" in str(info.value)
