"""SELECT / READ BINARY against the virtual chip: chunking, odd INS, lengths, progress.

Secure messaging is set up with known session keys on both sides (no BAC/PACE), so
these tests exercise the file layer alone (ICAO Doc 9303-10 §3.11, ISO 7816-4 §11.3.3).
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.faults import make_fault
from hw.vchip.personas import Persona, build
from hw.vchip.secure_messaging import ChipSession

from checkedid.errors import AccessDenied, ChipTimeout, FileNotFound, LDSError
from checkedid.nfc.files import (
    ATR_INFO,
    CARD_ACCESS,
    COM,
    EF,
    SHORT_SM_CHUNK,
    SOD,
    ChunkPolicy,
    FileReader,
    PartialFile,
    parse_atr_info,
)
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.nfc.sm.messaging import SMSession

K_ENC = bytes(range(16))
K_MAC = bytes(range(16, 32))


class Recorder(InProcessTransport):
    """Records the INS and (outer) P1 of every command."""

    def __init__(self, chip: VirtualChip) -> None:
        super().__init__(chip)
        self.sent: list[tuple[int, int]] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append((apdu[1], apdu[2]))
        return super().transmit(apdu)


def open_chip(persona: Persona, *, policy: ChunkPolicy | None = None,
              progress: list[tuple[str, int, int]] | None = None,
              deadline: float | None = None) -> tuple[FileReader, Recorder, VirtualChip]:
    chip = VirtualChip(persona)
    transport = Recorder(chip)
    transport.connect()
    conn = ApduConnection(transport)
    pol = policy or ChunkPolicy(extended=conn.supports_extended)
    files = FileReader(conn, pol, deadline=deadline,
                       progress=(lambda f, d, t: progress.append((f, d, t)))
                       if progress is not None else None)
    return files, transport, chip


def secure(files: FileReader, chip: VirtualChip) -> None:
    """Known-key secure messaging on both sides, as if BAC/PACE had just run."""
    chip.state.sm = ChipSession("AES-128", K_ENC, K_MAC, 0)
    chip.state.authenticated = "PACE"
    conn = files.conn
    assert isinstance(conn, ApduConnection)
    conn.install_sm(SMSession("AES-128", K_ENC, K_MAC, 0))
    files.secure = True
    files.select_application()


@pytest.fixture(scope="module")
def gm() -> Persona:
    return build("utopia-id-pace-gm")


@pytest.fixture(scope="module")
def bac() -> Persona:
    return build("utopia-passport-bac")


def test_mf_files_in_plain_and_atr_info_limit(gm: Persona) -> None:
    files, _, _ = open_chip(gm)
    assert bytes(files.read(CARD_ACCESS).content()) == gm.mf_files[0x011C]
    info = files.read(ATR_INFO).content()
    assert parse_atr_info(info) == min(gm.max_read, 0xFFFF)
    assert parse_atr_info(b"\x7f\x66\x00") is None and parse_atr_info(b"\x01") is None


def test_extended_reads_whole_files_in_few_apdus(gm: Persona) -> None:
    progress: list[tuple[str, int, int]] = []
    files, transport, chip = open_chip(gm, progress=progress)
    secure(files, chip)
    for ef in (COM, SOD, EF.dg(1), EF.dg(2)):
        if ef.fid not in gm.files:
            continue
        before = len(transport.sent)
        assert bytes(files.read(ef).content()) == gm.files[ef.fid]
        # first read by SFI already carries the whole file: one APDU
        assert len(transport.sent) - before == 1
        assert transport.sent[before][1] == 0x80 | ef.sfi
    dg2 = [p for p in progress if p[0] == "DG2"]
    assert dg2[-1] == ("DG2", len(gm.files[0x0102]), len(gm.files[0x0102]))
    assert files.policy.describe()["extended_length"] is True


def test_short_chunks_of_223_bytes_with_progress(bac: Persona) -> None:
    progress: list[tuple[str, int, int]] = []
    files, transport, chip = open_chip(bac, progress=progress)
    assert files.policy.extended is False
    secure(files, chip)
    before = len(transport.sent)
    content = bytes(files.read(EF.dg(2)).content())
    assert content == bac.files[0x0102]
    n = len(content)
    expected = -(-n // SHORT_SM_CHUNK)
    assert len(transport.sent) - before == expected
    done = [d for f, d, t in progress if f == "DG2"]
    assert done == sorted(done) and done[-1] == n and len(done) == expected
    assert all(d - p <= SHORT_SM_CHUNK for p, d in zip([0, *done], done, strict=False))


def test_odd_ins_beyond_32767_and_resume_from_offset(gm: Persona) -> None:
    body = os.urandom(70_000)
    big = tlv.encode(0x65, body)
    persona = replace(gm, files={**gm.files, 0x0105: big})
    files, transport, chip = open_chip(persona, policy=ChunkPolicy(extended=True,
                                                                   max_response=0x4000))
    secure(files, chip)
    part = PartialFile(EF.dg(5))
    files.read(EF.dg(5), part)
    assert bytes(part.content()) == big
    assert any(ins == 0xB1 for ins, _ in transport.sent)
    # resume: a partial file continues at its offset (after a new session, nothing selected)
    files2, _, chip2 = open_chip(persona, policy=ChunkPolicy(extended=True,
                                                                      max_response=0x4000))
    secure(files2, chip2)
    half = PartialFile(EF.dg(5), bytearray(len(big)), len(big), 40_000)
    half.buf[:40_000] = big[:40_000]
    files2.read(EF.dg(5), half)
    assert bytes(half.content()) == big
    assert chip2.state.counters["bytes_read"] == len(big) - 40_000


def test_wrong_length_shrinks_the_chunk(gm: Persona) -> None:
    policy = ChunkPolicy(extended=True)
    sizes = [policy.size(True)]
    while policy.shrink(True):
        sizes.append(policy.size(True))
    assert sizes[0] > 0x8000 and sizes[1] == sizes[0] // 2
    assert SHORT_SM_CHUNK in sizes and sizes[-1] == 0x20 and sizes == sorted(sizes, reverse=True)
    assert policy.extended is False and policy.shrunk == len(sizes) - 1
    fallback = ChunkPolicy(extended=True)
    fallback.use_short()
    assert fallback.size(True) == SHORT_SM_CHUNK and fallback.describe()["chunk_shrunk"] == 1
    # end to end: a chip that refuses Le > 1024 is read in 1023-byte extended chunks
    files, _transport, chip = open_chip(gm)
    chip.state.fault = make_fault("wrong-length:1024")
    secure(files, chip)
    assert bytes(files.read(EF.dg(2)).content()) == gm.files[0x0102]
    assert files.policy.size(True) <= 1024 < files.policy.size(True) * 2


def test_refusals_are_typed(gm: Persona) -> None:
    files, _, chip = open_chip(gm)
    with pytest.raises(AccessDenied):  # before access control
        files.select_application()
        files.read(COM)
    files, _, chip = open_chip(replace(gm, files={**gm.files, 0x0103: b"\x63\x02\x01\x02"}))
    secure(files, chip)
    with pytest.raises(AccessDenied) as denied:
        files.read(EF.dg(3))
    assert denied.value.sw == 0x6982 and "DG3" in str(denied.value)
    with pytest.raises(FileNotFound):
        files.read(EF.dg(9))


def test_header_longer_than_file_is_an_lds_error(gm: Persona) -> None:
    lying = b"\x65\x82\x10\x00" + b"\x00" * 300  # announces 4096, holds 300
    files, _, chip = open_chip(replace(gm, files={**gm.files, 0x0105: lying}),
                               policy=ChunkPolicy(fixed=0x80))
    secure(files, chip)
    with pytest.raises(LDSError, match="before the length"):
        files.read(EF.dg(5))
    huge = b"\x65\x84\x7f\x00\x00\x00"
    files, _, chip = open_chip(replace(gm, files={**gm.files, 0x0105: huge}))
    secure(files, chip)
    with pytest.raises(LDSError, match="more than any LDS file"):
        files.read(EF.dg(5))


def test_deadline(gm: Persona) -> None:
    files, _, _ = open_chip(gm, deadline=0.0)
    with pytest.raises(ChipTimeout):
        files.read(CARD_ACCESS)


def test_refusals_in_the_middle_of_a_file_are_handled_as_on_its_first_read(gm: Persona) -> None:
    """After the first chunk the reader sends READ BINARY through the connection's READ
    BINARY path: a 6700 there shrinks the chunk and reads on, as on the first read."""
    files, _transport, chip = open_chip(gm, policy=ChunkPolicy(extended=False))
    secure(files, chip)
    fault = make_fault("wrong-length:100")
    seen: list[int] = []

    def progress(_file: str, done: int, _total: int) -> None:
        seen.append(done)
        chip.state.fault = fault  # from the second chunk on

    files.progress = progress
    assert bytes(files.read(EF.dg(2)).content()) == gm.files[0x0102]
    assert fault is not None and fault.fired == 2  # 223 -> 111 -> 55 bytes
    assert seen[0] == SHORT_SM_CHUNK and files.policy.size(True) <= 100
    assert seen[1] - seen[0] == files.policy.size(True)
