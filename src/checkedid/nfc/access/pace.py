"""PACE v2, terminal side (ICAO Doc 9303-11 §4.4; BSI TR-03110-2 §3.2, TR-03110-3 §A.3, §B.1).

:func:`authenticate` picks the best PACEInfo of EF.CardAccess, sends MSE:Set AT and runs the
four GENERAL AUTHENTICATE steps (command chaining, CLA 10 then 00):

1. the chip's nonce ``s`` arrives encrypted with ``K_π = KDF(K, 3)`` (DO'80');
2. mapping: Generic (DO'81'/'82' mapping keys), Integrated (DO'81' nonce t) or Chip
   Authentication Mapping (as Generic);
3. key agreement with ephemeral keys on the mapped generator (DO'83'/'84');
4. mutual authentication tokens (DO'85'/'86'); for PACE-CAM the chip adds its encrypted chip
   authentication data (DO'8A').

The password ``K`` is SHA-1 of the MRZ information (Doc 9303-11 §9.7.3) or the CAN as is.
The result carries an :class:`~checkedid.nfc.sm.SMSession` with SSC 0 for the caller to
install. A wrong password surfaces as :class:`~checkedid.errors.AccessDenied`. PACE-CAM is
completed by :func:`verify_cam` once DG14 has been read.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from checkedid.errors import (
    AccessDenied,
    InputError,
    ProtocolError,
    SecureMessagingError,
    TLVError,
)
from checkedid.nfc.access import pace_crypto as pc
from checkedid.nfc.crypto.domainparams import DOMAIN_PARAMETERS, domain_parameters
from checkedid.nfc.crypto.ecmath import Curve, DHGroup
from checkedid.nfc.crypto.suites import Cipher, PaceMapping
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.apdu import INS, SW, SW1, Command, Response
from checkedid.nfc.lds.securityinfos import (
    CardAccess,
    ChipAuthenticationPublicKeyInfo,
    PACEInfo,
    encode_oid,
)
from checkedid.nfc.sm import kdf
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.nfc.sm.messaging import SMSession
from checkedid.secret import Secret, zero
from checkedid.verdict import Check, CheckGroup, Verdict

__all__ = ["CAMData", "PACEResult", "PacePassword", "authenticate", "choose", "licence_password",
           "verify_cam"]

log = logging.getLogger(__name__)

_CHAINING = 0x10  # CLA bit: command chaining (ISO/IEC 7816-4 §5.4.1)
_SET_AT_PACE = (0xC1, 0xA4)  # MSE:Set AT for mutual authentication (TR-03110-3 §B.1.1)

MRZ, CAN = 1, 2  # password references of MSE:Set AT DO'83' (TR-03110-3 §D.2.1.2)
_MAPPING_RANK = {PaceMapping.ECDH_CAM: 5, PaceMapping.ECDH_GM: 4, PaceMapping.ECDH_IM: 3,
                 PaceMapping.DH_GM: 2, PaceMapping.DH_IM: 1}
_CIPHER_RANK = {Cipher.AES_256: 4, Cipher.AES_192: 3, Cipher.AES_128: 2, Cipher.TDES: 1}
_REJECTED_TEXT = ("the chip rejected the PACE password: check the CAN printed on the card, "
                   "or capture the MRZ again (document number, birth and expiry dates)")


class PacePassword:
    """The shared password: MRZ-derived (reference 01) or the CAN (reference 02).

    ``key`` is K of Doc 9303-11 §9.7.3 in a :class:`Secret`; :meth:`wipe` zeroes it.
    """

    __slots__ = ("key", "kind")

    def __init__(self, kind: str, key: Secret) -> None:
        self.kind = kind
        self.key = key

    @classmethod
    def mrz(cls, mrz_information: bytes | bytearray | Secret) -> PacePassword:
        """K = SHA-1(document number + cd, birth date + cd, expiry date + cd)."""
        raw = mrz_information.buffer if isinstance(mrz_information, Secret) else mrz_information
        if len(raw) < 15:
            raise InputError("the MRZ information for PACE is too short (document number, "
                             "birth and expiry dates with check digits are needed)")
        digest = hashlib.sha1(raw).digest()  # noqa: S324 - mandated by Doc 9303-11 §9.7.3
        return cls("MRZ", Secret(digest, label="PACE password"))

    @classmethod
    def can(cls, digits: str) -> PacePassword:
        """K = the 6-digit Card Access Number, as ASCII."""
        if len(digits) != 6 or not all("0" <= c <= "9" for c in digits):
            raise InputError("a CAN is the 6 digits printed on the card")
        return cls("CAN", Secret(digits.encode("ascii"), label="PACE password"))

    @property
    def reference(self) -> int:
        return MRZ if self.kind == "MRZ" else CAN

    def k_pi(self, cipher: str) -> Secret:
        """K_π = KDF(K, 3) for ``cipher``."""
        return kdf.derive_secret(self.key, kdf.PACE, cipher, label="K_pi")

    def wipe(self) -> None:
        self.key.wipe()

    def __repr__(self) -> str:
        return f"<PacePassword {self.kind}>"


@dataclass(frozen=True)
class CAMData:
    """What PACE-CAM leaves for :func:`verify_cam` (Doc 9303-11 §4.4.3.5)."""

    encrypted: bytes  # A_IC as received (DO'8A')
    pk_map_ic: bytes  # the chip's mapping public key, 04||X||Y
    ca_ic: int | None  # decrypted CA_IC, None if it could not be decrypted


@dataclass(frozen=True)
class PACEResult:
    """Outcome of PACE: the secure-messaging session to install and what was negotiated."""

    session: SMSession
    mapping: str
    cipher: str
    parameter_id: int
    oid: str
    cam: CAMData | None = None


def ranked(card_access: CardAccess) -> list[PACEInfo]:
    """The PACEInfos checkedid supports, strongest first (see :func:`choose`)."""
    offered = [i for i in card_access.pace if i.parameter_id in DOMAIN_PARAMETERS
               and i.mapping in _MAPPING_RANK and i.version == 2]
    return sorted(offered, key=lambda i: (_MAPPING_RANK[i.mapping], _CIPHER_RANK[i.cipher]),
                  reverse=True)


def choose(card_access: CardAccess, prefer: str | None = None) -> PACEInfo:
    """The best supported PACEInfo (CAM > ECDH-GM > ECDH-IM > DH-GM > DH-IM, then cipher).

    ``prefer`` restricts the choice to a mapping (``"ECDH-GM"``) or a protocol OID.
    """
    offered = ranked(card_access)
    if prefer is not None:
        offered = [i for i in offered if prefer in (i.mapping, i.oid)]
    if not offered:
        what = f"PACE {prefer}" if prefer else "a PACE variant with standardized parameters"
        raise InputError(f"the chip does not offer {what} that checkedid supports")
    return max(offered, key=lambda i: (_MAPPING_RANK[i.mapping], _CIPHER_RANK[i.cipher]))


def _dynamic(resp: Response, tag: int, step: str) -> bytes | None:
    """DO ``tag`` inside the dynamic authentication data ``7C`` of a GA response, or None."""
    try:
        top = tlv.decode_one(resp.data)
        if top.tag != 0x7C or top.next_offset != len(resp.data):
            raise ProtocolError("response is not dynamic authentication data (7C)", step=step)
        value = tlv.find(top.value, tag)
    except TLVError as exc:
        raise ProtocolError(f"malformed response ({exc})", step=step) from None
    return None if value is None else bytes(value)


def _required(resp: Response, tag: int, step: str) -> bytes:
    value = _dynamic(resp, tag, step)
    if value is None:
        raise ProtocolError(f"response lacks data object {tag:02X}", step=step)
    return value


def _ga(conn: ApduConnection, suite: pc.Suite, body: bytes, step: str, *,
        last: bool = False) -> Response:
    """One GENERAL AUTHENTICATE of the chain (CLA 10, the last one 00)."""
    # A 2048-bit DH public key does not fit a 256-byte response: ask for more when we may.
    big = isinstance(suite.domain, DHGroup) and suite.domain.size > 240
    le = 65536 if big and conn.supports_extended else 256
    cmd = Command(0x00 if last else _CHAINING, INS.GENERAL_AUTHENTICATE, 0x00, 0x00,
                  tlv.encode(0x7C, body), le)
    resp = conn.send(cmd, step=step)
    if resp.sw1 == SW1.WARNING_CHANGED or (last and resp.sw == SW.SECURITY_STATUS_NOT_SATISFIED):
        raise AccessDenied(_REJECTED_TEXT, sw=resp.sw, step=step)
    return conn.check(resp, step)


def authenticate(conn: ApduConnection, password: PacePassword, card_access: CardAccess, *,
                 prefer: str | None = None,
                 _private_keys: Sequence[int] | None = None) -> PACEResult:
    """Run PACE and return the negotiated session (not yet installed on ``conn``).

    Raises :class:`~checkedid.errors.AccessDenied` when the password is wrong (the chip
    answers 63xx, or its token does not verify), :class:`~checkedid.errors.ProtocolError`
    for malformed or invalid chip data, :class:`~checkedid.errors.InputError` when no offered
    variant is supported. ``_private_keys`` (tests only) fixes the terminal's mapping and
    ephemeral private keys; for IM the first value is the nonce t as an integer.

    Python integers (the ephemeral private keys) cannot be zeroed; K_π, the nonce, the shared
    secret and the session keys are held in bytearrays and zeroed here.
    """
    info = choose(card_access, prefer)
    suite = pc.Suite.from_info(info)
    if conn.sm_active:
        conn.clear_sm()  # PACE starts in plain and replaces any earlier session
    fixed = list(_private_keys or ())
    log.debug("PACE %s %s, parameters %d", suite.mapping, suite.cipher, suite.parameter_id)

    mse = tlv.encode(0x80, encode_oid(info.oid)) + tlv.encode(0x83, bytes([password.reference]))
    if len(card_access.pace) > 1:  # DO'84' only when the parameters are ambiguous
        mse += tlv.encode(0x84, bytes([info.parameter_id or 0]))
    resp = conn.send(Command(0x00, INS.MSE, *_SET_AT_PACE, mse), step="PACE MSE:Set AT")
    if resp.sw1 == SW1.WARNING_CHANGED:
        raise AccessDenied(_REJECTED_TEXT, sw=resp.sw, step="PACE MSE:Set AT")
    conn.check(resp, "PACE MSE:Set AT")

    k_pi = password.k_pi(suite.cipher)
    nonce = bytearray()
    shared = bytearray()
    ks_enc, ks_mac = bytearray(), bytearray()
    try:
        z = _required(_ga(conn, suite, b"", "PACE nonce"), 0x80, "PACE nonce")
        nonce = pc.decrypt_nonce(suite.cipher, k_pi.buffer, z)
        k_pi.wipe()

        step = "PACE mapping"
        pk_map_ic: pc.Public | None = None
        if suite.mapping.integrated:
            t_int = fixed.pop(0) if fixed else None
            t = (t_int.to_bytes(suite.key_length, "big") if t_int is not None
                 else secrets.token_bytes(suite.key_length))
            _dynamic(_ga(conn, suite, tlv.encode(0x81, t), step), 0x82, step)
            generator = suite.map_integrated(nonce, t)
        else:
            sk_map = fixed.pop(0) if fixed else suite.random_private()
            pk_map = suite.public(sk_map, suite.generator())
            resp = _ga(conn, suite, tlv.encode(0x81, suite.encode(pk_map)), step)
            pk_map_ic = suite.decode(_required(resp, 0x82, step))
            if pk_map_ic == pk_map:
                raise ProtocolError("the chip echoed our mapping key", step=step)
            generator = suite.map_generic(nonce, suite.agree(sk_map, pk_map_ic))
        zero(nonce)

        step = "PACE key agreement"
        sk = fixed.pop(0) if fixed else suite.random_private()
        pk_ifd = suite.public(sk, generator)
        resp = _ga(conn, suite, tlv.encode(0x83, suite.encode(pk_ifd)), step)
        pk_ic = suite.decode(_required(resp, 0x84, step))
        if pk_ic == pk_ifd:
            raise ProtocolError("the chip's ephemeral key equals ours", step=step)
        shared = bytearray(suite.agree_secret(sk, pk_ic))
        ks_enc, ks_mac = pc.session_keys(suite, shared)

        step = "PACE mutual authentication"
        t_ifd = pc.auth_token(suite, ks_mac, pk_ic)
        resp = _ga(conn, suite, tlv.encode(0x85, t_ifd), step, last=True)
        t_ic = _required(resp, 0x86, step)
        if not hmac.compare_digest(t_ic, pc.auth_token(suite, ks_mac, pk_ifd)):
            raise AccessDenied("the chip's authentication token is wrong: it does not know "
                               "the password (or the exchange was tampered with)",
                               sw=resp.sw, step=step)
        cam = None
        if suite.mapping == PaceMapping.ECDH_CAM and pk_map_ic is not None:
            cam = _cam_data(suite, ks_enc, _required(resp, 0x8A, step), pk_map_ic)
        session = SMSession(suite.cipher, ks_enc, ks_mac, 0)
    finally:
        k_pi.wipe()
        for buf in (nonce, shared, ks_enc, ks_mac):
            zero(buf)
    return PACEResult(session, suite.mapping, suite.cipher, suite.parameter_id, info.oid, cam)


def _cam_data(suite: pc.Suite, ks_enc: bytearray, a_ic: bytes, pk_map_ic: pc.Public) -> CAMData:
    try:
        ca_ic: int | None = pc.cam_decrypt(suite, ks_enc, a_ic)
    except (ProtocolError, SecureMessagingError):
        ca_ic = None  # reported by verify_cam as a failed check
    return CAMData(a_ic, suite.encode(pk_map_ic), ca_ic)


CAPublicKey = ChipAuthenticationPublicKeyInfo | bytes | ec.EllipticCurvePublicKey


def _ca_point(key: CAPublicKey) -> bytes:
    """The uncompressed point of a DG14 key (SubjectPublicKeyInfo or cryptography key)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962,
                                serialization.PublicFormat.UncompressedPoint)
    der = key.public_key if isinstance(key, ChipAuthenticationPublicKeyInfo) else key
    if not isinstance(der, bytes):
        raise InputError("the Chip Authentication key is not an EC key")
    try:
        spki = keys.PublicKeyInfo.load(der, strict=True)
        if spki["algorithm"]["algorithm"].native != "ec":
            raise InputError("the Chip Authentication key is not an EC key")
        point = spki["public_key"].native
    except (ValueError, TypeError, KeyError):
        raise InputError("the Chip Authentication public key cannot be parsed") from None
    if not isinstance(point, bytes):
        raise InputError("the Chip Authentication public key cannot be parsed")
    return point


