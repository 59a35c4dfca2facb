"""ChipReader: open an eMRTD and read its LDS (ICAO Doc 9303-10 §3, Doc 9303-11 §4-§7).

The order of operations follows Doc 9303-11 §4.2 (inspection procedure):

1. read EF.CardAccess (SFI 1C) and EF.ATR/INFO (SFI 01) from the master file, in plain;
2. PACE when EF.CardAccess offers it, BAC only when it does not (Doc 9303-11 §4.2);
   the session keys go under every later command (secure messaging, §9.8);
3. SELECT the eMRTD application, read EF.COM, EF.SOD, then DG14 and run Chip
   Authentication right away (the SM restarts with the CA keys, §6.2) — or verify
   PACE-CAM with DG14's key — then the other data groups listed in EF.COM;
4. after a session opened without PACE: EF.CardSecurity from the master file, best effort
   (BSI TR-03110-3 §A.1.2.2; a chip that offers PACE may list its PACEInfo only there, which
   :func:`checkedid.nfc.genuine.check_card_security` turns into the downgrade check);
5. Active Authentication with DG15 (§6.1).

DG3 and DG4 need Extended Access Control (terminal authentication with a
certificate the relying party does not have here): they are not read, and a
warning says so.

Opening the session, recovery after the card left or secure messaging broke, and the
same-document check after a reconnect are :class:`~checkedid.nfc.readsession.ReadSession`'s,
which :class:`ChipReader` extends.
"""

from __future__ import annotations

import hashlib
import logging
import time

from checkedid.errors import (
    AccessDenied,
    FileNotFound,
    InputError,
    LDSError,
    SecureMessagingError,
    StatusWordError,
)
from checkedid.nfc.auth.chip import chip_authentication
from checkedid.nfc.chipdata import ChipData, LDSObjects, parse_files
from checkedid.nfc.files import COM, SOD, PartialFile
from checkedid.nfc.lds.efs import CARD_SECURITY
from checkedid.nfc.readsession import ReadSession
from checkedid.secret import Secret
from checkedid.verdict import Check, CheckGroup, Verdict

__all__ = ["ChipData", "ChipReader"]

log = logging.getLogger(__name__)

EAC_DGS = (3, 4)


def _not_supported(group: str, check: str, reason: str) -> CheckGroup:
    return CheckGroup.of(group, [Check(check, Verdict.NOT_SUPPORTED, reason)])


