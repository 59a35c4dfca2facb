import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from checkedid.errors import InputError, ParseError
from checkedid.result import Decision, Result
from checkedid.signing import (
    ClaimsMissing,
    KioskKeyError,
    ResultExpired,
    ResultReplayed,
    SignatureInvalid,
    WrongAudience,
    WrongNonce,
    sign_result,
    verify_signed_result,
)
from checkedid.verdict import Check, CheckGroup, Verdict

RP = {"audience": "bank-42", "nonce": "n-8f3a1c"}


def _result() -> Result:
    checks = {"passive": CheckGroup.of("passive", [Check("dg_hashes", Verdict.PASSED, "ok")])}
    return Result(
        decision=Decision.VERIFIED,
        checks=checks,
        reasons=(),
        face=None,
        protocol="PACE",
        fields={"nationality": "UTO"},
        photo_jpeg=None,
        timings={},
        warnings=(),
    )


@pytest.mark.parametrize(
    "key", [ec.generate_private_key(ec.SECP256R1()), ed25519.Ed25519PrivateKey.generate()]
)
def test_round_trip(key) -> None:
    token = sign_result(_result(), key, kid="kiosk-1", **RP)
    data = verify_signed_result(token, key.public_key(), **RP)
    claims = {c: data.pop(c) for c in ("iat", "exp", "jti", "aud", "nonce")}
    assert data == json.loads(json.dumps(_result().to_dict()))
    assert claims["exp"] - claims["iat"] == 300 and claims["aud"] == "bank-42"
    assert claims["nonce"] == "n-8f3a1c" and len(claims["jti"]) >= 20
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["kid"] == "kiosk-1"


def test_altered_payload_fails() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    head, body, sig = sign_result(_result(), key, **RP).split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["decision"] = "REJECTED"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(SignatureInvalid):
        verify_signed_result(f"{head}.{forged}.{sig}", key.public_key(), **RP)


def test_other_kiosk_key_fails() -> None:
    token = sign_result(_result(), ec.generate_private_key(ec.SECP256R1()), **RP)
    with pytest.raises(SignatureInvalid):
        verify_signed_result(token, ec.generate_private_key(ec.SECP256R1()).public_key(), **RP)
    with pytest.raises(SignatureInvalid):  # algorithm confusion is refused
        verify_signed_result(token, ed25519.Ed25519PrivateKey.generate().public_key(), **RP)


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "e30.e30.AA", "!!.??.**"])
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(ParseError):
        verify_signed_result(token, ec.generate_private_key(ec.SECP256R1()).public_key(), **RP)


def test_unsupported_curve() -> None:
    with pytest.raises(InputError):
        sign_result(_result(), ec.generate_private_key(ec.SECP384R1()), **RP)


KEY = ed25519.Ed25519PrivateKey.generate()


def test_expired_result_is_refused() -> None:
    token = sign_result(_result(), KEY, now=1_000_000, ttl=60, **RP)
    verify_signed_result(token, KEY.public_key(), now=1_000_060, **RP)
    with pytest.raises(ResultExpired, match="expired"):
        verify_signed_result(token, KEY.public_key(), now=1_000_100, **RP)
    with pytest.raises(ResultExpired, match="future"):
        verify_signed_result(token, KEY.public_key(), now=999_000, **RP)


def test_result_for_another_relying_party_or_request_is_refused() -> None:
    token = sign_result(_result(), KEY, **RP)
    with pytest.raises(WrongAudience):
        verify_signed_result(token, KEY.public_key(), audience="shop-7", nonce=RP["nonce"])
    with pytest.raises(WrongNonce):
        verify_signed_result(token, KEY.public_key(), audience=RP["audience"], nonce="n-other")


def test_replayed_jti_is_refused() -> None:
    token = sign_result(_result(), KEY, **RP)
    seen: set[str] = set()
    data = verify_signed_result(token, KEY.public_key(), seen=seen, **RP)
    seen.add(data["jti"])
    with pytest.raises(ResultReplayed):
        verify_signed_result(token, KEY.public_key(), seen=seen, **RP)
    assert sign_result(_result(), KEY, **RP).split(".")[1] != token.split(".")[1]  # fresh jti


def test_a_token_without_claims_is_refused() -> None:
    """What the previous signer made: the result alone, replayable forever."""
    header = base64.urlsafe_b64encode(b'{"alg":"EdDSA","typ":"checkedid.result+jws"}')
    body = base64.urlsafe_b64encode(json.dumps(_result().to_dict()).encode())
    signing_input = header.rstrip(b"=") + b"." + body.rstrip(b"=")
    sig = base64.urlsafe_b64encode(KEY.sign(signing_input)).rstrip(b"=")
    with pytest.raises(ClaimsMissing):
        verify_signed_result((signing_input + b"." + sig).decode(), KEY.public_key(), **RP)


@pytest.mark.parametrize("bad", [{"audience": ""}, {"nonce": " "}, {"nonce": "x" * 600}])
def test_signer_needs_audience_and_nonce(bad: dict[str, str]) -> None:
    with pytest.raises(InputError):
        sign_result(_result(), KEY, **{**RP, **bad})


@pytest.mark.parametrize("form", ["pem-bytes", "pem-text"])
def test_the_relying_party_may_pass_the_kiosk_key_as_pem(form: str) -> None:
    from cryptography.hazmat.primitives import serialization

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    token = sign_result(_result(), key, **RP)
    data = verify_signed_result(token, pem if form == "pem-bytes" else pem.decode(), **RP)
    assert data["aud"] == "bank-42"


def test_unusable_kiosk_keys_are_a_typed_error() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = ec.generate_private_key(ec.SECP256R1())
    token = sign_result(_result(), key, **RP)
    private_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key() \
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    cases = [(private_pem, "private key"), (key, "private key"), (b"junk", "not a PEM public"),
             (rsa_pem, "ECDSA P-256 or Ed25519")]
    for bad, words in cases:
        with pytest.raises(KioskKeyError, match=words):
            verify_signed_result(token, bad, **RP)  # type: ignore[arg-type]
    assert issubclass(KioskKeyError, InputError)