def verify_cam(result: PACEResult, ca_public_key: CAPublicKey) -> CheckGroup:
    """Complete PACE-CAM (Doc 9303-11 §4.4.3.5.2): check PK_Map,IC = CA_IC · PK_IC.

    ``ca_public_key`` is the chip's static key from DG14 (ChipAuthenticationPublicKeyInfo,
    its DER SubjectPublicKeyInfo, or a ``cryptography`` EC public key). Returns the
    ``"chip"`` check group: PASSED proves the chip holds the private key of DG14's key.
    """
    details: dict[str, str | int] = {"protocol": "PACE-CAM", "parameter_id": result.parameter_id}
    cam = result.cam
    if cam is None:
        return CheckGroup.of("chip", [Check("pace_cam", Verdict.NOT_SUPPORTED,
                                            f"PACE ran with {result.mapping}, not CAM")],
                             **details)
    curve = domain_parameters(result.parameter_id)
    if not isinstance(curve, Curve):
        raise InputError("PACE-CAM needs elliptic-curve domain parameters")
    checks = []
    if cam.ca_ic is None or not 0 < cam.ca_ic < curve.n:
        checks.append(Check("cam_data", Verdict.FAILED,
                            "the chip authentication data did not decrypt to a valid scalar"))
        return CheckGroup.of("chip", checks, **details)
    checks.append(Check("cam_data", Verdict.PASSED, "chip authentication data decrypted"))
    try:
        pk_ic = curve.decode(_ca_point(ca_public_key))
        pk_map = curve.decode(cam.pk_map_ic)
    except (ProtocolError, InputError):
        checks.append(Check("cam_key", Verdict.FAILED,
                            f"the DG14 Chip Authentication key is not an EC point on "
                            f"{curve.name}"))
        return CheckGroup.of("chip", checks, **details)
    if (pc.mul_point(curve, cam.ca_ic, pk_ic) or curve.mul(cam.ca_ic, pk_ic)) == pk_map:
        checks.append(Check("cam_key", Verdict.PASSED,
                            "the chip proved possession of the DG14 Chip Authentication key"))
    else:
        checks.append(Check("cam_key", Verdict.FAILED,
                            "PK_Map,IC differs from CA_IC * PK_IC: the chip does not hold the "
                            "DG14 key (possible clone)"))
    return CheckGroup.of("chip", checks, **details)


def licence_password(password: Secret | str) -> PacePassword:
    """The PACE password of a licence (ISO/IEC 18013-3:2017 Annex C).

    MRZ (reference 01): K = the 28 MRZ characters 2-29 as ASCII; CAN (reference 02):
    K = the licence number as ASCII. Returns a :class:`PacePassword`.
    """
    if isinstance(password, str):
        if not (len(password) == 10 and password.isascii() and password.isalnum()):
            raise InputError("the CAN of a driving licence is its 10-character licence number")
        return PacePassword("CAN", Secret(password.upper().encode("ascii"),
                                          label="PACE password"))
    raw = bytes(password.buffer)
    if len(raw) != 28:
        raise InputError("the licence MRZ key must be the 28 characters 2-29 of the MRZ")
    return PacePassword("MRZ", Secret(raw, label="PACE password"))
