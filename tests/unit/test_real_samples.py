"""Files of real documents published by another open-source eMRTD project (tests/data/samples,
sources and licence in its README): EF.SOD of 13 countries with their CSCA, DG14 of Austrian
and Malaysian passports, the EF.CardSecurity of a German document.

Each exercises a real-world variant: explicit EC domain parameters (AT, DE, FI), Brainpool
P256/P384/P512 and RSA document signers, link certificates (AT, RU, SG), the id-data
eContentType (CN), a SignerInfo issuer with its RDNs in another order (MY), several Chip
Authentication keys on standardized domain parameters chosen by keyId (DE).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1x509

from checkedid.errors import LDSError
from checkedid.nfc.auth import ca
from checkedid.nfc.lds.cardsecurity import parse_card_security
from checkedid.nfc.lds.dg14 import parse_dg14
from checkedid.nfc.lds.sod import parse_sod, same_name
from checkedid.nfc.pki.pa import passive_authenticate
from checkedid.nfc.pki.trust import TrustStore
from checkedid.verdict import Verdict

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "gmrtd"
COUNTRIES = ["AT", "AU", "CN", "DE", "FI", "FR", "MY", "NZ", "PH", "RU", "SG", "UK", "US"]
DS_KEYS = {"AT": "EC brainpoolP256r1", "DE": "EC brainpoolP384r1", "FI": "EC brainpoolP512r1",
           "RU": "EC secp256r1", "UK": "EC secp256r1"}


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _at(cc: str) -> dt.datetime:
    ds = asn1x509.Certificate.load(_read(f"DS_{cc}.der"))
    start: dt.datetime = ds["tbs_certificate"]["validity"]["not_before"].native
    return start + dt.timedelta(days=30)


def _trust(cc: str) -> TrustStore:
    store = TrustStore()
    store.add_certificate(_read(f"CSCA_{cc}.der"))
    return store


@pytest.mark.parametrize("cc", COUNTRIES)
def test_real_sod_passes_passive_authentication(cc: str) -> None:
    raw = _read(f"EF_SOD_{cc}.bin")
    sod = parse_sod(raw)
    assert len(sod.dg_hashes) >= 2
    group = passive_authenticate(raw, {}, _trust(cc), at=_at(cc))
    for name in ("sod_parse", "signed_attributes", "ds_signature", "csca_chain", "validity"):
        check = group.check(name)
        assert check is not None and check.verdict is Verdict.PASSED, (name, check)
    assert group.details["ds_key"] == DS_KEYS.get(cc, "RSA-2048")
    assert group.details["ds_certificate"] == "embedded in EF.SOD"


@pytest.mark.parametrize("cc", COUNTRIES)
def test_real_sod_with_a_changed_signature_fails(cc: str) -> None:
    raw = bytearray(_read(f"EF_SOD_{cc}.bin"))
    sig = parse_sod(bytes(raw)).signature
    at = bytes(raw).rindex(sig)
    raw[at + len(sig) // 2] ^= 0x01
    check = passive_authenticate(bytes(raw), {}, _trust(cc), at=_at(cc)).check("ds_signature")
    assert check is not None and check.verdict is Verdict.FAILED


def test_chinese_sod_uses_id_data_with_a_warning() -> None:
    raw = _read("EF_SOD_CN.bin")
    assert parse_sod(raw).econtent_type == "1.2.840.113549.1.7.1"
    group = passive_authenticate(raw, {}, _trust("CN"), at=_at("CN"))
    assert any("id-data" in w for w in group.details["warnings"])


def test_malaysian_sod_names_its_signer_with_rdns_reordered() -> None:
    sod = parse_sod(_read("EF_SOD_MY.bin"))
    cert = sod.certificates[0]
    assert sod.sid.issuer is not None and sod.sid.issuer != cert.issuer.dump()
    assert same_name(sod.sid.issuer, cert.issuer.dump())
    assert sod.signer_certificate() is cert


@pytest.mark.parametrize(("cc", "curve", "pace"), [
    ("AT", "brainpoolP256r1", [13]), ("MY", "brainpoolP256r1", []),
    ("unnamed", "brainpoolP384r1", [16, 16]),
])
def test_real_dg14_loads(cc: str, curve: str, pace: list[int]) -> None:
    dg14 = parse_dg14(_read(f"EF_DG14_{cc}.bin"))
    assert [k.public_key.curve.name for k in dg14.ca_public_keys  # type: ignore[union-attr]
            ] == [curve]
    assert [p.parameter_id for p in dg14.pace_infos] == pace
    assert dg14.warnings == ()
    oid, _key, _key_id = ca._select(dg14)
    assert oid == dg14.ca_infos[0].oid


def test_german_card_security_has_a_cam_key_and_a_ca_key() -> None:
    cs = parse_card_security(_read("EF_CardSecurity_DE.bin"))
    infos = cs.infos
    by_id = {k.key_id: k.public_key for k in infos.ca_public_keys}
    assert sorted(by_id) == [13, 72]  # standardized domain parameters id 13 (brainpoolP256r1)
    assert {p.parameter_id for p in infos.pace_infos} == {13}
    assert infos.cam_keys(13)[0] == by_id[13]  # PACE-CAM: keyId == PACEInfo parameterId
    oid, key, key_id = ca._select(infos)  # CA: keyId of the ChipAuthenticationInfo
    assert (oid, key_id) == ("0.4.0.127.0.7.2.2.3.2.2", 72) and key == by_id[72]
    assert cs.signer_certificates == 1


def test_german_card_security_signature() -> None:
    raw = _read("EF_CardSecurity_DE.bin")
    cs = parse_card_security(raw)
    cert = cs.signer_certificate()
    assert cert is not None and cert.subject.native["common_name"] == "Document Signer Passport"
    assert cs.signature_verifies()
    changed = bytearray(raw)
    at = raw.index(bytes.fromhex("048488a2dc34b6b3")) + 10  # inside the keyId 72 CA key
    changed[at] ^= 0x01
    assert not parse_card_security(bytes(changed)).signature_verifies()


def test_card_security_with_an_empty_signer_identifier_is_an_lds_error() -> None:
    """A fuzz finding: the SignerInfo's IssuerAndSerialNumber emptied (30 47 -> 30 00)."""
    raw = _read("EF_CardSecurity_DE.bin")
    broken = raw.replace(bytes.fromhex("0201013047"), bytes.fromhex("0201013000"), 1)
    assert broken != raw
    with pytest.raises(LDSError, match=r"EF\.CardSecurity"):
        parse_card_security(broken)
