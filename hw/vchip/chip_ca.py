"""Chip Authentication on the virtual chip (ICAO Doc 9303-11 §6.2; BSI TR-03110-1 §3.4 v1).

Two forms, both answered under the secure messaging of BAC or PACE:

* 3DES: ``MSE:Set KAT`` (``00 22 41 A6``) with DO'91' (terminal ephemeral public key)
  and optional DO'84' (key id) — the keys change right after the response.
* AES:  ``MSE:Set AT`` (``00 22 41 A4``) with DO'80' (an id-CA OID) and optional
  DO'84', remembered in ``chip.scratch["ca"]``; then ``GENERAL AUTHENTICATE``
  (``00 86 00 00``, ``7C { 80 PK }``) answers ``7C 00`` and the keys change.

The shared secret (ECDH x-coordinate, or the DH value) gives KS_enc/KS_mac by the
Doc 9303-11 KDF with SSC 0; they go to ``chip.pending_sm``, which the router
installs after wrapping the response with the old keys.

MSE and GENERAL AUTHENTICATE are shared with PACE: :func:`register` chains in front
of whatever handler is registered for those INS and passes on every command that is
not a CA one (PACE uses MSE P1P2 ``C1A4`` and GA tags 81/83/85 or an empty 7C).

Persona fault ``ca-key-mismatch``: the chip computes with a static key other than
DG14's, so the terminal's next secured command fails its MAC check.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec

from hw.vchip import symmetric
from hw.vchip.iso7816 import SW, Command, Response, TlvError, tlv_items
from hw.vchip.secure_messaging import ChipSession

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState, Handler, Router

__all__ = ["general_authenticate", "is_ca_ga", "is_ca_mse", "mse", "register", "static_key"]

log = logging.getLogger(__name__)

CA_OID = bytes.fromhex("04007F0007020203")  # 0.4.0.127.0.7.2.2.3 (id-CA) content octets
_CIPHERS = {1: "3DES", 2: "AES-128", 3: "AES-192", 4: "AES-256"}


def _objects(data: bytes) -> dict[int, bytes] | None:
    try:
        return tlv_items(data)
    except TlvError:
        return None


def is_ca_mse(chip: ChipState, cmd: Command) -> bool:
    """MSE:Set KAT, or MSE:Set AT naming an id-CA protocol."""
    if (cmd.p1, cmd.p2) == (0x41, 0xA6):
        return True
    if (cmd.p1, cmd.p2) != (0x41, 0xA4):
        return False
    objs = _objects(bytes(cmd.data))
    return objs is not None and objs.get(0x80, b"").startswith(CA_OID)


def is_ca_ga(chip: ChipState, cmd: Command) -> bool:
    """GENERAL AUTHENTICATE ``7C { 80 ... }`` after a CA MSE:Set AT."""
    if "ca" not in chip.scratch:
        return False
    objs = _objects(bytes(cmd.data))
    inner = _objects(objs.get(0x7C, b"")) if objs else None
    return inner is not None and 0x80 in inner


def static_key(chip: ChipState) -> Any:
    """The chip's CA private key (another one for the ``ca-key-mismatch`` fault)."""
    key = chip.persona.ca_key
    if key is None or chip.persona.fault != "ca-key-mismatch":
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        from hw.pki.keys import ec_key

        return ec_key("ca-key-mismatch", key.curve.name)
    from hw.vchip.lds_build import DHPrivateKey

    return DHPrivateKey(key.p, key.g, key.q, (key.x * 7 + 3) % key.q or 5)


def _shared_secret(key: Any, public: bytes) -> bytearray | None:
    try:
        if isinstance(key, ec.EllipticCurvePrivateKey):
            peer = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, public)
            return bytearray(key.exchange(ec.ECDH(), peer))
        p, x = key.p, key.x
        y = int.from_bytes(public, "big")
        if not 1 < y < p - 1 or pow(y, key.q, p) != 1:  # TR-03110-3 §A.2.2: in the subgroup
            return None
        return bytearray(pow(y, x, p).to_bytes((p.bit_length() + 7) // 8, "big"))
    except (ValueError, AttributeError):
        return None


def _establish(chip: ChipState, public: bytes, cipher: str) -> bool:
    key = static_key(chip)
    secret = _shared_secret(key, public) if key is not None else None
    if secret is None:
        return False
    try:
        chip.pending_sm = ChipSession(cipher, symmetric.derive_key(secret, symmetric.ENC, cipher),
                                      symmetric.derive_key(secret, symmetric.MAC, cipher), 0)
    finally:
        secret[:] = bytes(len(secret))
    chip.scratch["ca_done"] = cipher
    return True


def mse(chip: ChipState, cmd: Command) -> Response:
    """MSE:Set KAT (3DES CA) or MSE:Set AT for CA (AES)."""
    if chip.authenticated is None or chip.sm is None or chip.persona.ca_key is None:
        refused = SW.SECURITY_STATUS_NOT_SATISFIED if chip.persona.ca_key is not None \
            else SW.REFERENCED_DATA_NOT_FOUND
        return Response(b"", refused)
    objs = _objects(bytes(cmd.data))
    if objs is None:
        return Response(b"", SW.WRONG_DATA)
    if cmd.p2 == 0xA6:
        public = objs.get(0x91)
        if not public or not _establish(chip, public, "3DES"):
            return Response(b"", SW.WRONG_DATA)
        return Response(b"", SW.OK)
    oid = objs[0x80]
    cipher = _CIPHERS.get(oid[-1]) if len(oid) == 10 else None
    if cipher is None:
        return Response(b"", SW.REFERENCED_DATA_NOT_FOUND)
    chip.scratch["ca"] = {"cipher": cipher, "key_id": objs.get(0x84)}
    return Response(b"", SW.OK)


def general_authenticate(chip: ChipState, cmd: Command) -> Response:
    """GENERAL AUTHENTICATE of CA (AES): agree on the keys, answer ``7C 00``."""
    state = chip.scratch.pop("ca", None)
    if state is None or chip.sm is None:
        return Response(b"", SW.CONDITIONS_NOT_SATISFIED)
    objs = _objects(bytes(cmd.data)) or {}
    inner = _objects(objs.get(0x7C, b"")) or {}
    public = inner.get(0x80)
    if not public or not _establish(chip, public, state["cipher"]):
        return Response(b"", SW.WRONG_DATA)
    return Response(b"\x7c\x00", SW.OK)


def _chain(router: Router, ins: int, matches: Any, handler: Handler) -> None:
    previous = router.get(ins)

    def dispatch(chip: ChipState, cmd: Command) -> Response:
        if matches(chip, cmd):
            return handler(chip, cmd)
        if previous is not None:
            return previous(chip, cmd)
        return Response(b"", 0x6D00)

    router.add(ins, dispatch)


def register(router: Router) -> None:
    """Install CA in front of the MSE (0x22) and GENERAL AUTHENTICATE (0x86) handlers."""
    _chain(router, 0x22, is_ca_mse, mse)
    _chain(router, 0x86, is_ca_ga, general_authenticate)
