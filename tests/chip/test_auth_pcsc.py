"""Authenticity over the real PC/SC chain (pcscd + vpcd + virtual chip subprocess):
Active Authentication, Chip Authentication and Passive Authentication of what was read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hw.pki import get_pki
from hw.vchip import personas

from checkedid.nfc.access.negotiate import open_session
from checkedid.nfc.auth import aa, ca
from checkedid.nfc.files import CARD_ACCESS, COM, EF, SOD, FileReader
from checkedid.nfc.iso7816.pcsc import PcscTransport
from checkedid.nfc.lds.dg14 import parse_dg14
from checkedid.nfc.lds.dg15 import parse_dg15
from checkedid.nfc.pki import pa
from checkedid.nfc.pki.trust import TrustStore
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.secret import Secret
from checkedid.verdict import Verdict
from tests.chip.conftest import READER, VChipFactory


@contextmanager
def opened(persona: str) -> Iterator[tuple[ApduConnection, FileReader]]:
    """PACE (CAN) or BAC (MRZ information) through the core APIs, then the application."""
    p = personas.build(persona)
    with PcscTransport(READER, timeout=5) as transport:
        conn = ApduConnection(transport)
        files = FileReader(conn)
        card_access = b""
        if p.pace is not None:
            files.select_master_file()
            card_access = bytes(files.read(CARD_ACCESS).content())
        password: Secret | str = p.can if p.pace is not None else \
            Secret(p.mrz_information.encode("ascii"))
        open_session(conn, password, card_access, files, warnings=[])
        files.secure = True
        yield conn, files


def read(files: FileReader, ef: EF) -> bytes:
    return bytes(files.read(ef).content())


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> TrustStore:
    out: Path = tmp_path_factory.mktemp("trust")
    get_pki().export(out)
    return TrustStore.load(out)


def test_genuine_id_card_ca_aa_pa(vchip: VChipFactory, trust: TrustStore) -> None:
    vchip("utopia-id-pace-gm")
    with opened("utopia-id-pace-gm") as (conn, files):
        dg14_raw = read(files, EF.dg(14))
        result = ca.chip_authenticate(conn, parse_dg14(dg14_raw))
        assert result.pending
        conn.install_sm(result.session)  # type: ignore[arg-type]
        files.forget_selection()
        com = read(files, COM)  # the first command under the new keys
        chip = ca.confirm(result.check, True)
        dgs = {14: dg14_raw, 1: read(files, EF.dg(1)), 15: read(files, EF.dg(15))}
        sod = read(files, SOD)
        active = aa.active_authenticate(conn, parse_dg15(dgs[15]), parse_dg14(dg14_raw))
    assert com[0] == 0x60
    passive = pa.passive_authenticate(sod, dgs, trust)
    assert passive.verdict is Verdict.PASSED, passive.reason
    active, chip = ca.apply_trust(active, chip, passive, pa.covered_dgs(sod))
    assert chip.verdict is Verdict.PASSED, chip.reason
    assert active.verdict is Verdict.PASSED, active.reason


def test_ca_key_mismatch_is_failed_not_a_crash(vchip: VChipFactory) -> None:
    vchip("fault-ca-key-mismatch")
    with opened("fault-ca-key-mismatch") as (conn, files):
        result = ca.chip_authenticate(conn, parse_dg14(read(files, EF.dg(14))))
        assert result.pending
        conn.install_sm(result.session)  # type: ignore[arg-type]
        files.forget_selection()
        try:
            read(files, COM)
            ok = True
        except Exception:
            ok = False
    assert ok is False
    assert ca.confirm(result, ok).check.verdict is Verdict.FAILED


def test_bac_passport_aa_and_cloned_chip(vchip: VChipFactory) -> None:
    verdicts = {}
    for persona in ("utopia-passport-bac", "fault-cloned-chip"):
        vchip(persona)
        with opened(persona) as (conn, files):
            dg15 = parse_dg15(read(files, EF.dg(15)))
            verdicts[persona] = aa.active_authenticate(conn, dg15, None)
    assert verdicts["utopia-passport-bac"].verdict is Verdict.PASSED
    assert verdicts["fault-cloned-chip"].verdict is Verdict.FAILED
    assert "possible clone" in verdicts["fault-cloned-chip"].reason


@pytest.mark.parametrize(("persona", "failed"), [
    ("fault-expired-ds", "validity"),
    ("fault-revoked-ds", "revocation"), ("fault-bad-sod-signature", "ds_signature"),
    ("fault-tampered-dg1", "dg_hashes")])
def test_pki_faults_read_from_the_chip(vchip: VChipFactory, trust: TrustStore, persona: str,
                                       failed: str) -> None:
    vchip(persona)
    with opened(persona) as (_conn, files):
        sod = read(files, SOD)
        dgs = {1: read(files, EF.dg(1))}
    g = pa.passive_authenticate(sod, dgs, trust)
    assert g.verdict is Verdict.FAILED
    assert g.check(failed).verdict is Verdict.FAILED, g.to_dict()  # type: ignore[union-attr]
