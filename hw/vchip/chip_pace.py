"""PACE on the virtual chip: MSE:Set AT and GENERAL AUTHENTICATE (ICAO Doc 9303-11 §4.4).

The persona's :class:`~hw.vchip.personas.PaceConfig` fixes the one PACE variant the chip
offers (EF.CardAccess lists exactly that PACEInfo). MSE:Set AT (``00 22 C1 A4``) selects it
with the password reference: 01 = MRZ (K = SHA-1 of the MRZ information), 02 = CAN. Then four
chained GENERAL AUTHENTICATE commands (CLA 10, 10, 10, 00):

1. ``7C 00`` -> ``7C { 80 E(K_π, s) }``
2. ``7C { 81 PK_map,IFD | t }`` -> ``7C { 82 PK_map,IC }`` (GM, CAM) or ``7C 00`` (IM)
3. ``7C { 83 PK_IFD }`` -> ``7C { 84 PK_IC }``
4. ``7C { 85 T_IFD }`` -> ``7C { 86 T_IC [8A A_IC] }`` (8A for PACE-CAM, §4.4.3.5.1)

A wrong token answers 6300 (the terminal used a wrong password) and forgets the exchange.
On success the new session goes to ``chip.pending_sm`` with SSC 0. The protocol state lives
in ``chip.scratch["pace"]``. MSE:Set AT and GENERAL AUTHENTICATE commands that are not PACE
(Chip Authentication) are passed on to the handlers registered before this module.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import TYPE_CHECKING, Any

from hw.vchip import symmetric
from hw.vchip.iso7816 import SW, Command, Response, TlvError, tlv, tlv_items, tlv_one
from hw.vchip.pace_suite import PaceSuite, password_key
from hw.vchip.secure_messaging import ChipSession

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState, Handler, Router

__all__ = ["general_authenticate", "mse_set_at", "register"]

log = logging.getLogger(__name__)


_previous: dict[int, Handler] = {}


def _suite(chip: ChipState) -> PaceSuite | None:
    cfg = chip.persona.pace
    if cfg is None:
        return None
    return PaceSuite(cfg.mapping, cfg.cipher, cfg.parameter_id)


def _password(chip: ChipState, ref: int) -> bytes | None:
    if ref == 1 and "pace_mrz_key" in chip.persona.extras:  # a licence: ISO/IEC 18013-3
        return bytes(chip.persona.extras["pace_mrz_key"])
    if ref == 1:
        return password_key(chip.persona.mrz_information.encode("ascii"), 1)
    if ref == 2 and chip.persona.can:
        return password_key(chip.persona.can.encode("ascii"), 2)
    return None


def mse_set_at(chip: ChipState, cmd: Command) -> Response:
    """MSE:Set AT for PACE (P1 C1, P2 A4; TR-03110-3 §B.1.1)."""
    if (cmd.p1, cmd.p2) != (0xC1, 0xA4):
        prev = _previous.get(0x22)
        return prev(chip, cmd) if prev else Response(b"", SW.WRONG_DATA)
    _forget(chip)
    suite = _suite(chip)
    if suite is None:
        return Response(b"", SW.WRONG_DATA)
    try:
        dos = tlv_items(cmd.data)
    except TlvError:
        return Response(b"", SW.WRONG_DATA)
    if dos.get(0x80) != suite.oid:
        return Response(b"", SW.WRONG_DATA)
    if 0x84 in dos and int.from_bytes(dos[0x84], "big") != suite.parameter_id:
        return Response(b"", SW.REFERENCED_DATA_NOT_FOUND)
    ref = dos.get(0x83, b"")
    password = _password(chip, ref[0]) if len(ref) == 1 else None
    if password is None:
        return Response(b"", SW.REFERENCED_DATA_NOT_FOUND)
    chip.scratch["pace"] = {"step": 1, "suite": suite, "password": bytearray(password)}
    return Response(b"", SW.OK)


def general_authenticate(chip: ChipState, cmd: Command) -> Response:
    """One step of the PACE GENERAL AUTHENTICATE chain."""
    state: dict[str, Any] | None = chip.scratch.get("pace")
    if state is None:
        prev = _previous.get(0x86)
        return prev(chip, cmd) if prev else Response(b"", SW.CONDITIONS_NOT_SATISFIED)
    step: int = state["step"]
    chained = bool(cmd.cla & 0x10)
    if chained != (step < 4):
        _forget(chip)
        return Response(b"", SW.LAST_COMMAND_EXPECTED if step == 4 else SW.CONDITIONS_NOT_SATISFIED)
    try:
        dos = tlv_items(tlv_one(cmd.data, 0x7C))
        body, sw = _STEPS[step](chip, state, dos)
    except (ValueError, KeyError) as exc:
        log.debug("PACE step %d refused: %s", step, type(exc).__name__)
        _forget(chip)
        return Response(b"", SW.WRONG_DATA)
    if sw != SW.OK or step == 4:
        _forget(chip)
    if sw != SW.OK:
        return Response(b"", sw)
    state["step"] = step + 1
    return Response(tlv(0x7C, body), SW.OK)


def _forget(chip: ChipState) -> None:
    """Drop the PACE exchange state, zeroing the password."""
    state = chip.scratch.pop("pace", None)
    if state is not None:
        password: bytearray = state["password"]
        password[:] = bytes(len(password))


Step = tuple[bytes, int]


def _step_nonce(chip: ChipState, state: dict[str, Any], dos: dict[int, bytes]) -> Step:
    """Step 1: ``7C 00`` -> ``7C { 80 z }`` with z = E(K_π, s) (§4.4.3.1)."""
    suite: PaceSuite = state["suite"]
    if dos:
        raise ValueError("step 1 carries no data")
    nonce = secrets.token_bytes(suite.nonce_length)
    state["nonce"] = nonce
    k_pi = symmetric.derive_key(state["password"], symmetric.PI, suite.cipher)
    return tlv(0x80, symmetric.cbc_encrypt(suite.cipher, k_pi, nonce)), SW.OK


def _step_map(chip: ChipState, state: dict[str, Any], dos: dict[int, bytes]) -> Step:
    """Step 2: the mapping (§4.4.3.3): GM/CAM answer PK_map,IC; IM takes t, answers nothing."""
    suite: PaceSuite = state["suite"]
    nonce = state.pop("nonce")
    if suite.mapping.endswith("IM"):
        state["generator"] = suite.map_integrated(nonce, dos[0x81])
        return b"", SW.OK
    pk_map_ifd = suite.decode(dos[0x81])
    sk_map = suite.random_private()
    pk_map = suite.multiply(sk_map, suite.generator())
    if pk_map == pk_map_ifd:
        raise ValueError("terminal echoed the mapping key")
    state["generator"] = suite.map_generic(nonce, suite.multiply(sk_map, pk_map_ifd))
    state["sk_map"] = sk_map
    return tlv(0x82, suite.encode(pk_map)), SW.OK


def _step_agree(chip: ChipState, state: dict[str, Any], dos: dict[int, bytes]) -> Step:
    """Step 3: ephemeral key agreement on the mapped generator (§4.4.3.3)."""
    suite: PaceSuite = state["suite"]
    pk_ifd = suite.decode(dos[0x83])
    sk = suite.random_private()
    pk_ic = suite.multiply(sk, state["generator"])
    if pk_ic == pk_ifd:
        raise ValueError("terminal echoed the ephemeral key")
    shared = suite.agree(sk, pk_ifd)
    state["ks"] = (symmetric.derive_key(shared, symmetric.ENC, suite.cipher),
                   symmetric.derive_key(shared, symmetric.MAC, suite.cipher))
    state["pk_ifd"], state["pk_ic"] = pk_ifd, pk_ic
    return tlv(0x84, suite.encode(pk_ic)), SW.OK


def _step_tokens(chip: ChipState, state: dict[str, Any], dos: dict[int, bytes]) -> Step:
    """Step 4: check T_IFD, answer T_IC (and A_IC for PACE-CAM) (§4.4.3.4-4.4.3.5)."""
    suite: PaceSuite = state["suite"]
    ks_enc, ks_mac = state["ks"]
    if not hmac.compare_digest(dos[0x85], suite.token(ks_mac, state["pk_ic"])):
        return b"", SW.VERIFICATION_FAILED
    body = tlv(0x86, suite.token(ks_mac, state["pk_ifd"]))
    if suite.mapping == "ECDH-CAM":
        body += tlv(0x8A, suite.encrypt_cam(ks_enc, _ca_ic(chip, suite, state)))
    chip.pending_sm = ChipSession(suite.cipher, ks_enc, ks_mac, 0)
    chip.authenticated = "PACE"
    chip.scratch["pace_done"] = {"mapping": suite.mapping, "cipher": suite.cipher}
    return body, SW.OK


def _ca_ic(chip: ChipState, suite: PaceSuite, state: dict[str, Any]) -> int:
    """CA_IC = SK_IC^-1 · SK_Map,IC mod n (Doc 9303-11 §4.4.3.5.1)."""
    key = chip.persona.ca_key
    if key is None:
        raise ValueError("PACE-CAM persona has no Chip Authentication key")
    sk_ic: int = key.private_numbers().private_value
    sk_map: int = state["sk_map"]
    return pow(sk_ic, -1, suite.order) * sk_map % suite.order


_STEPS = {1: _step_nonce, 2: _step_map, 3: _step_agree, 4: _step_tokens}


def register(router: Router) -> None:
    """Install the PACE handlers, keeping earlier MSE / GENERAL AUTHENTICATE handlers as
    fallbacks for the non-PACE forms of those commands."""
    for ins, handler in ((0x22, mse_set_at), (0x86, general_authenticate)):
        prev = router.get(ins)
        if prev is not None and prev is not handler:
            _previous[ins] = prev
        router.add(ins, handler)
