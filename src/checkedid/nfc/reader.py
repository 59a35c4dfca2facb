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

Resilience: when the card leaves the field (tearing), a secure-messaging error
occurs, or the chip answers an unexpected status word mid-read, the reader waits
for the card, runs PACE/BAC again (and CA again if it had run) and continues at
the offset already read. Completed files are not read again. Recoveries are
bounded (``retries``) and everything ends at the deadline with
:class:`~checkedid.errors.ChipTimeout`.

A session is bound to one reader and one chip: after the card left, only the
reader the session started on (by exact name) is used again, and the re-opened
chip must prove it is the same document — the access key opens it and its EF.SOD
(which holds every data group's hash) is identical to the one read before.
Otherwise the read ends with :class:`~checkedid.errors.DocumentChangedError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from checkedid.errors import (
    AccessDenied,
    CardRemovedError,
    ChipTimeout,
    DocumentChangedError,
    FileNotFound,
    InputError,
    LDSError,
    NoCardError,
    ProtocolError,
    SecureMessagingError,
    StatusWordError,
    TransportError,
)
from checkedid.nfc.access.negotiate import AccessResult, open_session
from checkedid.nfc.application import EMRTD, Application
from checkedid.nfc.auth.chip import chip_authentication
from checkedid.nfc.chipdata import ChipData, LDSObjects, parse_files
from checkedid.nfc.files import (
    ATR_INFO,
    CARD_ACCESS,
    COM,
    EF,
    SOD,
    ChunkPolicy,
    FileReader,
    PartialFile,
    Progress,
    parse_atr_info,
)
from checkedid.nfc.iso7816.apdu import INS, SW, Command
from checkedid.nfc.iso7816.transport import Transport
from checkedid.nfc.lds.efs import CARD_SECURITY
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.secret import Secret, SecretRegistry
from checkedid.verdict import Check, CheckGroup, Verdict

__all__ = ["ChipData", "ChipReader"]

log = logging.getLogger(__name__)

T = TypeVar("T")

EAC_DGS = (3, 4)
DEFAULT_TIMEOUT = 60.0
# Unexpected status words and SM failures: a fresh session usually cures them.
_SELECT_MF = Command(0x00, INS.SELECT, 0x00, 0x0C, b"\x3f\x00").to_bytes()
_CARD_POLL = 0.1
_RECOVERABLE = (CardRemovedError, NoCardError, SecureMessagingError, TransportError)


class _Counting:
    """Transport wrapper that counts raw APDUs (below secure messaging)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.count = 0

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    @property
    def supports_extended(self) -> Any:
        return getattr(self.inner, "supports_extended", None)

    def connect(self) -> None:
        self.inner.connect()

    def disconnect(self) -> None:
        self.inner.disconnect()

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        return self.inner.transmit(apdu)


def _not_supported(group: str, check: str, reason: str) -> CheckGroup:
    return CheckGroup.of(group, [Check(check, Verdict.NOT_SUPPORTED, reason)])


class ChipReader:
    """Reads an eMRTD over ``conn`` (a connected
    :class:`~checkedid.nfc.iso7816.transport.Transport`).

    ``progress(file, done, total)`` is called after every chunk. ``secrets`` receives
    the buffers holding data-group contents and the face image. ``deadline`` is a
    ``time.monotonic()`` value; without it the read may take ``timeout`` seconds.
    ``retries`` bounds the recoveries (card removed, SM broken); ``card_wait`` is
    how long to wait for the card to come back after it left. ``chunks`` overrides
    the chunk policy (the benchmark's fixed-size baseline).
    """

    def __init__(
        self,
        conn: Transport,
        *,
        progress: Progress | None = None,
        secrets: SecretRegistry | None = None,
        deadline: float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 3,
        card_wait: float = 20.0,
        chunks: ChunkPolicy | None = None,
        application: Application = EMRTD,
    ) -> None:
        self.transport = _Counting(conn)
        self.application = application
        self.progress = progress
        self.secrets = secrets if secrets is not None else SecretRegistry()
        self._deadline_arg = deadline
        self.timeout = timeout
        self.retries = retries
        self.card_wait = card_wait
        self.chunks = chunks
        self.deadline = 0.0
        self.recoveries = 0
        self.warnings: list[str] = []
        self.unread: dict[int, str] = {}  # DG number -> why the chip did not serve it
        self._sod_digest: bytes | None = None  # SHA-256 of EF.SOD once read (same chip?)
        self._reader_name: str | None = None  # the reader the session is bound to
        self.conn: ApduConnection | None = None
        self.files: FileReader | None = None
        self.access: AccessResult | None = None
        self._password: Secret | str | None = None
        self._card_access: bytes | None = None
        self._card_security_note = ""
        self._stale = False
        self._reconnect = False
        self._after_open: list[Callable[[], None]] = []
        #: called when the document left the reader mid-read (the kiosk's "keep it on")
        self.on_removed: Callable[[], None] | None = None
        self._chip_check: CheckGroup | None = None
        self.timings: dict[str, float] = {}

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

    # -- session ---------------------------------------------------------------------
    def _reset(self) -> None:
        """Forget a previous read's state (a reader object may read several times)."""
        self.timings = {}
        self.warnings = []
        self.recoveries = 0
        self.files = None
        self.access = None
        self._card_access = None
        self._card_security_note = ""
        self._chip_check = None
        self.unread = {}
        self._sod_digest = None
        self._reader_name = None
        self._after_open = []
        self._stale = self._reconnect = False
        self.transport.count = 0

    def _open(self) -> None:
        """(Re)connect if needed, read the MF files once, authenticate, select the app."""
        reconnect, had_session = self._reconnect, self.access is not None
        if reconnect:
            self._wait_for_card()
        elif self._reader_name is None:
            self._reader_name = getattr(self.transport.inner, "reader_name", None)
        if self.conn is not None:
            self.conn.clear_sm()  # wipe the keys of the broken session
        conn = ApduConnection(self.transport)
        self.conn = conn
        if self.files is None:
            policy = self.chunks or ChunkPolicy(extended=conn.supports_extended)
            self.files = FileReader(conn, policy, progress=self.progress,
                                    register=self.secrets.add, deadline=self.deadline)
            self.files.applications = self.application.aids
        files = self.files
        files.conn, files.secure = conn, False
        files.forget_selection()
        if self._card_access is None:
            self._card_access = self._read_mf_files(files)
        assert self._password is not None
        try:
            self.access = open_session(conn, self._password, self._card_access, files,
                                       warnings=self.warnings,
                                       licence=self.application.is_licence)
        except (StatusWordError, ProtocolError):  # AccessDenied included
            if reconnect and had_session:
                raise DocumentChangedError(
                    "the document placed back on the reader does not open with the access "
                    "key of this session: it is another document; start again") from None
            raise
        files.secure = True
        if reconnect and self._sod_digest is not None:
            self._same_document(files)
        for again in self._after_open:
            again()
        self._stale = self._reconnect = False

    def _read_mf_files(self, files: FileReader) -> bytes:
        """EF.CardAccess (PACE parameters) and EF.ATR/INFO (extended length limit)."""
        card_access = b""
        try:
            try:
                card_access = bytes(files.read(CARD_ACCESS).content())
            except SecureMessagingError:
                # the chip was still in an earlier session; the plain command ended it
                files.forget_selection()
                card_access = bytes(files.read(CARD_ACCESS).content())
        except FileNotFound:  # other refusals may be transient: the guard retries them
            log.info("no EF.CardAccess: PACE is not offered")
        except LDSError:
            self.warnings.append("EF.CardAccess is malformed: PACE not possible")
        if files.policy.extended and self.chunks is None:
            try:
                limit = parse_atr_info(files.read(ATR_INFO).content())
            except (StatusWordError, LDSError):
                limit = None
            if limit is not None:
                files.policy.max_response = limit
        files.forget_selection()
        return card_access

    def _same_document(self, files: FileReader) -> None:
        """After a reconnect: EF.SOD (every DG's hash) must equal the one read before.

        The check is not file reading: it reports no progress (EF.SOD was done already)."""
        progress, files.progress = files.progress, None
        try:
            fresh = files.read(SOD, PartialFile(SOD)).content()
        finally:
            files.progress = progress
        assert self._sod_digest is not None
        if not hmac.compare_digest(hashlib.sha256(fresh).digest(), self._sod_digest):
            raise DocumentChangedError(
                "the chip on the reader after the interruption holds another EF.SOD: it is "
                "not the document this session started with; start again")
        log.info("reconnected to the same document (EF.SOD unchanged)")

    def _wait_for_card(self) -> None:
        """After the card left: reconnect once it answers again, up to ``card_wait`` and
        the deadline. PC/SC may still report the departed card for a moment, so a
        connection counts only when the card answers a SELECT MF (any status word)."""
        inner = self.transport.inner
        if self._reader_name is not None and hasattr(inner, "bound_reader"):
            inner.bound_reader = self._reader_name  # never continue on another reader
        until = min(self.deadline, time.monotonic() + self.card_wait)
        while True:
            with contextlib.suppress(TransportError):
                inner.disconnect()
            left = until - time.monotonic()
            if left <= 0:
                raise ChipTimeout("the document did not come back to the reader in time; "
                                  "place it on the reader and keep it still")
            try:
                wait = getattr(inner, "wait_for_card", None)
                if callable(wait):
                    wait(min(left, 2.0))
                else:
                    inner.connect()
                if len(self.transport.transmit(_SELECT_MF)) >= 2:
                    return
            except TransportError:
                pass
            time.sleep(min(_CARD_POLL, max(until - time.monotonic(), 0.0)))

    def _guard(self, op: Callable[[], T]) -> T:
        """Run ``op``; on a recoverable failure re-open the session and run it again."""
        while True:
            try:
                if self._stale:
                    self._open()
                return op()
            except (*_RECOVERABLE, StatusWordError) as exc:
                if isinstance(exc, StatusWordError) and not _transient(exc):
                    raise
                if self._fallback(exc):
                    continue  # a refused optional feature: re-open without it (not a fault)
                if self.recoveries >= self.retries or time.monotonic() > self.deadline:
                    raise
                self.recoveries += 1
                self._stale = True
                policy = self.files.policy if self.files is not None else None
                if (type(exc) is TransportError and policy is not None and policy.extended
                        and self.chunks is None):
                    # the reader may not carry extended APDUs although the card announces them
                    policy.use_short()
                self._reconnect = self._reconnect or isinstance(
                    exc, (CardRemovedError, NoCardError, TransportError))
                if isinstance(exc, (CardRemovedError, NoCardError)):
                    self.warnings.append("the document left the reader during the read; "
                                         "reading resumed where it stopped once it was back")
                    if self.on_removed is not None:
                        self.on_removed()
                log.info("recovering after %s (%d of %d)", type(exc).__name__,
                         self.recoveries, self.retries)

    def _fallback(self, exc: Exception) -> bool:
        """True when ``exc`` ended a session because the chip refused an optional feature
        (short EF identifiers, extended length): the file layer already switched to the
        fallback, the session is opened again once and this does not count as a recovery."""
        files = self.files
        if files is None or not files.fallback_reopen or not isinstance(
                exc, (SecureMessagingError, StatusWordError)):
            return False
        files.fallback_reopen = False
        if time.monotonic() > self.deadline:
            return False
        log.info("re-opening the session without the refused feature (%s)", type(exc).__name__)
        self._stale = True
        return True

    # -- files -----------------------------------------------------------------------
    def _read_file(self, ef: EF) -> bytearray:
        part = PartialFile(ef)  # survives a recovery: reading resumes at part.done

        def op() -> bytearray:
            assert self.files is not None
            return self.files.read(ef, part).content()

        return self._guard(op)

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
    def _in_time(self, step: str) -> None:
        """The deadline before a protocol step (file commands check it themselves): a slow
        chip — public-key operations of a second and more, with the reader sending waiting
        time extensions meanwhile — ends with :class:`ChipTimeout`, not past the deadline."""
        if time.monotonic() > self.deadline:
            raise ChipTimeout(f"{step}: the time allowed for reading the chip has passed; "
                              "keep the document still on the reader and try again")

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


def _transient(exc: StatusWordError) -> bool:
    """Status words that a fresh session may cure (not refusals, not missing files)."""
    return not isinstance(exc, (AccessDenied, FileNotFound)) and \
        exc.sw not in (SW.WRONG_P1P2, SW.INS_NOT_SUPPORTED)


