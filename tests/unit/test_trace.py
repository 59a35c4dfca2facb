"""APDU traces: what the recorder writes (and never writes), and the committed traces of the
quirk personas replayed over a stand-in chip (tests/data/traces, made by record.py there)."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import Persona, build
from hw.vchip.quirks import QUIRKS

from checkedid.errors import InputError, ParseError, StatusWordError
from checkedid.nfc.chipdata import ChipData
from checkedid.nfc.iso7816.apdu import SW
from checkedid.nfc.iso7816.trace import FIELDS, ReplayTransport, TraceRecorder, load_trace, records
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.reader import ChipReader
from checkedid.secret import Secret

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"


def access(persona: Persona) -> Secret | str:
    return persona.can if persona.pace is not None else \
        Secret(persona.mrz_information.encode("ascii"), label="mrz")


def stand_in(quirk_persona: str) -> Persona:
    """The quirk persona's content (its EF.CardAccess included) without its behaviour."""
    p = build(quirk_persona)
    mf = dict(p.mf_files)
    if p.spec.quirk:
        probe = Persona(p.spec, p.files, mf, p.aa_key, p.ca_key, p.extras)
        QUIRKS[p.spec.quirk.partition(":")[0]]().install(probe)
    return Persona(replace(p.spec, quirk=None), p.files, mf, p.aa_key, p.ca_key, p.extras)


def replay(trace: str, persona: str) -> tuple[ChipData, ReplayTransport, list[bytes]]:
    chip_persona = stand_in(persona)
    sent: list[bytes] = []

    class Spy(InProcessTransport):
        def transmit(self, apdu: bytes) -> bytes:
            sent.append(apdu)
            return super().transmit(apdu)

    transport = ReplayTransport(TRACES / f"{trace}.jsonl", Spy(VirtualChip(chip_persona)))
    transport.connect()
    return ChipReader(transport).read(access(chip_persona)), transport, sent


def _refusals(trace: str) -> int:
    return sum(1 for r in records(TRACES / f"{trace}.jsonl")
               if "sw" in r and r["len"] == 0 and r["ins"] != "C0"
               and r["sw"] not in ("9000", "6282") and r["sw"][:2] not in ("61", "6C"))


def test_recorder_writes_headers_only_owner_readable(tmp_path: Path) -> None:
    persona = build("utopia-passport-bac")
    path = tmp_path / "read.jsonl"
    with TraceRecorder(InProcessTransport(VirtualChip(persona)), path) as rec:
        rec.connect()
        data = ChipReader(rec).read(access(persona))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    recs = list(records(path))
    assert recs[0] == {"trace": "checkedid-apdu", "version": 1}
    exchanges = [r for r in recs if "sw" in r]
    assert len(exchanges) == data.apdu_count
    assert all(set(r) == FIELDS for r in exchanges)
    text = path.read_text()
    # nothing of the holder, the MRZ or any data field: not even as hex
    for secret in (persona.spec.document_number, persona.mrz_information, "ERIKSSON",
                   persona.files[0x0101][:8].hex().upper(), persona.files[0x0101][:8].hex()):
        assert secret not in text
    # BAC's cryptogram (GET CHALLENGE answer, EXTERNAL AUTHENTICATE body) is not there either
    ext_auth = [r for r in exchanges if r["ins"] == "82"]
    assert ext_auth and all(r["lc"] == 40 and r["len"] == 40 for r in ext_auth)
    assert max(len(line) for line in text.splitlines()) < 200
    with pytest.raises(InputError, match="exists already"):
        TraceRecorder(InProcessTransport(VirtualChip(persona)), path)


@pytest.mark.parametrize("name", ["quirk-no-sfi", "quirk-short-apdu-only", "quirk-t0-chaining",
                                  "quirk-select-mf-first", "quirk-multi-paceinfo",
                                  "quirk-eof-6282"])
def test_committed_traces_are_headers_only(name: str) -> None:
    recs = list(records(TRACES / f"{name}.jsonl"))
    assert all(set(r) == FIELDS for r in recs if "sw" in r)
    assert sum("sw" in r for r in recs) > 10


def test_no_sfi_trace_reproduces_the_fall_back_over_an_ordinary_chip() -> None:
    # the stand-in is the plain BAC passport, which does take SFIs: only the trace refuses
    data, transport, _sent = replay("quirk-no-sfi", "quirk-no-sfi")
    assert data.access_details["short_ef_identifiers"] is False
    assert transport.refused == _refusals("quirk-no-sfi") and transport.unused == []
    assert data.active.verdict.value == "PASSED" and data.recoveries == 0
    plain, _, _ = replay_base("utopia-passport-bac")
    assert plain.access_details["short_ef_identifiers"] is True


