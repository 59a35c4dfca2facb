"""Chip authenticity right after access: Chip Authentication with DG14, or the PACE-CAM proof.

ICAO Doc 9303-11 §6.2 (CA) and §4.4.3.5.2 (PACE-CAM): the chip proves it holds the private
key whose public key DG14 carries. :func:`chip_authentication` runs whichever applies to the
access that was opened (:class:`checkedid.nfc.access.AccessResult`) and confirms CA by the
next command under the new keys; its verdict is bound to EF.SOD later
(:func:`checkedid.nfc.auth.ca.apply_trust`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from checkedid.errors import LDSError, ParseError, SecureMessagingError, StatusWordError
from checkedid.verdict import Check, CheckGroup, Verdict

if TYPE_CHECKING:
    from checkedid.nfc.access.negotiate import AccessResult
    from checkedid.nfc.files import FileReader
    from checkedid.nfc.sm.connection import ApduConnection

__all__ = ["UNCONFIRMED", "chip_authentication"]

log = logging.getLogger(__name__)

UNCONFIRMED = ("the chip did not answer under the keys agreed with the DG14 key "
               "(possible clone or substituted chip)")


def _group(verdict: Verdict, reason: str) -> CheckGroup:
    return CheckGroup.of("chip", [Check("chip_authentication", verdict, reason)])


def chip_authentication(conn: ApduConnection, files: FileReader, access: AccessResult,
                        dg14_raw: bytes) -> CheckGroup:
    """CA with DG14 (Doc 9303-11 §6.2) or PACE-CAM verification (§4.4.3.5.2).

    A malformed DG14 is a FAILED check, not an exception: the chip's authenticity
    cannot be shown.
    """
    from checkedid.nfc.lds.dg14 import DG14

    try:
        dg14 = DG14.from_bytes(dg14_raw)
    except (LDSError, ParseError) as exc:
        return _group(Verdict.FAILED, f"DG14 cannot be parsed ({type(exc).__name__})")
    pace_result = access.pace
    if pace_result is not None and getattr(pace_result, "cam", None) is not None:
        from checkedid.nfc.access import pace

        if not dg14.ca_public_keys:
            return _group(Verdict.FAILED, "PACE-CAM ran but DG14 holds no chip public key")
        candidates = dg14.cam_keys(getattr(pace_result, "parameter_id", None))
        if not candidates:
            return _group(Verdict.FAILED, "PACE-CAM ran but DG14's chip key is not an EC key")
        check: CheckGroup = pace.verify_cam(pace_result, candidates[0])
        for other in candidates[1:]:  # several keys (TR-03110-3 §A.1.1.2): keyId match first
            if check.verdict is Verdict.PASSED:
                break
            check = pace.verify_cam(pace_result, other)
        return check
    if not dg14.ca_infos and not dg14.ca_public_keys:
        return _group(Verdict.NOT_SUPPORTED, "DG14 offers no Chip Authentication")
    from checkedid.nfc.auth import ca

    result = ca.chip_authenticate(conn, dg14)
    if result.session is None:
        refused: CheckGroup = result.check
        return refused
    if conn.session is not result.session:
        conn.install_sm(result.session)
    # The chip is proven only when it answers under the new keys (Doc 9303-11 §6.2.1):
    # re-select the application with them; a MAC or SM failure means it does not hold
    # the DG14 key. Removal of the card propagates (the reader runs CA again).
    try:
        files.select_application()
    except (SecureMessagingError, StatusWordError) as exc:
        log.info("no answer under the Chip Authentication keys (%s)", type(exc).__name__)
        failed: CheckGroup = ca.confirm(result.check, False, UNCONFIRMED)
        return failed
    confirmed: CheckGroup = ca.confirm(result.check, True)
    return confirmed
