"""Every persona's chip content parses with checkedid's own LDS parsers, EF.SOD covers it,
and each LDS/PKI fault persona is broken in exactly the intended way."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from asn1crypto import keys
from cryptography.hazmat.primitives.asymmetric import ec
from hw.pki import get_pki
from hw.vchip import personas
from hw.vchip.personas import PHOTO_SIZE, build, specs
from hw.vchip.quirks import MultiPaceInfo

from checkedid.nfc.crypto.pubkey import load_public_key, verify_signature
from checkedid.nfc.lds import parse_com, parse_dg1, parse_dg2, parse_dg11, parse_dg12
from checkedid.nfc.lds.dg14 import parse_dg14
from checkedid.nfc.lds.dg15 import parse_dg15
from checkedid.nfc.lds.securityinfos import parse_security_infos
from checkedid.nfc.lds.sod import SOD, parse_sod

# passports and ID cards; the driving licence personas (FIDs 00nn, licence tags) are
# checked in test_licence.py
NAMES = [s.name for s in specs() if s.doc_type != "DL1"]
EXPECTED_SIGNER = {"fault-unknown-csca": "ds-unknown", "fault-revoked-ds": "ds-revoked",
                   "fault-expired-ds": "ds-expired"}


def _dgs(files: dict[int, bytes]) -> dict[int, bytes]:
    return {fid & 0xFF: body for fid, body in files.items() if 0x0101 <= fid <= 0x0110}


def _signature_ok(sod: SOD) -> bool:
    cert = sod.signer_certificate()
    assert cert is not None
    key = load_public_key(cert.public_key.dump())
    return verify_signature(key, sod.signature, sod.signed_data, sod.signature_algorithm,
                            hash_hint=sod.digest_algorithm)


@pytest.mark.parametrize("name", NAMES)
def test_persona_files_parse_and_match_the_spec(name: str) -> None:
    p = build(name)
    s = p.spec
    dgs = _dgs(p.files)
    com = parse_com(p.files[0x011E])
    hidden = personas.CLONE_HIDES.get(s.fault or "")
    # a clone copies EF.COM (which still lists the DG) but cannot serve the hidden DG
    assert com.data_groups == sorted({*dgs, *([hidden] if hidden else [])})
    assert com.lds_version == "0107"
    assert hidden is None or (hidden not in dgs and
                              (p.aa_key if hidden == 15 else p.ca_key) is None)
    dg1 = parse_dg1(dgs[1])
    mrz = s.mrz.replace("ANNA", "ANNE", 1) if s.fault == "tampered-dg1" else s.mrz
    assert "\n".join(dg1.mrz.lines) == mrz and dg1.mrz.format == s.doc_type
    dg2 = parse_dg2(dgs[2])
    assert dg2.image is not None and dg2.image.shape == (PHOTO_SIZE[1], PHOTO_SIZE[0], 3)
    assert dg2.faces[0].image_data_type == (0 if s.photo_format == "jpeg" else 1)
    assert parse_dg11(dgs[11]).full_name == "ERIKSSON<<ANNA<MARIA"
    assert parse_dg12(dgs[12]).issuing_authority == "UTOPIA"
    assert (15 in dgs) == (s.aa is not None and hidden != 15)
    assert (14 in dgs) == ((s.ca is not None or s.aa == "ec") and hidden != 14)
    if 15 in dgs:
        dg15 = parse_dg15(dgs[15])
        assert dg15.key_type == s.aa
        assert dg15.public_key == p.aa_key.public_key()
        params = keys.PublicKeyInfo.load(dg15.spki)["algorithm"]["parameters"]
        assert s.aa == "rsa" or params.name == ("specified" if s.explicit_ec else "named")
    if 14 in dgs:
        dg14 = parse_dg14(dgs[14])
        assert (dg14.aa_info is not None) == (s.aa == "ec")
        if s.ca is not None:
            pk = dg14.ca_public_key(dg14.ca_infos[0])
            assert pk is not None
            assert pk.public_key == p.ca_key.public_key()
        if s.fault == "pace-downgrade-cardsecurity":  # listed in EF.CardSecurity only
            assert dg14.pace_infos == []
        elif s.pace is not None:
            assert [(i.oid, i.parameter_id) for i in dg14.pace_infos] == \
                [(s.pace.oid, s.pace.parameter_id)]
    if s.fault in personas.HIDES_CARD_ACCESS:  # EF.CardAccess hidden: the plain read: 6A82
        assert 0x011C not in p.mf_files
    elif s.quirk == "multi-paceinfo":  # the refused strongest, the own one, a weaker one
        listed = [(i.oid, i.parameter_id) for i in parse_security_infos(p.mf_files[0x011C]).pace]
        assert listed == [MultiPaceInfo.REFUSED, (s.pace.oid, s.pace.parameter_id),
                          MultiPaceInfo.WEAKER]
    elif s.pace is not None:
        (pace,) = parse_security_infos(p.mf_files[0x011C]).pace
        assert (pace.oid, pace.parameter_id) == (s.pace.oid, s.pace.parameter_id)


@pytest.mark.parametrize("name", NAMES)
def test_persona_sod_signer_hashes_and_faults(name: str) -> None:
    p = build(name)
    s = p.spec
    sod = parse_sod(p.files[0x011D])
    dgs = _dgs(p.files)
    hidden = personas.CLONE_HIDES.get(s.fault or "")
    assert set(sod.dg_hashes) == {*dgs, *([hidden] if hidden else [])}
    assert sod.hash_algorithm == s.hash_alg
    mismatched = {n for n, body in dgs.items()
                  if hashlib.new(s.hash_alg, body).digest() != sod.dg_hashes[n]}
    expected = {"fault-tampered-dg1": {1}, "fault-tampered-dg2": {2}}.get(name, set())
    assert mismatched == expected
    signer = get_pki().signer(EXPECTED_SIGNER.get(name, s.signer))
    cert = sod.signer_certificate()
    assert cert is not None and cert.serial_number == signer.cert.serial_number
    assert _signature_ok(sod) == (name != "fault-bad-sod-signature")


def test_tampered_dgs_still_parse() -> None:
    dg1 = parse_dg1(build("fault-tampered-dg1").files[0x0101])
    assert dg1.mrz.valid and dg1.mrz.given_names != parse_dg1(
        build("utopia-id-pace-gm").files[0x0101]).mrz.given_names
    good = build("utopia-id-pace-gm").files[0x0102]
    bad = build("fault-tampered-dg2").files[0x0102]
    assert len(bad) == len(good) and parse_dg2(bad).faces[0].expression != 1


def test_private_keys_belong_to_the_chip() -> None:
    p = build("utopia-id-pace-gm")
    assert isinstance(p.aa_key, ec.EllipticCurvePrivateKey) and p.aa_key.curve.name == \
        "brainpoolP256r1"
    assert p.extras["signer"] == "ds-ec" and p.extras["photo_size"] == PHOTO_SIZE


def test_build_is_cached() -> None:
    get_pki()
    assert build("utopia-id-pace-im") is build("utopia-id-pace-im")
    fresh = build("utopia-id-pace-cam", cache=False)
    assert fresh is not build("utopia-id-pace-cam")


def test_synthetic_portrait_when_sample_faces_are_absent(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from hw.vchip import specimen

    monkeypatch.setattr(specimen, "FACES", tmp_path / "no-faces")
    for fmt in ("jpeg", "jp2"):
        photo = personas.encode_photo("obama_1.jpg", fmt)
        w, h = PHOTO_SIZE
        from hw.vchip import lds_build

        dg2 = parse_dg2(lds_build.dg2([lds_build.face_record(photo, fmt, w, h)]))
        assert dg2.image is not None and dg2.image.shape == (h, w, 3)


def test_dh_chip_authentication_persona_variant() -> None:
    from dataclasses import replace

    from checkedid.nfc.lds.dg14 import DHPublicKey

    s = replace(personas.spec("utopia-id-pace-dh"), name="dh-ca", ca="dh")
    files, _aa, ca_key, _ = personas._build_lds(s, personas.encode_photo(s.photo, "jpeg"))
    dg14 = parse_dg14(files[0x010E])
    (info,) = dg14.ca_infos
    pk = dg14.ca_public_key(info)
    assert info.agreement == "DH" and pk is not None and isinstance(pk.public_key, DHPublicKey)
    assert pk.public_key.y == ca_key.public_key().y
    assert pow(pk.public_key.y, pk.public_key.q or 0, pk.public_key.p) == 1  # in the subgroup
    assert set(parse_sod(files[0x011D]).dg_hashes) == {1, 2, 11, 12, 14, 15}
