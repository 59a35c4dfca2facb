"""The elementary files an eMRTD reader addresses (ICAO Doc 9303-10 §3.9-3.11, Table 39).

The LDS lives in the eMRTD application (AID ``A0 00 00 02 47 10 01``, §3.10);
EF.CardAccess, EF.ATR/INFO and EF.CardSecurity sit in the master file (§3.11).
"""

from __future__ import annotations

from dataclasses import dataclass

from checkedid.errors import LDSError

__all__ = ["ATR_INFO", "CARD_ACCESS", "CARD_SECURITY", "COM", "EF", "EMRTD_AID", "SOD"]

EMRTD_AID = bytes.fromhex("A0000002471001")


@dataclass(frozen=True)
class EF:
    """An elementary file: display name, file identifier and short EF identifier.

    Doc 9303-10 Table 39 lists the LDS identifiers (DGn: FID ``01nn``, SFI ``nn``).
    """

    name: str
    fid: int
    sfi: int
    mf: bool = False  # in the master file (EF.CardAccess, EF.ATR/INFO), not in the application

    @classmethod
    def dg(cls, number: int) -> EF:
        if not 1 <= number <= 16:
            raise LDSError(f"there is no data group {number}", file="COM")
        return cls(f"DG{number}", 0x0100 | number, number)

    @property
    def dg_number(self) -> int | None:
        return self.fid & 0xFF if 0x0101 <= self.fid <= 0x0110 else None


CARD_ACCESS = EF("CardAccess", 0x011C, 0x1C, mf=True)
ATR_INFO = EF("ATR/INFO", 0x2F01, 0x01, mf=True)
#: EF.CardSecurity in the MF (BSI TR-03110-3 §A.1.2.2, Doc 9303-10 §3.11.3): the same FID and
#: SFI as EF.SOD, which lies in the application; read only after access, from the MF.
CARD_SECURITY = EF("CardSecurity", 0x011D, 0x1D, mf=True)
COM = EF("COM", 0x011E, 0x1E)
SOD = EF("SOD", 0x011D, 0x1D)