class ChipReader(ReadSession):
    """Reads an eMRTD over ``conn`` (a connected
    :class:`~checkedid.nfc.iso7816.transport.Transport`); the keyword arguments are
    :class:`~checkedid.nfc.readsession.ReadSession`'s (progress, secrets, deadline,
    timeout, retries, card wait, chunk policy, application).
    """

    def _reset(self) -> None:
        """The session's reset, and what the last read found (unread DGs, CA, EF.CardSecurity)."""
        super()._reset()
        self.unread: dict[int, str] = {}  # DG number -> why the chip did not serve it
        self._card_security_note = ""
        self._chip_check: CheckGroup | None = None

    # -- public --------------------------------------------------------------------
    def read(self, access: Secret | str) -> ChipData:
        """Open the chip with the MRZ access key (a :class:`Secret` holding the MRZ
        information) or a 6-digit CAN, read every accessible file, run CA and AA."""
        if isinstance(access, str):
            self.application.check_can(access)
        elif not isinstance(access, Secret):
            raise InputError("access must be the MRZ access key (a Secret) or a 6-digit CAN")
        start = time.monotonic()
        self.deadline = self._deadline_arg if self._deadline_arg is not None \
            else start + self.timeout
        self._password = access
        self._reset()
        try:
            self._guard(self._open)
            self.timings["access"] = time.monotonic() - start
            raw, order = self._read_lds()
            card_security = self._read_card_security()
            t = time.monotonic()
            if self.application.is_licence:
                from checkedid.nfc import edl

                objs = edl.parse_files(raw, self.secrets, self.warnings)
            else:
                objs = parse_files(raw, self.secrets, self.warnings)
            self.timings["parse"] = time.monotonic() - t
            active = self._active_auth(objs)
        finally:
            self._password = None
            if getattr(self.transport.inner, "bound_reader", None) is not None:
                self.transport.inner.bound_reader = None  # type: ignore[attr-defined]
            if self.conn is not None:
                self.conn.clear_sm()  # the session keys are not needed any more: zero them
        self.timings["total"] = time.monotonic() - start
        assert self.access is not None and self.files is not None
        details = dict(self.access.details)
        details.update(self.files.policy.describe(True))
        details["short_ef_identifiers"] = self.files.sfi
        if self.files.notes:
            details["fallbacks"] = list(dict.fromkeys(self.files.notes))
        if self._card_security_note:
            details["card_security"] = self._card_security_note
        chip = self._chip_check or _not_supported(
            "chip", "chip_authentication",
            "the document has no DG14: Chip Authentication is not offered")
        return ChipData(
            protocol=self.access.protocol, access_details=details,
            warnings=list(dict.fromkeys(self.warnings)), sod_bytes=bytes(raw[SOD.name]),
            application=self.application.name, card_access=self._card_access or b"",
            card_security=card_security, dg_bytes={n: bytes(raw[f"DG{n}"]) for n in order},
            com=objs.com, dg1=objs.dg1, dg2=objs.dg2, portrait=objs.portrait,
            dg11=objs.dg11, dg12=objs.dg12, dg14=objs.dg14, dg15=objs.dg15,
            active=active, chip=chip, timings=self.timings, apdu_count=self.transport.count,
            file_sizes={name: len(buf) for name, buf in raw.items()},
            recoveries=self.recoveries, unread=dict(self.unread))

    # -- files -----------------------------------------------------------------------
    def _read_lds(self) -> tuple[dict[str, bytearray], list[int]]:
        """EF.COM, EF.SOD, DG14 (then CA), the other DGs of EF.COM and EF.SOD.

        EF.COM is not signed, so the DGs EF.SOD covers are read too: a DG15 or DG14
        struck from EF.COM must not turn AA or CA into "not supported".
        """
        t = time.monotonic()
        app = self.application
        raw: dict[str, bytearray] = {COM.name: self._read_file(app.com)}
        from checkedid.nfc.lds.com import EFCom

        com = EFCom.from_bytes(bytes(raw[COM.name]))
        raw[SOD.name] = self._read_file(app.sod)
        self._sod_digest = hashlib.sha256(raw[SOD.name]).digest()
        listed = set(app.data_groups(com.tags))
        for n in sorted(_sod_dgs(bytes(raw[SOD.name])) - listed):
            self.warnings.append(f"EF.SOD covers DG{n}, which EF.COM does not list: read too")
            listed.add(n)
        for n in sorted(listed & set(app.eac_dgs)):
            self.warnings.append(f"DG{n} needs Extended Access Control: not read")
        order = sorted(listed - set(app.eac_dgs))
        if 14 in order:  # DG14 first: CA (or PACE-CAM) before personal data is read
            order.remove(14)
            order.insert(0, 14)
        ca_time = 0.0
        read: list[int] = []
        for n in order:
            try:
                raw[f"DG{n}"] = self._read_file(app.ef(n))
            except (FileNotFound, AccessDenied) as exc:
                if n == 1:
                    raise
                what = "is not on the chip" if isinstance(exc, FileNotFound) else \
                    "was refused by the chip"
                self.warnings.append(f"DG{n} {what}: not read")
                self.unread[n] = f"answered {exc.sw:04X} for it"
                self._stale = True  # some chips end secure messaging after a refusal
                continue
            read.append(n)
            if n == 14:
                c = time.monotonic()
                self._chip_auth(bytes(raw["DG14"]))
                ca_time = time.monotonic() - c
        self.timings["ca"] = ca_time
        self.timings["files"] = time.monotonic() - t - ca_time
        return raw, read

    def _read_card_security(self) -> bytes:
        """EF.CardSecurity (MF, FID 011D / SFI 1D; BSI TR-03110-3 §A.1.2.2), best effort.

        Read only when the session was opened without PACE: then a PACEInfo it lists shows a
        downgrade (:func:`checkedid.nfc.genuine.check_card_security`); after PACE it adds
        nothing to that check. Many BAC chips have no such file or refuse it: a refusal is
        recorded in the access details, never fatal. The application is selected again
        afterwards (Active Authentication follows)."""
        assert self.access is not None
        if self.access.protocol.startswith("PACE") or self.application.is_licence:
            return b""
        part = PartialFile(CARD_SECURITY)  # survives a recovery like every file

        def op() -> bytes:
            assert self.files is not None and self.conn is not None
            files, content = self.files, b""
            try:
                files.select_master_file()
                content = bytes(files.read(CARD_SECURITY, part).content())
                self._card_security_note = f"read ({len(content)} bytes)"
            except StatusWordError as exc:  # absent or refused: the session is intact
                self._card_security_note = f"not read: the chip answered {exc.sw:04X}"
            except LDSError as exc:
                self._card_security_note = f"not read: {exc}"
            except SecureMessagingError:
                sw = self.conn.last_raw_sw
                if not (self.conn.last_unprotected and sw >> 8 in (0x69, 0x6A, 0x6D, 0x6E)):
                    raise  # a broken session: the guard re-opens it and reads on
                # a refusal without secure messaging ended the session (Doc 9303-11 §9.8.6)
                self._card_security_note = (f"not read: the chip answered {sw:04X} without "
                                            "secure messaging")
                self._stale = True
                return b""
            try:
                files.select_application()
            except StatusWordError:
                self._stale = True  # the next step opens the session (and selects) again
            return content

        return self._guard(op)

    # -- authenticity ----------------------------------------------------------------
    def _chip_auth(self, dg14_raw: bytes) -> None:
        """CA right after DG14 (Doc 9303-11 §6.2), or PACE-CAM verification (§4.4.3.5)."""

        ca_failures = [0]

        def run() -> CheckGroup:
            assert self.conn is not None and self.files is not None
            assert self.access is not None
            self._in_time("Chip Authentication")
            check = chip_authentication(self.conn, self.files, self.access, dg14_raw)
            if check.verdict is Verdict.FAILED:
                self._stale = True  # a chip that failed CA may have dropped the SM session
                if check.details.get("protocol") == "CA":
                    ca_failures[0] += 1
                    # a genuine chip may have met a transmission error (6988, a bad MAC):
                    # one more try in a new session; a chip without the DG14 key fails again
                    if ca_failures[0] == 1 and self.recoveries < self.retries:
                        raise SecureMessagingError("Chip Authentication: no answer under the "
                                                   "new keys; trying once more")
            return check

        self._chip_check = self._guard(run)

        def again() -> None:
            if self._chip_check is not None and self._chip_check.passed:
                check = run()
                if not check.passed:
                    self._chip_check = CheckGroup.of("chip", [Check(
                        "chip_authentication", Verdict.FAILED,
                        "the chip presented after the interruption failed Chip Authentication")])

        self._after_open.append(again)

    def _active_auth(self, objs: LDSObjects) -> CheckGroup:
        """Active Authentication with DG15's key (Doc 9303-11 §6.1)."""
        if objs.dg15 is None:
            return _not_supported("active", "active_authentication",
                                  f"the document has no DG{self.application.aa_dg}: "
                                  "Active Authentication is not offered")
        from checkedid.nfc.auth import aa

        t = time.monotonic()

        def op() -> CheckGroup:
            assert self.conn is not None
            self._in_time("Active Authentication")
            result: CheckGroup = aa.active_authenticate(self.conn, objs.dg15, objs.dg14)
            return result

        try:
            return self._guard(op)
        finally:
            self.timings["aa"] = time.monotonic() - t


def _sod_dgs(sod: bytes) -> set[int]:
    """DG numbers whose hashes EF.SOD holds (empty if they cannot be parsed here;
    Passive Authentication reports that). Only the path to the hashes is parsed."""
    from checkedid.errors import ParseError
    from checkedid.nfc.lds.sod import hashed_dgs

    try:
        return {n for n in hashed_dgs(sod) if 1 <= n <= 16}
    except ParseError:  # LDSError included
        return set()