def replay_base(persona: str) -> tuple[ChipData, None, None]:
    p = build(persona)
    transport = InProcessTransport(VirtualChip(p))
    transport.connect()
    return ChipReader(transport).read(access(p)), None, None


def test_short_apdu_trace_reproduces_the_extended_length_refusal() -> None:
    data, transport, sent = replay("quirk-short-apdu-only", "quirk-short-apdu-only")
    assert data.access_details["extended_length"] is False
    assert transport.refused == 1 and transport.unused == []
    assert sum(len(a) >= 7 and a[4] == 0 for a in sent) == 0  # refused before the chip saw it
    assert data.chip.verdict.value == "PASSED"


def test_t0_trace_recreates_get_response_chaining() -> None:
    data, transport, sent = replay("quirk-t0-chaining", "quirk-t0-chaining")
    assert transport.t0_part == 256 and transport.wrong_le
    assert not any(a[1] == 0xC0 for a in sent)  # GET RESPONSE answered by the replay
    assert data.chip.verdict.value == "PASSED" and data.active.verdict.value == "PASSED"


def test_select_mf_first_trace() -> None:
    data, transport, sent = replay("quirk-select-mf-first", "quirk-select-mf-first")
    assert transport.refused == _refusals("quirk-select-mf-first") == 1
    assert sent[0] == bytes.fromhex("00A4000C023F00")  # SFI read refused by the replay
    assert data.chip.verdict.value == "PASSED"


def test_multi_paceinfo_trace_success_and_failure() -> None:
    data, transport, _ = replay("quirk-multi-paceinfo", "quirk-multi-paceinfo")
    assert transport.refused == 1 and data.protocol == "PACE ECDH-GM brainpoolP256r1 AES-128"
    assert any("refused PACE ECDH-GM AES-256" in w for w in data.warnings)
    # the failing document's trace: every PACE variant refused -- reproduced, and no BAC
    with pytest.raises(StatusWordError) as err:
        replay("quirk-multi-paceinfo-all-refused", "quirk-multi-paceinfo")
    assert err.value.sw == SW.WRONG_DATA and "MSE:Set AT" in str(err.value)


def test_eof_6282_trace_reads() -> None:
    # the trace shows 6282 inside secure messaging: the replay cannot re-create a protected
    # status word, so only the plain refusals (no EF.CardAccess on a BAC passport) come back
    recs = [r for r in records(TRACES / "quirk-eof-6282.jsonl") if "sw" in r]
    assert sum(r["sw"] == "6282" and r["sm"] and r["len"] > 0 for r in recs) >= 3
    data, transport, _ = replay("quirk-eof-6282", "quirk-eof-6282")
    assert transport.refused == _refusals("quirk-eof-6282") == 2 and transport.unused == []
    assert data.active.verdict.value == "PASSED"


@pytest.mark.parametrize(("lines", "match"), [
    (['{"cla":"00"}'], "no header"),
    (['{"trace":"other","version":1}'], "not a checkedid APDU trace"),
    (['{"trace":"checkedid-apdu","version":1}', '{"cla":"zz","ins":"B0"}'], "line 2"),
])
def test_malformed_trace_is_a_parse_error(lines: list[str], match: str) -> None:
    with pytest.raises(ParseError, match=match):
        load_trace(lines)


def test_cli_read_trace_option(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    from checkedid.cli import main as cli_main
    from checkedid.nfc.iso7816 import pcsc

    persona = build("quirk-no-sfi")

    class FakePcsc(InProcessTransport):
        def __init__(self, *_a: Any, **_k: Any) -> None:
            super().__init__(VirtualChip(persona))

    monkeypatch.setattr(pcsc, "PcscTransport", FakePcsc)
    out = tmp_path / "field.jsonl"
    code = cli_main(["read", "--mrz", persona.spec.mrz, "--trace", str(out), "--json"])
    assert code == 0, capsys.readouterr()
    result = json.loads(capsys.readouterr().out)
    assert result["protocol"] == "BAC"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    _atr, exchanges = load_trace(out)
    assert any(e.ins == 0xB0 and e.p1 & 0x80 and e.sw == SW.FILE_NOT_FOUND for e in exchanges)
