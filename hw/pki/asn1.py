"""ASN.1 schemas the test PKI encodes (asn1crypto), declared here so hw/ stays independent.

* LDSSecurityObject — ICAO Doc 9303-10 §4.6.2.2 (the eContent of EF.SOD, OID
  2.23.136.1.1.1; ``ldsVersionInfo`` only in version 1).
* CscaMasterList — ICAO Doc 9303-12 §8 (``SEQUENCE { version, certList SET OF
  Certificate }``, eContent OID 2.23.136.1.1.2).
"""

from __future__ import annotations

from asn1crypto import algos, core
from asn1crypto import x509 as asn1x509

__all__ = ["LDS_SECURITY_OBJECT_OID", "MASTER_LIST_OID", "CscaMasterList", "LDSSecurityObject",
           "der_length"]

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"
MASTER_LIST_OID = "2.23.136.1.1.2"


def der_length(n: int) -> bytes:
    """DER definite length octets for ``n`` (X.690 §8.1.3)."""
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


class _DataGroupHash(core.Sequence):  # type: ignore[misc]
    _fields = [("data_group_number", core.Integer),  # noqa: RUF012 - asn1crypto schema
               ("data_group_hash_value", core.OctetString)]


class _DataGroupHashes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _DataGroupHash


class _LDSVersionInfo(core.Sequence):  # type: ignore[misc]
    _fields = [("lds_version", core.PrintableString),  # noqa: RUF012 - asn1crypto schema
               ("unicode_version", core.PrintableString)]


class LDSSecurityObject(core.Sequence):  # type: ignore[misc]
    """``LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues,
    ldsVersionInfo OPTIONAL }``."""

    _fields = [  # noqa: RUF012 - asn1crypto schema
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", _DataGroupHashes),
        ("lds_version_info", _LDSVersionInfo, {"optional": True}),
    ]


class _CertSet(core.SetOf):  # type: ignore[misc]
    _child_spec = asn1x509.Certificate


class CscaMasterList(core.Sequence):  # type: ignore[misc]
    """``CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }``."""

    _fields = [("version", core.Integer), ("cert_list", _CertSet)]  # noqa: RUF012
