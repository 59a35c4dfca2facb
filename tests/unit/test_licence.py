"""Driving licences in process: eDL application, DG1 parser, BAP and PACE, the pipeline."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.licence import dg1 as build_dg1
from hw.vchip.personas import Persona, build, spec

from checkedid.demo import virtual_trust_store
from checkedid.errors import InputError, LDSError
from checkedid.mrz.licence import parse_licence
from checkedid.nfc.access.bac import BACError
from checkedid.nfc.access.pace import licence_password as pace_password
from checkedid.nfc.application import EMRTD, ISO_EDL_AID, LICENCE, for_access
from checkedid.nfc.iso7816.tlv import encode
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.lds.edl import parse_licence_dg1
from checkedid.nfc.pki import pa
from checkedid.nfc.reader import ChipReader
from checkedid.pipeline import run_pipeline
from checkedid.secret import Secret
from checkedid.session import Session
from checkedid.verdict import Verdict

BAP, PACE = "nl-driving-licence-bap", "nl-driving-licence-pace"


class Recorder(InProcessTransport):
    def __init__(self, chip: VirtualChip) -> None:
        super().__init__(chip)
        self.apdus: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.apdus.append(bytes(apdu))
        return super().transmit(apdu)


def _read(persona: Persona, access: Secret | str) -> tuple[Any, Recorder]:
    transport = Recorder(VirtualChip(persona))
    transport.connect()
    return ChipReader(transport, application=LICENCE).read(access), transport


def _mrz_key(name: str) -> Secret:
    return parse_licence(spec(name).mrz).access_key()


# -- application ------------------------------------------------------------------------
def test_licence_files_and_tags() -> None:
    assert (LICENCE.com.fid, LICENCE.sod.fid, LICENCE.ef(6).fid, LICENCE.ef(13).sfi) == \
        (0x001E, 0x001D, 0x0006, 13)
    assert EMRTD.ef(2).fid == 0x0102
    tags = (0x61, 0x75, 0x6F, 0x6E, 0x67)
    assert LICENCE.data_groups(tags) == [1, 5, 6, 13, 14]
    assert EMRTD.data_groups(tags) == [1, 2, 7, 14, 15]
    assert for_access("4820015678") is LICENCE and for_access("123456") is EMRTD
    assert for_access(None, licence_mrz=True) is LICENCE


@pytest.mark.parametrize("bad", ["123456", "48200156", "48200-5678", "٤٨٢٠٠١٥٦٧٨"])
def test_licence_can_is_the_licence_number(bad: str) -> None:
    LICENCE.check_can("4820015678")
    with pytest.raises(InputError, match="licence number"):
        LICENCE.check_can(bad)


def test_pace_passwords_of_a_licence() -> None:
    mrz = pace_password(_mrz_key(PACE))
    assert mrz.kind == "MRZ" and bytes(mrz.key.buffer) == spec(PACE).mrz[1:29].encode()
    can = pace_password("4820015678")
    assert can.kind == "CAN" and bytes(can.key.buffer) == b"4820015678"
    with pytest.raises(InputError):
        pace_password(Secret(b"L898902C3674081221204159", label="MRZ information"))
    with pytest.raises(InputError):
        pace_password("123456")


# -- DG1 ---------------------------------------------------------------------------------
def test_dg1_holder_and_categories() -> None:
    lic = parse_licence_dg1(build_dg1(spec(BAP))).licence
    assert (lic.surname, lic.given_names, lic.issuing_state, lic.licence_number) == \
        ("ERIKSSON", "Anna Maria Zoë", "NLD", "4820011234")
    assert (lic.birth_date, lic.issue_date, lic.expiry_date) == \
        (date(1974, 8, 12), date(2021, 4, 15), date(2031, 4, 15))
    assert (lic.birth_place, lic.issuing_authority) == ("Zenith", "RDW")
    assert [c.category for c in lic.categories] == ["AM", "B", "BE"]
    b = lic.categories[1]
    assert b.issue_date is None and b.expiry_date == date(2031, 4, 15)
    assert lic.categories[2].code == "96"
    assert "ERIKSSON" not in repr(lic) and "Zenith" not in repr(lic)


def _dg1(demo: bytes, cats: bytes = b"") -> bytes:
    return encode(0x61, encode(0x5F02, demo) + (encode(0x7F63, cats) if cats else b""))


_DEMO = (encode(0x5F03, b"NLD") + encode(0x5F04, b"X") + encode(0x5F06, bytes.fromhex("12081974"))
         + encode(0x5F0A, bytes.fromhex("15042021")) + encode(0x5F0B, bytes.fromhex("15042031"))
         + encode(0x5F0C, b"RDW") + encode(0x5F0E, b"1234567890"))


def test_dg1_minimal_and_ascii_dates() -> None:
    lic = parse_licence_dg1(_dg1(_DEMO.replace(bytes.fromhex("12081974"), b"12081974")
                                 .replace(b"\x5f\x06\x04", b"\x5f\x06\x08"))).licence
    assert lic.birth_date == date(1974, 8, 12) and lic.categories == ()


@pytest.mark.parametrize(("raw", "message"), [
    (encode(0x61, encode(0x5F01, b"x")), "5F02"),
    (_dg1(_DEMO.replace(encode(0x5F0E, b"1234567890"), b"")), "5F0E"),
    (_dg1(_DEMO.replace(bytes.fromhex("15042031"), bytes.fromhex("31022031"))), "calendar"),
    (_dg1(_DEMO.replace(bytes.fromhex("15042031"), b"\x1a\x04\x20\x31")), "BCD"),
    (_dg1(_DEMO, encode(0x02, b"\x02") + encode(0x87, b"B;;15042031;;;")), "number of"),
    (_dg1(_DEMO, encode(0x87, b"B;2021;15042031")), "ddmmyyyy"),
    (_dg1(_DEMO, encode(0x87, b"B")), "category;issue"),
    (_dg1(_DEMO + encode(0x5F09, b"Q")), "sex"),
])
def test_dg1_malformed(raw: bytes, message: str) -> None:
    with pytest.raises(LDSError, match=message):
        parse_licence_dg1(raw)


# -- reading -----------------------------------------------------------------------------
def test_bap_licence_is_read_in_the_eu_application() -> None:
    data, transport = _read(build(BAP), _mrz_key(BAP))
    assert data.protocol == "BAP" and data.application == "eDL"
    assert sorted(data.dg_bytes) == [1, 6, 13]
    assert data.dg1.licence.licence_number == "4820011234"
    assert data.face_image is not None and data.face_image.shape == (480, 360, 3)
    assert data.active.verdict is Verdict.PASSED
    assert data.chip.verdict is Verdict.NOT_SUPPORTED
    selects = [a for a in transport.apdus if a[1:3] == b"\xa4\x04"]
    assert selects and bytes.fromhex("A00000045645444C2D3031") in selects[0]
    passive = pa.passive_authenticate(data.sod_bytes, data.dg_bytes, virtual_trust_store())
    assert passive.verdict is Verdict.PASSED
    assert pa.covered_dgs(data.sod_bytes) == {1, 6, 13}


def test_bap_needs_the_mrz() -> None:
    with pytest.raises(InputError, match="only BAP"):
        _read(build(BAP), "4820011234")
    wrong = parse_licence(spec(PACE).mrz).access_key()
    with pytest.raises(BACError):
        _read(build(BAP), wrong)


@pytest.mark.parametrize("how", ["mrz", "can"])
def test_pace_licence_with_mrz_or_can(how: str) -> None:
    access: Secret | str = _mrz_key(PACE) if how == "mrz" else spec(PACE).can
    data, _ = _read(build(PACE), access)
    assert data.protocol.startswith("PACE ECDH-GM") and data.access_details["password"] == \
        ("MRZ" if how == "mrz" else "CAN")
    assert sorted(data.dg_bytes) == [1, 6, 13, 14]
    assert data.chip.verdict is Verdict.PASSED and data.active.verdict is Verdict.PASSED


def test_iso_application_is_tried_after_the_eu_one() -> None:
    base = build(BAP)  # BAP selects the application in plain, before access control
    persona = dataclasses.replace(base, extras={**base.extras, "aids": (ISO_EDL_AID,)})
    data, transport = _read(persona, _mrz_key(BAP))
    assert data.dg1.licence.licence_number == "4820011234"
    selects = [a[5:5 + a[4]] for a in transport.apdus if a[1:3] == b"\xa4\x04"]
    assert selects[:2] == [bytes.fromhex("A00000045645444C2D3031"),
                           bytes.fromhex("A0000002480200")]


# -- pipeline ----------------------------------------------------------------------------
def _pipeline(persona: Persona, fields: tuple[str, ...]) -> dict[str, Any]:
    chip = VirtualChip(persona)
    with Session(trust=virtual_trust_store(), isolation="none") as session:
        return run_pipeline(session, None, None, transport=lambda: InProcessTransport(chip),
                            can=persona.spec.can, fields=fields)


def test_pipeline_licence_fields() -> None:
    out = _pipeline(build(PACE), ("surname", "document_number", "document_type", "birth_date",
                                  "licence_categories", "birth_place", "personal_number",
                                  "permit_type", "age"))
    assert out["checks"]["passive"]["verdict"] == "PASSED"
    assert out["checks"]["active"]["verdict"] == "PASSED"
    assert out["checks"]["chip"]["verdict"] == "PASSED"
    f = out["fields"]
    assert (f["surname"], f["document_number"], f["document_type"], f["birth_date"]) == \
        ("ERIKSSON", "4820015678", "D", "1974-08-12")
    assert [c["category"] for c in f["licence_categories"]] == ["AM", "B", "BE"]
    assert f["licence_categories"][1]["issue_date"] is None
    assert f["birth_place"] == "Zenith" and f["personal_number"] is None
    assert f["permit_type"] is None and isinstance(f["age"], int)


def test_pipeline_rejects_a_licence_without_the_aa_key_its_sod_covers() -> None:
    base = build(PACE)
    files = {fid: body for fid, body in base.files.items() if fid != 0x000D}
    persona = dataclasses.replace(base, files=files)
    out = _pipeline(persona, ())
    assert out["checks"]["active"]["verdict"] == "FAILED"
    assert "DG13" in out["checks"]["active"]["reason"]
    assert out["decision"] == "REJECTED"


@pytest.mark.parametrize("name", [BAP, PACE])
def test_licence_persona_files_are_covered_by_the_edl_signer(name: str) -> None:
    from hw.pki import get_pki

    from checkedid.nfc.lds.com import parse_com
    from checkedid.nfc.lds.sod import parse_sod

    p = build(name)
    com = parse_com(p.files[0x001E])
    dgs = {fid: body for fid, body in p.files.items() if fid < 0x10}
    assert LICENCE.data_groups(com.tags) == sorted(dgs) == list(p.spec.data_groups)
    sod = parse_sod(p.files[0x001D])
    assert set(sod.dg_hashes) == set(dgs)
    cert = sod.signer_certificate()
    assert cert is not None
    assert cert.serial_number == get_pki().signer("ds-edl").cert.serial_number
    assert "eDL" in cert.issuer.human_friendly


# -- national data fields of passports, ID cards and residence permits --------------------
def test_pipeline_id_card_birth_place_and_personal_number() -> None:
    out = _pipeline(build("utopia-id-pace-gm"), ("birth_place", "personal_number",
                                                  "permit_type", "permit_remarks",
                                                  "licence_categories"))
    assert out["fields"] == {"birth_place": "ZENITH", "personal_number": "ZE184226B",
                             "permit_type": None, "permit_remarks": None,
                             "licence_categories": None}


def test_personal_number_is_not_a_default_field() -> None:
    from checkedid.result import ALL_FIELDS, DEFAULT_FIELDS

    assert "personal_number" not in DEFAULT_FIELDS and "personal_number" in ALL_FIELDS
    out = _pipeline(build("utopia-id-pace-gm"), DEFAULT_FIELDS)
    assert "personal_number" not in out["fields"]


def test_residence_permit_fields_from_mrz_dg11_and_dg12() -> None:
    from types import SimpleNamespace

    from checkedid.document_fields import fields_from_chip
    from checkedid.mrz import parse

    lines = ["IRUTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
             "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
    mrz = parse(lines)
    data = SimpleNamespace(
        application="eMRTD", dg1=SimpleNamespace(mrz=mrz),
        dg11=SimpleNamespace(personal_number=None, place_of_birth="Zenith",
                             personal_summary="single permit"),
        dg12=SimpleNamespace(endorsements="ARBEID TOEGESTAAN"))
    wanted = ("permit_type", "permit_remarks", "personal_number", "birth_place")
    assert fields_from_chip(data, wanted, date(2025, 1, 1)) == {
        "permit_type": "IR", "permit_remarks": "ARBEID TOEGESTAAN\nsingle permit",
        "personal_number": None, "birth_place": "Zenith"}
    data.dg11 = data.dg12 = None
    assert fields_from_chip(data, wanted, date(2025, 1, 1)) == {
        "permit_type": "IR", "permit_remarks": None, "personal_number": None,
        "birth_place": None}


def test_pipeline_rejects_a_tampered_licence_dg1() -> None:
    base = build(PACE)
    files = dict(base.files)
    files[0x0001] = files[0x0001].replace(b"ERIKSSON", b"ERIKSSEN")
    out = _pipeline(dataclasses.replace(base, files=files), ("surname",))
    assert out["decision"] == "REJECTED"
    assert out["checks"]["passive"]["verdict"] == "FAILED"


def test_pipeline_rejects_a_cloned_licence_chip() -> None:
    from hw.vchip.licence import build_files

    s = dataclasses.replace(spec(BAP), name="cloned-licence", fault="cloned-chip")
    chip = VirtualChip(Persona(s, *build_files(s)))
    key = parse_licence(s.mrz).access_key()
    transport = InProcessTransport(chip)
    transport.connect()
    data = ChipReader(transport, application=LICENCE).read(key)
    assert data.active.verdict is Verdict.FAILED
