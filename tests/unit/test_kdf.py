"""Key derivation (ICAO Doc 9303-11 §9.7.1) against the Appendix D worked example."""

from __future__ import annotations

import hashlib
import json

import pytest

from checkedid.errors import InputError
from checkedid.nfc.sm import kdf
from checkedid.secret import Secret
from tests.conftest import data_path


@pytest.fixture(scope="module")
def vec() -> dict[str, str]:
    data = json.loads(data_path("vectors", "icao9303.json").read_text())
    return data["bac_appendix_D"]  # type: ignore[no-any-return]


def test_bac_keys_from_appendix_d(vec: dict[str, str]) -> None:
    seed = kdf.bac_seed(vec["mrz_information_ascii"].encode())
    assert seed.hex().upper() == vec["k_seed"]
    assert kdf.derive(seed, kdf.ENC, "3DES").hex().upper() == vec["k_enc"]
    assert kdf.derive(seed, kdf.MAC, "3DES").hex().upper() == vec["k_mac"]
    ks_seed = bytes.fromhex(vec["ks_seed"])
    assert kdf.derive(ks_seed, kdf.ENC, "3DES").hex().upper() == vec["ks_enc"]
    assert kdf.derive(Secret(ks_seed), kdf.MAC, "3DES").hex().upper() == vec["ks_mac"]


def test_seed_accepts_secret(vec: dict[str, str]) -> None:
    s = Secret(vec["mrz_information_ascii"].encode())
    assert kdf.bac_seed(s).hex().upper() == vec["k_seed"]
    key = kdf.derive_secret(s, kdf.ENC, "AES-128")
    assert isinstance(key, Secret) and len(key) == 16


@pytest.mark.parametrize(("cipher", "algo", "n"),
                         [("AES-128", "sha1", 16), ("AES-192", "sha256", 24),
                          ("AES-256", "sha256", 32)])
def test_aes_lengths_and_hashes(cipher: str, algo: str, n: int) -> None:
    secret = bytes(range(40))
    expect = hashlib.new(algo, secret + (3).to_bytes(4, "big")).digest()[:n]
    assert kdf.derive(secret, kdf.PACE, cipher) == expect


def test_parity_adjusted() -> None:
    key = kdf.derive(b"\x01\x02", kdf.ENC, "3DES")
    assert all(bin(b).count("1") % 2 == 1 for b in key)
    assert kdf.adjust_parity(b"\x00\xfe\x01") == b"\x01\xfe\x01"


def test_bad_input() -> None:
    with pytest.raises(InputError):
        kdf.derive(b"x", 1, "DES")
    with pytest.raises(InputError):
        kdf.derive(b"x", -1, "AES-128")
    with pytest.raises(InputError):
        kdf.bac_seed(b"")
