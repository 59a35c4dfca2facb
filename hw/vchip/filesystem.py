"""File-system handlers of the virtual chip: SELECT, READ BINARY (B0/B1), GET CHALLENGE.

ICAO Doc 9303-10 §3.9 (file structure): the MF holds EF.CardAccess (FID 011C,
SFI 1C), EF.ATR/INFO (FID 2F01, SFI 01) and, on some chips, EF.CardSecurity (FID 011D,
SFI 1D, BSI TR-03110-3 §A.1.2.2: readable only after access); the eMRTD application
(AID A0 00 00 02 47 10 01) holds EF.COM (011E, SFI 1E), EF.SOD (011D, SFI 1D)
and EF.DG1..DG16 (0101..0110, SFI 01..10).

Access control (Doc 9303-11 §4): before BAC or PACE only the MF files can be read;
afterwards every LDS file except DG3/DG4, which need Extended Access Control (not
offered: always 6982).

READ BINARY follows ISO/IEC 7816-4 §11.3.3: INS B0 with a 15-bit offset in P1-P2
or a short EF identifier in P1 (bit 8 set) with the offset in P2; INS B1 with the
offset in DO'54' (needed beyond 32767) and the data returned in DO'53'. Reading
past the end answers the remaining bytes with 6282; at or beyond the end, 6B00.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from hw.vchip.chip import Command, Response
from hw.vchip.iso7816 import SW

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState, Router

__all__ = ["EMRTD_AID", "MF_SFI", "fid_name", "register", "sfi_to_fid"]

EMRTD_AID = bytes.fromhex("A0000002471001")
FID_CARD_ACCESS = 0x011C
FID_ATR_INFO = 0x2F01
FID_CARD_SECURITY = 0x011D  # in the MF; the same FID in the application is EF.SOD
MF_FILES = (FID_CARD_ACCESS, FID_ATR_INFO)
MF_SFI = {0x1C: FID_CARD_ACCESS, 0x01: FID_ATR_INFO, 0x1D: FID_CARD_SECURITY}
EAC_PROTECTED = (0x0103, 0x0104)  # DG3 fingerprints, DG4 iris



def sfi_to_fid(sfi: int) -> int:
    """LDS short EF identifier -> FID (Doc 9303-10 Table 39)."""
    if sfi == 0x1E:
        return 0x011E
    if sfi == 0x1D:
        return 0x011D
    return 0x0100 | sfi


def fid_name(fid: int) -> str:
    names = {0x011E: "COM", 0x011D: "SOD", FID_CARD_ACCESS: "CardAccess", FID_ATR_INFO: "ATR/INFO"}
    if fid in names:
        return names[fid]
    if 0x0101 <= fid <= 0x0110:
        return f"DG{fid & 0xFF}"
    return f"{fid:04X}"


def _lookup(chip: ChipState, fid: int) -> bytes | None:
    if fid in MF_FILES:
        return chip.persona.mf_files.get(fid)
    if not chip.app_selected:  # EF.CardSecurity is the only other file of the MF
        return chip.persona.mf_files.get(fid) if fid == FID_CARD_SECURITY else None
    return chip.persona.files.get(fid)


def _fcp(fid: int, size: int) -> bytes:
    body = (b"\x80\x02" + size.to_bytes(2, "big") + b"\x82\x01\x01"
            + b"\x83\x02" + fid.to_bytes(2, "big"))
    return b"\x62" + bytes([len(body)]) + body


def select(chip: ChipState, cmd: Command) -> Response:
    """SELECT (ISO 7816-4 §11.2.2): by DF name (P1=04), MF/EF by FID (P1=00/02), path (08)."""
    p1, p2, data = cmd.p1, cmd.p2, bytes(cmd.data)
    if p2 not in (0x00, 0x04, 0x0C):
        return Response(b"", SW.WRONG_P1P2)
    if p1 == 0x04:
        if data in chip.persona.extras.get("aids", (EMRTD_AID,)):
            chip.app_selected = True
            chip.selected = None
            return Response(b"", SW.OK)
        return Response(b"", SW.FILE_NOT_FOUND)
    if p1 in (0x00, 0x02, 0x08, 0x09):
        if p1 == 0x00 and data in (b"", b"\x3f\x00"):
            chip.app_selected = False
            chip.selected = None
            return Response(b"", SW.OK)
        if p1 in (0x08, 0x09):
            if len(data) < 2 or len(data) % 2:
                return Response(b"", SW.WRONG_DATA)
            data = data[-2:]
        if len(data) != 2:
            return Response(b"", SW.WRONG_DATA)
        fid = int.from_bytes(data, "big")
        content = _lookup(chip, fid)
        if content is None:
            return Response(b"", SW.FILE_NOT_FOUND)
        chip.selected = fid
        if p2 & 0x0C == 0x0C:
            return Response(b"", SW.OK)
        return Response(_fcp(fid, len(content)), SW.OK)
    return Response(b"", SW.WRONG_P1P2)


def _readable(chip: ChipState, fid: int) -> bool:
    if fid in MF_FILES:
        return True
    if fid in EAC_PROTECTED:
        return False
    return chip.authenticated is not None and chip.sm is not None


def _max_le(chip: ChipState, cmd: Command) -> int:
    le = cmd.le
    if le is None:
        return 0
    if le == 0:
        le = 65536 if chip.last_extended else 256
    return min(le, chip.persona.max_read)


def _read(chip: ChipState, fid: int, offset: int, want: int) -> tuple[bytes, int]:
    content = _lookup(chip, fid)
    if content is None:
        return b"", SW.FILE_NOT_FOUND
    if not _readable(chip, fid):
        return b"", SW.SECURITY_STATUS_NOT_SATISFIED
    if offset >= len(content) and not (offset == 0 and not content):
        return b"", SW.WRONG_OFFSET
    chunk = content[offset:offset + want]
    chip.counters["bytes_read"] += len(chunk)
    fault = chip.fault
    if fault is not None:
        fault.on_read(chip, fid, offset, len(chunk))
    return chunk, (SW.END_OF_FILE if len(chunk) < want else SW.OK)


def _select_sfi(chip: ChipState, sfi: int) -> int | None:
    if not chip.app_selected:
        fid = MF_SFI.get(sfi)
    else:
        fid = sfi_to_fid(sfi)
        if fid not in chip.persona.files and sfi in chip.persona.files:
            fid = sfi  # a driving licence: FIDs 00nn (ISO/IEC 18013-2 Annex C)
        if fid not in chip.persona.files and sfi == 0x1C:
            fid = FID_CARD_ACCESS
    if fid is None or _lookup(chip, fid) is None:
        return None
    chip.selected = fid
    return fid


def read_binary(chip: ChipState, cmd: Command) -> Response:
    """READ BINARY with INS B0 (ISO 7816-4 §11.3.3)."""
    if cmd.p1 & 0x80:
        if cmd.p1 & 0x60:
            return Response(b"", SW.WRONG_P1P2)
        fid = _select_sfi(chip, cmd.p1 & 0x1F)
        if fid is None:
            return Response(b"", SW.FILE_NOT_FOUND)
        offset = cmd.p2
    else:
        if chip.selected is None:
            return Response(b"", SW.COMMAND_NOT_ALLOWED_NO_EF)
        fid = chip.selected
        offset = ((cmd.p1 & 0x7F) << 8) | cmd.p2
    data, sw = _read(chip, fid, offset, _max_le(chip, cmd))
    return Response(data, sw)


def read_binary_odd(chip: ChipState, cmd: Command) -> Response:
    """READ BINARY with INS B1: offset in DO'54', data returned in DO'53' (ISO 7816-4 §11.3.3)."""
    raw = bytes(cmd.data)
    if len(raw) < 3 or raw[0] != 0x54 or raw[1] != len(raw) - 2 or raw[1] > 4:
        return Response(b"", SW.WRONG_DATA)
    offset = int.from_bytes(raw[2:], "big")
    fid_field = (cmd.p1 << 8) | cmd.p2
    if fid_field == 0:
        if chip.selected is None:
            return Response(b"", SW.COMMAND_NOT_ALLOWED_NO_EF)
        fid = chip.selected
    elif (fid_field & 0xFFE0) == 0x0000:
        found = _select_sfi(chip, fid_field & 0x1F)
        if found is None:
            return Response(b"", SW.FILE_NOT_FOUND)
        fid = found
    else:
        fid = fid_field
        if _lookup(chip, fid) is None:
            return Response(b"", SW.FILE_NOT_FOUND)
        chip.selected = fid
    le = _max_le(chip, cmd)
    # DO'53' header costs 2-4 bytes of the answer.
    head = 4 if le > 0xFF + 3 else (3 if le > 0x7F + 2 else 2)
    data, sw = _read(chip, fid, offset, max(le - head, 0))
    if sw not in (SW.OK, SW.END_OF_FILE):
        return Response(b"", sw)
    n = len(data)
    if n < 0x80:
        hdr = bytes([0x53, n])
    elif n < 0x100:
        hdr = bytes([0x53, 0x81, n])
    else:
        hdr = bytes([0x53, 0x82]) + n.to_bytes(2, "big")
    return Response(hdr + data, sw)


def get_challenge(chip: ChipState, cmd: Command) -> Response:
    """GET CHALLENGE (ISO 7816-4 §11.5.6): 8 random bytes, kept for BAC's EXTERNAL AUTHENTICATE."""
    if cmd.le != 8:
        return Response(b"", SW.WRONG_LENGTH)
    chip.challenge = secrets.token_bytes(8)
    return Response(chip.challenge, SW.OK)


def register(router: Router) -> None:
    router.add(0xA4, select)
    router.add(0xB0, read_binary)
    router.add(0xB1, read_binary_odd)
    router.add(0x84, get_challenge)
