"""Active Authentication (ICAO Doc 9303-11 §6.1; Doc 9303-10 §4.7.15; ISO/IEC 9796-2).

The terminal sends a fresh 8-byte challenge in INTERNAL AUTHENTICATE
(``00 88 00 00``); the chip signs it with the private key whose public half is in
DG15. A chip that answers correctly holds that key, so it is not a copy of the
data onto another chip (clone detection). Whether DG15 itself is authentic is
Passive Authentication's business: :func:`checkedid.nfc.auth.ca.apply_trust` only lets
an AA verdict count when DG15 is covered by a verified EF.SOD hash.

Signature schemes:

* RSA: ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery.
  The signature is opened with the raw public-key operation (``s^e mod n``, or
  ``n - s^e`` when the signer used the smaller representative), then checked for
  header ``6A``, the trailer (``BC`` = SHA-1 implicit, or ``hh CC`` with the
  ISO/IEC 10118 hash identifier ``hh``), and ``H(M1 || challenge)`` equals the
  digest in the recovered message (constant-time comparison).
* ECDSA: a plain signature ``r || s`` (BSI TR-03111) over the challenge, hash from
  DG14's ActiveAuthenticationInfo (Doc 9303-11 §9.2.8). When DG14 does not name it,
  the standard hash functions are tried and a warning is recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any

from asn1crypto import core
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from checkedid.nfc.crypto.pubkey import HASHES, describe_key, ecdsa_plain_to_der
from checkedid.nfc.iso7816.apdu import INS, SW, Command
from checkedid.verdict import Check, CheckGroup, Verdict

__all__ = [
    "CHALLENGE_LENGTH",
    "active_authenticate",
    "open_9796_2",
    "verify_ecdsa",
    "verify_rsa",
]

log = logging.getLogger(__name__)

CHALLENGE_LENGTH = 8
CLONE_REASON = "the chip did not prove it holds the key in DG15 (possible clone)"

#: ISO/IEC 10118 hash identifiers in the ISO/IEC 9796-2 trailer ``hh CC``.
_TRAILER_HASHES = {0x33: "sha1", 0x34: "sha256", 0x35: "sha512", 0x36: "sha384",
                   0x38: "sha224"}


def open_9796_2(signature: bytes, key: rsa.RSAPublicKey) -> bytes | None:
    """The recovered message representative of an ISO/IEC 9796-2 signature, or ``None``.

    Raw RSA public operation (arithmetic on the public numbers, no padding): the
    result must end in the 9796-2 trailer nibble ``C``; if not, ``n - m`` is tried
    (the signer may output the smaller of ``s`` and ``n - s``).
    """
    numbers = key.public_numbers()
    n, e = numbers.n, numbers.e
    s = int.from_bytes(signature, "big")
    if not signature or s >= n:
        return None
    m = pow(s, e, n)
    if m & 0x0F != 0x0C:
        m = n - m
    if m & 0x0F != 0x0C:
        return None
    return m.to_bytes((n.bit_length() + 7) // 8, "big")


def verify_rsa(signature: bytes, challenge: bytes, key: rsa.RSAPublicKey) -> tuple[bool, str]:
    """Verify an ISO/IEC 9796-2 scheme 1 AA signature; returns ``(ok, hash name or why)``."""
    m = open_9796_2(signature, key)
    if m is None or len(m) < 4:
        return False, "signature does not open to an ISO/IEC 9796-2 message"
    # The representative may have a leading zero octet when n's top byte is small.
    m = m.lstrip(b"\x00") if m[0] == 0 else m
    if m[0] != 0x6A:
        return False, "recovered message lacks the 9796-2 header 6A (partial recovery)"
    if m[-1] == 0xBC:
        hash_name, trailer = "sha1", 1
    elif m[-1] == 0xCC and m[-2] in _TRAILER_HASHES:
        hash_name, trailer = _TRAILER_HASHES[m[-2]], 2
    else:
        return False, "recovered message has an unknown 9796-2 trailer"
    size = hashlib.new(hash_name).digest_size
    if len(m) < 1 + size + trailer:
        return False, "recovered message too short for its hash"
    digest = m[-(size + trailer):-trailer]
    m1 = m[1:-(size + trailer)]
    expected = hashlib.new(hash_name, m1 + challenge).digest()
    return hmac.compare_digest(digest, expected), hash_name


def verify_ecdsa(signature: bytes, challenge: bytes, key: ec.EllipticCurvePublicKey,
                 hash_names: list[str]) -> str | None:
    """Verify a plain (``r || s``) or DER ECDSA signature over ``challenge``; returns the
    hash that verified, or ``None``."""
    forms: list[bytes] = []
    if signature[:1] == b"\x30":  # DER ECDSA-Sig-Value, as some chips answer
        try:
            parsed = core.Sequence.load(signature, strict=True)
            if len(parsed) == 2:
                forms.append(signature)
        except (ValueError, TypeError):
            pass
    if signature and len(signature) % 2 == 0 and len(signature) <= 2 * 66:
        forms.append(ecdsa_plain_to_der(signature))  # TR-03111 plain r || s
    for der in forms:
        for name in hash_names:
            try:
                key.verify(der, challenge, ec.ECDSA(HASHES[name]()))
                return name
            except (InvalidSignature, ValueError):
                continue
    return None


def _group(verdict: Verdict, reason: str, **details: Any) -> CheckGroup:
    return CheckGroup.of("active", [Check("active_authentication", verdict, reason)], **details)


def active_authenticate(conn: Any, dg15: Any, dg14: Any | None) -> CheckGroup:
    """Run Active Authentication over ``conn`` (an ApduConnection, SM already installed).

    ``dg15``: parsed DG15 (``.public_key``), or ``None`` -> NOT_SUPPORTED. ``dg14``:
    parsed DG14 for the ECDSA hash (``.aa_info``), may be ``None``. A wrong signature
    is FAILED; transport and secure-messaging errors propagate as
    :class:`~checkedid.errors.ChipError`.
    """
    if dg15 is None:
        return _group(Verdict.NOT_SUPPORTED,
                      "the document has no DG15: Active Authentication is not offered")
    key = dg15.public_key
    details: dict[str, Any] = {"key": describe_key(key)}
    challenge = secrets.token_bytes(CHALLENGE_LENGTH)
    expected = (key.key_size + 7) // 8 if isinstance(key, rsa.RSAPublicKey) else \
        2 * ((key.curve.key_size + 7) // 8)
    extended = expected > 256 and bool(getattr(conn, "supports_extended", False))
    cmd = Command(0x00, INS.INTERNAL_AUTHENTICATE, 0x00, 0x00, challenge,
                  65536 if extended else 256)
    resp = conn.send(cmd, step="INTERNAL AUTHENTICATE")
    if resp.sw != SW.OK:
        return _group(Verdict.FAILED, f"the chip refused INTERNAL AUTHENTICATE (SW {resp.sw:04X}); "
                      + CLONE_REASON, **details)
    signature = bytes(resp.data)
    if isinstance(key, rsa.RSAPublicKey):
        ok, info = verify_rsa(signature, challenge, key)
        details["scheme"] = "ISO/IEC 9796-2 scheme 1"
        if ok:
            details["hash_algorithm"] = info
            weak = ["Active Authentication uses SHA-1 (weak)"] if info == "sha1" else []
            if key.key_size < 2048:
                weak.append(f"Active Authentication key is RSA-{key.key_size} (< 2048 bits, weak)")
            if weak:
                details["warnings"] = weak
            return _group(Verdict.PASSED, "the chip proved it holds the DG15 key", **details)
        log.info("active authentication failed: %s", info)
        return _group(Verdict.FAILED, CLONE_REASON, **details)
    if isinstance(key, ec.EllipticCurvePublicKey):
        details["scheme"] = "ECDSA (plain)"
        aa_info = getattr(dg14, "aa_info", None) if dg14 is not None else None
        named = getattr(aa_info, "hash_algorithm", None) if aa_info is not None else None
        candidates = [named] if named in HASHES else list(HASHES)
        if named not in HASHES:
            details["warnings"] = ["DG14 does not name the AA signature hash "
                                   "(ActiveAuthenticationInfo); standard hashes were tried"]
        found = verify_ecdsa(signature, challenge, key, [str(c) for c in candidates])
        if found is not None:
            details["hash_algorithm"] = found
            return _group(Verdict.PASSED, "the chip proved it holds the DG15 key", **details)
        return _group(Verdict.FAILED, CLONE_REASON, **details)
    return _group(Verdict.NOT_SUPPORTED, "DG15 holds a key type Active Authentication does "
                  "not support", **details)
