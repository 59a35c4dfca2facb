"""The session a chip read runs in (Doc 9303-11 §4.2, §9.8): opening it, keeping it open.

:class:`ReadSession` holds what :class:`~checkedid.nfc.reader.ChipReader` needs below the
reading of files: the transport (counting raw APDUs), EF.CardAccess and EF.ATR/INFO read in
plain from the master file, the access step (:func:`~checkedid.nfc.access.negotiate.open_session`:
PACE when EF.CardAccess offers it, BAC only when it does not) and the file layer over the
secure-messaging connection, the deadline, and recovery.

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
    LDSError,
    NoCardError,
    ProtocolError,
    SecureMessagingError,
    StatusWordError,
    TransportError,
)
from checkedid.nfc.access.negotiate import AccessResult, open_session
from checkedid.nfc.application import EMRTD, Application
from checkedid.nfc.files import (
    ATR_INFO,
    CARD_ACCESS,
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
from checkedid.nfc.sm.connection import ApduConnection
from checkedid.secret import Secret, SecretRegistry

__all__ = ["DEFAULT_TIMEOUT", "ReadSession"]

log = logging.getLogger(__name__)

T = TypeVar("T")

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


class ReadSession:
    """The session under a chip read over ``conn`` (a connected
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
        self.conn: ApduConnection | None = None
        self._password: Secret | str | None = None
        #: called when the document left the reader mid-read (the kiosk's "keep it on")
        self.on_removed: Callable[[], None] | None = None
        self._reset()

    def _reset(self) -> None:
        """Forget a previous read's state (a reader object may read several times)."""
        self.timings: dict[str, float] = {}
        self.warnings: list[str] = []
        self.recoveries = 0
        self.files: FileReader | None = None
        self.access: AccessResult | None = None
        self._card_access: bytes | None = None
        self._sod_digest: bytes | None = None  # SHA-256 of EF.SOD once read (same chip?)
        self._reader_name: str | None = None  # the reader the session is bound to
        self._after_open: list[Callable[[], None]] = []
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

    # -- deadline --------------------------------------------------------------------
    def _in_time(self, step: str) -> None:
        """The deadline before a protocol step (file commands check it themselves): a slow
        chip — public-key operations of a second and more, with the reader sending waiting
        time extensions meanwhile — ends with :class:`ChipTimeout`, not past the deadline."""
        if time.monotonic() > self.deadline:
            raise ChipTimeout(f"{step}: the time allowed for reading the chip has passed; "
                              "keep the document still on the reader and try again")


def _transient(exc: StatusWordError) -> bool:
    """Status words that a fresh session may cure (not refusals, not missing files)."""
    return not isinstance(exc, (AccessDenied, FileNotFound)) and \
        exc.sw not in (SW.WRONG_P1P2, SW.INS_NOT_SUPPORTED)


