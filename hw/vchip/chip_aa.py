"""Active Authentication on the virtual chip: INTERNAL AUTHENTICATE (ICAO Doc 9303-11 §6.1).

The chip signs the terminal's challenge with the persona's AA key (DG15):

* RSA: ISO/IEC 9796-2 digital signature scheme 1, partial message recovery,
  SHA-1 with the implicit trailer ``BC``: ``6A || M1 || SHA-1(M1 || challenge) || BC``
  raised to the private exponent (the textbook RSA operation a chip performs).
* EC: ECDSA over the challenge, returned plain (``r || s``, BSI TR-03111), with the
  hash DG14's ActiveAuthenticationInfo names (SHA-256 when it names none).

Persona fault ``cloned-chip``: the data (and DG15) are genuine but the chip holds
another key — a clone — so its signatures do not verify under DG15.

INTERNAL AUTHENTICATE is answered only after BAC or PACE, under secure messaging.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from hw.vchip.iso7816 import SW, Command, Response, TlvError, tlv_list, tlv_one

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState, Router

__all__ = ["aa_key", "internal_authenticate", "register", "sign_9796_2"]

INS_INTERNAL_AUTHENTICATE = 0x88
#: ActiveAuthenticationInfo (2.23.136.1.1.5) and ecdsa-with-SHA* OIDs, DER content octets.
_AA_INFO_OID = bytes.fromhex("678108010105")
_ECDSA_OIDS = {bytes.fromhex(h): name for h, name in (
    ("2A8648CE3D0401", "sha1"), ("2A8648CE3D040301", "sha224"), ("2A8648CE3D040302", "sha256"),
    ("2A8648CE3D040303", "sha384"), ("2A8648CE3D040304", "sha512"))}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


def sign_9796_2(key: rsa.RSAPrivateKey, challenge: bytes) -> bytes:
    """ISO/IEC 9796-2 scheme 1 (SHA-1, trailer BC) signature of ``challenge``."""
    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    k = (n.bit_length() + 7) // 8
    m1 = secrets.token_bytes(k - 20 - 2)
    rep = b"\x6a" + m1 + hashlib.sha1(m1 + challenge).digest() + b"\xbc"  # noqa: S324
    m = int.from_bytes(rep, "big")  # below n: n has its top bit set, 0x6A does not
    # m^d mod n by the Chinese remainder theorem (as chips do: about 3x faster).
    m_p = pow(m, numbers.dmp1, numbers.p)
    m_q = pow(m, numbers.dmq1, numbers.q)
    s = (m_q + numbers.q * ((numbers.iqmp * (m_p - m_q)) % numbers.p)) % n
    return s.to_bytes(k, "big")


def _ecdsa_hash(chip: ChipState) -> str:
    """The hash DG14's ActiveAuthenticationInfo names (Doc 9303-11 §9.2.8), else SHA-256.

    DG14 is ``6E { SET OF SecurityInfo }``; the AA info is
    ``SEQUENCE { 2.23.136.1.1.5, INTEGER version, OID signatureAlgorithm }``.
    """
    dg14 = chip.persona.files.get(0x010E)
    if not dg14:
        return "sha256"
    try:
        infos = tlv_list(tlv_one(tlv_one(dg14, 0x6E), 0x31))
        for tag, body in infos:
            fields = tlv_list(body) if tag == 0x30 else []
            if len(fields) >= 3 and fields[0] == (0x06, _AA_INFO_OID) and fields[2][0] == 0x06:
                return _ECDSA_OIDS.get(fields[2][1], "sha256")
    except TlvError:
        pass
    return "sha256"


def aa_key(chip: ChipState) -> Any:
    """The key this chip signs with: the persona's, or another one for ``cloned-chip``."""
    key = chip.persona.aa_key
    if key is None or chip.persona.fault != "cloned-chip":
        return key
    from hw.pki.keys import ec_key, rsa_key

    if isinstance(key, rsa.RSAPrivateKey):
        return rsa_key("cloned-chip-aa", key.key_size)
    names = {"brainpoolP256r1": "brainpoolP256r1", "brainpoolP384r1": "brainpoolP384r1",
             "secp256r1": "secp256r1", "secp384r1": "secp384r1"}
    return ec_key("cloned-chip-aa", names.get(key.curve.name, "brainpoolP256r1"))


def internal_authenticate(chip: ChipState, cmd: Command) -> Response:
    """INTERNAL AUTHENTICATE: sign the challenge with the AA key."""
    if chip.authenticated is None or chip.sm is None:
        return Response(b"", SW.SECURITY_STATUS_NOT_SATISFIED)
    key = aa_key(chip)
    if key is None:
        return Response(b"", SW.INS_NOT_SUPPORTED)
    challenge = bytes(cmd.data)
    if len(challenge) != 8 or cmd.p1 != 0 or cmd.p2 != 0:
        return Response(b"", SW.WRONG_LENGTH)
    if isinstance(key, rsa.RSAPrivateKey):
        return Response(sign_9796_2(key, challenge), SW.OK)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    der = key.sign(challenge, ec.ECDSA(_HASHES[_ecdsa_hash(chip)]()))
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return Response(r.to_bytes(size, "big") + s.to_bytes(size, "big"), SW.OK)


def register(router: Router) -> None:
    router.add(INS_INTERNAL_AUTHENTICATE, internal_authenticate)
