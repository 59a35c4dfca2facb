import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from checkedid.errors import InputError, ParseError
from checkedid.result import Decision, Result
from checkedid.signing import SignatureInvalid, sign_result, verify_signed_result
from checkedid.verdict import Check, CheckGroup, Verdict


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
    token = sign_result(_result(), key, kid="kiosk-1")
    data = verify_signed_result(token, key.public_key())
    assert data == json.loads(json.dumps(_result().to_dict()))
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["kid"] == "kiosk-1"


def test_altered_payload_fails() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    head, body, sig = sign_result(_result(), key).split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["decision"] = "REJECTED"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(SignatureInvalid):
        verify_signed_result(f"{head}.{forged}.{sig}", key.public_key())


def test_other_kiosk_key_fails() -> None:
    token = sign_result(_result(), ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(SignatureInvalid):
        verify_signed_result(token, ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(SignatureInvalid):  # algorithm confusion is refused
        verify_signed_result(token, ed25519.Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "e30.e30.AA", "!!.??.**"])
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(ParseError):
        verify_signed_result(token, ec.generate_private_key(ec.SECP256R1()).public_key())


def test_unsupported_curve() -> None:
    with pytest.raises(InputError):
        sign_result(_result(), ec.generate_private_key(ec.SECP384R1()))
