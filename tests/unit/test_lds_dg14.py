"""DG14 SecurityInfos: Chip Authentication (EC, explicit EC, DH), PACE and AA info."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hw.vchip import lds_build

from checkedid.errors import LDSError
from checkedid.nfc.crypto.domainparams import domain_parameters
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.lds import DG14, parse_dg14
from checkedid.nfc.lds.dg14 import DHPublicKey
from checkedid.nfc.lds.securityinfos import UnknownSecurityInfo, decode_oid

PACE_GM = "0.4.0.127.0.7.2.2.4.2.2"


@pytest.mark.parametrize("explicit", [False, True])
def test_ec_ca_aa_and_pace(explicit: bool) -> None:
    ca = ec.generate_private_key(ec.BrainpoolP256R1())
    aa = ec.generate_private_key(ec.BrainpoolP256R1())
    raw = lds_build.dg14(ca_key=ca, aa_key=aa, aa_hash="sha384", pace=[(PACE_GM, 13)],
                         explicit=explicit)
    dg14 = DG14.from_bytes(raw)
    assert dg14.raw == raw and len(dg14.security_infos.infos) == 4
    (info,) = dg14.ca_infos
    assert info.oid == "0.4.0.127.0.7.2.2.3.2.2" and info.version == 1 and info.key_id is None
    assert (info.agreement, info.cipher) == ("ECDH", "AES-128")
    (pk,) = dg14.ca_public_keys
    assert pk.oid == "0.4.0.127.0.7.2.2.1.2" and pk.agreement == "ECDH"
    assert pk.public_key == ca.public_key() and dg14.ca_public_key(info) is pk
    assert pk.spki in raw
    assert dg14.aa_info is not None and dg14.aa_info.signature_algorithm == "1.2.840.10045.4.3.3"
    assert dg14.aa_hash_algorithm == dg14.aa_info.hash_algorithm == "sha384"
    assert info.key_agreement == pk.key_agreement == "ECDH"
    assert [(p.oid, p.version, p.parameter_id) for p in dg14.pace_infos] == [(PACE_GM, 2, 13)]


def test_dh_ca_key_and_key_ids() -> None:
    key = lds_build.DHPrivateKey.generate(0)
    raw = lds_build.dg14(ca_key=key, ca_cipher="3DES", key_id=7)
    dg14 = parse_dg14(raw)
    (info,) = dg14.ca_infos
    assert (info.agreement, info.cipher, info.key_id) == ("DH", "3DES", 7)
    pk = dg14.ca_public_key(info)
    assert pk is not None and pk.key_id == 7 and pk.agreement == "DH"
    group = domain_parameters(0)
    assert isinstance(pk.public_key, DHPublicKey)
    assert (pk.public_key.p, pk.public_key.g, pk.public_key.q) == (group.p, group.g, group.q)  # type: ignore[union-attr]
    assert pk.public_key.y == key.public_key().y and pk.public_key.size == 128
    assert dg14.aa_info is None and dg14.pace_infos == []


def test_several_keys_matched_by_key_id() -> None:
    k1, k2 = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    infos = (lds_build.ca_info("0.4.0.127.0.7.2.2.3.2.4", key_id=2)
             + lds_build.ca_public_key_info(k1.public_key(), key_id=1)
             + lds_build.ca_public_key_info(k2.public_key(), key_id=2))
    dg14 = parse_dg14(tlv.encode(0x6E, tlv.encode(0x31, infos)))
    pk = dg14.ca_public_key(dg14.ca_infos[0])
    assert pk is not None and pk.public_key == k2.public_key()
    assert dg14.ca_infos[0].cipher == "AES-256"


def test_unknown_security_infos_are_kept() -> None:
    ta = tlv.encode(0x30, bytes.fromhex("060804007F0007020202") + b"\x02\x01\x01")
    dg14 = parse_dg14(tlv.encode(0x6E, tlv.encode(0x31, ta)))
    assert [i.oid for i in dg14.security_infos.infos] == ["0.4.0.127.0.7.2.2.2"]
    assert dg14.ca_infos == [] and dg14.ca_public_keys == []


def test_unrecognised_entries_are_kept_with_their_oid() -> None:
    other = tlv.encode(0x30, bytes.fromhex("060767810801018119") + b"\x04\x01\x00")
    dg14 = parse_dg14(_dg14(other))
    (info,) = dg14.security_infos.infos
    assert isinstance(info, UnknownSecurityInfo) and info.oid == "2.23.136.1.1.153"
    assert decode_oid(bytes.fromhex("04007F00070202040202")) == PACE_GM


def _dg14(*entries: bytes) -> bytes:
    return tlv.encode(0x6E, tlv.encode(0x31, b"".join(entries)))


OID_CA = bytes.fromhex("060A04007F00070202030202")
OID_AA = bytes.fromhex("0606678108010105")


@pytest.mark.parametrize("raw", [
    tlv.encode(0x6E, tlv.encode(0x30, b"")),  # not a SET
    _dg14(tlv.encode(0x02, b"\x01")),  # entry not a SEQUENCE
    _dg14(tlv.encode(0x30, tlv.encode(0x02, b"\x01") * 2)),  # no OID first
    _dg14(tlv.encode(0x30, OID_CA)),  # no required data
    _dg14(tlv.encode(0x30, OID_CA + tlv.encode(0x02, b"\xff"))),  # negative version
    _dg14(tlv.encode(0x30, OID_CA + tlv.encode(0x04, b"\x01"))),  # version not INTEGER
    _dg14(tlv.encode(0x30, OID_AA + tlv.encode(0x02, b"\x01") + tlv.encode(0x02, b"\x01"))),
    _dg14(tlv.encode(0x30, bytes.fromhex("060904007F000702020102") + tlv.encode(0x30, b""))),
    _dg14(tlv.encode(0x30, bytes.fromhex("060904007F000702020101")
                     + tlv.encode(0x30, tlv.encode(0x30, b"") + tlv.encode(0x03, b"\x00")))),
])
def test_malformed(raw: bytes) -> None:
    with pytest.raises(LDSError):
        parse_dg14(raw)


def test_two_aa_infos_refused() -> None:
    aa = lds_build.aa_info()
    with pytest.raises(LDSError, match="more than one"):
        parse_dg14(_dg14(aa, aa))
