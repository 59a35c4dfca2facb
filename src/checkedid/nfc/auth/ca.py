"""Chip Authentication, terminal side (ICAO Doc 9303-11 §6.2; BSI TR-03110-1 §3.4, v1).

The chip's static key agreement key is in DG14 (ChipAuthenticationPublicKeyInfo).
The terminal makes an ephemeral key pair on the same domain parameters, sends its
public key, and both sides derive new secure-messaging keys from the shared
secret (``KS_enc = KDF(K, 1)``, ``KS_mac = KDF(K, 2)``, SSC = 0; Doc 9303-11 §9.7.1).
Only a chip holding the private key can compute them, so the chip is genuine when
the *next* secured command succeeds under the new keys:

* 3DES: ``MSE:Set KAT`` (``00 22 41 A6``, DO'91' ephemeral public key, DO'84' key id);
* AES:  ``MSE:Set AT`` (``00 22 41 A4``, DO'80' protocol OID, DO'84' key id), then
  ``GENERAL AUTHENTICATE`` (``00 86 00 00``, ``7C { 80 ephemeral public key }``).

:func:`chip_authenticate` returns a :class:`CAResult` whose check is NOT_CHECKED
("awaiting confirmation") together with the new :class:`SMSession`. The reader
installs the session, reads a file, and calls :func:`confirm` with whether that
worked — PASSED, or FAILED when the chip could not speak under the new keys (a
chip that does not hold the DG14 key). A result never confirmed stays NOT_CHECKED,
so the decision cannot be VERIFIED on keys that were never used.

:func:`apply_trust` then binds the AA and CA verdicts to Passive Authentication:
the DG15 / DG14 keys only mean something when EF.SOD's verified hashes cover them.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Set
from dataclasses import dataclass, field, replace
from typing import Any, overload

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from checkedid.nfc.crypto.ecdsa import CurvePublicKey
from checkedid.nfc.crypto.ecmath import powmod
from checkedid.nfc.crypto.suites import Cipher
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.apdu import INS, SW, Command
from checkedid.nfc.lds.securityinfos import CIPHER_SUITES, encode_oid
from checkedid.nfc.sm import kdf
from checkedid.nfc.sm.messaging import SMSession
from checkedid.verdict import Check, CheckGroup, Verdict, json_list, json_map

__all__ = ["CA_OID_PREFIX", "PENDING", "CAResult", "apply_trust", "chip_authenticate",
           "confirm", "is_pending", "oid_bytes"]

log = logging.getLogger(__name__)

CA_OID_PREFIX = "0.4.0.127.0.7.2.2.3."
_DEFAULT_3DES = {"ECDH": "0.4.0.127.0.7.2.2.3.2.1", "DH": "0.4.0.127.0.7.2.2.3.1.1"}
PENDING = "keys agreed; the chip is proven once a command under the new keys succeeds"


@dataclass(frozen=True)
class CAResult:
    """Outcome of the CA exchange: the (pending) check and the session to install."""

    check: CheckGroup
    session: SMSession | None = field(default=None, repr=False)

    @property
    def pending(self) -> bool:
        """True when keys were agreed and :func:`confirm` is still due."""
        return self.session is not None and is_pending(self.check)


def oid_bytes(dotted: str) -> bytes:
    """The content octets of an OBJECT IDENTIFIER (the value of DO'80' in MSE:Set AT).

    The X.690 §8.19 encoding of :func:`checkedid.nfc.lds.securityinfos.encode_oid`.
    """
    return encode_oid(dotted)


def _group(verdict: Verdict, reason: str, **details: Any) -> CheckGroup:
    return CheckGroup.of("chip", [Check("chip_authentication", verdict, reason)], **details)


def _select(dg14: Any) -> tuple[str, Any, int | None]:
    """(protocol OID, chip public key, key id) — ECDH before DH, AES before 3DES."""
    infos = sorted(getattr(dg14, "ca_infos", []) or [],
                   key=lambda i: (i.key_agreement != "ECDH", i.cipher == Cipher.TDES))
    for info in infos:
        pk = dg14.ca_public_key(info)
        if pk is not None and info.cipher in CIPHER_SUITES.values():
            return info.oid, pk.public_key, info.key_id if info.key_id is not None else pk.key_id
    keys = getattr(dg14, "ca_public_keys", []) or []
    if not infos and len(keys) == 1:  # no ChipAuthenticationInfo: CA v1 with 3DES (§9.2.5)
        pk = keys[0]
        return _DEFAULT_3DES.get(pk.key_agreement, ""), pk.public_key, pk.key_id
    raise LookupError("no usable ChipAuthenticationInfo / public key pair")


def _agree(chip_key: Any) -> tuple[bytes, bytearray]:
    """Ephemeral public key (wire encoding) and the shared secret (Doc 9303-11 §9.7.1:
    the ECDH x-coordinate, or the DH value padded to the length of p)."""
    if isinstance(chip_key, CurvePublicKey):  # a curve OpenSSL lacks (brainpoolP224r1 ...)
        curve = chip_key.params
        k = 1 + secrets.randbelow(curve.n - 1)  # ephemeral, used once (not constant time)
        shared = curve.mul(k * curve.h, chip_key.point)
        if shared is None:
            raise ValueError("the chip's EC public key gives the point at infinity")
        return curve.encode(curve.mul_base(k)), bytearray(shared[0].to_bytes(curve.size, "big"))
    if isinstance(chip_key, ec.EllipticCurvePublicKey):
        eph = ec.generate_private_key(chip_key.curve)
        public = eph.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return public, bytearray(eph.exchange(ec.ECDH(), chip_key))
    if all(hasattr(chip_key, a) for a in ("p", "g", "y")):  # DG14's DH key (plain integers)
        p, g, y = int(chip_key.p), int(chip_key.g), int(chip_key.y)
        q = getattr(chip_key, "q", None)
        size = (p.bit_length() + 7) // 8
        if not 1 < y < p - 1 or (q is not None and powmod(y, int(q), p) != 1):
            raise ValueError("the chip's DH public value is not in the group")
        x = 2 + secrets.randbelow((int(q) if q else p - 1) - 2)
        return (powmod(g, x, p).to_bytes(size, "big"),
                bytearray(powmod(y, x, p).to_bytes(size, "big")))
    raise LookupError("the DG14 key is neither EC nor DH")


def chip_authenticate(conn: Any, dg14: Any) -> CAResult:
    """Run Chip Authentication over ``conn`` (secure messaging from BAC/PACE active).

    Returns the pending result and the new session; the caller installs the session
    (``conn.install_sm(result.session)``), sends its next command, and calls
    :func:`confirm`. Transport errors propagate as :class:`~checkedid.errors.ChipError`.
    """
    if dg14 is None:
        return CAResult(_group(Verdict.NOT_SUPPORTED, "the document has no DG14"))
    try:
        oid, chip_key, key_id = _select(dg14)
    except LookupError:
        return CAResult(_group(Verdict.NOT_SUPPORTED, "DG14 offers no usable Chip Authentication"))
    cipher = CIPHER_SUITES.get(int(oid.rsplit(".", 1)[1]), "")
    agreement = "ECDH" if oid.split(".")[-2] == "2" else "DH"
    details: dict[str, Any] = {"protocol": "CA", "key_agreement": agreement, "cipher": cipher}
    if isinstance(chip_key, ec.EllipticCurvePublicKey):
        details["curve"] = chip_key.curve.name
    try:
        public, secret = _agree(chip_key)
    except (LookupError, ValueError) as exc:
        return CAResult(_group(Verdict.NOT_CHECKED, f"Chip Authentication could not be run "
                               f"({type(exc).__name__}: unsupported key)", **details))
    try:
        key_ref = tlv.encode(0x84, key_id.to_bytes(max(1, (key_id.bit_length() + 7) // 8),
                                                   "big")) if key_id is not None else b""
        if cipher == Cipher.TDES:
            cmd = Command(0x00, INS.MSE, 0x41, 0xA6, tlv.encode(0x91, public) + key_ref)
            resp = conn.send(cmd, step="MSE:Set KAT (CA)")
        else:
            cmd = Command(0x00, INS.MSE, 0x41, 0xA4, tlv.encode(0x80, oid_bytes(oid)) + key_ref)
            resp = conn.send(cmd, step="MSE:Set AT (CA)")
            if resp.sw == SW.OK:
                ga = Command(0x00, INS.GENERAL_AUTHENTICATE, 0x00, 0x00,
                             tlv.encode(0x7C, tlv.encode(0x80, public)), 256)
                resp = conn.send(ga, step="GENERAL AUTHENTICATE (CA)")
        if resp.sw != SW.OK:
            return CAResult(_group(Verdict.FAILED, f"the chip refused Chip Authentication "
                                   f"(SW {resp.sw:04X})", **details))
        session = SMSession(cipher, kdf.derive(secret, kdf.ENC, cipher),
                            kdf.derive(secret, kdf.MAC, cipher), 0)
    finally:
        secret[:] = bytes(len(secret))
    log.debug("chip authentication: keys agreed (%s %s)", agreement, cipher)
    return CAResult(_group(Verdict.NOT_CHECKED, PENDING, **details), session)


def is_pending(check: CheckGroup) -> bool:
    """True for the group :func:`chip_authenticate` returns before confirmation."""
    c = check.check("chip_authentication")
    return check.verdict is Verdict.NOT_CHECKED and c is not None and c.reason == PENDING


@overload
def confirm(result: CAResult, ok: bool, reason: str = "") -> CAResult: ...
@overload
def confirm(result: CheckGroup, ok: bool, reason: str = "") -> CheckGroup: ...
def confirm(result: CAResult | CheckGroup, ok: bool, reason: str = "") -> CAResult | CheckGroup:
    """Settle a pending CA: ``ok`` when a command under the new keys succeeded.

    Takes the :class:`CAResult` or just its ``check`` group and returns the same kind
    with PASSED, or FAILED (the chip could not use the keys: it does not hold the
    private key of DG14). Anything not pending is returned unchanged.
    """
    group = result.check if isinstance(result, CAResult) else result
    if not is_pending(group):
        return result
    details = dict(group.details)
    if ok:
        settled = _group(Verdict.PASSED, reason or "the chip proved it holds the DG14 key "
                         "(secure messaging under the new keys works)", **details)
    else:
        settled = _group(Verdict.FAILED, reason or "the chip could not use the keys agreed "
                         "with the DG14 key (possible clone or substituted chip)", **details)
    return replace(result, check=settled) if isinstance(result, CAResult) else settled


def _dg_trust(dg: int, passive: CheckGroup, covered: Set[int]) -> tuple[Verdict, str]:
    name = f"DG{dg}"
    hashes = json_map(passive.details.get("dg_hashes"))
    if dg not in covered:
        return Verdict.FAILED, f"{name} is not covered by EF.SOD: its key is not authenticated"
    if dg in json_list(hashes.get("mismatched")):
        return Verdict.FAILED, f"{name} does not match its EF.SOD hash"
    check = passive.check("dg_hashes")
    matched = json_list(hashes.get("matched"))
    if check is None or check.verdict is not Verdict.PASSED or dg not in matched:
        return Verdict.NOT_CHECKED, f"{name}'s hash was not verified against EF.SOD"
    for step, what in (("ds_signature", "its signature"),
                       ("csca_chain", "its signer's chain to a CSCA"),
                       ("validity", "its certificates' validity"),
                       ("revocation", "its signer's revocation status")):
        check = passive.check(step)
        if check is None or check.verdict is Verdict.FAILED:
            return Verdict.FAILED, f"EF.SOD, which covers {name}, failed the check of {what}"
        if check.verdict is not Verdict.PASSED:
            return Verdict.NOT_CHECKED, f"EF.SOD, which covers {name}: {what} was not verified"
    return Verdict.PASSED, f"{name} is covered by a verified EF.SOD hash"


def _bind(group: CheckGroup, dg: int, passive: CheckGroup, covered: Set[int]) -> CheckGroup:
    if group.verdict is not Verdict.PASSED:
        return group
    verdict, reason = _dg_trust(dg, passive, covered)
    return CheckGroup.of(group.name, [*group.checks, Check("key_authenticity", verdict, reason)],
                         **group.details)


def apply_trust(active: CheckGroup, chip: CheckGroup, passive: CheckGroup,
                covered: Set[int], *, aa_dg: int = 15) -> tuple[CheckGroup, CheckGroup]:
    """Let AA / CA verdicts count only when DG15 / DG14 are authentic (Doc 9303-11 §6.1, §6.2).

    A PASSED group gets a ``key_authenticity`` check: PASSED when the data group is in
    ``covered`` (EF.SOD's DGs) and PA verified its hash and EF.SOD's signer (signature,
    chain to a trusted CSCA, validity, revocation); FAILED when it is not covered or one
    of those failed; NOT_CHECKED when one could not be run (no trust store, no CRL).
    Groups that did not pass are returned unchanged. ``aa_dg`` is the data group of the
    AA key: 15 in a passport, 13 in a driving licence (ISO/IEC 18013-2 Annex C).
    """
    return _bind(active, aa_dg, passive, covered), _bind(chip, 14, passive, covered)
