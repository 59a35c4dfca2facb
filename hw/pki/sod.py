"""CMS SignedData for the test PKI: EF.SOD and the CSCA master list.

Builds EF.SOD as in ICAO Doc 9303 Part 10, 4.6.2 (0x77 wrapper around a CMS
SignedData whose eContent is an LDSSecurityObject) and the CscaMasterList of
Doc 9303 Part 12, 9 (eContentType 2.23.136.1.1.2), with every variant real
documents show: with/without the 0x77 wrapper, with/without signed attributes,
SHA-1 .. SHA-512, RSA PKCS#1 v1.5 / RSASSA-PSS / ECDSA, DS certificate embedded
or only named by issuer+serial (or subject key identifier), and deliberate
faults (``tamper``). TEST-ONLY.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from hw.pki.asn1 import LDS_SECURITY_OBJECT_OID, LDSSecurityObject, der_length
from hw.pki.brainpool import BrainpoolKey
from hw.pki.ca import CertifiedKey

__all__ = ["TAMPERS", "build_lds_security_object", "sign_cms", "wrap_77"]

TAMPERS = ("signature", "message_digest", "econtent", "content_type")
SIGNING_TIME = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


def wrap_77(der: bytes) -> bytes:
    """EF.SOD's application tag 0x77 around the ContentInfo."""
    return b"\x77" + der_length(len(der)) + der


def build_lds_security_object(dg_hashes: Mapping[int, bytes], hash_alg: str,
                              lds_version: str | None = None) -> bytes:
    """DER LDSSecurityObject (version 1 with LDSVersionInfo when ``lds_version`` is given)."""
    value: dict[str, object] = {
        "version": 1 if lds_version else 0,
        "hash_algorithm": {"algorithm": hash_alg},
        "data_group_hash_values": [
            {"data_group_number": n, "data_group_hash_value": dg_hashes[n]}
            for n in sorted(dg_hashes)],
    }
    if lds_version:
        value["lds_version_info"] = {"lds_version": lds_version, "unicode_version": "040000"}
    return bytes(LDSSecurityObject(value).dump())


def _signature_algorithm(signer: CertifiedKey, sig_hash: str) -> algos.SignedDigestAlgorithm:
    if signer.scheme == "pss":
        size = _HASHES[sig_hash].digest_size
        params = algos.RSASSAPSSParams({
            "hash_algorithm": {"algorithm": sig_hash},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": sig_hash}},
            "salt_length": size,
        })
        return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params})
    kind = "ecdsa" if signer.scheme == "ecdsa" else "rsa"
    return algos.SignedDigestAlgorithm({"algorithm": f"{sig_hash}_{kind}"})


def _sign(signer: CertifiedKey, data: bytes, sig_hash: str) -> bytes:
    h = _HASHES[sig_hash]()
    key: object = signer.key
    if isinstance(key, BrainpoolKey):  # a curve OpenSSL lacks (hw.pki.brainpool)
        return key.sign(data, sig_hash)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(h, deterministic_signing=True))
    assert isinstance(key, rsa.RSAPrivateKey)
    if signer.scheme == "pss":
        return key.sign(data, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    return key.sign(data, padding.PKCS1v15(), h)


def sign_cms(econtent_type: str, econtent: bytes, signer: CertifiedKey, *, hash_alg: str = "sha256",
             sig_hash: str | None = None, signed_attrs: bool = True, embed_cert: bool = True,
             sid_ski: bool = False, extra_certs: Sequence[bytes] = (),
             tamper: str | None = None) -> bytes:
    """DER ContentInfo(SignedData) over ``econtent``, signed by ``signer`` (RFC 5652)."""
    if tamper is not None and tamper not in TAMPERS and not tamper.startswith("dg"):
        raise ValueError(f"unknown tamper {tamper!r}; choose from {TAMPERS} or 'dgN'")
    sig_hash = sig_hash or hash_alg
    cert = asn1x509.Certificate.load(signer.der)
    digest = hashlib.new(hash_alg, econtent).digest()
    attrs = None
    if signed_attrs:
        if tamper == "message_digest":
            digest = hashlib.new(hash_alg, econtent + b"\x00").digest()
        ctype = "1.2.840.113549.1.7.1" if tamper == "content_type" else econtent_type
        attrs = cms.CMSAttributes([
            {"type": "content_type", "values": [ctype]},
            {"type": "signing_time", "values": [core.UTCTime(SIGNING_TIME)]},
            {"type": "message_digest", "values": [digest]},
        ])
        to_sign = attrs.dump()
    else:
        to_sign = econtent
    signature = _sign(signer, to_sign, sig_hash)
    if tamper == "signature":
        signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
    if tamper == "econtent":
        econtent = econtent[:-1] + bytes([econtent[-1] ^ 0x01])
    sid = (cms.SignerIdentifier({"subject_key_identifier": cert.key_identifier}) if sid_ski else
           cms.SignerIdentifier({"issuer_and_serial_number": {
               "issuer": cert.issuer, "serial_number": cert.serial_number}}))
    signer_info: dict[str, object] = {
        "version": "v3" if sid_ski else "v1",
        "sid": sid,
        "digest_algorithm": {"algorithm": hash_alg},
        "signature_algorithm": _signature_algorithm(signer, sig_hash),
        "signature": signature,
    }
    if attrs is not None:
        signer_info["signed_attrs"] = attrs
    certs = ([cert] if embed_cert else []) + [asn1x509.Certificate.load(c) for c in extra_certs]
    sd: dict[str, object] = {
        "version": "v3",
        "digest_algorithms": [{"algorithm": hash_alg}],
        "encap_content_info": {"content_type": econtent_type,
                               "content": core.ParsableOctetString(econtent)},
        "signer_infos": [signer_info],
    }
    if certs:
        sd["certificates"] = certs
    return bytes(cms.ContentInfo({"content_type": "signed_data",
                                  "content": cms.SignedData(sd)}).dump())


def sign_sod_with(signer: CertifiedKey, dgs: Mapping[int, bytes], *, prehashed: bool = False,
                  hash_alg: str = "sha256", signed_attrs: bool = True, wrap: bool = True,
                  embed_cert: bool = True, sid_ski: bool = False, sig_hash: str | None = None,
                  lds_version: str | None = None, tamper: str | None = None,
                  cms_hash: str | None = None) -> bytes:
    """EF.SOD over ``dgs`` (raw DG files, or their hashes when ``prehashed``).

    ``cms_hash``: the CMS digestAlgorithm (messageDigest) when it differs from the
    data-group hash algorithm ``hash_alg``."""
    dg_hashes = {n: bytes(v) if prehashed else hashlib.new(hash_alg, bytes(v)).digest()
                 for n, v in dgs.items()}
    if tamper is not None and tamper.startswith("dg"):
        n = int(tamper[2:])
        if n not in dg_hashes:
            raise ValueError(f"cannot tamper DG{n}: it is not in the SOD")
        dg_hashes[n] = bytes(b ^ 0xFF for b in dg_hashes[n])
    lso = build_lds_security_object(dg_hashes, hash_alg, lds_version)
    der = sign_cms(LDS_SECURITY_OBJECT_OID, lso, signer, hash_alg=cms_hash or hash_alg,
                   sig_hash=sig_hash or hash_alg,
                   signed_attrs=signed_attrs, embed_cert=embed_cert, sid_ski=sid_ski,
                   tamper=None if tamper is None or tamper.startswith("dg") else tamper)
    return wrap_77(der) if wrap else der
