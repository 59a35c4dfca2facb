"""Driving licence personas of the virtual chip (ISO/IEC 18013-2/-3, EU Directive 2006/126/EC).

Two Dutch-style licences of the specimen holder "ERIKSSON, ANNA MARIA":

``nl-driving-licence-bap``   first generation: BAP only (BAC with the licence MRZ's key
                             seed), Active Authentication (RSA, DG13)
``nl-driving-licence-pace``  PACE with the MRZ or the CAN (= licence number), Active
                             Authentication (DG13) and Chip Authentication (DG14)

The licence application (EU AID ``A0 00 00 04 56 45 44 4C 2D 30 31``) holds EF.COM
(``001E``), EF.SOD (``001D``) and DG1 (holder, categories), DG6 (portrait, the DG2
biometric template), DG13 (AA key) and DG14 (CA) at FIDs ``00nn``; EF.SOD is signed by
the test PKI's ``ds-edl`` under the "eDL CSCA" ``csca-edl``.

BAP reuses the chip's BAC responder unchanged: the persona's ``mrz_information`` is the
28 MRZ characters 2-29, whose SHA-1 is exactly BAP's key seed. PACE with the MRZ uses
those 28 characters as the password itself (``extras["pace_mrz_key"]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hw.vchip import lds_build
from hw.vchip.iso7816 import tlv as encode
from hw.vchip.personas import PaceConfig, PersonaSpec

__all__ = ["EDL_AID", "LICENCE_TAGS", "LicenceSpec", "build_files", "licence_mrz", "specs"]

EDL_AID = bytes.fromhex("A00000045645444C2D3031")
#: Licence DG number -> template tag (ISO/IEC 18013-2 Annex C).
LICENCE_TAGS = {1: 0x61, 5: 0x67, 6: 0x75, 11: 0x6D, 12: 0x71, 13: 0x6F, 14: 0x6E}

STATE = "NLD"
SURNAME = "ERIKSSON"
GIVEN = "ANNA MARIA"
BIRTH = "12081974"  # ddmmyyyy
BIRTH_PLACE = "Zenith"
ISSUE = "15042021"
EXPIRY = "15042031"
CATEGORIES = ("AM;15042021;15042031;;;", "B;;15042031;;;", "BE;15042021;15042031;96;;")


def _check_digit(text: str) -> str:
    total = 0
    for i, ch in enumerate(text):
        v = int(ch) if ch.isdigit() else (ord(ch) - 55 if "A" <= ch <= "Z" else 0)
        total += v * (7, 3, 1)[i % 3]
    return str(total % 10)


def licence_mrz(number: str, random: str, *, state: str = STATE, version: str = "1") -> str:
    """The one-line licence MRZ: D, BAP configuration 1, state, version, number, random, cd."""
    body = "D1" + state + version + number.ljust(10, "<") + random.ljust(13, "<")
    return body + _check_digit(body)


@dataclass(frozen=True)
class LicenceSpec(PersonaSpec):
    """A licence persona: ``document_number`` is the licence number (also the CAN)."""

    random: str = "ABCDEFGHIJKLM"

    @property
    def mrz(self) -> str:
        return licence_mrz(self.document_number, self.random)

    @property
    def mrz_information(self) -> str:
        """Characters 2-29 of the MRZ: SHA-1 of these is BAP's key seed."""
        return self.mrz[1:29]

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["mrz"] = self.mrz
        return out


def specs() -> list[LicenceSpec]:
    """The licence personas (see the module docstring)."""
    return [
        LicenceSpec("nl-driving-licence-bap",
                    "EU driving licence (first generation), BAP only (3DES), RSA AA in DG13",
                    "DL1", "4820011234", "", None, photo="obama_1.jpg", photo_format="jpeg",
                    aa="rsa", ca=None, data_groups=(1, 6, 13), signer="ds-edl",
                    random="QWERTYUIOPASD"),
        LicenceSpec("nl-driving-licence-pace",
                    "EU driving licence, PACE ECDH-GM brainpoolP256r1 AES-128 (MRZ or CAN = "
                    "licence number), AA in DG13, CA in DG14",
                    "DL1", "4820015678", "4820015678", PaceConfig("ECDH-GM", "AES-128", 13),
                    bac=False, photo="obama_2.jpg", photo_format="jpeg", aa="rsa", ca="ec",
                    data_groups=(1, 6, 13, 14), signer="ds-edl", random="ZXCVBNMLKJHGF"),
    ]


def _bcd(ddmmyyyy: str) -> bytes:
    return bytes.fromhex(ddmmyyyy)


def dg1(s: LicenceSpec) -> bytes:
    """Licence DG1 (ISO/IEC 18013-2 Annex C.2): demographic data and categories."""
    demo = (encode(0x5F03, STATE.encode("ascii")) + encode(0x5F04, SURNAME.encode("latin-1"))
            + encode(0x5F05, "Anna Maria Zoë".encode("latin-1"))
            + encode(0x5F06, _bcd(BIRTH)) + encode(0x5F07, BIRTH_PLACE.encode("latin-1"))
            + encode(0x5F0A, _bcd(ISSUE)) + encode(0x5F0B, _bcd(EXPIRY))
            + encode(0x5F0C, b"RDW") + encode(0x5F0E, s.document_number.encode("ascii")))
    cats = encode(0x02, bytes([len(CATEGORIES)])) + b"".join(
        encode(0x87, c.encode("latin-1")) for c in CATEGORIES)
    return encode(0x61, encode(0x5F01, b"e1*2006/126*0001") + encode(0x5F02, demo)
                  + encode(0x7F63, cats))


def com(dgs: list[int]) -> bytes:
    """EF.COM with the licence's tags."""
    return encode(0x60, encode(0x5F01, b"0100") + encode(0x5F36, b"040000")
                  + encode(0x5C, bytes(LICENCE_TAGS[n] for n in dgs)))


Files = tuple[dict[int, bytes], dict[int, bytes], Any, Any, dict[str, Any]]


def build_files(s: LicenceSpec) -> Files:
    """Files (FIDs ``00nn``), MF files, AA and CA keys and extras of a licence persona."""
    from hw.vchip import personas

    photo = personas.encode_photo(s.photo, s.photo_format)
    aa_key, ca_key = personas._keys(s)
    w, h = personas.PHOTO_SIZE
    dgs: dict[int, bytes] = {
        1: dg1(s),
        6: lds_build.dg2([lds_build.face_record(photo, s.photo_format, w, h)]),
    }
    if aa_key is not None:
        dgs[13] = lds_build.dg15(aa_key.public_key())
    if ca_key is not None:
        pace = [(s.pace.oid, s.pace.parameter_id)] if s.pace is not None else []
        dgs[14] = lds_build.dg14(ca_key=ca_key, ca_cipher="AES-128", pace=pace)
    files = {n: body for n, body in dgs.items()}
    files[0x001E] = com(sorted(dgs))
    files[0x001D] = lds_build.sod(dgs, signer=s.signer, hash_alg=s.hash_alg)
    mf: dict[int, bytes] = {}
    if s.pace is not None:
        mf[0x011C] = personas.card_access(s.pace)
    info = personas.atr_info(s)
    if info:
        mf[0x2F01] = info
    extras: dict[str, Any] = {"photo_format": s.photo_format, "photo_size": personas.PHOTO_SIZE,
                              "signer": s.signer, "hash_alg": s.hash_alg, "aids": (EDL_AID,),
                              "pace_mrz_key": s.mrz_information.encode("ascii")}
    return files, mf, aa_key, ca_key, extras
