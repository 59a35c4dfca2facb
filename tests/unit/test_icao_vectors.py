"""The ICAO Doc 9303-11 worked examples against both implementations.

Appendix D.2-D.4 (BAC and 3DES secure messaging), G.1/G.2 (PACE Generic Mapping, ECDH and
DH) and H.1/H.2 (PACE Integrated Mapping, ECDH and DH) are replayed against the library (the
reader side: ``checkedid.nfc``) and against the virtual chip (the chip side: ``hw.vchip``, an
independent implementation). The data come from ``tests/data/vectors/icao9303.json`` (see the
README beside it). Where the examples publish the chip's random values (D.3, G.2), the chip is
driven APDU by APDU with exactly those values and must answer the published bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hw.vchip import chip_bac, chip_pace, filesystem, pace_suite, symmetric
from hw.vchip.chip import VirtualChip
from hw.vchip.iso7816 import Command as ChipCommand
from hw.vchip.iso7816 import Response as ChipResponse
from hw.vchip.pace_suite import PaceSuite, password_key
from hw.vchip.personas import PaceConfig
from hw.vchip.secure_messaging import ChipSession

from checkedid.nfc.access import pace_crypto as pc
from checkedid.nfc.access.bac import mutual_auth_keys
from checkedid.nfc.access.pace import PacePassword
from checkedid.nfc.crypto.ecmath import Curve
from checkedid.nfc.iso7816.apdu import Command, Response
from checkedid.nfc.lds.securityinfos import PACEInfo, parse_security_infos
from checkedid.nfc.sm import kdf
from checkedid.nfc.sm.messaging import SMSession, cbc_encrypt, compute_mac

DATA = Path(__file__).resolve().parents[1] / "data" / "vectors" / "icao9303.json"


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text())
    return data


def h(value: str) -> bytes:
    return bytes.fromhex(value)


@dataclass
class _Persona:
    """Just what the chip's handlers read, for a holder of the worked examples."""

    mrz_information: str
    pace: PaceConfig | None = None
    bac: bool = True
    can: str = ""
    extended_length: bool = False
    max_read: int = 0xDF
    fault: str | None = None
    ca_key: Any = None
    aa_key: Any = None
    files: dict[int, bytes] = field(default_factory=dict)
    mf_files: dict[int, bytes] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    name: str = "icao-worked-example"


def _feed(monkeypatch: pytest.MonkeyPatch, module: Any, **queues: list[Any]) -> None:
    """Replace ``module.secrets`` so that each named function returns the queued values."""
    def supplier(values: list[Any]) -> Any:
        queue = iter(values)
        return lambda *_args: next(queue)

    fake = SimpleNamespace(**{name: supplier(values) for name, values in queues.items()})
    monkeypatch.setattr(module, "secrets", fake)


def _apdu(chip: VirtualChip, apdu: bytes) -> bytes:
    return chip.process(apdu)


# --------------------------------------------------------------------------- D.2-D.3 BAC
def test_d3_bac_library(vectors: dict[str, Any]) -> None:
    v = vectors["bac_appendix_D"]
    k_enc, k_mac = mutual_auth_keys(v["mrz_information_ascii"].encode())
    assert (bytes(k_enc), bytes(k_mac)) == (h(v["k_enc"]), h(v["k_mac"]))
    assert cbc_encrypt("3DES", k_enc, h(v["s"])) == h(v["e_ifd"])
    assert compute_mac("3DES", k_mac, h(v["e_ifd"])) == h(v["m_ifd"])
    assert compute_mac("3DES", k_mac, h(v["e_ic"])) == h(v["m_ic"])
    seed = h(v["ks_seed"])
    assert kdf.derive(seed, kdf.ENC, "3DES") == h(v["ks_enc"])
    assert kdf.derive(seed, kdf.MAC, "3DES") == h(v["ks_mac"])


