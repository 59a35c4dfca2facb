"""Public keys and signature verification for PA, master lists, CRLs and AA.

eMRTD PKIs carry keys that general X.509 code does not always accept: many
CSCAs, document signers and DG14/DG15 keys (Germany's among them) encode EC
keys with *explicit* domain parameters (RFC 3279, ``specifiedCurve``) instead of
a named-curve OID. :func:`load_public_key` maps explicit parameters onto the
named curve they equal (p, a, b, G and n) and validates any other explicit
parameters (SEC 1 v2 §3.1.1.2.1). Keys on curves OpenSSL knows become
``cryptography`` keys; keys on the other curves of BSI TR-03111 (brainpoolP160r1,
P192r1, P224r1, P320r1) or on explicit parameters become
:class:`checkedid.nfc.crypto.ecdsa.CurvePublicKey`, verified with the project's own
arithmetic. An EC key is therefore never "unsupported": a curve outside TR-03111
is an error (Doc 9303-12 §5.4 permits none).

:func:`verify_signature` verifies the CMS / X.509 signature algorithms found in
ICAO Doc 9303 Part 12 (5.4, Algorithms): RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA
(DER or the BSI TR-03111 plain ``r||s`` format). It returns ``False`` for a
signature that does not verify and raises :class:`CertificateError` only for
keys or algorithms it cannot use.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import algos, core, keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from checkedid.errors import CertificateError
from checkedid.nfc.crypto import ecdsa
from checkedid.nfc.crypto.ecmath import Curve

__all__ = [
    "HASHES",
    "PublicKey",
    "UnsupportedKeyError",
    "curve_name",
    "describe_key",
    "ec_public_key",
    "ecdsa_plain_to_der",
    "hash_for_oid",
    "load_public_key",
    "verify_signature",
]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class UnsupportedKeyError(CertificateError):
    """A well-formed key or algorithm this installation cannot use (an unknown curve, a
    rare hash): the signature could not be checked, which is not the same as wrong."""

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}

_CURVES: dict[str, ec.EllipticCurve] = {  # keys as asn1crypto names them (lower case)
    "brainpoolp256r1": ec.BrainpoolP256R1(), "brainpoolp384r1": ec.BrainpoolP384R1(),
    "brainpoolp512r1": ec.BrainpoolP512R1(), "secp192r1": ec.SECP192R1(),
    "secp224r1": ec.SECP224R1(), "secp256r1": ec.SECP256R1(), "secp384r1": ec.SECP384R1(),
    "secp521r1": ec.SECP521R1(),
}

#: BSI TR-03111 ecdsa-plain-signatures (0.4.0.127.0.7.1.1.4.1.x): r||s without DER.
_ECDSA_PLAIN = {
    "0.4.0.127.0.7.1.1.4.1.1": "sha1", "0.4.0.127.0.7.1.1.4.1.2": "sha224",
    "0.4.0.127.0.7.1.1.4.1.3": "sha256", "0.4.0.127.0.7.1.1.4.1.4": "sha384",
    "0.4.0.127.0.7.1.1.4.1.5": "sha512",
}
_HASH_OIDS = {
    "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}


def hash_for_oid(dotted: str) -> str | None:
    """Hash name for a digest-algorithm OID or an ECDSA-plain signature OID, else ``None``."""
    return _HASH_OIDS.get(dotted) or _ECDSA_PLAIN.get(dotted)


def _ec_curve(spki: keys.PublicKeyInfo) -> Curve:
    params = spki["algorithm"]["parameters"]
    if params.name == "named":
        name = str(params.chosen.native)
        curve = ecdsa.named_curve(name)
        if curve is None:
            raise CertificateError(f"EC curve {name} is not a curve of BSI TR-03111 "
                                   "(Doc 9303-12 §5.4 permits no other)")
        return curve
    if params.name == "specified":
        return ecdsa.explicit_curve(params.chosen)
    raise UnsupportedKeyError("EC key without domain parameters (implicitCA) is not supported")


def curve_name(spki: keys.PublicKeyInfo) -> str:
    """Curve name of an EC SubjectPublicKeyInfo: a TR-03111 curve (explicit parameters that
    equal one are resolved to its name) or ``explicit N-bit curve``."""
    return _ec_curve(spki).name


def load_public_key(spki: bytes | keys.PublicKeyInfo) -> PublicKey:
    """A ``cryptography`` public key from a DER SubjectPublicKeyInfo (RSA or EC).

    Raises :class:`CertificateError` for malformed or unsupported keys.
    """
    try:
        info = spki if isinstance(spki, keys.PublicKeyInfo) else \
            keys.PublicKeyInfo.load(bytes(spki), strict=True)
        algorithm = info.algorithm
        if algorithm == "rsa":
            loaded = serialization.load_der_public_key(info.dump())
            if not isinstance(loaded, rsa.RSAPublicKey):
                raise CertificateError("RSA SubjectPublicKeyInfo did not give an RSA key")
            return loaded
        if algorithm == "ec":
            return ec_public_key(_ec_curve(info), bytes(info["public_key"].native))
    except CertificateError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError,
            UnsupportedAlgorithm) as exc:  # IndexError: asn1crypto on an empty BIT STRING
        raise CertificateError(f"public key cannot be loaded ({type(exc).__name__})") from None
    raise UnsupportedKeyError(f"public key algorithm {algorithm} is not supported (RSA or EC only)")


def ec_public_key(curve: Curve, point: bytes) -> ec.EllipticCurvePublicKey:
    """An EC public key on ``curve`` (a TR-03111 curve or validated explicit parameters) from
    its encoded point: an OpenSSL key where ``cryptography`` knows the curve, else a
    :class:`checkedid.nfc.crypto.ecdsa.CurvePublicKey`. Raises :class:`CertificateError` for a point
    that is not on the curve."""
    named = ecdsa.match_named(curve)
    known = _CURVES.get(named.name.lower()) if named is not None else None
    if named is None or known is None:  # a curve OpenSSL lacks: our arithmetic
        return ecdsa.public_key(named or curve, point)
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(known, point)
    except ValueError:
        raise CertificateError(f"EC public key is not a point on {named.name}") from None


def describe_key(key: PublicKey) -> str:
    """``"RSA-2048"`` / ``"EC brainpoolP256r1"`` (for details and warnings)."""
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    return f"EC {key.curve.name}"


def ecdsa_plain_to_der(signature: bytes) -> bytes:
    """Convert a TR-03111 plain ECDSA signature (r||s, equal halves) to DER."""
    if not signature or len(signature) % 2:
        raise CertificateError("plain ECDSA signature must have an even, non-zero length")
    half = len(signature) // 2
    return encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                int.from_bytes(signature[half:], "big"))


def _is_der_sequence(sig: bytes) -> bool:
    try:
        parsed = core.Sequence.load(sig, strict=True)
        return len(parsed) == 2
    except (ValueError, TypeError):
        return False


def _hash(name: str | None) -> hashes.HashAlgorithm:
    if name is None or name not in HASHES:
        raise UnsupportedKeyError(f"unsupported hash algorithm {name}")
    return HASHES[name]()


def _pss(params: Any, fallback: str | None) -> tuple[padding.PSS, hashes.HashAlgorithm]:
    try:
        hash_name = params["hash_algorithm"]["algorithm"].native
        mgf = params["mask_gen_algorithm"]
        mgf_hash = mgf["parameters"]["algorithm"].native if mgf["algorithm"].native == "mgf1" \
            else None
        salt = int(params["salt_length"].native)
        trailer = params["trailer_field"].native
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CertificateError(f"RSASSA-PSS parameters are malformed ({type(exc).__name__})") \
            from None
    if mgf_hash is None:
        raise UnsupportedKeyError("RSASSA-PSS with a mask generation function other than MGF1")
    if trailer not in (1, "trailer_field_bc"):
        raise CertificateError("RSASSA-PSS trailer field must be 1 (0xBC)")
    h = _hash(hash_name or fallback)
    return padding.PSS(mgf=padding.MGF1(_hash(mgf_hash)), salt_length=salt), h


def signature_scheme(algorithm: algos.SignedDigestAlgorithm,
                     hash_hint: str | None = None) -> tuple[str, str]:
    """``(scheme, hash)`` for a signature AlgorithmIdentifier: scheme is ``pkcs1``, ``pss``,
    ``ecdsa`` or ``ecdsa-plain``; ``hash_hint`` is used where the OID names no hash
    (``rsaEncryption`` and ``id-ecPublicKey`` as seen on some SODs)."""
    dotted = algorithm["algorithm"].dotted
    if dotted in _ECDSA_PLAIN:
        return "ecdsa-plain", _ECDSA_PLAIN[dotted]
    if dotted == "1.2.840.113549.1.1.10":
        params = algorithm["parameters"]
        name = params["hash_algorithm"]["algorithm"].native if params.native else "sha1"
        return "pss", str(name)
    if dotted == "1.2.840.113549.1.1.1":
        return "pkcs1", hash_hint or "?"
    if dotted == "1.2.840.10045.2.1":
        return "ecdsa", hash_hint or "?"
    try:
        sig = algorithm.signature_algo
        hash_name = algorithm.hash_algo
    except (ValueError, KeyError):
        raise UnsupportedKeyError(f"unsupported signature algorithm {dotted}") from None
    if sig == "rsassa_pkcs1v15":
        return "pkcs1", str(hash_name)
    if sig == "ecdsa":
        return "ecdsa", str(hash_name)
    raise UnsupportedKeyError(f"unsupported signature algorithm {dotted} ({sig})")


def verify_signature(key: PublicKey, signature: bytes, data: bytes,
                     algorithm: algos.SignedDigestAlgorithm, *,
                     hash_hint: str | None = None) -> bool:
    """Verify ``signature`` over ``data``. ``False`` when it does not verify.

    Raises :class:`CertificateError` when the algorithm is unsupported or does not
    fit the key (an RSA algorithm with an EC key, say).
    """
    scheme, hash_name = signature_scheme(algorithm, hash_hint)
    try:
        if scheme in ("pkcs1", "pss"):
            if not isinstance(key, rsa.RSAPublicKey):
                raise CertificateError(f"signature algorithm {scheme} needs an RSA key")
            if scheme == "pss":
                pad, h = _pss(algorithm["parameters"], hash_name)
                key.verify(signature, data, pad, h)
            else:
                key.verify(signature, data, padding.PKCS1v15(), _hash(hash_name))
            return True
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise CertificateError("ECDSA signature needs an EC key")
        der = signature
        if scheme == "ecdsa-plain" or not _is_der_sequence(signature):
            if not signature or len(signature) % 2:
                return False  # neither DER nor r||s: cannot be a valid signature
            der = ecdsa_plain_to_der(signature)
        key.verify(der, data, ec.ECDSA(_hash(hash_name)))
        return True
    except InvalidSignature:
        return False
    except CertificateError:
        raise
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise CertificateError(f"signature cannot be checked ({type(exc).__name__})") from None
