"""Access control for reading: PACE or BAC, then Chip Authentication (ICAO Doc 9303-11).

:func:`open_session` decides the protocol the way Doc 9303-11 §4.2 asks: PACE
(§4.4) when EF.CardAccess offers it, BAC (§4.3) only when the chip offers no PACE.
The resulting secure-messaging session is installed on the connection and the eMRTD
application is selected (after PACE, under secure messaging; before BAC, in plain,
as §4.3 requires BAC inside the application).

:func:`chip_authentication` runs right after DG14 was read: Chip Authentication
(§6.2) restarts secure messaging with the new keys; the chip counts as authenticated once it
answered a command under the new keys (a SELECT of the application). After PACE-CAM
(§4.4.3.5) the chip was already authenticated during PACE and only the CAM data is
verified against DG14's public key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checkedid.errors import (
    AccessDenied,
    InputError,
    ParseError,
    StatusWordError,
    TLVError,
)
from checkedid.nfc.crypto.suites import Cipher
from checkedid.secret import Secret

if TYPE_CHECKING:
    from checkedid.nfc.files import FileReader
    from checkedid.nfc.sm.connection import ApduConnection

__all__ = ["AccessResult", "curve_name", "open_session"]

log = logging.getLogger(__name__)

WEAK_BAC = ("BAC with 3DES is a weak protocol (keys derived from the MRZ); "
            "the chip offers no PACE")
WEAK_BAP = ("BAP with 3DES is a weak protocol (keys derived from the licence MRZ); "
            "the chip offers no PACE")


@dataclass(frozen=True)
class AccessResult:
    """Which protocol opened the chip, with JSON-able details (no personal data)."""

    protocol: str
    details: dict[str, Any] = field(default_factory=dict)
    pace: Any = None  # checkedid.nfc.access.pace.PACEResult after PACE


def curve_name(parameter_id: int | None) -> str | None:
    """Name of standardized domain parameters (BSI TR-03110-3 Table 4), if known."""
    if parameter_id is None:
        return None
    from checkedid.nfc.crypto.domainparams import domain_parameters

    try:
        return str(domain_parameters(parameter_id).name)
    except InputError:
        return None


def _pace_infos(card_access: bytes) -> tuple[Any, list[str]]:
    if not card_access:
        return None, []
    from checkedid.nfc.lds.securityinfos import parse_security_infos

    try:
        infos = parse_security_infos(card_access)
    except (ParseError, TLVError) as exc:
        return None, [f"EF.CardAccess is malformed ({type(exc).__name__}): PACE not possible"]
    return (infos if infos.pace else None), []


def open_session(conn: ApduConnection, password: Secret | str, card_access: bytes,
                 files: FileReader, *, warnings: list[str], licence: bool = False
                 ) -> AccessResult:
    """Authenticate with PACE or BAC, install secure messaging, select the application.

    ``licence``: a driving licence (ISO/IEC 18013-3:2017 Annexes B and C): BAP instead of
    BAC (the same protocol with the licence MRZ's key seed) and the licence's PACE passwords.
    """
    infos, notes = _pace_infos(card_access)
    warnings.extend(notes)
    if infos is not None:
        from checkedid.nfc.access import pace

        try:
            pace.choose(infos)
        except InputError:  # only proprietary / unsupported PACE variants: as if none
            warnings.append("the chip offers no PACE variant checkedid supports")
            infos = None
    if infos is not None:
        return _pace(conn, password, infos, files, warnings, licence)
    if isinstance(password, str) and licence:
        raise InputError("this licence offers only BAP, which needs the MRZ on its back: the "
                         "licence number cannot open it; photograph the back instead")
    if isinstance(password, str):
        raise InputError("this document offers only BAC, which needs the MRZ: the CAN "
                         "cannot open it; photograph the MRZ or enter its data instead")
    from checkedid.nfc.access import bac

    files.select_application()
    result = bac.authenticate(conn, password)
    if conn.session is not result.session:
        conn.install_sm(result.session)
    name = "BAP" if licence else "BAC"
    warnings.append(WEAK_BAP if licence else WEAK_BAC)
    return AccessResult(name, {"protocol": name, "cipher": Cipher.TDES})


def _pace(conn: ApduConnection, password: Secret | str, infos: Any, files: FileReader,
          warnings: list[str], licence: bool = False) -> AccessResult:
    from checkedid.nfc.access import pace

    if licence:
        pw = pace.licence_password(password)
    else:
        pw = pace.PacePassword.can(password) if isinstance(password, str) else \
            pace.PacePassword.mrz(password)
    try:
        result = _pace_variants(conn, pw, infos, warnings)
    finally:
        pw.wipe()
    if conn.session is not result.session:
        conn.install_sm(result.session)
    files.select_application()
    curve = curve_name(result.parameter_id)
    mapping, cipher = str(result.mapping), str(result.cipher)
    if cipher == Cipher.TDES:
        warnings.append("PACE with 3DES secure messaging is a weak cipher suite")
    if result.parameter_id == 0:  # TR-03110-3 Table 4: 1024-bit MODP group
        warnings.append("PACE over the 1024-bit MODP group is weak (< 2048-bit DH)")
    protocol = " ".join(p for p in ("PACE", mapping, curve, cipher) if p)
    details = {"protocol": "PACE", "mapping": mapping, "cipher": cipher, "curve": curve,
               "parameter_id": result.parameter_id, "oid": result.oid,
               "password": "CAN" if isinstance(password, str) else "MRZ"}
    return AccessResult(protocol, details, result)


def _pace_variants(conn: ApduConnection, pw: Any, infos: Any, warnings: list[str]) -> Any:
    """PACE with the strongest offered variant; when the chip refuses its parameters
    (a status word other than a refusal of the password), the next one (Doc 9303-11 §4.4.1:
    the terminal chooses among the PACEInfos of EF.CardAccess). A wrong password, a bad
    token or malformed chip data ends PACE: never a fall-back to BAC."""
    from checkedid.nfc.access import pace

    variants = pace.ranked(infos)
    for i, info in enumerate(variants):
        try:
            return pace.authenticate(conn, pw, infos, prefer=info.oid)
        except AccessDenied:
            raise
        except StatusWordError as exc:
            if i + 1 == len(variants):
                raise
            nxt = variants[i + 1]
            log.info("PACE %s refused (SW %04X); trying %s", info.oid, exc.sw, nxt.oid)
            warnings.append(f"the chip refused PACE {info.mapping} {info.cipher} "
                            f"(SW {exc.sw:04X}) although EF.CardAccess offers it; "
                            f"PACE {nxt.mapping} {nxt.cipher} used")
    raise InputError("the chip offers no PACE variant checkedid supports")
