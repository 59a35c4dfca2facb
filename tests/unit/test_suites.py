"""Cipher suites and PACE mappings are enums whose members read as the names they replace."""

from __future__ import annotations

import json

import pytest

from checkedid.nfc.crypto.suites import Cipher, PaceMapping
from checkedid.nfc.lds.securityinfos import CIPHER_SUITES, PACE_MAPPINGS, PACEInfo


def test_members_are_their_names_in_text_and_json() -> None:
    assert json.dumps({"cipher": Cipher.TDES, "mapping": PaceMapping.ECDH_CAM}) == \
        '{"cipher": "3DES", "mapping": "ECDH-CAM"}'
    assert f"PACE {PaceMapping.ECDH_GM} {Cipher.AES_128}" == "PACE ECDH-GM AES-128"
    assert str(Cipher.AES_256) == "AES-256" and Cipher("AES-192") is Cipher.AES_192


def test_the_oid_tables_hold_enum_members() -> None:
    # Doc 9303-11 §9.2.1 / TR-03110-3 Table 2: second-to-last and last arcs of id-PACE
    assert PACE_MAPPINGS == {1: PaceMapping.DH_GM, 2: PaceMapping.ECDH_GM, 3: PaceMapping.DH_IM,
                             4: PaceMapping.ECDH_IM, 6: PaceMapping.ECDH_CAM}
    assert list(CIPHER_SUITES.values()) == list(Cipher)
    assert all(isinstance(v, PaceMapping) for v in PACE_MAPPINGS.values())


def test_properties() -> None:
    assert [m for m in PaceMapping if m.integrated] == [PaceMapping.DH_IM, PaceMapping.ECDH_IM]
    assert [m.elliptic for m in PaceMapping] == [False, True, False, True, True]
    assert [c.block_size for c in Cipher] == [8, 16, 16, 16]


def test_a_pace_info_built_from_text_holds_members() -> None:
    info = PACEInfo("0.4.0.127.0.7.2.2.4.2.2", 2, 13, "ECDH-GM", "AES-128")  # type: ignore[arg-type]
    assert info.mapping is PaceMapping.ECDH_GM and info.cipher is Cipher.AES_128
    with pytest.raises(ValueError, match="DH-XM"):
        PACEInfo("0.4.0.127.0.7.2.2.4.2.2", 2, 13, "DH-XM", "AES-128")  # type: ignore[arg-type]
