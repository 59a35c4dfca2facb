"""DG14 / EF.CardSecurity key handling as issued by real documents (Doc 9303-11 §9.2.6,
BSI TR-03110-3 §A.1.1.2 and §A.2.1.1): several Chip Authentication keys chosen by keyId,
keys on standardized domain parameters, and unusable keys skipped with a warning.
"""

from __future__ import annotations

import pytest
from asn1crypto import core
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hw.pki.brainpool import brainpool_key
from hw.vchip import lds_build, personas
from hw.vchip.chip import VirtualChip

from checkedid.errors import LDSError
from checkedid.nfc.access import negotiate as access
from checkedid.nfc.access.pace import PacePassword, PACEResult, authenticate
from checkedid.nfc.auth import chip as chipauth
from checkedid.nfc.crypto.domainparams import DOMAIN_PARAMETERS
from checkedid.nfc.crypto.ecdsa import CurvePublicKey
from checkedid.nfc.crypto.ecmath import DHGroup
from checkedid.nfc.iso7816.apdu import Command
from checkedid.nfc.iso7816.tlv import encode
from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.nfc.lds.dg14 import DHPublicKey, parse_dg14
from checkedid.nfc.lds.securityinfos import parse_security_infos
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.verdict import Verdict

PK_ECDH, PK_DH = "0.4.0.127.0.7.2.2.1.2", "0.4.0.127.0.7.2.2.1.1"


def _int(v: int) -> bytes:
    return bytes(core.Integer(v).dump())


def _standardized_spki(parameter_id: int, public: bytes) -> bytes:
    """SubjectPublicKeyInfo { {standardizedDomainParameters, INTEGER id}, BIT STRING }."""
    alg = encode(0x30, lds_build._oid("0.4.0.127.0.7.1.2") + _int(parameter_id))
    return encode(0x30, alg + encode(0x03, b"\x00" + public))


def _pk_info(spki: bytes, key_id: int | None, oid: str = PK_ECDH) -> bytes:
    return encode(0x30, lds_build._oid(oid) + spki + (_int(key_id) if key_id is not None else b""))


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def _dg14(*infos: bytes) -> bytes:
    return encode(0x6E, lds_build.card_access(list(infos)))


def test_standardized_ec_parameters_load() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    dg14 = parse_dg14(_dg14(_pk_info(_standardized_spki(12, _point(key)), 1)))
    assert dg14.ca_public_keys[0].public_key == key
    bp = brainpool_key("std", "brainpoolP224r1")
    dg14 = parse_dg14(_dg14(_pk_info(_standardized_spki(11, bp.encoded_point()), 1)))
    loaded = dg14.ca_public_keys[0].public_key
    assert isinstance(loaded, CurvePublicKey) and loaded.point == bp.point
    assert dg14.warnings == ()


def test_standardized_dh_parameters_load() -> None:
    group = DOMAIN_PARAMETERS[0]
    assert isinstance(group, DHGroup)
    y = pow(group.g, 12345, group.p)
    dg14 = parse_dg14(_dg14(_pk_info(_standardized_spki(0, _int(y)), 3, PK_DH)))
    key = dg14.ca_public_keys[0].public_key
    assert isinstance(key, DHPublicKey) and key.y == y and key.p == group.p and key.q == group.q


@pytest.mark.parametrize(("spki", "message"), [
    (_standardized_spki(5, b"\x04" + bytes(64)), "parameter id 5"),
    (_standardized_spki(12, b"\x04" + bytes(64)), "not a point|not on"),
    (_standardized_spki(0, b"\x04" + bytes(64)), "DH domain parameters"),
])
def test_one_unusable_key_is_skipped_with_a_warning(spki: bytes, message: str) -> None:
    good = ec.generate_private_key(ec.SECP256R1()).public_key()
    dg14 = parse_dg14(_dg14(_pk_info(spki, 1), _pk_info(_standardized_spki(12, _point(good)), 2)))
    assert [k.key_id for k in dg14.ca_public_keys] == [2]
    assert len(dg14.warnings) == 1 and "keyId 1 skipped" in dg14.warnings[0]
    assert any(m in dg14.warnings[0] for m in message.split("|"))


def test_dg14_with_no_usable_key_is_unreadable() -> None:
    with pytest.raises(LDSError, match="keyId 1 skipped"):
        parse_dg14(_dg14(_pk_info(_standardized_spki(12, b"\x04" + bytes(64)), 1)))


def test_cam_keys_prefer_the_key_id_equal_to_the_parameter_id() -> None:
    keys = [ec.generate_private_key(c).public_key()
            for c in (ec.SECP256R1(), ec.BrainpoolP256R1(), ec.BrainpoolP256R1())]
    dg14 = parse_dg14(_dg14(*(_pk_info(_standardized_spki(pid, _point(k)), kid)
                              for k, pid, kid in zip(keys, (12, 13, 13), (7, 8, 13),
                                                     strict=True))))
    assert dg14.cam_keys(13) == [keys[2], keys[1], keys[0]]
    assert dg14.cam_keys(12) == [keys[0], keys[1], keys[2]]


def _pace_cam() -> tuple[ApduConnection, PACEResult, ec.EllipticCurvePublicKey, int]:
    persona = personas.build("utopia-id-pace-cam")
    chip = VirtualChip(persona)
    transport = InProcessTransport(chip)
    transport.connect()
    conn = ApduConnection(transport)
    resp = conn.call(Command(0x00, 0xB0, 0x9C, 0x00, b"", 256), step="READ EF.CardAccess",
                     allow=(0x9000, 0x6282))  # by short EF identifier 1C (Doc 9303-10 §3.11.3)
    result = authenticate(conn, PacePassword.can(persona.can), parse_security_infos(resp.data))
    assert result.cam is not None and result.parameter_id is not None
    key = persona.ca_key.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return conn, result, key, result.parameter_id


def test_pace_cam_uses_the_key_whose_key_id_matches_among_several() -> None:
    conn, result, chip_key, pid = _pace_cam()
    curve = chip_key.curve
    others = [ec.generate_private_key(curve).public_key() for _ in range(2)]
    raw = _dg14(_pk_info(_standardized_spki(pid, _point(others[0])), 1),
                _pk_info(_standardized_spki(pid, _point(chip_key)), pid),
                _pk_info(_standardized_spki(pid, _point(others[1])), 2),
                _pk_info(_standardized_spki(pid, b"\x04" + bytes(64)), 3))
    outcome = chipauth.chip_authentication(conn, None,  # type: ignore[arg-type]
                                         access.AccessResult("PACE", pace=result), raw)
    assert outcome.verdict is Verdict.PASSED, outcome.reason
    raw_without = _dg14(_pk_info(_standardized_spki(pid, _point(others[0])), pid),
                        _pk_info(_standardized_spki(pid, _point(others[1])), 2))
    refused = chipauth.chip_authentication(conn, None,  # type: ignore[arg-type]
                                         access.AccessResult("PACE", pace=result), raw_without)
    assert refused.verdict is Verdict.FAILED
