"""PACE end to end against the virtual chip, in process (ICAO Doc 9303-11 §4.4)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hw.vchip import personas
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import PaceConfig, Persona
from hypothesis import given, settings
from hypothesis import strategies as st

from checkedid.errors import (
    AccessDenied,
    CheckedIDError,
    InputError,
    ProtocolError,
    StatusWordError,
)
from checkedid.nfc.access.pace import PacePassword, PACEResult, authenticate, choose, verify_cam
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.apdu import Command
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.lds.securityinfos import (
    CardAccess,
    ChipAuthenticationPublicKeyInfo,
    encode_oid,
    parse_security_infos,
)
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.verdict import Verdict
from tests.conftest import data_path
from tests.fuzz import EXAMPLES, FUZZ

PERSONAS = ["utopia-id-pace-gm", "utopia-id-pace-dh", "utopia-id-pace-im", "utopia-id-pace-cam"]
EMRTD_AID = bytes.fromhex("A0000002471001")


def _connect(persona: Persona) -> tuple[VirtualChip, ApduConnection]:
    chip = VirtualChip(persona)
    transport = InProcessTransport(chip)
    transport.connect()
    return chip, ApduConnection(transport)


def _card_access(conn: ApduConnection) -> CardAccess:
    """EF.CardAccess read over the wire by short EF identifier 1C (Doc 9303-10 §3.11.3)."""
    resp = conn.call(Command(0x00, 0xB0, 0x9C, 0x00, b"", 256), step="READ EF.CardAccess",
                     allow=(0x9000, 0x6282))
    return parse_security_infos(resp.data)


def _read_dg1_under_sm(conn: ApduConnection, result: PACEResult) -> bytes:
    conn.install_sm(result.session)
    conn.call(Command(0x00, 0xA4, 0x04, 0x0C, EMRTD_AID), step="SELECT eMRTD")
    return conn.call(Command(0x00, 0xB0, 0x81, 0x00, b"", 256), step="READ DG1",
                     allow=(0x9000, 0x6282)).data


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize("kind", ["MRZ", "CAN"])
def test_pace_with_each_persona(name: str, kind: str) -> None:
    persona = personas.build(name)
    chip, conn = _connect(persona)
    card_access = _card_access(conn)
    password = (PacePassword.mrz(persona.mrz_information.encode()) if kind == "MRZ"
                else PacePassword.can(persona.can))
    result = authenticate(conn, password, card_access)
    cfg = persona.pace
    assert cfg is not None
    assert (result.mapping, result.cipher, result.parameter_id) == (
        cfg.mapping, cfg.cipher, cfg.parameter_id)
    assert result.oid == cfg.oid
    assert result.session.ssc == 0
    assert chip.state.authenticated == "PACE"
    dg1 = _read_dg1_under_sm(conn, result)
    assert dg1 == persona.files[0x0101]
    assert (result.cam is not None) == (cfg.mapping == "ECDH-CAM")


def test_wrong_can_is_access_denied_with_advice() -> None:
    persona = personas.build("utopia-id-pace-gm")
    chip, conn = _connect(persona)
    card_access = _card_access(conn)
    wrong = "000000" if persona.can != "000000" else "111111"
    with pytest.raises(AccessDenied, match="CAN printed on the card") as err:
        authenticate(conn, PacePassword.can(wrong), card_access)
    assert err.value.sw == 0x6300
    assert chip.state.authenticated is None and chip.state.sm is None
    # the chip forgot the failed exchange; the right CAN works on the same connection
    result = authenticate(conn, PacePassword.can(persona.can), card_access)
    assert _read_dg1_under_sm(conn, result) == persona.files[0x0101]


def test_wrong_mrz_is_access_denied() -> None:
    persona = personas.build("utopia-id-pace-dh")
    _, conn = _connect(persona)
    bad = persona.mrz_information.replace("740812", "740813").encode()
    with pytest.raises(AccessDenied, match="MRZ"):
        authenticate(conn, PacePassword.mrz(bad), _card_access(conn))


def test_cam_verifies_against_the_ca_key_and_detects_a_foreign_key() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    persona = personas.build("utopia-id-pace-cam")
    _, conn = _connect(persona)
    result = authenticate(conn, PacePassword.can(persona.can), _card_access(conn))
    good = verify_cam(result, persona.ca_key.public_key())
    assert good.name == "chip" and good.verdict is Verdict.PASSED, good.reason
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    bad = verify_cam(result, other)
    assert bad.verdict is Verdict.FAILED
    assert bad.check("cam_key") is not None and "clone" in bad.reason
    # a key on another curve is not a P-256 point
    foreign = ec.generate_private_key(ec.BrainpoolP256R1()).public_key()
    assert verify_cam(result, foreign).verdict is Verdict.FAILED


def test_verify_cam_without_cam_is_not_supported() -> None:
    persona = personas.build("utopia-id-pace-gm")
    _, conn = _connect(persona)
    result = authenticate(conn, PacePassword.can(persona.can), _card_access(conn))
    group = verify_cam(result, persona.ca_key.public_key())
    assert group.verdict is Verdict.NOT_SUPPORTED


@pytest.mark.parametrize("cfg", [
    PaceConfig("ECDH-GM", "3DES", 12),
    PaceConfig("ECDH-GM", "AES-256", 16),
    PaceConfig("ECDH-IM", "AES-192", 17),
    PaceConfig("DH-IM", "AES-128", 0),
    PaceConfig("DH-GM", "3DES", 2),
])
def test_other_suites_round_trip(cfg: PaceConfig) -> None:
    base = personas.build("utopia-id-pace-gm")
    persona = Persona(replace(base.spec, name="custom", pace=cfg), base.files,
                      {0x011C: personas.card_access(cfg)}, base.aa_key, base.ca_key)
    _, conn = _connect(persona)
    result = authenticate(conn, PacePassword.can(persona.can), _card_access(conn))
    assert (result.mapping, result.cipher) == (cfg.mapping, cfg.cipher)
    assert _read_dg1_under_sm(conn, result) == persona.files[0x0101]


def test_choose_prefers_cam_then_gm_and_honours_prefer() -> None:
    infos = b"".join(
        tlv.encode(0x30, tlv.encode(0x06, bytes.fromhex(oid)) + tlv.encode(0x02, b"\x02")
                   + tlv.encode(0x02, bytes([pid])))
        for oid, pid in (("04007F00070202040102", 0), ("04007F00070202040202", 13),
                         ("04007F00070202040402", 13), ("04007F00070202040602", 12),
                         ("04007F00070202040204", 99)))
    ca = parse_security_infos(tlv.encode(0x31, infos))
    assert choose(ca).mapping == "ECDH-CAM"
    assert choose(ca, "ECDH-IM").oid == "0.4.0.127.0.7.2.2.4.4.2"
    assert choose(ca, "0.4.0.127.0.7.2.2.4.1.2").mapping == "DH-GM"
    with pytest.raises(InputError, match="does not offer"):
        choose(ca, "DH-IM")


def test_passwords_validate_and_hide_content() -> None:
    with pytest.raises(InputError):
        PacePassword.can("12345")
    with pytest.raises(InputError):
        PacePassword.can("12345a")
    pw = PacePassword.can("123456")
    assert "123456" not in repr(pw) and pw.reference == 2
    pw.wipe()
    assert pw.key.wiped


class ScriptedTransport:
    """Replays the Appendix G.1 exchange, checking every command byte for byte."""

    def __init__(self, script: list[tuple[bytes, bytes]]) -> None:
        self.script = script
        self.atr = bytes.fromhex("3B8880010000000000718100F9")
        self.supports_extended = False

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    def transmit(self, apdu: bytes) -> bytes:
        want, answer = self.script.pop(0)
        assert apdu.hex().upper() == want.hex().upper()
        return answer


def test_appendix_g1_apdus_replayed_exactly() -> None:
    vectors: dict[str, Any] = json.loads(data_path("vectors", "icao9303.json").read_text())
    v = vectors["pace_ecdh_gm_appendix_G1"]
    mse = bytes.fromhex(v["mse_set_at_apdu_note"].rsplit(": ", 1)[1])
    script = [(mse, b"\x90\x00")]
    script += [(bytes.fromhex(a["cmd"]), bytes.fromhex(a["resp"])) for a in v["apdus"]]
    transport = ScriptedTransport(script)
    conn = ApduConnection(transport)
    result = authenticate(conn, PacePassword.mrz(v["mrz_information_ascii"].encode()),
                          parse_security_infos(bytes.fromhex(v["ef_card_access"])),
                          _private_keys=[int(v["ifd_mapping_private"], 16),
                                         int(v["ifd_ephemeral_private"], 16)])
    assert transport.script == []
    assert result.session.ssc == 0 and result.cipher == "AES-128"


def test_malformed_chip_answer_is_protocol_error() -> None:
    vectors: dict[str, Any] = json.loads(data_path("vectors", "icao9303.json").read_text())
    v = vectors["pace_ecdh_gm_appendix_G1"]
    mse = bytes.fromhex(v["mse_set_at_apdu_note"].rsplit(": ", 1)[1])
    mse = mse[:-1] + b"\x02"  # CAN
    first = bytes.fromhex(v["apdus"][0]["cmd"])
    truncated = b"\x7c\x05\x80\x01\x90\x00"
    conn = ApduConnection(ScriptedTransport([(mse, b"\x90\x00"), (first, truncated)]))
    with pytest.raises(ProtocolError):
        authenticate(conn, PacePassword.can("123456"),
                     parse_security_infos(bytes.fromhex(v["ef_card_access"])))


def _raw(conn: ApduConnection, cla: int, ins: int, p1: int, p2: int, data: bytes) -> int:
    return conn.send(Command(cla, ins, p1, p2, data, 256 if ins == 0x86 else None)).sw


def test_chip_refuses_out_of_order_and_foreign_commands() -> None:
    persona = personas.build("utopia-id-pace-gm")
    chip, conn = _connect(persona)
    assert persona.pace is not None
    oid = tlv.encode(0x80, encode_oid(persona.pace.oid))
    # GENERAL AUTHENTICATE without MSE:Set AT
    assert _raw(conn, 0x10, 0x86, 0, 0, b"\x7c\x00") == 0x6985
    # unknown protocol, unknown password reference, other domain parameters
    assert _raw(conn, 0, 0x22, 0xC1, 0xA4, tlv.encode(0x80, encode_oid("0.4.0.127.0.7.2.2.4.1.2"))
                + b"\x83\x01\x02") == 0x6A80
    assert _raw(conn, 0, 0x22, 0xC1, 0xA4, oid + b"\x83\x01\x05") == 0x6A88
    assert _raw(conn, 0, 0x22, 0xC1, 0xA4, oid + b"\x83\x01\x02\x84\x01\x0c") == 0x6A88
    # a valid start, then the first step sent as the last of the chain
    assert _raw(conn, 0, 0x22, 0xC1, 0xA4, oid + b"\x83\x01\x02\x84\x01\x0d") == 0x9000
    assert _raw(conn, 0x00, 0x86, 0, 0, b"\x7c\x00") == 0x6985
    assert "pace" not in chip.state.scratch
    # garbage in the mapping step ends the exchange
    assert _raw(conn, 0, 0x22, 0xC1, 0xA4, oid + b"\x83\x01\x02") == 0x9000
    assert _raw(conn, 0x10, 0x86, 0, 0, b"\x7c\x00") == 0x9000
    assert _raw(conn, 0x10, 0x86, 0, 0, b"\x7c\x43\x81\x41\x04" + b"\x01" * 64) == 0x6A80
    assert _raw(conn, 0x10, 0x86, 0, 0, b"\x7c\x00") == 0x6985


def test_chip_forgets_pace_after_success() -> None:
    persona = personas.build("utopia-id-pace-im")
    chip, conn = _connect(persona)
    authenticate(conn, PacePassword.can(persona.can), _card_access(conn))
    assert "pace" not in chip.state.scratch
    assert _raw(conn, 0x10, 0x86, 0, 0, b"\x7c\x00") == 0x6985


def test_verify_cam_accepts_dg14_spki_forms() -> None:
    from cryptography.hazmat.primitives import serialization

    persona = personas.build("utopia-id-pace-cam")
    _, conn = _connect(persona)
    result = authenticate(conn, PacePassword.can(persona.can), _card_access(conn))
    spki = persona.ca_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert verify_cam(result, spki).passed
    info = ChipAuthenticationPublicKeyInfo("0.4.0.127.0.7.2.2.1.2", spki, None, "ECDH")
    assert verify_cam(result, info).passed
    assert verify_cam(result, b"\x30\x03\x02\x01\x01").verdict is Verdict.FAILED
    # tampered chip authentication data fails instead of raising
    assert result.cam is not None and result.cam.ca_ic is not None
    forged = replace(result, cam=replace(result.cam, ca_ic=result.cam.ca_ic + 1))
    assert verify_cam(forged, spki).verdict is Verdict.FAILED
    broken = replace(result, cam=replace(result.cam, ca_ic=None))
    assert verify_cam(broken, spki).check("cam_data") is not None
    assert verify_cam(broken, spki).verdict is Verdict.FAILED


class _Corrupting:
    """An in-process transport that corrupts one byte of the n-th response."""

    def __init__(self, chip: VirtualChip, index: int, offset: int, xor: int) -> None:
        self.inner = InProcessTransport(chip)
        self.inner.connect()
        self.atr = self.inner.atr
        self.supports_extended = self.inner.supports_extended
        self.index, self.offset, self.xor = index, offset, xor
        self.count = 0

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    def transmit(self, apdu: bytes) -> bytes:
        out = bytearray(self.inner.transmit(apdu))
        if self.count == self.index:
            out[self.offset % len(out)] ^= self.xor
        self.count += 1
        return bytes(out)


@settings(FUZZ, max_examples=min(EXAMPLES, 60))
@given(st.sampled_from(["utopia-id-pace-gm", "utopia-id-pace-im", "utopia-id-pace-cam"]),
       st.integers(min_value=1, max_value=4), st.integers(min_value=0, max_value=200),
       st.integers(min_value=1, max_value=255))
def test_fuzz_corrupted_chip_answers_never_authenticate(name: str, index: int, offset: int,
                                                        xor: int) -> None:
    persona = personas.build(name)
    card_access = parse_security_infos(persona.mf_files[0x011C])
    conn = ApduConnection(_Corrupting(VirtualChip(persona), index, offset, xor))
    try:
        result = authenticate(conn, PacePassword.can(persona.can), card_access)
    except CheckedIDError:
        return
    # Only PACE-CAM's chip authentication data (DO'8A') is outside the tokens: its
    # corruption must then fail the CAM check instead.
    assert result.cam is not None
    assert verify_cam(result, persona.ca_key.public_key()).verdict is Verdict.FAILED


@FUZZ
@given(st.lists(st.binary(max_size=80), min_size=4, max_size=4))
def test_fuzz_random_chip_answers(answers: list[bytes]) -> None:
    vectors = bytes.fromhex("31143012060A04007F0007020204020202010202010D")
    script = [b"\x90\x00"] + [a + b"\x90\x00" for a in answers]

    class Replay:
        atr = b""
        supports_extended = False

        def connect(self) -> None: ...

        def disconnect(self) -> None: ...

        def transmit(self, apdu: bytes) -> bytes:
            return script.pop(0) if script else b"\x6f\x00"

    with pytest.raises(CheckedIDError):
        authenticate(ApduConnection(Replay()), PacePassword.can("123456"),
                     parse_security_infos(vectors))


def test_ambiguous_card_access_sends_the_parameter_reference() -> None:
    persona = personas.build("utopia-id-pace-gm")
    chip, conn = _connect(persona)
    both = personas.card_access(PaceConfig("DH-GM", "AES-128", 0))[2:] + persona.mf_files[
        0x011C][2:]
    card_access = parse_security_infos(tlv.encode(0x31, both))
    assert len(card_access.pace) == 2
    seen: list[bytes] = []
    send = conn.transport.transmit

    def spy(apdu: bytes) -> bytes:
        seen.append(apdu)
        return send(apdu)

    conn.transport.transmit = spy  # type: ignore[method-assign]
    result = authenticate(conn, PacePassword.can(persona.can), card_access)
    assert result.mapping == "ECDH-GM"
    assert seen[0][:4] == bytes.fromhex("0022C1A4") and seen[0].endswith(b"\x84\x01\x0d")
    with pytest.raises(StatusWordError) as info:  # this chip offers no DH-GM
        authenticate(conn, PacePassword.can(persona.can), card_access, prefer="DH-GM")
    assert info.value.sw == 0x6A80 and chip.state.authenticated is None


@FUZZ
@given(st.sampled_from(["utopia-id-pace-gm", "utopia-id-pace-dh", "utopia-id-pace-im"]),
       st.integers(min_value=1, max_value=4), st.binary(max_size=150), st.booleans())
def test_fuzz_chip_answers_garbage_with_a_status_word(name: str, steps: int, garbage: bytes,
                                                      wrap: bool) -> None:
    persona = personas.build(name)
    assert persona.pace is not None
    chip = VirtualChip(persona)
    chip.power_on()
    oid = tlv.encode(0x80, encode_oid(persona.pace.oid))
    assert chip.process(Command(0, 0x22, 0xC1, 0xA4, oid + b"\x83\x01\x02").to_bytes()) \
        == b"\x90\x00"
    if steps > 1:
        assert chip.process(Command(0x10, 0x86, 0, 0, b"\x7c\x00", 256).to_bytes())[-2:] \
            == b"\x90\x00"
    data = tlv.encode(0x7C, garbage) if wrap else garbage
    cla = 0x00 if steps == 4 else 0x10
    out = chip.process(Command(cla, 0x86, 0, 0, data, 256).to_bytes() if data else
                       bytes([cla, 0x86, 0, 0]))
    assert out[-2:] in (b"\x90\x00", b"\x6a\x80", b"\x69\x85", b"\x68\x83")
    assert chip.state.authenticated is None
