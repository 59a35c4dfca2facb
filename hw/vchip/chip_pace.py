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

import hashlib
import hmac
import logging
import secrets
from typing import TYPE_CHECKING, Any

from checkedid.errors import CheckedIDError
from checkedid.nfc import kdf, tlv
from checkedid.nfc import pace_crypto as pc
from checkedid.nfc.apdu import SW, Command, Response
from checkedid.nfc.cardaccess import PACEInfo, encode_oid
from checkedid.nfc.sm import SMSession
from checkedid.secret import zero

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState, Handler, Router

__all__ = ["general_authenticate", "mse_set_at", "register"]

log = logging.getLogger(__name__)


_previous: dict[int, Handler] = {}


def _suite(chip: ChipState) -> pc.Suite | None:
    cfg = chip.persona.pace
    if cfg is None:
        return None
    mapping, cipher = cfg.mapping, cfg.cipher
    return pc.Suite.from_info(PACEInfo(cfg.oid, 2, cfg.parameter_id, mapping, cipher))


def _password(chip: ChipState, ref: int) -> bytes | None:
    if ref == 1 and "pace_mrz_key" in chip.persona.extras:  # a licence: ISO/IEC 18013-3
        return bytes(chip.persona.extras["pace_mrz_key"])
    if ref == 1:
        info = chip.persona.mrz_information.encode("ascii")
        return hashlib.sha1(info).digest()  # noqa: S324 - mandated by Doc 9303-11 §9.7.3
    if ref == 2 and chip.persona.can:
        return chip.persona.can.encode("ascii")
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
        dos = {item.tag: bytes(item.value) for item in tlv.iter_tlv(cmd.data)}
    except CheckedIDError:
        return Response(b"", SW.WRONG_DATA)
    if dos.get(0x80) != encode_oid(suite.oid):
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
        top = tlv.decode_one(cmd.data)
        if top.tag != 0x7C or top.next_offset != len(cmd.data):
            raise ValueError("not dynamic authentication data")
        dos = {item.tag: bytes(item.value) for item in tlv.iter_tlv(top.value)}
        body, sw = _STEPS[step](chip, state, dos)
    except (CheckedIDError, ValueError, KeyError) as exc:
        log.debug("PACE step %d refused: %s", step, type(exc).__name__)
        _forget(chip)
        return Response(b"", SW.WRONG_DATA)
    if sw != SW.OK or step == 4:
        _forget(chip)
    if sw != SW.OK:
        return Response(b"", sw)
    state["step"] = step + 1
    return Response(tlv.encode(0x7C, body), SW.OK)


def _forget(chip: ChipState) -> None:
    """Drop the PACE exchange state, zeroing the password."""
    state = chip.scratch.pop("pace", None)
    if state is not None:
        zero(state["password"])


Step = tuple[bytes, int]


def _step_nonce(chip: ChipState, state: dict[str, Any], dos: dict[int, bytes]) -> Step:
    suite: pc.Suite = state["suite"]
    if dos:
        raise ValueError("step 1 carries no data")
    nonce = secrets.token_bytes(suite.nonce_length)
    state["nonce"] = nonce
    k_pi = kdf.derive(state["password"], kdf.PACE, suite.cipher)
    return tlv.encode(0x80, pc.encrypt_nonce(suite.cipher, k_pi, nonce)), SW.OK


def _step_map(chip: ChipState, state: dict[str, Any], dos: dict[int, bytes]) -> Step:
    suite: pc.Suite = state["suite"]
    nonce = state.pop("nonce")
    if suite.mapping.endswith("IM"):
        state["generator"] = suite.map_integrated(nonce, dos[0x81])
        return b"", SW.OK
    pk_map_ifd = suite.decode(dos[0x81])
    sk_map = suite.random_private()
    pk_map = suite.public(sk_map, suite.generator())
    if pk_map == pk_map_ifd:
        raise ValueError("terminal echoed the mapping key")
    state["generator"] = suite.map_generic(nonce, suite.agree(sk_map, pk_map_ifd))
    state["sk_map"] = sk_map
    return tlv.encode(0x82, suite.encode(pk_map)), SW.OK


def _step_agree(chip: ChipState, state: dict[str, Any], dos: dict[int, bytes]) -> Step:
    suite: pc.Suite = state["suite"]
    pk_ifd = suite.decode(dos[0x83])
    sk = suite.random_private()
    pk_ic = suite.public(sk, state["generator"])
    if pk_ic == pk_ifd:
        raise ValueError("terminal echoed the ephemeral key")
    state["ks"] = pc.session_keys(suite, suite.shared_secret(suite.agree(sk, pk_ifd)))
    state["pk_ifd"], state["pk_ic"] = pk_ifd, pk_ic
    return tlv.encode(0x84, suite.encode(pk_ic)), SW.OK


def _step_tokens(chip: ChipState, state: dict[str, Any], dos: dict[int, bytes]) -> Step:
    suite: pc.Suite = state["suite"]
    ks_enc, ks_mac = state["ks"]
    if not hmac.compare_digest(dos[0x85], pc.auth_token(suite, ks_mac, state["pk_ic"])):
        return b"", SW.VERIFICATION_FAILED
    body = tlv.encode(0x86, pc.auth_token(suite, ks_mac, state["pk_ifd"]))
    if suite.mapping == "ECDH-CAM":
        body += tlv.encode(0x8A, pc.cam_encrypt(suite, ks_enc, _ca_ic(chip, suite, state)))
    chip.pending_sm = SMSession(suite.cipher, ks_enc, ks_mac, 0)
    chip.authenticated = "PACE"
    chip.scratch["pace_done"] = {"mapping": suite.mapping, "cipher": suite.cipher}
    return body, SW.OK


def _ca_ic(chip: ChipState, suite: pc.Suite, state: dict[str, Any]) -> int:
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
