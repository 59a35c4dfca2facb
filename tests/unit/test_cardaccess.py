"""SecurityInfos of EF.CardAccess and DG14 (ICAO Doc 9303-11 §9.2)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from hw.vchip.personas import PaceConfig, card_access
from hypothesis import given
from hypothesis import strategies as st

from checkedid.errors import ParseError, TLVError
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.lds.securityinfos import (
    ActiveAuthenticationInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    PACEDomainParameterInfo,
    PACEInfo,
    TerminalAuthenticationInfo,
    UnknownSecurityInfo,
    decode_oid,
    encode_oid,
    parse_security_infos,
)
from tests import keys
from tests.fuzz import FUZZ

G1_CARD_ACCESS = bytes.fromhex("31143012060A04007F0007020204020202010202010D")


def _oid(dotted: str) -> bytes:
    return tlv.encode(0x06, encode_oid(dotted))


def _int(v: int) -> bytes:
    return tlv.encode(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big"))


def _info(*parts: bytes) -> bytes:
    return tlv.encode(0x30, b"".join(parts))


def _set(*infos: bytes) -> bytes:
    return tlv.encode(0x31, b"".join(infos))


def _spki() -> bytes:
    key = keys.ec_key("cardaccess/ca").public_key()
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def test_appendix_g1_card_access() -> None:
    infos = parse_security_infos(G1_CARD_ACCESS)
    assert infos.infos == (PACEInfo("0.4.0.127.0.7.2.2.4.2.2", 2, 13, "ECDH-GM", "AES-128"),)
    assert infos.raw == G1_CARD_ACCESS


@pytest.mark.parametrize("cfg", [PaceConfig("ECDH-CAM", "AES-256", 12),
                                 PaceConfig("DH-GM", "3DES", 0),
                                 PaceConfig("ECDH-IM", "AES-192", 16)])
def test_virtual_chip_card_access(cfg: PaceConfig) -> None:
    (info,) = parse_security_infos(card_access(cfg)).pace
    assert (info.oid, info.mapping, info.cipher, info.parameter_id) == (
        cfg.oid, cfg.mapping, cfg.cipher, cfg.parameter_id)


def test_dg14_style_security_infos_with_every_kind() -> None:
    spki = _spki()
    domain = tlv.encode(0x30, _oid("0.4.0.127.0.7.1.2") + tlv.encode(0x30, _int(1)))
    data = _set(
        _info(_oid("0.4.0.127.0.7.2.2.1.2"), spki, _int(7)),
        _info(_oid("0.4.0.127.0.7.2.2.3.2.4"), _int(1), _int(7)),
        _info(_oid("0.4.0.127.0.7.2.2.3.1.1"), _int(1)),
        _info(_oid("2.23.136.1.1.5"), _int(1), _oid("0.4.0.127.0.7.1.1.4.1.3")),
        _info(_oid("0.4.0.127.0.7.2.2.2"), _int(1)),
        _info(_oid("0.4.0.127.0.7.2.2.4.2"), domain, _int(32)),
        _info(_oid("0.4.0.127.0.7.2.2.4.6.2"), _int(2)),
        _info(_oid("1.2.3.4"), tlv.encode(0x04, b"\x01\x02")),
    )
    infos = parse_security_infos(data + b"\x00\x00")
    assert infos.raw == data
    (key,) = infos.chip_authentication_keys
    assert key == ChipAuthenticationPublicKeyInfo("0.4.0.127.0.7.2.2.1.2", spki, 7, "ECDH")
    assert infos.chip_authentication == (
        ChipAuthenticationInfo("0.4.0.127.0.7.2.2.3.2.4", 1, 7, "ECDH", "AES-256"),
        ChipAuthenticationInfo("0.4.0.127.0.7.2.2.3.1.1", 1, None, "DH", "3DES"))
    assert infos.active_authentication == ActiveAuthenticationInfo(
        "2.23.136.1.1.5", 1, "0.4.0.127.0.7.1.1.4.1.3")
    assert TerminalAuthenticationInfo("0.4.0.127.0.7.2.2.2", 1) in infos.infos
    assert infos.pace_domain_parameters == (
        PACEDomainParameterInfo("0.4.0.127.0.7.2.2.4.2", domain, 32),)
    assert infos.pace == (PACEInfo("0.4.0.127.0.7.2.2.4.6.2", 2, None, "ECDH-CAM", "AES-128"),)
    unknown = infos.infos[-1]
    assert isinstance(unknown, UnknownSecurityInfo) and unknown.oid == "1.2.3.4"
    assert unknown.raw == _info(_oid("1.2.3.4"), tlv.encode(0x04, b"\x01\x02"))


@pytest.mark.parametrize(("data", "error"), [
    (b"", ParseError),
    (tlv.encode(0x30, b""), TLVError),  # a SEQUENCE, not a SET
    (_set(), ParseError),  # no SecurityInfo
    (G1_CARD_ACCESS + b"\x30", TLVError),  # trailing data
    (G1_CARD_ACCESS[:-1], TLVError),  # truncated
    (_set(_int(1)), ParseError),  # element is no SEQUENCE
    (_set(_info(_int(1), _int(2))), ParseError),  # no OID first
    (_set(_info(_oid("0.4.0.127.0.7.2.2.4.2.2"))), ParseError),  # no requiredData
    (_set(_info(tlv.encode(0x06, b"\x80\x01"), _int(1))), ParseError),  # non-minimal arc
    (_set(_info(tlv.encode(0x06, b"\x2a\x81"), _int(1))), ParseError),  # truncated arc
    (_set(_info(tlv.encode(0x06, b""), _int(1))), ParseError),  # empty OID
    (_set(_info(_oid("0.4.0.127.0.7.2.2.4.2.2"), tlv.encode(0x02, b"\xff"))), ParseError),
    (_set(_info(_oid("0.4.0.127.0.7.2.2.4.2.2"), tlv.encode(0x02, bytes(9)))), ParseError),
    (_set(_info(_oid("0.4.0.127.0.7.2.2.4.2.2"), tlv.encode(0x02, b""))), ParseError),
    (_set(_info(_oid("0.4.0.127.0.7.2.2.4.2.2"), tlv.encode(0x04, b"\x02"))), ParseError),
    (_set(_info(_oid("0.4.0.127.0.7.2.2.1.2"), _int(1))), ParseError),  # key is no SPKI
    (_set(_info(_oid("2.23.136.1.1.5"), _int(1), _int(2))), ParseError),  # algorithm no OID
])
def test_malformed_security_infos(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_security_infos(data)


@given(st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=8),
       st.integers(min_value=0, max_value=2), st.integers(min_value=0, max_value=39))
def test_oid_round_trip(tail: list[int], first: int, second: int) -> None:
    dotted = ".".join(str(a) for a in [first, second, *tail])
    assert decode_oid(encode_oid(dotted)) == dotted


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data: bytes) -> None:
    try:
        infos = parse_security_infos(data)
    except ParseError:
        return
    assert infos.infos


@FUZZ
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=255),
       st.sampled_from(["flip", "cut", "insert"]))
def test_fuzz_mutated_dg14(position: int, byte: int, how: str) -> None:
    base = _set(
        _info(_oid("0.4.0.127.0.7.2.2.1.2"), _SPKI, _int(7)),
        _info(_oid("0.4.0.127.0.7.2.2.3.2.4"), _int(1), _int(7)),
        G1_CARD_ACCESS[2:],
    )
    i = position % len(base)
    if how == "flip":
        data = base[:i] + bytes([base[i] ^ (byte or 1)]) + base[i + 1:]
    elif how == "cut":
        data = base[:i]
    else:
        data = base[:i] + bytes([byte]) + base[i:]
    try:
        parse_security_infos(data)
    except ParseError:
        pass


_SPKI = _spki()
