"""Signed results: a kiosk signs the minimised result so the relying party can check its origin.

The signature is a JWS in compact serialisation (RFC 7515) over the result's JSON
(``Result.to_dict()``), with ``ES256`` (ECDSA P-256, SHA-256; RFC 7518 §3.4) or ``EdDSA``
(Ed25519; RFC 8037). The protected header carries ``alg``, ``typ`` = ``checkedid.result+jws``
and, when given, ``kid`` (the kiosk's key id).

A signed result must not be replayable, so the payload also carries the JWT claims of
RFC 7519 §4.1 next to the result's keys: ``iat`` (issued at), ``exp`` (``iat`` + ``ttl``),
``jti`` (a random id, for the relying party's replay cache), ``aud`` (the relying party the
result is for) and the relying party's ``nonce`` from its request::

    token = sign_result(result, kiosk_key, audience="bank-42", nonce=n, kid="kiosk-17")
    data = verify_signed_result(token, kiosk_public_key, audience="bank-42", nonce=n,
                                seen=replay_cache)

:func:`verify_signed_result` refuses, each with its own exception (all
:class:`SignatureInvalid`): a bad signature, :class:`ResultExpired`,
:class:`WrongAudience`, :class:`WrongNonce`, :class:`ResultReplayed`, and
:class:`ClaimsMissing`. Only what the result holds is signed, so a signed result carries
no more personal data than the result itself.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
from collections.abc import Container, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from checkedid.errors import InputError, ParseError
from checkedid.result import Result

__all__ = [
    "CLAIMS",
    "DEFAULT_TTL",
    "TYP",
    "ClaimsMissing",
    "KioskKeyError",
    "ResultExpired",
    "ResultReplayed",
    "SignatureInvalid",
    "WrongAudience",
    "WrongNonce",
    "load_kiosk_key",
    "sign_result",
    "verify_signed_result",
]

TYP = "checkedid.result+jws"
CLAIMS = ("iat", "exp", "jti", "aud", "nonce")
DEFAULT_TTL = 300  # seconds a signed result stays valid
LEEWAY = 30  # seconds of clock difference tolerated between kiosk and relying party

SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
VerifyingKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


class SignatureInvalid(ParseError):
    """The signed result does not verify with the given key (altered, or another kiosk's),
    or its claims do not hold (the subclasses say which)."""


class ClaimsMissing(SignatureInvalid):
    """The signed result lacks iat / exp / jti / aud / nonce (made by an older signer?)."""


class ResultExpired(SignatureInvalid):
    """The signed result's ``exp`` has passed (or its ``iat`` lies in the future)."""


class WrongAudience(SignatureInvalid):
    """The signed result was made for another relying party (``aud``)."""


class WrongNonce(SignatureInvalid):
    """The signed result answers another request (``nonce``): a replay."""


class ResultReplayed(SignatureInvalid):
    """The signed result's ``jti`` was seen before: a replay."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ParseError(f"the signed result's {what} is not base64url") from None


def _alg(key: SigningKey | VerifyingKey) -> str:
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "EdDSA"
    if isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    raise InputError("result signing keys are ECDSA P-256 (ES256) or Ed25519 (EdDSA)")


def _text_claim(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 512:
        raise InputError(f"the signed result's {what} must be a non-empty text of at most "
                         "512 characters, given by the relying party")
    return value


def sign_result(
    result: Result | Mapping[str, Any], key: SigningKey, *, audience: str, nonce: str,
    kid: str | None = None, ttl: int = DEFAULT_TTL, now: float | None = None,
) -> str:
    """The JWS compact serialisation of ``result`` signed with the kiosk's ``key``.

    ``audience`` names the relying party, ``nonce`` is the value from its request; the
    payload gets ``iat``, ``exp`` (``iat + ttl``), a random ``jti``, ``aud`` and ``nonce``.
    """
    payload = result.to_dict() if isinstance(result, Result) else dict(result)
    if any(c in payload for c in CLAIMS):
        raise InputError("the result already carries JWT claims; sign the plain result")
    if not 0 < ttl <= 86_400:
        raise InputError("the signed result's lifetime (ttl) must be 1 s to 1 day")
    issued = int(time.time() if now is None else now)
    payload.update(iat=issued, exp=issued + ttl, jti=secrets.token_urlsafe(16),
                   aud=_text_claim(audience, "audience"), nonce=_text_claim(nonce, "nonce"))
    header: dict[str, str] = {"alg": _alg(key), "typ": TYP}
    if kid is not None:
        header["kid"] = kid
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    signing_input = f"{_b64(json.dumps(header, separators=(',', ':')).encode())}.{_b64(body)}"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(signing_input.encode("ascii"))
    else:
        r, s = decode_dss_signature(
            key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        )
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input}.{_b64(signature)}"


class KioskKeyError(InputError):
    """The key given to check a signed result is not a usable kiosk public key."""


def load_kiosk_key(key: VerifyingKey | bytes | str) -> VerifyingKey:
    """The kiosk's public key from a key object or PEM (bytes or text).

    Raises :class:`KioskKeyError` for anything but an ECDSA P-256 or Ed25519 *public* key
    (a private key given by mistake included: the relying party never needs it).
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    loaded: object = key
    if isinstance(key, (bytes, bytearray, str)):
        pem = key.encode("ascii", "replace") if isinstance(key, str) else bytes(key)
        if b"PRIVATE KEY-----" in pem:
            raise KioskKeyError("this is the kiosk's private key: check signed results with "
                                "its public key (PEM 'PUBLIC KEY')")
        try:
            loaded = load_pem_public_key(pem)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise KioskKeyError("the kiosk key is not a PEM public key") from None
    if isinstance(loaded, ed25519.Ed25519PublicKey):
        return loaded
    if isinstance(loaded, ec.EllipticCurvePublicKey) and isinstance(loaded.curve, ec.SECP256R1):
        return loaded
    if isinstance(loaded, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey)):
        raise KioskKeyError("this is the kiosk's private key: check signed results with its "
                            "public key")
    raise KioskKeyError(f"the kiosk key is a {type(loaded).__name__.lstrip('_')}: signed "
                        "results use ECDSA P-256 or Ed25519")


