"""Chip Authentication against the virtual chip, in process (ICAO Doc 9303-11 §6.2)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from hw.vchip import personas
from hw.vchip.chip import VirtualChip
from hw.vchip.secure_messaging import ChipSession

from checkedid.errors import SecureMessagingError
from checkedid.nfc.auth import ca
from checkedid.nfc.iso7816.apdu import Command
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.lds.dg14 import parse_dg14
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.nfc.sm.messaging import SMSession
from checkedid.verdict import Check, CheckGroup, Verdict

SELECT_COM = Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e")
READ = Command(0x00, 0xB0, 0x00, 0x00, b"", 4)


def open_chip(name: str, cipher: str = "AES-128") -> tuple[ApduConnection, VirtualChip, Any]:
    """A chip past access control with a fresh session on both sides."""
    persona = personas.build(name)
    chip = VirtualChip(persona)
    transport = InProcessTransport(chip)
    transport.connect()
    conn = ApduConnection(transport)
    size = {"3DES": 16, "AES-128": 16, "AES-192": 24, "AES-256": 32}[cipher]
    ks_enc, ks_mac = secrets.token_bytes(size), secrets.token_bytes(size)
    chip.state.app_selected = True
    chip.state.authenticated = "PACE"
    chip.state.sm = ChipSession(cipher, ks_enc, ks_mac, 0)
    conn.install_sm(SMSession(cipher, ks_enc, ks_mac, 0))
    return conn, chip, parse_dg14(persona.files[0x010E])


def read_under_new_keys(conn: ApduConnection, result: ca.CAResult) -> ca.CAResult:
    """What the reader does: install the session, read, confirm."""
    assert result.session is not None
    conn.install_sm(result.session)
    try:
        conn.call(SELECT_COM, step="SELECT EF.COM")
        conn.call(READ, step="READ BINARY EF.COM")
    except SecureMessagingError:
        return ca.confirm(result, False)
    except Exception:  # a refusal under the new keys is also a failure to prove the key
        return ca.confirm(result, False)
    return ca.confirm(result, True)


def test_genuine_chip_passes_after_confirmation() -> None:
    conn, chip, dg14 = open_chip("utopia-id-pace-gm")
    result = ca.chip_authenticate(conn, dg14)
    assert result.pending
    assert result.check.verdict is Verdict.NOT_CHECKED
    assert chip.state.sm is not None
    final = read_under_new_keys(conn, result)
    assert final.check.name == "chip"
    assert final.check.verdict is Verdict.PASSED, final.check.reason
    assert final.check.details["key_agreement"] == "ECDH"
    assert final.check.details["cipher"] == "AES-128"


def test_ca_key_mismatch_fails_not_crashes() -> None:
    conn, _chip, dg14 = open_chip("fault-ca-key-mismatch")
    result = ca.chip_authenticate(conn, dg14)
    assert result.pending
    final = read_under_new_keys(conn, result)
    assert final.check.verdict is Verdict.FAILED
    assert "DG14" in final.check.reason


def test_unconfirmed_result_never_passes() -> None:
    conn, _chip, dg14 = open_chip("utopia-id-pace-gm")
    result = ca.chip_authenticate(conn, dg14)
    assert result.check.verdict is Verdict.NOT_CHECKED
    assert ca.confirm(ca.confirm(result, False), True).check.verdict is Verdict.FAILED
    # The reader may keep only the group: confirm works on it as well.
    assert ca.is_pending(result.check)
    assert ca.confirm(result.check, True).verdict is Verdict.PASSED
    assert ca.confirm(result.check, False).verdict is Verdict.FAILED
    passed = ca.confirm(result.check, True)
    assert ca.confirm(passed, False) is passed


def test_3des_variant_with_set_kat() -> None:
    """DG14 announcing id-CA-ECDH-3DES-CBC-CBC: MSE:Set KAT, no GENERAL AUTHENTICATE."""
    from hw.vchip import lds_build

    persona = personas.build("utopia-id-pace-gm")
    conn, _chip, _ = open_chip("utopia-id-pace-gm", "3DES")
    dg14 = parse_dg14(lds_build.dg14(ca_key=persona.ca_key, ca_cipher="3DES"))
    result = ca.chip_authenticate(conn, dg14)
    assert result.check.details["cipher"] == "3DES"
    assert read_under_new_keys(conn, result).check.verdict is Verdict.PASSED


@pytest.mark.parametrize("cipher", ["AES-192", "AES-256"])
def test_aes_key_sizes(cipher: str) -> None:
    from hw.vchip import lds_build

    persona = personas.build("utopia-id-pace-gm")
    conn, _chip, _ = open_chip("utopia-id-pace-gm", cipher)
    dg14 = parse_dg14(lds_build.dg14(ca_key=persona.ca_key, ca_cipher=cipher, key_id=1))
    result = ca.chip_authenticate(conn, dg14)
    assert result.check.details["cipher"] == cipher
    assert read_under_new_keys(conn, result).check.verdict is Verdict.PASSED


def test_no_dg14_or_no_ca_is_not_supported() -> None:
    from hw.vchip import lds_build

    assert ca.chip_authenticate(object(), None).check.verdict is Verdict.NOT_SUPPORTED
    dg14 = parse_dg14(lds_build.dg14(pace=[("0.4.0.127.0.7.2.2.4.2.2", 13)]))
    assert ca.chip_authenticate(object(), dg14).check.verdict is Verdict.NOT_SUPPORTED


def test_pace_still_routes_past_ca_handlers() -> None:
    """MSE:Set AT for PACE (C1A4) must not be taken by the CA handler."""
    conn, chip, _ = open_chip("utopia-id-pace-gm")
    conn.clear_sm()
    chip.state.clear_session()
    mse = Command(0x00, 0x22, 0xC1, 0xA4, bytes.fromhex("800A04007F00070202040202830102"))
    assert conn.send(mse).sw == 0x9000


def test_oid_bytes() -> None:
    assert ca.oid_bytes("0.4.0.127.0.7.2.2.3.2.2").hex() == "04007f00070202030202"


# ---------------------------------------------------------------- apply_trust
def _group(name: str, verdict: Verdict) -> CheckGroup:
    return CheckGroup.of(name, [Check(f"{name}_check", verdict, "x")])


def _passive(matched: list[int], mismatched: tuple[int, ...] = (), sig: Verdict = Verdict.PASSED,
             hashes: Verdict | None = None, chain: Verdict = Verdict.PASSED,
             revoked: Verdict = Verdict.PASSED) -> CheckGroup:
    hv = hashes or (Verdict.FAILED if mismatched else Verdict.PASSED)
    return CheckGroup.of("passive", [Check("dg_hashes", hv), Check("ds_signature", sig),
                                     Check("csca_chain", chain), Check("validity", Verdict.PASSED),
                                     Check("revocation", revoked)],
                         dg_hashes={"matched": matched, "mismatched": list(mismatched)})


def test_apply_trust_passes_covered_keys() -> None:
    a, c = ca.apply_trust(_group("active", Verdict.PASSED), _group("chip", Verdict.PASSED),
                          _passive([1, 2, 14, 15]), {1, 2, 14, 15})
    assert a.verdict is Verdict.PASSED and c.verdict is Verdict.PASSED
    assert a.check("key_authenticity").verdict is Verdict.PASSED  # type: ignore[union-attr]


def test_apply_trust_uncovered_or_mismatched_fails() -> None:
    a, c = ca.apply_trust(_group("active", Verdict.PASSED), _group("chip", Verdict.PASSED),
                          _passive([1, 2], mismatched=(14,)), {1, 2, 14})
    assert a.verdict is Verdict.FAILED and "DG15" in a.reason
    assert c.verdict is Verdict.FAILED and "DG14" in c.reason


def test_apply_trust_unverified_sod_is_not_checked() -> None:
    a, _ = ca.apply_trust(_group("active", Verdict.PASSED), _group("chip", Verdict.NOT_SUPPORTED),
                          _passive([15], sig=Verdict.NOT_CHECKED), {15})
    assert a.verdict is Verdict.NOT_CHECKED
    a, _ = ca.apply_trust(_group("active", Verdict.PASSED), _group("chip", Verdict.NOT_SUPPORTED),
                          _passive([15], sig=Verdict.FAILED), {15})
    assert a.verdict is Verdict.FAILED


def test_apply_trust_needs_a_trusted_signer() -> None:
    """A self-made DS signs anything: without the chain to a CSCA, DG15 is not authentic."""
    a, _ = ca.apply_trust(_group("active", Verdict.PASSED), _group("chip", Verdict.NOT_SUPPORTED),
                          _passive([15], chain=Verdict.NOT_CHECKED), {15})
    assert a.verdict is Verdict.NOT_CHECKED
    a, _ = ca.apply_trust(_group("active", Verdict.PASSED), _group("chip", Verdict.NOT_SUPPORTED),
                          _passive([15], chain=Verdict.FAILED), {15})
    assert a.verdict is Verdict.FAILED
    a, c = ca.apply_trust(_group("active", Verdict.PASSED), _group("chip", Verdict.PASSED),
                          _passive([14, 15], revoked=Verdict.FAILED), {14, 15})
    assert a.verdict is Verdict.FAILED and c.verdict is Verdict.FAILED
    assert "revocation" in a.reason


def test_apply_trust_leaves_failures_alone() -> None:
    failed = _group("active", Verdict.FAILED)
    unsupported = _group("chip", Verdict.NOT_SUPPORTED)
    a, c = ca.apply_trust(failed, unsupported, _passive([]), set())
    assert a is failed and c is unsupported


@pytest.mark.parametrize("cipher", ["AES-128", "3DES"])
def test_dh_chip_authentication(cipher: str) -> None:
    """A DH CA key (TR-03110-3 standardized group 0) in DG14, on a persona variant."""
    import dataclasses

    from hw.vchip import lds_build

    base = personas.build("utopia-id-pace-gm")
    dh_key = lds_build.DHPrivateKey.generate(0)
    dg14_raw = lds_build.dg14(ca_key=dh_key, ca_cipher=cipher)
    files = {**base.files, 0x010E: dg14_raw}
    persona = dataclasses.replace(base, files=files, ca_key=dh_key)
    chip = VirtualChip(persona)
    transport = InProcessTransport(chip)
    transport.connect()
    conn = ApduConnection(transport)
    ks = secrets.token_bytes(16)
    chip.state.app_selected, chip.state.authenticated = True, "PACE"
    chip.state.sm = ChipSession("AES-128", ks, ks[::-1], 0)
    conn.install_sm(SMSession("AES-128", ks, ks[::-1], 0))
    result = ca.chip_authenticate(conn, parse_dg14(dg14_raw))
    assert result.check.details["key_agreement"] == "DH"
    assert result.pending, result.check.reason
    assert read_under_new_keys(conn, result).check.verdict is Verdict.PASSED
