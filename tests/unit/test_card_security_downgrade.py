"""The PACE-downgrade check with EF.CardSecurity (BSI TR-03110-3 §A.1.2.2, Doc 9303-11 §4.2,
§9.2): the reader reads the file after a session opened without PACE, a *verified* file that
lists PACEInfo FAILS the access check, an unverifiable one never counts for the chip."""

from __future__ import annotations

from typing import Any

import pytest
from hw.vchip import lds_build
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import HIDES_CARD_ACCESS, build

from checkedid.demo import virtual_trust_store
from checkedid.nfc import genuine
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.reader import ChipReader
from checkedid.result import decide
from checkedid.secret import Secret
from checkedid.verdict import Check, CheckGroup, Verdict

DOWNGRADED = "fault-pace-downgrade-cardsecurity"
PACE_GM = "0.4.0.127.0.7.2.2.4.2.2"  # id-PACE-ECDH-GM-AES-CBC-CMAC-128


def _read(name: str) -> tuple[Any, dict[str, CheckGroup]]:
    persona = build(name)
    transport = InProcessTransport(VirtualChip(persona))
    transport.connect()
    access: Secret | str = persona.can if persona.pace is not None and \
        persona.fault not in HIDES_CARD_ACCESS else Secret(persona.mrz_information.encode())
    data = ChipReader(transport, timeout=20).read(access)
    return data, genuine.authenticate(data, virtual_trust_store())


def _passing(groups: dict[str, CheckGroup]) -> dict[str, CheckGroup]:
    ok = {n: CheckGroup.of(n, [Check(n, Verdict.PASSED)]) for n in ("mrz", "consistency", "face")}
    return {**ok, **groups}


def _access() -> CheckGroup:
    return CheckGroup.of("access", [Check("access", Verdict.PASSED, "BAC succeeded")],
                         protocol="BAC")


def test_pace_listed_only_in_card_security_is_a_rejected_downgrade() -> None:
    data, groups = _read(DOWNGRADED)
    assert data.protocol == "BAC" and data.card_access == b""
    assert data.dg14 is not None and not data.dg14.pace_infos  # DG14 does not tell
    assert data.card_security == build(DOWNGRADED).mf_files[0x011D]
    assert data.access_details["card_security"] == f"read ({len(data.card_security)} bytes)"
    access = groups["access"]
    assert access.verdict is Verdict.FAILED
    assert genuine.DOWNGRADE in access.reason and "EF.CardSecurity" in access.reason
    decision, reasons = decide(_passing(groups))
    assert decision.value == "REJECTED"
    assert [r for r in reasons if r.startswith("access: ") and genuine.DOWNGRADE in r]


def test_genuine_bac_chip_with_card_security_is_verified() -> None:
    data, groups = _read("utopia-passport-bac-cs")
    assert data.protocol == "BAC" and len(data.card_security) > 100
    assert data.access_details["card_security"].startswith("read (")
    decision, reasons = decide(_passing(groups))
    assert decision.value == "VERIFIED", reasons


def test_bac_chip_without_card_security_records_the_refusal() -> None:
    data, groups = _read("utopia-passport-bac")
    assert data.card_security == b"" and data.recoveries == 0
    assert data.access_details["card_security"] == "not read: the chip answered 6A82"
    assert groups["access"].verdict is Verdict.PASSED


def test_card_security_is_not_read_after_pace() -> None:
    data, _ = _read("utopia-id-pace-gm")
    assert data.card_security == b"" and "card_security" not in data.access_details


def _signed(pace: bool, signer: str = "ds-ec", tamper: bool = False) -> bytes:
    infos = [lds_build.pace_info(PACE_GM, 13)] if pace else []
    infos.append(lds_build.aa_info())
    raw = lds_build.card_security(infos, signer=signer)
    if tamper:  # flip one bit of the signature, the last element of the structure
        raw = raw[:-1] + bytes([raw[-1] ^ 0x01])
    return raw


def test_verified_card_security_listing_pace_fails_access() -> None:
    out = genuine.check_card_security(_access(), "BAC", _signed(True), virtual_trust_store())
    assert out.verdict is Verdict.FAILED and genuine.DOWNGRADE in out.reason


@pytest.mark.parametrize(("raw", "trusted", "why"), [
    (_signed(True, tamper=True), True, "signature does not verify"),
    (_signed(True, signer="ds-unknown"), True, "not trusted"),
    (_signed(True), False, "no trust store"),
])
def test_unverifiable_card_security_listing_pace_is_incomplete(raw: bytes, trusted: bool,
                                                               why: str) -> None:
    trust = virtual_trust_store() if trusted else None
    out = genuine.check_card_security(_access(), "BAC", raw, trust)
    assert out.verdict is Verdict.NOT_CHECKED
    assert "EF.CardSecurity lists PACEInfo" in out.reason and why in out.reason


@pytest.mark.parametrize("raw", [_signed(False), _signed(False, tamper=True)])
def test_card_security_without_pace_changes_nothing(raw: bytes) -> None:
    access = _access()
    assert genuine.check_card_security(access, "BAC", raw, virtual_trust_store()) is access


def test_card_security_after_pace_or_unread_changes_nothing() -> None:
    access = _access()
    trust = virtual_trust_store()
    assert genuine.check_card_security(access, "PACE ECDH-GM", _signed(True), trust) is access
    assert genuine.check_card_security(access, "BAC", b"", trust) is access


def test_malformed_card_security_is_noted_not_used() -> None:
    out = genuine.check_card_security(_access(), "BAC", b"\x30\x03\x02\x01\x00",
                                      virtual_trust_store())
    assert out.verdict is Verdict.PASSED
    assert out.details["card_security"].startswith("not used: ")
    assert "EF.CardSecurity" in out.details["card_security"]