def verify_signed_result(token: str, key: VerifyingKey | bytes | str, *, audience: str,
                         nonce: str,
                         seen: Container[str] | None = None, now: float | None = None,
                         leeway: int = LEEWAY) -> dict[str, Any]:
    """Check ``token`` against the kiosk's public ``key`` and the relying party's own
    ``audience`` and request ``nonce``; return the result dict (claims included).

    ``seen``: the ``jti`` values already accepted (a replay cache); the caller adds the
    returned ``jti`` to it. Raises :class:`SignatureInvalid` when the signature does not
    verify, its subclasses when a claim fails, :class:`~checkedid.errors.ParseError`
    when the token is malformed.
    """
    key = load_kiosk_key(key)
    parts = token.split(".")
    if len(parts) != 3:
        raise ParseError("a signed result has three dot-separated parts")
    try:
        header = json.loads(_unb64(parts[0], "header"))
    except ValueError:
        raise ParseError("the signed result's header is not JSON") from None
    if not isinstance(header, dict) or header.get("typ") != TYP:
        raise ParseError("this is not a signed checkedid result")
    if header.get("alg") != _alg(key):
        raise SignatureInvalid(
            f"the result is signed with {header.get('alg')!r}, the key is {_alg(key)}"
        )
    signature = _unb64(parts[2], "signature")
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, signing_input)
        else:
            if len(signature) != 64:
                raise SignatureInvalid("an ES256 signature is 64 bytes")
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureInvalid(
            "the result's signature does not verify: it was altered or signed by another kiosk"
        ) from None
    try:
        data = json.loads(_unb64(parts[1], "payload"))
    except ValueError:
        raise ParseError("the signed result's payload is not JSON") from None
    if not isinstance(data, dict):
        raise ParseError("the signed result's payload is not a result object")
    _check_claims(data, audience, nonce, seen, time.time() if now is None else now, leeway)
    return data


def _check_claims(data: dict[str, Any], audience: str, nonce: str, seen: Container[str] | None,
                  now: float, leeway: int) -> None:
    """RFC 7519 §4.1 claims of a verified payload (values compared in constant time)."""
    missing = [c for c in CLAIMS if c not in data]
    if missing:
        raise ClaimsMissing(f"the signed result lacks {', '.join(missing)}: it cannot be "
                            "bound to this request; ask the kiosk for a new one")
    iat, exp = data["iat"], data["exp"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (iat, exp)):
        raise ClaimsMissing("the signed result's iat/exp are not integer times")
    if now > exp + leeway:
        raise ResultExpired("the signed result has expired: ask the kiosk for a new one")
    if iat > now + leeway:
        raise ResultExpired("the signed result is dated in the future: check the clocks")
    if not all(isinstance(data[c], str) for c in ("aud", "nonce", "jti")):
        raise ClaimsMissing("the signed result's aud/nonce/jti are not texts")
    if not hmac.compare_digest(data["aud"].encode(), audience.encode()):
        raise WrongAudience("the signed result was made for another relying party")
    if not hmac.compare_digest(data["nonce"].encode(), nonce.encode()):
        raise WrongNonce("the signed result answers another request (nonce differs): "
                         "a replayed result")
    if seen is not None and data["jti"] in seen:
        raise ResultReplayed("the signed result was presented before (same jti)")
