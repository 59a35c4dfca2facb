"""A public key whose BIT STRING is empty (``03 00``, not even the unused-bits octet).

asn1crypto raises IndexError on it; DG14 (DH and EC keys) and DG15 must turn that into an
:class:`LDSError` naming the file. The property tests once found it about one run in six.
"""

from __future__ import annotations

import pytest
from asn1crypto import core, keys
from cryptography.hazmat.primitives.asymmetric import ec
from hw.vchip import lds_build

from checkedid.errors import LDSError
from checkedid.nfc.iso7816.tlv import encode
from checkedid.nfc.lds import parse_dg14, parse_dg15

_ID_PK_DH = "0.4.0.127.0.7.2.2.1.1"
_ID_PK_ECDH = "0.4.0.127.0.7.2.2.1.2"
_EC = ec.derive_private_key(0x1234_5678_9ABC_DEF0, ec.BrainpoolP256R1())  # a fixed key


def _emptied(spki: bytes) -> bytes:
    """``spki`` with its subjectPublicKey replaced by an empty BIT STRING."""
    algorithm = keys.PublicKeyInfo.load(spki)["algorithm"].dump()
    return encode(0x30, algorithm + b"\x03\x00")


def _dg14_with(oid: str, spki: bytes) -> bytes:
    info = encode(0x30, core.ObjectIdentifier(oid).dump() + spki)
    return encode(0x6E, lds_build.card_access([info]))


@pytest.mark.parametrize(("oid", "spki", "message"), [
    (_ID_PK_DH, lds_build.spki(lds_build.DHPrivateKey.generate(0).public_key()),
     "DH public key unusable"),
    (_ID_PK_ECDH, lds_build.spki(_EC.public_key()), "public key unusable"),
], ids=["dh", "ec"])
def test_dg14_key_with_empty_bit_string_is_an_lds_error(oid: str, spki: bytes,
                                                        message: str) -> None:
    parse_dg14(_dg14_with(oid, spki))  # the intact key parses
    with pytest.raises(LDSError, match=message) as info:
        parse_dg14(_dg14_with(oid, _emptied(spki)))
    assert info.value.file == "EF.DG14"


def test_dg15_key_with_empty_bit_string_is_an_lds_error() -> None:
    spki = _emptied(lds_build.spki(_EC.public_key()))
    with pytest.raises(LDSError, match="public key unusable") as info:
        parse_dg15(encode(0x6F, spki))
    assert info.value.file == "EF.DG15"
