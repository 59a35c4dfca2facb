"""Parsers for the Logical Data Structure of an eMRTD chip (ICAO Doc 9303-10).

Each parser takes a file's bytes exactly as read, keeps them in ``.raw`` (Passive
Authentication hashes those, never a re-encoding) and raises only
:class:`checkedid.errors.ParseError` subclasses (``LDSError`` naming the file,
``TLVError``) or :class:`checkedid.errors.ImageError` for malformed input.

==========  ======================  ===========================================
file        parser                  result
==========  ======================  ===========================================
EF.COM      :func:`parse_com`       :class:`EFCom` (LDS version, data groups)
EF.DG1      :func:`parse_dg1`       :class:`DG1` (the MRZ)
EF.DG2      :func:`parse_dg2`       :class:`DG2` (face records, decoded images)
EF.DG11     :func:`parse_dg11`      :class:`DG11` (additional personal details)
EF.DG12     :func:`parse_dg12`      :class:`DG12` (additional document details)
EF.DG14     :func:`parse_dg14`      :class:`DG14` (CA / PACE / AA SecurityInfos)
EF.DG15     :func:`parse_dg15`      :class:`DG15` (Active Authentication key)
EF.SOD      :func:`checkedid.nfc.lds.sod.parse_sod`
==========  ======================  ===========================================
"""

from __future__ import annotations

from checkedid.nfc.lds.com import DG_TAGS, TAG_OF_DG, EFCom, parse_com
from checkedid.nfc.lds.dg1 import DG1, parse_dg1
from checkedid.nfc.lds.dg2 import DG2, FaceRecord, parse_dg2
from checkedid.nfc.lds.dg11 import DG11, parse_dg11
from checkedid.nfc.lds.dg12 import DG12, parse_dg12
from checkedid.nfc.lds.dg14 import (
    DG14,
    ActiveAuthenticationInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    PACEInfo,
    SecurityInfos,
    parse_dg14,
)
from checkedid.nfc.lds.dg15 import DG15, parse_dg15

__all__ = [
    "DG1", "DG2", "DG11", "DG12", "DG14", "DG15", "DG_TAGS", "TAG_OF_DG",
    "ActiveAuthenticationInfo", "ChipAuthenticationInfo", "ChipAuthenticationPublicKeyInfo",
    "EFCom", "FaceRecord", "PACEInfo", "SecurityInfos",
    "parse_com", "parse_dg1", "parse_dg2", "parse_dg11", "parse_dg12", "parse_dg14",
    "parse_dg15",
]
