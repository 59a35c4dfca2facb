"""Driving licence chips (ISO/IEC 18013-3, the EU licence of Directive 2006/126/EC).

What a licence read does differently from a passport read (the protocols are shared):

* access: BAP (ISO/IEC 18013-3:2017 Annex B) is BAC with the key seed from the licence MRZ
  (:mod:`checkedid.mrz.licence`), or PACE (Annex C, Amd 1:2022) with the MRZ password (reference
  01: the 28 characters 2-29 of the MRZ, used as K without a further hash) or the CAN
  (reference 02: the licence number); PACE runs at MF level, then the licence
  application is selected under secure messaging;
* files: :data:`checkedid.nfc.application.LICENCE` (AIDs, FIDs ``00xx``, tags);
* parsing: :func:`parse_files` maps the licence's DG1 to a
  :class:`~checkedid.nfc.lds.edl.DrivingLicence`, DG6 (the portrait, the same biometric
  template as a passport's DG2) to the face image, DG13 (the AA public key, the same
  SubjectPublicKeyInfo as a passport's DG15) to the Active Authentication key, DG14 as
  for passports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from checkedid.errors import LDSError
from checkedid.nfc.application import LICENCE
from checkedid.nfc.chipdata import LDSObjects, attach_portrait, parse_optional
from checkedid.nfc.lds.com import parse_com
from checkedid.nfc.lds.dg14 import DG14
from checkedid.nfc.lds.dg15 import DG15
from checkedid.nfc.lds.edl import parse_licence_dg1
from checkedid.secret import SecretRegistry

__all__ = ["parse_files"]


def parse_files(raw: Mapping[str, bytes | bytearray], secrets: SecretRegistry,
                warnings: list[str]) -> LDSObjects:
    """Parse a licence's EF.COM and data groups into :class:`~checkedid.nfc.chipdata.LDSObjects`.

    ``dg1`` is a :class:`~checkedid.nfc.lds.edl.LicenceDG1`; ``dg2``/``face_image`` come
    from DG6; ``dg15`` holds DG13's key; ``dg11``/``dg12`` stay empty (licence DG11/DG12
    have their own content and are hashed but not interpreted).
    """
    com = parse_com(bytes(raw["COM"]))
    com = replace(com, data_groups=LICENCE.data_groups(com.tags))
    if "DG1" not in raw:
        raise LDSError("the licence lists no DG1 (holder and categories)", file="COM")
    out = LDSObjects(com=com, dg1=parse_licence_dg1(bytes(raw["DG1"])))
    if "DG6" in raw:
        attach_portrait(out, raw["DG6"], "DG6", secrets, warnings)
    out.dg14 = parse_optional("DG14", DG14.from_bytes, raw, warnings)
    out.dg15 = parse_optional("DG13", DG15.from_bytes, raw, warnings)
    return out
