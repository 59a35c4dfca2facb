"""Chips that are not like ours: the quirk personas read in process, and the APDU layer's
fall-backs one by one (ISO/IEC 7816-4 §5.6, §11.3.3; ICAO Doc 9303-10 §3.11, 9303-11 §4.4)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.faults import Fault
from hw.vchip.personas import Persona, build
from hw.vchip.quirks import QUIRK_PERSONAS, QUIRKS

from checkedid.errors import (
    AccessDenied,
    FileNotFound,
    LDSError,
    ProtocolError,
    SecureMessagingError,
    StatusWordError,
)
from checkedid.nfc.chipdata import ChipData
from checkedid.nfc.files import COM, EF, ChunkPolicy
from checkedid.nfc.iso7816.apdu import SW, Command, status_error, transceive
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.reader import ChipReader
from checkedid.secret import Secret
from tests.unit.test_files import open_chip, secure

QUIRK_NAMES = [f"quirk-{q}" for q, _base, _text in QUIRK_PERSONAS]


class Log(InProcessTransport):
    """Keeps every raw command and answer."""

    def __init__(self, chip: VirtualChip) -> None:
        super().__init__(chip)
        self.log: list[tuple[bytes, bytes]] = []

    def transmit(self, apdu: bytes) -> bytes:
        out = super().transmit(apdu)
        self.log.append((apdu, out))
        return out


def with_quirk(name: str, quirk: str | None) -> Persona:
    p = build(name)
    return Persona(replace(p.spec, quirk=quirk), p.files, dict(p.mf_files), p.aa_key, p.ca_key,
                   p.extras)


def full_read(persona: Persona, **kwargs: Any) -> tuple[ChipData, VirtualChip, Log]:
    chip = VirtualChip(persona)
    transport = Log(chip)
    transport.connect()
    access: Secret | str = persona.can if persona.pace is not None else \
        Secret(persona.mrz_information.encode("ascii"), label="mrz")
    return ChipReader(transport, **kwargs).read(access), chip, transport


@pytest.mark.parametrize("name", QUIRK_NAMES)
def test_quirk_persona_reads_completely(name: str) -> None:
    # the slow chip at 1/20 of its delays (the full ones: tests/chip/test_quirks_pcsc.py)
    persona = with_quirk(name, "slow-wtx:0.05") if name == "quirk-slow-wtx" else build(name)
    data, chip, transport = full_read(persona)
    base = build(persona.spec.name)
    assert chip.state.fault is not None and chip.state.fault.fired > 0  # the quirk was met
    assert data.recoveries == 0  # a fall-back is not a recovery from a fault
    assert data.dg_bytes[1] == base.files[0x0101] and data.dg_bytes[2] == base.files[0x0102]
    assert data.active.verdict.value == ("PASSED" if persona.spec.aa else "NOT_SUPPORTED")
    assert data.chip.verdict.value == ("PASSED" if persona.spec.ca else "NOT_SUPPORTED")
    sent = [apdu for apdu, _ in transport.log]
    details = data.access_details
    if name == "quirk-no-sfi":
        assert details["short_ef_identifiers"] is False
        # after the refusal no READ BINARY addresses a file by SFI any more
        first = next(i for i, (a, o) in enumerate(transport.log)
                     if a[0] & 0x0C and o == b"\x6a\x82")
        assert not any(a[1] == 0xB0 and a[2] & 0x80 for a in sent[first + 1:])
    else:
        assert details["short_ef_identifiers"] is True
    if name == "quirk-short-apdu-only":
        assert details["extended_length"] is False
        extended = [a for a in sent if len(a) >= 7 and a[4] == 0]
        assert len(extended) == 1  # one refusal, then short APDUs
    if name == "quirk-t0-chaining":
        assert sum(a[1] == 0xC0 for a in sent) >= len(data.file_sizes)
        assert any(o[-2] == 0x6C for _, o in transport.log)
    if name == "quirk-select-mf-first":
        assert sent[0][1:3] == b"\xb0\x9c" and transport.log[0][1] == b"\x6a\x82"
        assert sent[1:3] == [bytes.fromhex("00A4000C023F00"), bytes.fromhex("00A4020C02011C")]
        assert all(a[3] == 0x0C for a in sent if a[1] == 0xA4)
    if name == "quirk-multi-paceinfo":
        assert data.protocol == "PACE ECDH-GM brainpoolP256r1 AES-128"
        assert any("refused PACE ECDH-GM AES-256" in w for w in data.warnings)
        assert sum(a[1] == 0x22 and a[2:4] == b"\xc1\xa4" for a in sent) == 2
    if name == "quirk-eof-6282":
        assert any(o[-2:] == b"\x62\x82" and len(o) > 2 for _, o in transport.log)


def test_every_pace_variant_refused_fails_without_bac() -> None:
    persona = with_quirk("quirk-multi-paceinfo", "multi-paceinfo:all")
    with pytest.raises(StatusWordError) as err:
        full_read(persona)
    assert err.value.sw == SW.WRONG_DATA and "MSE:Set AT" in str(err.value)


@pytest.mark.parametrize("sw", [0x6A82, 0x6A86, 0x6B00, 0x6D00, 0x6E00])
def test_sfi_refused_with_any_of_the_usual_status_words(sw: int) -> None:
    persona = with_quirk("utopia-id-pace-gm", f"no-sfi:{sw:04X}")
    data, _chip, _ = full_read(persona)
    assert data.access_details["short_ef_identifiers"] is False
    assert data.chip.verdict.value == "PASSED" and data.recoveries == 0


class DropsSessionOnSfi(Fault):
    """A chip that answers a protected SFI read with a broken SM answer (6988) every time."""

    def before(self, chip: Any, apdu: bytes) -> bytes | None:
        if apdu[0] & 0x0C and apdu[1] == 0xB0 and apdu[2] & 0x80:
            chip.clear_session()
            return b"\x69\x88"
        return None


def test_sm_error_on_sfi_twice_means_no_sfi() -> None:
    persona = build("utopia-id-pace-im")
    chip = VirtualChip(persona, fault=DropsSessionOnSfi())
    transport = InProcessTransport(chip)
    transport.connect()
    data = ChipReader(transport).read(persona.can)
    # the first SM error may be a damaged answer: one recovery; the second one is the chip
    assert data.recoveries == 1 and data.access_details["short_ef_identifiers"] is False


class NoLeZero(Fault):
    """A chip that takes Le = 00 (256) nowhere outside secure messaging: 6700."""

    def before(self, chip: Any, apdu: bytes) -> bytes | None:
        if not apdu[0] & 0x0C and apdu[1] == 0xB0 and len(apdu) == 5 and apdu[4] == 0:
            self.fired += 1
            return b"\x67\x00"
        return None


def test_le_zero_refused_asks_for_255_bytes() -> None:
    persona = build("utopia-id-pace-dh")  # short APDUs: EF.CardAccess is read with Le = 00
    chip = VirtualChip(persona, fault=NoLeZero())
    transport = Log(chip)
    transport.connect()
    data = ChipReader(transport).read(persona.can)
    assert chip.state.fault is not None and chip.state.fault.fired == 1
    assert data.chip.verdict.value == "PASSED" and data.recoveries == 0
    # the secure reads keep their 223-byte chunks: only the plain Le changed
    assert data.access_details["chunk_size"] == 0xDF and data.access_details["chunk_shrunk"] == 0
    assert transport.log[1][0] == bytes.fromhex("00B09C00FF")


class NoOddIns(Fault):
    def command(self, chip: Any, cmd: Command) -> Any:
        from hw.vchip.chip import Response

        return Response(b"", SW.INS_NOT_SUPPORTED) if cmd.ins == 0xB1 else None


def test_odd_ins_refused_reads_far_bytes_with_one_extended_b0() -> None:
    # 8143-byte chunks: the sixth starts at 40715, beyond B0's offsets, and ends the file
    big = b"\x65\x82\x9f\x5c" + bytes(range(256)) * 159 + bytes(92)
    gm = build("utopia-id-pace-gm")
    persona = Persona(gm.spec, {**gm.files, 0x0105: big}, gm.mf_files, gm.aa_key, gm.ca_key,
                      gm.extras)
    files, transport, chip = open_chip(persona, policy=ChunkPolicy(extended=True,
                                                                   max_response=0x2000))
    chip.state.fault = NoOddIns()
    secure(files, chip)
    assert bytes(files.read(EF.dg(5)).content()) == big
    assert files.odd_ins is False
    far = [(ins, p1) for ins, p1 in transport.sent if ins == 0xB0 and p1 == 0x7F]
    assert len(far) >= 1 and sum(ins == 0xB1 for ins, _ in transport.sent) == 1


def test_odd_ins_refused_is_a_clear_lds_error() -> None:
    big = b"\x65\x82\x9c\x3c" + bytes(40_000)
    persona = build("quirk-short-apdu-only")
    persona = Persona(persona.spec, {**persona.files, 0x0105: big}, persona.mf_files,
                      persona.aa_key, persona.ca_key, persona.extras)
    files, _transport, chip = open_chip(persona, policy=ChunkPolicy(fixed=0xDF))
    secure(files, chip)
    with pytest.raises(LDSError, match="beyond 32767"):
        files.read(EF.dg(5))
    assert files.odd_ins is False


def test_protected_6a82_on_sfi_selects_by_fid_in_the_same_session() -> None:
    class Protected6A82(Fault):
        def command(self, chip: Any, cmd: Command) -> Any:
            from hw.vchip.chip import Response

            return Response(b"", SW.FILE_NOT_FOUND) if cmd.ins == 0xB0 and cmd.p1 & 0x80 else None

    files, _transport, chip = open_chip(build("utopia-id-pace-gm"))
    chip.state.fault = Protected6A82()
    secure(files, chip)
    assert bytes(files.read(COM).content()) == build("utopia-id-pace-gm").files[0x011E]
    assert files.sfi is False and files.fallback_reopen is False


def test_a_missing_file_does_not_switch_sfi_off() -> None:
    class NoDG12(Fault):  # a DG listed in EF.COM that the chip does not have (6A82, in SM)
        def command(self, chip: Any, cmd: Command) -> Any:
            from hw.vchip.chip import Response

            sfi = cmd.ins == 0xB0 and cmd.p1 == 0x8C
            fid = cmd.ins == 0xA4 and bytes(cmd.data) == b"\x01\x0c"
            return Response(b"", SW.FILE_NOT_FOUND) if sfi or fid else None

    persona = build("utopia-id-pace-gm")
    chip = VirtualChip(persona, fault=NoDG12())
    transport = InProcessTransport(chip)
    transport.connect()
    data = ChipReader(transport).read(persona.can)
    assert "DG12 is not on the chip: not read" in data.warnings
    assert data.access_details["short_ef_identifiers"] is True
    assert "fallbacks" not in data.access_details and 12 not in data.dg_bytes


# -- the APDU layer: one table, one chaining loop ---------------------------------------

@pytest.mark.parametrize(("sw", "error"), [
    (0x6982, AccessDenied), (0x6983, AccessDenied), (0x6984, AccessDenied),
    (0x6985, AccessDenied), (0x6A82, FileNotFound), (0x6987, SecureMessagingError),
    (0x6988, SecureMessagingError), (0x6882, SecureMessagingError), (0x6986, StatusWordError),
    (0x6A86, StatusWordError), (0x6F00, StatusWordError)])
def test_one_status_word_table(sw: int, error: type[Exception]) -> None:
    exc = status_error(sw, "READ BINARY EF.DG1")
    assert type(exc) is error and "READ BINARY EF.DG1" in str(exc) and f"{sw:04X}" in str(exc)


def test_transceive_joins_get_response_parts_and_reissues_on_6cxx() -> None:
    sent: list[bytes] = []
    answers = [bytes.fromhex("6C05"), b"\x01\x02" + bytes.fromhex("6103"),
               b"\x03\x04\x05" + bytes.fromhex("9000")]

    def transmit(apdu: bytes) -> bytes:
        sent.append(apdu)
        return answers.pop(0)

    out = transceive(transmit, bytes.fromhex("00B0000000"))
    assert out == bytes.fromhex("01020304059000")
    assert sent == [bytes.fromhex("00B0000000"), bytes.fromhex("00B0000005"),
                    bytes.fromhex("00C0000003")]


def test_transceive_keeps_extended_form_and_bounds_chaining() -> None:
    sent: list[bytes] = []

    def wrong_le(apdu: bytes) -> bytes:
        sent.append(apdu)
        return bytes.fromhex("6C10") if len(sent) == 1 else bytes.fromhex("9000")

    transceive(wrong_le, Command(0, 0xB0, 0, 0, b"", 1000).to_bytes(True))
    assert sent[1] == bytes.fromhex("00B0000000" "0010")

    def endless(apdu: bytes) -> bytes:
        return b"\x00" + bytes.fromhex("6101")

    with pytest.raises(ProtocolError, match="GET RESPONSE"):
        transceive(endless, bytes.fromhex("00B0000000"))


def test_quirk_catalogue_is_complete() -> None:
    assert set(QUIRKS) == {q for q, _b, _t in QUIRK_PERSONAS} == {
        "no-sfi", "short-apdu-only", "t0-chaining", "select-mf-first", "multi-paceinfo",
        "eof-6282", "slow-wtx"}


@pytest.mark.parametrize("name", ["quirk-no-sfi", "quirk-short-apdu-only"])
def test_fall_backs_hold_when_sm_rejects_every_bare_status_word(
        monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Under secure messaging an unprotected status word may also be taken as an SM error
    (Doc 9303-11 §9.8.6): the file layer still recognises the refused feature."""
    from checkedid.nfc.iso7816.apdu import Response
    from checkedid.nfc.sm.messaging import SMSession

    original = SMSession.unprotect_response

    def strict(self: SMSession, resp: Response) -> Response:
        if not resp.data and resp.sw != SW.OK:
            raise SecureMessagingError(f"unprotected status word {resp.sw:04X}")
        return original(self, resp)

    monkeypatch.setattr(SMSession, "unprotect_response", strict)
    data, _chip, _ = full_read(build(name))
    assert data.recoveries == 0 and data.dg_bytes[1] == build(name).files[0x0101]
    if name == "quirk-no-sfi":
        assert data.access_details["short_ef_identifiers"] is False
    else:
        assert data.access_details["extended_length"] is False
