"""CSCA master lists (ICAO Doc 9303 Part 12, 9; BSI master list format)."""

from __future__ import annotations

from asn1crypto import core
from asn1crypto import x509 as asn1x509

__all__ = ["MASTER_LIST_OID", "CscaMasterList"]

MASTER_LIST_OID = "2.23.136.1.1.2"


class _CertSet(core.SetOf):
    _child_spec = asn1x509.Certificate


class CscaMasterList(core.Sequence):
    """``CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }``."""

    _fields = [("version", core.Integer), ("cert_list", _CertSet)]  # noqa: RUF012
