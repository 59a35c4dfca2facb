"""Signed results: a kiosk signs the minimised result so the relying party can check its origin.

The signature is a JWS in compact serialisation (RFC 7515) over the result's JSON
(``Result.to_dict()``), with ``ES256`` (ECDSA P-256, SHA-256; RFC 7518 §3.4) or ``EdDSA``
(Ed25519; RFC 8037). The protected header carries ``alg``, ``typ`` = ``checkedid.result+jws``
and, when given, ``kid`` (the kiosk's key id).

    token = sign_result(result, kiosk_key, kid="kiosk-17")        # at the kiosk
    data = verify_signed_result(token, kiosk_public_key)           # at the relying party

Only what the result holds is signed, so a signed result carries no more personal data
than the result itself.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
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

__all__ = ["TYP", "SignatureInvalid", "sign_result", "verify_signed_result"]

TYP = "checkedid.result+jws"

SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
VerifyingKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


class SignatureInvalid(ParseError):
    """The signed result does not verify with the given key (altered, or another kiosk's)."""


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


def sign_result(
    result: Result | Mapping[str, Any], key: SigningKey, *, kid: str | None = None
) -> str:
    """The JWS compact serialisation of ``result`` signed with the kiosk's ``key``."""
    payload = result.to_dict() if isinstance(result, Result) else dict(result)
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


def verify_signed_result(token: str, key: VerifyingKey) -> dict[str, Any]:
    """Check ``token`` against the kiosk's public ``key``; return the result dict.

    Raises :class:`SignatureInvalid` when the signature does not verify and
    :class:`~checkedid.errors.ParseError` when the token is malformed.
    """
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
    return data
