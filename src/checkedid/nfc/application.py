"""Which application a chip read targets: the ICAO eMRTD or a driving licence.

An :class:`Application` names what differs between document families that share the
same protocols (BAC/BAP, PACE, secure messaging, CA, AA, Passive Authentication):

==============  =====================================  ==========================================
                eMRTD (ICAO Doc 9303-10 §3, Table 39)  eDL (ISO/IEC 18013-2 Annex C, 18013-3 §10)
==============  =====================================  ==========================================
AID             ``A0 00 00 02 47 10 01``                EU ``A0 00 00 04 56 45 44 4C 2D 30 31``,
                                                       then ISO ``A0 00 00 02 48 02 00``
EF.COM / SOD    ``011E`` / ``011D``                    ``001E`` / ``001D``
DGn             ``01nn``                               ``00nn``
face            DG2 (tag 75)                           DG6 (tag 75)
AA key          DG15 (tag 6F)                          DG13 (tag 6F)
CA info         DG14 (tag 6E)                          DG14 (tag 6E)
EAC-protected   DG3, DG4                               DG7, DG8, DG9 (biometrics, EAP)
CAN             6 digits                               the licence number (10 characters)
==============  =====================================  ==========================================

The short EF identifiers are the data-group numbers in both (SFI ``1E``/``1D`` for EF.COM
and EF.SOD).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from checkedid.errors import InputError, LDSError
from checkedid.nfc.files import COM, EF, EMRTD_AID, SOD
from checkedid.nfc.lds.com import DG_TAGS

__all__ = ["EDL_AIDS", "EDL_TAGS", "EMRTD", "LICENCE", "Application"]

#: EU driving licence application (Directive 2006/126/EC; ISO/IEC 18013-3 Annex C).
EU_EDL_AID = bytes.fromhex("A00000045645444C2D3031")
#: The generic ISO/IEC 18013 driving licence application.
ISO_EDL_AID = bytes.fromhex("A0000002480200")
EDL_AIDS = (EU_EDL_AID, ISO_EDL_AID)

#: Licence data-group template tag -> data-group number (ISO/IEC 18013-2 Annex C, Table C.1).
EDL_TAGS: Mapping[int, int] = MappingProxyType({
    0x61: 1, 0x67: 5, 0x75: 6, 0x6D: 11, 0x71: 12, 0x6F: 13, 0x6E: 14,
})


@dataclass(frozen=True)
class Application:
    """The file layout of one document family's application (see the module table)."""

    name: str
    aids: tuple[bytes, ...]
    com: EF
    sod: EF
    dg_fid_base: int
    tags: Mapping[int, int]
    face_dg: int
    aa_dg: int
    eac_dgs: tuple[int, ...]
    ca_dg: int = 14

    @property
    def is_licence(self) -> bool:
        return self is LICENCE

    def ef(self, number: int) -> EF:
        """The EF of data group ``number`` (FID ``01nn`` or ``00nn``, SFI ``nn``)."""
        if not 1 <= number <= 16:
            raise LDSError(f"there is no data group {number}", file=self.com.name)
        return EF(f"DG{number}", self.dg_fid_base | number, number)

    def data_groups(self, tags: tuple[int, ...]) -> list[int]:
        """The DG numbers that EF.COM's tag list names, with this application's tags."""
        return sorted({self.tags[t] for t in tags if t in self.tags})

    def check_can(self, can: str) -> None:
        """Raise :class:`InputError` unless ``can`` has this family's CAN format."""
        if self.is_licence:
            if not (len(can) == 10 and can.isascii() and can.isalnum()):
                raise InputError("the CAN of a driving licence is its licence number "
                                 "(10 characters, field 5 on the front)")
        elif not (len(can) == 6 and can.isascii() and can.isdigit()):
            raise InputError("the CAN must be the 6 digits printed on the card")


EMRTD = Application("eMRTD", (EMRTD_AID,), COM, SOD, 0x0100, DG_TAGS, face_dg=2, aa_dg=15,
                    eac_dgs=(3, 4))
LICENCE = Application("eDL", EDL_AIDS, EF("COM", 0x001E, 0x1E), EF("SOD", 0x001D, 0x1D),
                      0x0000, EDL_TAGS, face_dg=6, aa_dg=13, eac_dgs=(7, 8, 9))


def for_access(can: str | None = None, licence_mrz: bool = False) -> Application:
    """The application a CAN or MRZ opens: a 10-character CAN or a licence MRZ mean eDL."""
    if licence_mrz or (can is not None and len(can) == 10):
        return LICENCE
    return EMRTD
