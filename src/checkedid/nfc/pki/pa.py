"""Passive Authentication (ICAO Doc 9303 Part 11, 5.1; Part 10, 4.6.2; Part 12).

:func:`passive_authenticate` proves that the data groups read from a chip are
the ones the issuing State signed. It yields a :class:`CheckGroup` ``"passive"``
whose checks are, in order:

``sod_parse``       EF.SOD is a CMS SignedData holding an LDSSecurityObject.
``dg_hashes``       each data group read hashes (SOD algorithm, constant-time compare)
                    to the SOD's value; a DG read but absent from the SOD fails.
``message_digest``  the signed ``messageDigest`` attribute equals the hash of the
                    LDSSecurityObject and the signed ``contentType`` names it.
``signature``       the document signer (DS) signature over the signed attributes
                    (RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA incl. brainpool, DER or plain).
``chain``           a CSCA certificate of the trust store (a root or a link
                    certificate, Part 12, 5.2) verifies the DS certificate; a
                    self-signed CSCA is preferred over a link certificate of the
                    same key. Certificate roles (Doc 9303-12 §7.1.1, Table 6): the DS
                    is not a CA and its key usage allows digitalSignature, the CSCA
                    is a CA with keyCertSign, and a DS documentTypeList extension
                    (2.23.136.1.1.6.2), where present, names the document's type.
``validity``        DS and the anchoring CSCA certificate are valid at ``at`` (default:
                    now), and EF.SOD's signing time, when present, lies within the DS
                    validity. Certificates beyond the anchor (an old root reached over
                    a link certificate) are reported, never required to be valid.
``revocation``      the issuing CSCA's CRL (verified with the CSCA key) does not list
                    the DS certificate.

Validity rule. Doc 9303-12 (5.1, Table 1) sizes a DS certificate's validity as
its private-key usage period *plus* the validity of the longest-valid document it
signs, and a CSCA's the same way over its DS certificates. A DS certificate that
has expired therefore means every document it signed has expired too, so an
expired DS (or CSCA) certificate is FAILED rather than accepted as "valid at
signing". Pass ``at=`` to judge a document at another point in time.

Without a trust store the ``chain`` and ``revocation`` checks are NOT_CHECKED
("no trust store"), so the group can never be PASSED and no decision VERIFIED.
Nothing here raises for an authentication failure or malformed input: a broken
EF.SOD yields a FAILED ``sod_parse`` check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any

from asn1crypto import x509 as asn1x509
from cryptography.hazmat.primitives.asymmetric import rsa

from checkedid.errors import CheckedIDError, LDSError
from checkedid.nfc.crypto.pubkey import (
    UnsupportedKeyError,
    describe_key,
    load_public_key,
    signature_scheme,
    verify_signature,
)
from checkedid.nfc.lds.sod import SOD, parse_sod
from checkedid.nfc.pki.certchecks import certificate_roles, document_code, revocation, validity
from checkedid.nfc.pki.trust import TrustStore
from checkedid.verdict import Check, CheckGroup, Verdict

__all__ = ["CHECKS", "covered_dgs", "passive_authenticate", "signer_chain"]

log = logging.getLogger(__name__)

CHECKS = ("sod_parse", "dg_hashes", "signed_attributes", "ds_signature", "csca_chain", "validity",
          "revocation")
_PARSE_ERRORS = (CheckedIDError, ValueError, TypeError, KeyError, IndexError, AttributeError,
                 OverflowError)


def covered_dgs(sod: bytes) -> set[int]:
    """Data-group numbers EF.SOD holds a hash for; empty when EF.SOD does not parse
    (passive_authenticate reports that as a FAILED ``sod_parse``)."""
    try:
        return set(parse_sod(sod).dg_hashes)
    except LDSError:
        return set()


def _dg_hashes(sod: SOD, dgs: Mapping[int, bytes], details: dict[str, Any]) -> Check:
    matched: list[int] = []
    mismatched: list[int] = []
    missing: list[int] = []
    for n in sorted(dgs):
        expected = sod.dg_hashes.get(n)
        if expected is None:
            missing.append(n)
            continue
        actual = hashlib.new(sod.hash_algorithm, bytes(dgs[n])).digest()
        (matched if hmac.compare_digest(actual, expected) else mismatched).append(n)
    details["dg_hashes"] = {"matched": matched, "mismatched": mismatched,
                            "not_in_sod": missing,
                            "not_read": sorted(set(sod.dg_hashes) - set(dgs))}
    if mismatched or missing:
        parts = []
        if mismatched:
            parts.append("hash mismatch for " + ", ".join(f"DG{n}" for n in mismatched)
                         + " (data changed after signing)")
        if missing:
            parts.append(", ".join(f"DG{n}" for n in missing) + " read but not in EF.SOD")
        return Check("dg_hashes", Verdict.FAILED, "; ".join(parts))
    if not matched:
        return Check("dg_hashes", Verdict.NOT_CHECKED, "no data groups were given to hash")
    return Check("dg_hashes", Verdict.PASSED,
                 f"{len(matched)} data group(s) match ({sod.hash_algorithm})")


def _message_digest(sod: SOD, warnings: list[str]) -> Check:
    if sod.digest_algorithm == "sha1":  # the CMS digestAlgorithm (RFC 5652 §5.3)
        warnings.append("EF.SOD's CMS digest algorithm is SHA-1 (weak)")
    if sod.signed_attrs is None:
        warnings.append("EF.SOD has no signed attributes (Doc 9303-10 requires them)")
        return Check("signed_attributes", Verdict.PASSED,
                     "no signed attributes: the signature covers the LDSSecurityObject directly")
    if sod.message_digest is None:
        return Check("signed_attributes", Verdict.FAILED, "signed attributes lack messageDigest")
    if sod.content_type_attr != sod.econtent_type:  # RFC 5652 §11.1: must equal eContentType
        return Check("signed_attributes", Verdict.FAILED,
                     "signed contentType does not name the LDSSecurityObject")
    expected = hashlib.new(sod.digest_algorithm, sod.econtent).digest()
    if not hmac.compare_digest(expected, sod.message_digest):
        return Check("signed_attributes", Verdict.FAILED,
                     "signed messageDigest differs from the LDSSecurityObject's hash "
                     "(EF.SOD content changed after signing)")
    return Check("signed_attributes", Verdict.PASSED, f"matches ({sod.digest_algorithm})")


def _signer_cert(sod: SOD, trust: TrustStore | None) -> tuple[asn1x509.Certificate | None, str]:
    cert = sod.signer_certificate()
    if cert is not None:
        return cert, "embedded in EF.SOD"
    verifying = [c for c in sod.certificates if _verifies(sod, c)]
    if len(verifying) == 1:  # the SignerInfo names it differently (issuer encoded otherwise)
        return verifying[0], "embedded in EF.SOD (the only one whose key verifies the signature)"
    if trust is not None:
        if sod.sid.ski is not None:
            cert = trust.find_by_ski(sod.sid.ski)
        elif sod.sid.issuer is not None and sod.sid.serial is not None:
            cert = trust.find_by_serial(asn1x509.Name.load(sod.sid.issuer), sod.sid.serial)
        if cert is not None:
            return cert, "from the trust store"
    return None, ""


def _verifies(sod: SOD, cert: asn1x509.Certificate) -> bool:
    try:
        return verify_signature(load_public_key(cert.public_key), sod.signature, sod.signed_data,
                                sod.signature_algorithm, hash_hint=sod.digest_algorithm)
    except _PARSE_ERRORS:
        return False


def _signature(sod: SOD, ds: asn1x509.Certificate | None, details: dict[str, Any],
               warnings: list[str]) -> Check:
    scheme, sig_hash = signature_scheme(sod.signature_algorithm, sod.digest_algorithm)
    details["signature_algorithm"] = f"{scheme}-{sig_hash}"
    if sig_hash == "sha1":
        warnings.append("EF.SOD signature uses SHA-1 (weak)")
    if ds is None:
        return Check("ds_signature", Verdict.NOT_CHECKED,
                     f"the document signer certificate ({sod.sid.describe()}) is neither in "
                     "EF.SOD nor in the trust store")
    key = load_public_key(ds.public_key)
    details["ds_key"] = describe_key(key)
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        warnings.append(f"document signer key is {describe_key(key)} (< 2048 bits, weak)")
    if verify_signature(key, sod.signature, sod.signed_data, sod.signature_algorithm,
                        hash_hint=sod.digest_algorithm):
        return Check("ds_signature", Verdict.PASSED, f"DS signature verifies ({details['ds_key']})")
    return Check("ds_signature", Verdict.FAILED,
                 "the document signer's signature over EF.SOD does not verify")


def _anchor(ds: asn1x509.Certificate,
            trust: TrustStore) -> asn1x509.Certificate | Check:
    """The trusted CSCA whose key verifies the DS certificate (Doc 9303-12 §5.2), or the
    csca_chain check that says why there is none."""
    # a self-signed CSCA before a link certificate of the same key: the verdict must not
    # depend on the order of the trust material (Doc 9303-12 §5.2)
    candidates = sorted(trust.find_issuers(ds), key=lambda c: c.self_signed == "no")
    if not candidates:
        # Not a forgery by itself: the operator has no CSCA of this state, so nothing can be
        # told either way (INCOMPLETE). A CSCA that is present but does not verify is FAILED.
        country = ds.issuer.native.get("country_name") or "the issuing state"
        return Check("csca_chain", Verdict.NOT_CHECKED,
                     f"no CSCA of {country} in the trust store: add {country}'s CSCA "
                     "certificate or a master list that carries it")
    anchor = next((c for c in candidates if trust.verifies(c, ds)), None)
    if anchor is None:
        return Check("csca_chain", Verdict.FAILED,
                     "no trusted CSCA verifies the DS certificate's signature")
    return anchor


def _link_path(anchor: asn1x509.Certificate, trust: TrustStore) -> list[asn1x509.Certificate]:
    """The anchor and the CSCA certificates above it, extended over link certificates up to a
    self-signed root, at most four long (Doc 9303-12 §5.2)."""
    path = [anchor]
    while path[-1].self_signed == "no" and len(path) < 4:  # extend over link certificates
        up = next((c for c in trust.find_issuers(path[-1])
                   if c not in path and trust.verifies(c, path[-1])), None)
        if up is None:
            break
        path.append(up)
    return path


def _chain(ds: asn1x509.Certificate | None, trust: TrustStore | None, details: dict[str, Any],
           warnings: list[str], document_code: str | None = None,
           ) -> tuple[Check, list[asn1x509.Certificate]]:
    """The csca_chain check: the DS certificate issued by a trusted CSCA that is a CA and
    whose roles allow this document (Doc 9303-12 §5.2, §7.1.1)."""
    if trust is None:
        return Check("csca_chain", Verdict.NOT_CHECKED, "no trust store"), []
    if ds is None:
        return Check("csca_chain", Verdict.NOT_CHECKED, "no document signer certificate"), []
    anchor = _anchor(ds, trust)
    if isinstance(anchor, Check):
        return anchor, []
    path = _link_path(anchor, trust)
    details["csca_subject"] = anchor.subject.human_friendly
    details["csca_path"] = [c.subject.human_friendly for c in path]
    for c in path:
        key = trust.public_key(c)
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
            warnings.append(f"CSCA key is {describe_key(key)} (< 2048 bits, weak)")
    if not anchor.ca:
        reason = "the issuing certificate is not a CA certificate"
        return Check("csca_chain", Verdict.FAILED, reason), path
    role = certificate_roles(ds, anchor, document_code, warnings)
    if role is not None:
        return Check("csca_chain", Verdict.FAILED, role), path
    link = " via a link certificate" if anchor.self_signed == "no" else ""
    reason = f"DS certificate issued by a trusted CSCA{link}"
    return Check("csca_chain", Verdict.PASSED, reason), path


def signer_chain(ds: asn1x509.Certificate | None, trust: TrustStore | None) -> Check:
    """The ``csca_chain`` check for a document signer met outside EF.SOD (the signer of
    EF.CardSecurity, BSI TR-03110-3 §A.1.2.2): issued by a trusted CSCA that is a CA, with
    the roles of Doc 9303-12 §7.1.1. Never raises: malformed input is FAILED."""
    return _guard("csca_chain", lambda: _chain(ds, trust, {}, [])[0])


def _country(cert: asn1x509.Certificate) -> str | None:
    try:
        value = cert.subject.native.get("country_name")
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return str(value) if value else None


def _guard(name: str, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except UnsupportedKeyError as exc:  # could not check: not a proof of forgery either
        return Check(name, Verdict.NOT_CHECKED, f"cannot be checked here: {exc}")
    except _PARSE_ERRORS as exc:
        reason = str(exc) if isinstance(exc, CheckedIDError) else \
            f"malformed data ({type(exc).__name__})"
        log.debug("PA check %s could not be completed: %s", name, type(exc).__name__)
        return Check(name, Verdict.FAILED, reason)


def passive_authenticate(sod: bytes, dgs: Mapping[int, bytes], trust: TrustStore | None, *,
                         at: dt.datetime | None = None,
                         crl_grace: dt.timedelta = dt.timedelta(0)) -> CheckGroup:
    """Passive Authentication of ``dgs`` ({DG number: raw file}) against EF.SOD ``sod``.

    ``trust``: the CSCA trust store (``None``: chain and revocation NOT_CHECKED).
    ``at``: the time to judge certificate validity and CRL freshness (default: now, UTC).
    """
    when = at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        parsed = parse_sod(sod)
    except _PARSE_ERRORS as exc:
        reason = str(exc) if isinstance(exc, CheckedIDError) else "EF.SOD is malformed"
        rest = [Check(n, Verdict.NOT_CHECKED, "EF.SOD could not be parsed") for n in CHECKS[1:]]
        return CheckGroup.of("passive", [Check("sod_parse", Verdict.FAILED, reason), *rest])
    details: dict[str, Any] = {"hash_algorithm": parsed.hash_algorithm}
    if parsed.lds_version:
        details["lds_version"] = parsed.lds_version
    warnings: list[str] = list(parsed.warnings)
    if parsed.hash_algorithm == "sha1":
        warnings.append("EF.SOD data-group hashes use SHA-1 (weak)")
    checks = [Check("sod_parse", Verdict.PASSED, "CMS SignedData with an LDSSecurityObject"),
              _guard("dg_hashes", lambda: _dg_hashes(parsed, dgs, details)),
              _guard("signed_attributes", lambda: _message_digest(parsed, warnings))]
    ds: asn1x509.Certificate | None = None
    try:
        ds, source = _signer_cert(parsed, trust)
        if ds is not None:
            country = _country(ds)
            if country:
                details["ds_country"] = country
            details["ds_certificate"] = source
    except _PARSE_ERRORS:
        ds = None
    checks.append(_guard("ds_signature", lambda: _signature(parsed, ds, details, warnings)))
    path: list[asn1x509.Certificate] = []

    code = document_code(dgs)

    def chain() -> Check:
        nonlocal path
        check, path = _chain(ds, trust, details, warnings, code)
        return check

    checks.append(_guard("csca_chain", chain))
    checks.append(_guard("validity", lambda: validity(parsed, ds, path, when)))
    checks.append(_guard("revocation", lambda: revocation(ds, path, trust, when, crl_grace)))
    if warnings:
        details["warnings"] = warnings
    group = CheckGroup.of("passive", checks, **details)
    log.info("passive authentication: %s", group.verdict.value)
    return group
