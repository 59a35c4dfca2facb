"""Basic Access Control, terminal side (ICAO Doc 9303-11 §4.3, worked example Appendix D).

1. Derive ``K_enc``/``K_mac`` from the MRZ information (document number, birth and
   expiry dates with their check digits; §9.7.2) with the KDF of §9.7.1.
2. GET CHALLENGE -> ``RND.IC`` (8 bytes).
3. EXTERNAL AUTHENTICATE with ``E_IFD = 3DES(K_enc, RND.IFD || RND.IC || K.IFD)`` and
   ``M_IFD = retail-MAC(K_mac, E_IFD)``; the chip answers ``E_IC || M_IC``.
4. Verify ``M_IC`` and the echoed ``RND.IFD`` in constant time, then
   ``KS_seed = K.IFD xor K.IC``, ``KS_enc``/``KS_mac`` from the KDF and
   ``SSC = RND.IC[4:8] || RND.IFD[4:8]``.

:func:`authenticate` returns a :class:`BACResult` whose ``session`` the caller installs
(:meth:`checkedid.nfc.sm.connection.ApduConnection.install_sm`). A refused key raises
:class:`BACError` (an :class:`~checkedid.errors.AccessDenied`) telling the operator to
check the MRZ photo; the message never contains the MRZ.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from checkedid.errors import AccessDenied, InputError, SecureMessagingError
from checkedid.nfc.crypto.suites import Cipher
from checkedid.nfc.iso7816.apdu import INS, SW, SW1, Command
from checkedid.nfc.sm import kdf
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.nfc.sm.messaging import SMSession, cbc_decrypt, cbc_encrypt, compute_mac
from checkedid.secret import Secret, zero

__all__ = ["REJECTED", "BACError", "BACResult", "authenticate", "mutual_auth_keys"]

#: Message of a refused access key (wrong or misread MRZ).
REJECTED = ("the chip rejected the access key: check the MRZ photo "
            "(document number, birth date, expiry)")
STEP_CHALLENGE = "BAC GET CHALLENGE"
STEP_AUTH = "BAC EXTERNAL AUTHENTICATE"

Random = Callable[[int], bytes]


class BACError(AccessDenied):
    """BAC failed: the chip refused the key derived from the MRZ, or its answer did not verify."""


@dataclass(frozen=True)
class BACResult:
    """Outcome of a successful BAC: the 3DES secure-messaging session to install."""

    session: SMSession
    protocol: str = "BAC"

    @property
    def cipher(self) -> str:
        return self.session.cipher


def mutual_auth_keys(mrz_information: bytes | bytearray | memoryview | Secret
                     ) -> tuple[bytes, bytes]:
    """``(K_enc, K_mac)`` of the BAC mutual authentication (Doc 9303-11 §9.7.2)."""
    seed = bytearray(kdf.bac_seed(mrz_information))
    try:
        return kdf.derive(seed, kdf.ENC, Cipher.TDES), kdf.derive(seed, kdf.MAC, Cipher.TDES)
    finally:
        zero(seed)


def authenticate(conn: ApduConnection, mrz_information: bytes | bytearray | Secret, *,
                 rng: Random = secrets.token_bytes) -> BACResult:
    """Run BAC on ``conn`` (which must not have secure messaging installed).

    ``rng`` supplies RND.IFD (8 bytes) then K.IFD (16 bytes); only tests replace it,
    to replay the Appendix D example.
    """
    if conn.sm_active:
        conn.clear_sm()
    k_enc, k_mac = mutual_auth_keys(mrz_information)

    resp = conn.call(Command(0x00, INS.GET_CHALLENGE, 0x00, 0x00, le=8), step=STEP_CHALLENGE)
    rnd_ic = bytes(resp.data)
    if len(rnd_ic) != 8:
        raise BACError(f"the chip's challenge has {len(rnd_ic)} bytes instead of 8",
                       sw=resp.sw, step=STEP_CHALLENGE)

    rnd_ifd = bytes(rng(8))
    k_ifd = bytearray(rng(16))
    if len(rnd_ifd) != 8 or len(k_ifd) != 16:
        raise InputError("BAC: the random source returned the wrong number of bytes")
    s = bytearray(rnd_ifd + rnd_ic + k_ifd)
    try:
        e_ifd = cbc_encrypt(Cipher.TDES, k_enc, s)
    finally:
        zero(s)
    m_ifd = compute_mac(Cipher.TDES, k_mac, e_ifd)

    resp = conn.send(Command(0x00, INS.EXTERNAL_AUTHENTICATE, 0x00, 0x00, e_ifd + m_ifd, 40),
                     step=STEP_AUTH)
    if resp.sw != SW.OK:
        if resp.sw in (SW.VERIFICATION_FAILED, SW.SECURITY_STATUS_NOT_SATISFIED,
                       SW.CONDITIONS_NOT_SATISFIED, SW.WRONG_DATA) \
                or resp.sw1 == SW1.WARNING_CHANGED:
            raise BACError(REJECTED, sw=resp.sw, step=STEP_AUTH)
        conn.check(resp, STEP_AUTH)
    answer = bytes(resp.data)
    if len(answer) != 40:
        raise BACError(f"the chip's answer has {len(answer)} bytes instead of 40",
                       sw=resp.sw, step=STEP_AUTH)
    e_ic, m_ic = answer[:32], answer[32:]
    if not hmac.compare_digest(compute_mac(Cipher.TDES, k_mac, e_ic), m_ic):
        raise BACError("the chip's authentication cryptogram has a wrong MAC "
                       "(the chip does not hold the same key)", sw=resp.sw, step=STEP_AUTH)
    try:
        r = bytearray(cbc_decrypt(Cipher.TDES, k_enc, e_ic))
    except SecureMessagingError:
        raise BACError("the chip's authentication cryptogram cannot be decrypted",
                       sw=resp.sw, step=STEP_AUTH) from None
    try:
        nonces_ok = hmac.compare_digest(bytes(r[:8]), rnd_ic)
        nonces_ok &= hmac.compare_digest(bytes(r[8:16]), rnd_ifd)
        if not nonces_ok:
            raise BACError("the chip did not echo the nonces (replayed or forged answer)",
                           sw=resp.sw, step=STEP_AUTH)
        ks_seed = bytearray(a ^ b for a, b in zip(k_ifd, r[16:32], strict=True))
    finally:
        zero(r)
        zero(k_ifd)
    try:
        ks_enc = kdf.derive(ks_seed, kdf.ENC, Cipher.TDES)
        ks_mac = kdf.derive(ks_seed, kdf.MAC, Cipher.TDES)
    finally:
        zero(ks_seed)
    ssc = int.from_bytes(rnd_ic[4:8] + rnd_ifd[4:8], "big")
    return BACResult(session=SMSession(Cipher.TDES, ks_enc, ks_mac, ssc))
