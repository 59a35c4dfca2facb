"""The checks on the document signer and CSCA certificates of Passive Authentication
(ICAO Doc 9303-12 §5.1, §7.1.1; Doc 9303-11 §5.1).

Roles (Doc 9303-12 §7.1.1, Table 6): the document signer (DS) is not a CA and its key usage
allows digitalSignature; the CSCA is a CA with keyCertSign; a DS documentTypeList extension
(2.23.136.1.1.6.2, §7.1.1.3), where present, names the type of the documents the DS may sign,
which :func:`document_code` reads from DG1's MRZ. :func:`certificate_roles` gives the reason a
pair of certificates may not play these roles; Passive Authentication
(:mod:`checkedid.nfc.pki.pa`) turns it into a FAILED ``csca_chain`` check.

:func:`validity` and :func:`revocation` are PA's ``validity`` and ``revocation`` checks (the
validity rule is set out in :mod:`checkedid.nfc.pki.pa`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from asn1crypto import core
from asn1crypto import x509 as asn1x509

from checkedid.errors import CheckedIDError
from checkedid.nfc.lds.sod import SOD
from checkedid.nfc.pki.trust import TrustStore
from checkedid.verdict import Check, Verdict

__all__ = ["DOCUMENT_TYPE_LIST", "certificate_roles", "document_code", "revocation", "valid_at",
           "validity"]

DOCUMENT_TYPE_LIST = "2.23.136.1.1.6.2"  # id-icao-mrtd-security-extensions-documentTypeList


class _DocumentTypes(core.SetOf):  # type: ignore[misc]
    _child_spec = core.PrintableString


class _DocumentTypeList(core.Sequence):  # type: ignore[misc]
    """``DocumentTypeListSyntax ::= SEQUENCE { version INTEGER, docTypeList SET OF
    DocumentType }`` (Doc 9303-12 §7.1.1.3)."""

    _fields = [("version", core.Integer), ("doc_type_list", _DocumentTypes)]  # noqa: RUF012


class _LegacyDocumentTypes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.PrintableString


def _document_types(cert: asn1x509.Certificate) -> list[str] | None:
    """The DS documentTypeList, or ``None`` when the extension is absent. Some issued
    certificates (the Philippines') encode it as a bare ``SEQUENCE OF PrintableString``
    without the version: accepted too."""
    for ext in cert["tbs_certificate"]["extensions"]:
        if ext["extn_id"].dotted == DOCUMENT_TYPE_LIST:
            der = bytes(ext["extn_value"].contents)
            try:
                value = _DocumentTypeList.load(der, strict=True)
                return [str(t.native) for t in value["doc_type_list"]]
            except ValueError:
                legacy = _LegacyDocumentTypes.load(der, strict=True)
                return [str(t.native) for t in legacy]
    return None


def _type_matches(listed: str, code: str) -> bool:
    code = code.upper()
    return listed.upper() in (code[:2].replace("<", ""), code[:1])


def certificate_roles(ds: asn1x509.Certificate, csca: asn1x509.Certificate,
                      document_code: str | None, warnings: list[str]) -> str | None:
    """Why the DS / CSCA certificates may not play their roles, or ``None``."""
    if ds.ca:
        return "the document signer certificate is a CA certificate (a DS must not be one)"
    usage = ds.key_usage_value
    if usage is None:
        warnings.append("the document signer certificate has no key usage extension")
    elif "digital_signature" not in usage.native:
        return "the document signer certificate's key usage does not allow digitalSignature"
    usage = csca.key_usage_value
    if usage is None:
        warnings.append("the CSCA certificate has no key usage extension")
    elif "key_cert_sign" not in usage.native:
        return "the CSCA certificate's key usage does not allow keyCertSign"
    types = _document_types(ds)
    if types is not None and document_code is not None and \
            not any(_type_matches(t, document_code) for t in types):
        return (f"the document signer may sign only document types {', '.join(types)}, "
                f"not {document_code.replace('<', '')}")
    return None


def document_code(dgs: Mapping[int, bytes]) -> str | None:
    """The MRZ document code from DG1 (for the DS documentTypeList), if DG1 parses."""
    if 1 not in dgs:
        return None
    from checkedid.errors import ParseError
    from checkedid.nfc.lds.dg1 import DG1

    try:
        return str(DG1.from_bytes(bytes(dgs[1])).mrz.document_code)
    except (ParseError, CheckedIDError, ValueError):
        return None


def valid_at(cert: asn1x509.Certificate, at: dt.datetime) -> str | None:
    validity = cert["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    if at < start:
        return f"is not valid before {start.date().isoformat()}"
    if at > end:
        return f"expired on {end.date().isoformat()}"
    return None


def validity(sod: SOD, ds: asn1x509.Certificate | None, path: list[asn1x509.Certificate],
              at: dt.datetime) -> Check:
    if ds is None:
        return Check("validity", Verdict.NOT_CHECKED, "no document signer certificate")
    problem = valid_at(ds, at)
    if problem:
        return Check("validity", Verdict.FAILED, f"the document signer certificate {problem}")
    if sod.signing_time is not None:
        stime = sod.signing_time if sod.signing_time.tzinfo else \
            sod.signing_time.replace(tzinfo=dt.UTC)
        if valid_at(ds, stime):
            return Check("validity", Verdict.FAILED,
                         "EF.SOD was signed outside the document signer certificate's validity")
    for c in path[:1]:  # the anchor; an old root beyond a link certificate is not needed
        problem = valid_at(c, at)
        if problem:
            return Check("validity", Verdict.FAILED, f"the CSCA certificate {problem}")
    if not path:
        return Check("validity", Verdict.PASSED, "DS certificate valid (CSCA not known)")
    return Check("validity", Verdict.PASSED, "DS and CSCA certificates valid")


def revocation(ds: asn1x509.Certificate | None, path: list[asn1x509.Certificate],
                trust: TrustStore | None, at: dt.datetime,
                grace: dt.timedelta = dt.timedelta(0)) -> Check:
    if trust is None:
        return Check("revocation", Verdict.NOT_CHECKED, "no trust store")
    if ds is None or not path:
        return Check("revocation", Verdict.NOT_CHECKED, "no trusted issuer to ask for a CRL")
    verdict, reason = trust.revocation(ds, path[0], at, grace)
    return Check("revocation", verdict, reason)