def test_d3_bac_vchip_functions(vectors: dict[str, Any]) -> None:
    v = vectors["bac_appendix_D"]
    seed = chip_bac.mrz_key_seed(v["mrz_information_ascii"].encode())
    assert seed == h(v["k_seed"])
    assert symmetric.derive_key(seed, symmetric.ENC, "3DES") == h(v["k_enc"])
    assert symmetric.derive_key(seed, symmetric.MAC, "3DES") == h(v["k_mac"])
    answer = chip_bac.respond(seed, h(v["rnd_ic"]), h(v["external_authenticate_cmd_data"]),
                              k_ic=h(v["k_ic"]))
    assert answer is not None
    data, session = answer
    assert data == h(v["external_authenticate_resp_data"])
    assert session.ssc == int(v["ssc"], 16) and session.cipher == "3DES"
    # the MAC is checked before anything is decrypted: one flipped bit and the chip refuses
    forged = bytearray(h(v["external_authenticate_cmd_data"]))
    forged[-1] ^= 1
    assert chip_bac.respond(seed, h(v["rnd_ic"]), bytes(forged)) is None
    assert chip_bac.respond(seed, h(v["rnd_ifd"]), h(v["external_authenticate_cmd_data"])) is None


def test_d3_d4_vchip_apdus(vectors: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The chip, given D.3's RND.IC and K.IC, answers D.3 and every D.4 APDU byte for byte."""
    v, sm = vectors["bac_appendix_D"], vectors["bac_sm_appendix_D4"]
    persona = _Persona(v["mrz_information_ascii"], files={0x011E: h(sm["ef_com_full"])})
    chip = VirtualChip(persona)  # type: ignore[arg-type]
    chip.power_on()
    _feed(monkeypatch, filesystem, token_bytes=[h(v["rnd_ic"])])
    _feed(monkeypatch, chip_bac, token_bytes=[h(v["k_ic"])])
    assert _apdu(chip, h(v["get_challenge_apdu"])) == h(v["rnd_ic"]) + b"\x90\x00"
    resp = _apdu(chip, h(v["external_authenticate_apdu"]))
    assert resp == h(v["external_authenticate_resp_data"]) + b"\x90\x00"
    chip.state.app_selected = True  # D.4 starts in the selected eMRTD application
    for step in sm["steps"]:
        assert _apdu(chip, h(step["protected_apdu"])) == h(step["protected_response"]), step["name"]
    assert chip.state.sm is not None and chip.state.sm.ssc == int(sm["ssc_end"], 16)


# --------------------------------------------------------------------------- D.4 secure messaging
def test_d4_secure_messaging_library(vectors: dict[str, Any]) -> None:
    """The library as the terminal: protects each command and unwraps each response."""
    v = vectors["bac_sm_appendix_D4"]
    session = SMSession("3DES", h(v["ks_enc"]), h(v["ks_mac"]), int(v["ssc_start"], 16))
    for step in v["steps"]:
        protected = session.protect_command(Command.from_bytes(h(step["unprotected_apdu"])))
        assert protected.to_bytes() == h(step["protected_apdu"]), step["name"]
        plain = session.unprotect_response(Response.from_bytes(h(step["protected_response"])))
        assert (plain.data, plain.sw) == (h(step["plain_data"]), 0x9000)
    assert session.ssc == int(v["ssc_end"], 16)


def test_d4_secure_messaging_vchip(vectors: dict[str, Any]) -> None:
    """The virtual chip: unwraps each command and protects each response."""
    v = vectors["bac_sm_appendix_D4"]
    session = ChipSession("3DES", h(v["ks_enc"]), h(v["ks_mac"]), int(v["ssc_start"], 16))
    for step in v["steps"]:
        plain = session.unwrap_command(ChipCommand.from_bytes(h(step["protected_apdu"])))
        assert plain == ChipCommand.from_bytes(h(step["unprotected_apdu"])), step["name"]
        assert session.ssc == int(step["ssc_cmd"], 16)
        answer = session.wrap_response(ChipResponse(h(step["plain_data"])), plain.ins)
        assert answer.to_bytes() == h(step["protected_response"]), step["name"]
        assert session.ssc == int(step["ssc_resp"], 16)


# --------------------------------------------------------------------------- G.1 PACE ECDH-GM
def test_g1_ecdh_gm_library(vectors: dict[str, Any]) -> None:
    v = vectors["pace_ecdh_gm_appendix_G1"]
    info = parse_security_infos(h(v["ef_card_access"])).pace[0]
    suite = pc.Suite.from_info(info)
    curve = suite.domain
    assert isinstance(curve, Curve)

    def point(xy: str) -> tuple[int, int]:
        return curve.decode(b"\x04" + h(xy))

    k_pi = PacePassword.mrz(v["mrz_information_ascii"].encode()).k_pi("AES-128")
    assert bytes(k_pi) == h(v["k_pi"])
    nonce = pc.decrypt_nonce("AES-128", k_pi, h(v["encrypted_nonce_z"]))
    assert bytes(nonce) == h(v["nonce_s"])
    shared_h = suite.agree(int(v["ifd_mapping_private"], 16), point(v["ic_mapping_public_xy"]))
    assert shared_h == point(v["shared_point_H_xy"])
    mapped = suite.map_generic(nonce, shared_h)
    assert mapped == point(v["mapped_generator_xy"])
    sk = int(v["ifd_ephemeral_private"], 16)
    assert suite.public(sk, mapped) == point(v["ifd_ephemeral_public_xy"])
    shared = suite.shared_secret(suite.agree(sk, point(v["ic_ephemeral_public_xy"])))
    assert shared == h(v["shared_secret_K"])
    ks_enc, ks_mac = pc.session_keys(suite, shared)
    assert (bytes(ks_enc), bytes(ks_mac)) == (h(v["ks_enc"]), h(v["ks_mac"]))
    assert pc.auth_token(suite, ks_mac, point(v["ic_ephemeral_public_xy"])) == h(v["t_ifd"])
    assert pc.auth_token(suite, ks_mac, point(v["ifd_ephemeral_public_xy"])) == h(v["t_ic"])


def test_g1_ecdh_gm_vchip(vectors: dict[str, Any]) -> None:
    """The chip's maths on G.1 (the example does not publish the chip's private keys, so the
    Diffie-Hellman steps are computed from the terminal's side, which gives the same values)."""
    v = vectors["pace_ecdh_gm_appendix_G1"]
    suite = PaceSuite.from_oid(h(v["protocol_oid"]), v["parameter_id"])
    assert (suite.mapping, suite.cipher) == ("ECDH-GM", "AES-128")
    assert suite.oid == h(v["protocol_oid"])

    def point(xy: str) -> tuple[int, int]:
        decoded = suite.decode(b"\x04" + h(xy))
        assert isinstance(decoded, tuple)
        return decoded

    pi = password_key(v["mrz_information_ascii"].encode(), 1)
    assert pi == h(v["k_sha1_mrz"])
    k_pi = symmetric.derive_key(pi, symmetric.PI, "AES-128")
    assert k_pi == h(v["k_pi"])
    assert symmetric.cbc_encrypt("AES-128", k_pi, h(v["nonce_s"])) == h(v["encrypted_nonce_z"])
    assert suite.multiply(int(v["ifd_mapping_private"], 16), suite.generator()) \
        == point(v["ifd_mapping_public_xy"])
    shared_h = suite.multiply(int(v["ifd_mapping_private"], 16), point(v["ic_mapping_public_xy"]))
    assert shared_h == point(v["shared_point_H_xy"])
    mapped = suite.map_generic(h(v["nonce_s"]), shared_h)
    assert mapped == point(v["mapped_generator_xy"])
    shared = suite.shared_secret(suite.multiply(int(v["ifd_ephemeral_private"], 16),
                                                point(v["ic_ephemeral_public_xy"])))
    assert shared == h(v["shared_secret_K"])
    ks_mac = symmetric.derive_key(shared, symmetric.MAC, "AES-128")
    assert symmetric.derive_key(shared, symmetric.ENC, "AES-128") == h(v["ks_enc"])
    assert ks_mac == h(v["ks_mac"])
    assert suite.public_key_data(point(v["ic_ephemeral_public_xy"])).startswith(
        h(v["token_input_prefix"]))
    # T_IC is what the chip sends (over the terminal's key); T_IFD what it checks.
    assert suite.token(ks_mac, point(v["ifd_ephemeral_public_xy"])) == h(v["t_ic"])
    assert suite.token(ks_mac, point(v["ic_ephemeral_public_xy"])) == h(v["t_ifd"])


def test_g1_vchip_apdus(vectors: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Given G.1's nonce, the chip accepts the published MSE:Set AT and answers the first
    GENERAL AUTHENTICATE byte for byte (later steps need the chip's unpublished keys)."""
    v = vectors["pace_ecdh_gm_appendix_G1"]
    persona = _Persona(v["mrz_information_ascii"], pace=PaceConfig("ECDH-GM", "AES-128", 13),
                       bac=False)
    chip = VirtualChip(persona)  # type: ignore[arg-type]
    chip.power_on()
    _feed(monkeypatch, chip_pace, token_bytes=[h(v["nonce_s"])])
    assert _apdu(chip, h(v["mse_set_at_apdu"])) == b"\x90\x00"
    first = v["apdus"][0]
    assert _apdu(chip, h(first["cmd"])) == h(first["resp"])


# --------------------------------------------------------------------------- G.2 PACE DH-GM
def _g2_suite_library() -> pc.Suite:
    return pc.Suite.from_info(PACEInfo("0.4.0.127.0.7.2.2.4.1.2", 2, 0, "DH-GM", "AES-128"))


def test_g2_dh_gm_library(vectors: dict[str, Any]) -> None:
    v = vectors["pace_dh_gm_appendix_G2"]
    suite = _g2_suite_library()

    def num(key: str) -> int:
        return int(v[key], 16)

    nonce = pc.decrypt_nonce("AES-128", h(v["k_pi"]), h(v["encrypted_nonce_z"]))
    assert bytes(nonce) == h(v["nonce_s"])
    shared_h = suite.agree(num("ifd_mapping_private"), suite.decode(h(v["ic_mapping_public"])))
    assert shared_h == num("shared_secret_H")
    mapped = suite.map_generic(nonce, shared_h)
    assert mapped == num("mapped_generator")
    assert suite.public(num("ifd_ephemeral_private"), mapped) == num("ifd_ephemeral_public")
    shared = suite.shared_secret(suite.agree(num("ifd_ephemeral_private"),
                                             num("ic_ephemeral_public")))
    assert shared == h(v["shared_secret_K"])
    ks_enc, ks_mac = pc.session_keys(suite, shared)
    assert (bytes(ks_enc), bytes(ks_mac)) == (h(v["ks_enc"]), h(v["ks_mac"]))
    assert pc.auth_token(suite, ks_mac, num("ic_ephemeral_public")) == h(v["t_ifd"])
    assert pc.auth_token(suite, ks_mac, num("ifd_ephemeral_public")) == h(v["t_ic"])


def _do(tag: int, value: bytes) -> bytes:
    if len(value) < 0x80:
        return bytes([tag, len(value)]) + value
    return bytes([tag, 0x81, len(value)]) + value


def _ga(data: bytes, last: bool = False) -> bytes:
    """GENERAL AUTHENTICATE with dynamic authentication data ``7C { data }`` (chained unless
    ``last``)."""
    body = _do(0x7C, data)
    return bytes([0x00 if last else 0x10, 0x86, 0, 0, len(body)]) + body + b"\x00"


def test_g2_dh_gm_vchip_apdus(vectors: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The chip, given G.2's nonce and its two private keys, runs the whole exchange and
    answers every published value; the terminal's token is checked."""
    v = vectors["pace_dh_gm_appendix_G2"]
    mrz = vectors["pace_ecdh_gm_appendix_G1"]["mrz_information_ascii"]  # same password
    suite = PaceSuite("DH-GM", "AES-128", 0)
    assert symmetric.derive_key(password_key(mrz.encode(), 1), symmetric.PI, "AES-128") \
        == h(v["k_pi"])
    persona = _Persona(mrz, pace=PaceConfig("DH-GM", "AES-128", 0), bac=False)
    chip = VirtualChip(persona)  # type: ignore[arg-type]
    chip.power_on()
    _feed(monkeypatch, chip_pace, token_bytes=[h(v["nonce_s"])])
    _feed(monkeypatch, pace_suite, randbelow=[int(v["ic_mapping_private"], 16) - 1,
                                              int(v["ic_ephemeral_private"], 16) - 1])
    mse = _do(0x80, suite.oid) + b"\x83\x01\x01" + b"\x84\x01\x00"
    assert _apdu(chip, bytes([0, 0x22, 0xC1, 0xA4, len(mse)]) + mse) == b"\x90\x00"
    assert _apdu(chip, _ga(b"")) == _do(0x7C, _do(0x80, h(v["encrypted_nonce_z"]))) + b"\x90\x00"
    answer = _apdu(chip, _ga(_do(0x81, h(v["ifd_mapping_public"]))))
    assert answer == _do(0x7C, _do(0x82, h(v["ic_mapping_public"]))) + b"\x90\x00"
    answer = _apdu(chip, _ga(_do(0x83, h(v["ifd_ephemeral_public"]))))
    assert answer == _do(0x7C, _do(0x84, h(v["ic_ephemeral_public"]))) + b"\x90\x00"
    answer = _apdu(chip, _ga(_do(0x85, h(v["t_ifd"])), last=True))
    assert answer == _do(0x7C, _do(0x86, h(v["t_ic"]))) + b"\x90\x00"
    assert chip.state.authenticated == "PACE" and chip.state.sm is not None
    assert chip.state.sm.ssc == 0


def test_g2_vchip_refuses_a_wrong_terminal_token(vectors: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    v = vectors["pace_dh_gm_appendix_G2"]
    mrz = vectors["pace_ecdh_gm_appendix_G1"]["mrz_information_ascii"]
    chip = VirtualChip(_Persona(mrz, pace=PaceConfig("DH-GM", "AES-128", 0),  # type: ignore[arg-type]
                                bac=False))
    chip.power_on()
    _feed(monkeypatch, chip_pace, token_bytes=[h(v["nonce_s"])])
    _feed(monkeypatch, pace_suite, randbelow=[int(v["ic_mapping_private"], 16) - 1,
                                              int(v["ic_ephemeral_private"], 16) - 1])
    mse = _do(0x80, PaceSuite("DH-GM", "AES-128", 0).oid) + b"\x83\x01\x01"
    assert _apdu(chip, bytes([0, 0x22, 0xC1, 0xA4, len(mse)]) + mse) == b"\x90\x00"
    _apdu(chip, _ga(b""))
    _apdu(chip, _ga(_do(0x81, h(v["ifd_mapping_public"]))))
    _apdu(chip, _ga(_do(0x83, h(v["ifd_ephemeral_public"]))))
    wrong = bytearray(h(v["t_ifd"]))
    wrong[0] ^= 0x80
    assert _apdu(chip, _ga(_do(0x85, bytes(wrong)), last=True)) == b"\x63\x00"
    assert chip.state.authenticated is None and chip.state.sm is None


# --------------------------------------------------------------------------- H.1 PACE ECDH-IM
def test_h1_integrated_mapping_library(vectors: dict[str, Any]) -> None:
    v = vectors["pace_ecdh_im_appendix_H1_point_encoding"]
    suite = pc.Suite.from_info(PACEInfo("0.4.0.127.0.7.2.2.4.4.2", 2, 13, "ECDH-IM", "AES-128"))
    curve = suite.domain
    assert isinstance(curve, Curve)
    s, t = h(v["nonce_s"]), h(v["nonce_t"])
    assert pc.im_prf("AES-128", s, t, curve.p) == int(v["pseudo_random_R_p"], 16)
    assert suite.map_integrated(s, t) == curve.decode(b"\x04" + h(v["mapped_generator_xy"]))


def test_h1_integrated_mapping_vchip(vectors: dict[str, Any]) -> None:
    v = vectors["pace_ecdh_im_appendix_H1_point_encoding"]
    suite = PaceSuite("ECDH-IM", "AES-128", 13)
    s, t = h(v["nonce_s"]), h(v["nonce_t"])
    r = suite.pseudo_random(s, t)
    assert r == int(v["pseudo_random_R_p"], 16)
    mapped = suite.map_integrated(s, t)
    assert suite.encode(mapped) == b"\x04" + h(v["mapped_generator_xy"])
    assert suite.map_integrated(t, s) != mapped  # s and t have distinct roles


# --------------------------------------------------------------------------- H.2 PACE DH-IM
def _h2_numbers(v: dict[str, Any]) -> dict[str, int]:
    keys = ("mapped_generator", "ifd_ephemeral_private", "ifd_ephemeral_public",
            "ic_ephemeral_public", "pseudo_random_R_p")
    return {k: int(v[k], 16) for k in keys}


def test_h2_published_values_hang_together(vectors: dict[str, Any]) -> None:
    """R_p is R mod p; the mapped generator and both public keys lie in the order-q subgroup."""
    v = vectors["pace_dh_im_appendix_H2"]
    n = _h2_numbers(v)
    group = PaceSuite("DH-IM", "AES-128", 0).domain
    assert int(v["pseudo_random_R"], 16) % group.p == n["pseudo_random_R_p"]
    assert len(h(v["pseudo_random_R"])) * 8 >= group.p.bit_length() + 64
    for key in ("mapped_generator", "ifd_ephemeral_public", "ic_ephemeral_public"):
        assert pow(n[key], group.q, group.p) == 1 and n[key] != 1


def test_h2_dh_im_library(vectors: dict[str, Any]) -> None:
    v = vectors["pace_dh_im_appendix_H2"]
    n = _h2_numbers(v)
    suite = pc.Suite.from_info(PACEInfo("0.4.0.127.0.7.2.2.4.3.2", 2, 0, "DH-IM", "AES-128"))
    password = PacePassword.can(v["password_can_ascii"])
    assert password.k_pi("AES-128").reveal() == h(v["k_pi"])
    nonce = pc.decrypt_nonce("AES-128", h(v["k_pi"]), h(v["encrypted_nonce_z"]))
    assert bytes(nonce) == h(v["nonce_s"])
    assert pc.im_prf("AES-128", nonce, h(v["nonce_t"]), suite.domain.p) == n["pseudo_random_R_p"]
    mapped = suite.map_integrated(nonce, h(v["nonce_t"]))
    assert mapped == n["mapped_generator"]
    assert suite.public(n["ifd_ephemeral_private"], mapped) == n["ifd_ephemeral_public"]
    shared = suite.shared_secret(suite.agree(n["ifd_ephemeral_private"],
                                             n["ic_ephemeral_public"]))
    assert shared == h(v["shared_secret_K"])
    ks_enc, ks_mac = pc.session_keys(suite, shared)
    assert (bytes(ks_enc), bytes(ks_mac)) == (h(v["ks_enc"]), h(v["ks_mac"]))
    assert pc.auth_token(suite, ks_mac, n["ic_ephemeral_public"]) == h(v["t_ifd"])
    assert pc.auth_token(suite, ks_mac, n["ifd_ephemeral_public"]) == h(v["t_ic"])


def test_h2_dh_im_vchip(vectors: dict[str, Any]) -> None:
    v = vectors["pace_dh_im_appendix_H2"]
    n = _h2_numbers(v)
    suite = PaceSuite("DH-IM", "AES-128", 0)
    assert suite.oid == h(v["protocol_oid"])
    k_pi = symmetric.derive_key(password_key(v["password_can_ascii"].encode(), 2),
                                symmetric.PI, "AES-128")
    assert k_pi == h(v["k_pi"])
    assert symmetric.cbc_encrypt("AES-128", k_pi, h(v["nonce_s"])) == h(v["encrypted_nonce_z"])
    s, t = h(v["nonce_s"]), h(v["nonce_t"])
    assert suite.pseudo_random(s, t) == n["pseudo_random_R_p"]
    mapped = suite.map_integrated(s, t)
    assert mapped == n["mapped_generator"]
    assert suite.multiply(n["ifd_ephemeral_private"], mapped) == n["ifd_ephemeral_public"]
    shared = suite.agree(n["ifd_ephemeral_private"], n["ic_ephemeral_public"])
    assert shared == h(v["shared_secret_K"])
    ks_enc = symmetric.derive_key(shared, symmetric.ENC, "AES-128")
    ks_mac = symmetric.derive_key(shared, symmetric.MAC, "AES-128")
    assert (ks_enc, ks_mac) == (h(v["ks_enc"]), h(v["ks_mac"]))
    assert suite.token(ks_mac, n["ifd_ephemeral_public"]) == h(v["t_ic"])
    assert suite.token(ks_mac, n["ic_ephemeral_public"]) == h(v["t_ifd"])


def test_h2_vchip_apdus_up_to_the_mapping(vectors: dict[str, Any],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The chip, given H.2's nonce s and the CAN, answers the published z and maps the
    generator from the terminal's t (its own ephemeral key is not published)."""
    v = vectors["pace_dh_im_appendix_H2"]
    persona = _Persona("", pace=PaceConfig("DH-IM", "AES-128", 0), bac=False,
                       can=v["password_can_ascii"])
    chip = VirtualChip(persona)  # type: ignore[arg-type]
    chip.power_on()
    _feed(monkeypatch, chip_pace, token_bytes=[h(v["nonce_s"])])
    mse = _do(0x80, h(v["protocol_oid"])) + b"\x83\x01\x02"
    assert _apdu(chip, bytes([0, 0x22, 0xC1, 0xA4, len(mse)]) + mse) == b"\x90\x00"
    assert _apdu(chip, _ga(b"")) == _do(0x7C, _do(0x80, h(v["encrypted_nonce_z"]))) + b"\x90\x00"
    assert _apdu(chip, _ga(_do(0x81, h(v["nonce_t"]))))[-2:] == b"\x90\x00"
    assert chip.state.scratch["pace"]["generator"] == int(v["mapped_generator"], 16)
