"""Selecting and reading elementary files of an eMRTD (ICAO Doc 9303-10 §3.9-3.11).

Files (:mod:`checkedid.nfc.lds.efs`) are read with READ BINARY (ISO/IEC 7816-4 §11.3.3):
the first read addresses the file by its short EF identifier (P1 = ``0x80 | SFI``) and
learns the file's length from its BER-TLV header (Doc 9303-10 §3.11.1); further reads
use INS ``B0`` with the offset in P1-P2 up to 32767 and ``B1`` with DO'54' beyond; the
chunk size comes from :mod:`checkedid.nfc.chunking`.

Optional features a chip may refuse, and what the reader does then: short EF
identifiers (6A82, 6A86, 6B00, 6D00, 6E00 ..., or an answer without secure messaging)
-> SELECT by FID from then on (:attr:`FileReader.sfi`), the session re-opened once
when the refusal ended it (:attr:`FileReader.fallback_reopen`); a refused master-file
read -> SELECT MF first; extended length (an unprotected ``6700``) -> short APDUs;
Le = 00 in plain -> 255; the odd INS -> one B0 at offset 32767 with a longer Le.
``6282`` with the file's last bytes is a successful READ BINARY.

Reads are resumable: a :class:`PartialFile` keeps what has arrived, so after the card
left the field and a new secure-messaging session is up, reading continues at the
offset already reached (see :mod:`checkedid.nfc.readsession`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from checkedid.errors import (
    ChipTimeout,
    FileNotFound,
    LDSError,
    ProtocolError,
    SecureMessagingError,
    StatusWordError,
    TLVError,
)
from checkedid.nfc.chunking import (
    MAX_EVEN_OFFSET,
    MIN_CHUNK,
    ODD_INS_REFUSED,
    SHORT_PLAIN_CHUNK,
    SHORT_SM_CHUNK,
    ChunkPolicy,
    far_command,
    odd_command,
    odd_payload,
    parse_atr_info,
)
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.iso7816.apdu import INS, SW, Command, Response, status_error
from checkedid.nfc.lds.efs import ATR_INFO, CARD_ACCESS, COM, EF, EMRTD_AID, SOD

__all__ = [
    "ATR_INFO",
    "CARD_ACCESS",
    "COM",
    "EF",
    "EMRTD_AID",
    "SHORT_SM_CHUNK",
    "SOD",
    "ChunkPolicy",
    "FileReader",
    "PartialFile",
    "Progress",
    "parse_atr_info",
]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

HEADER_PROBE = 6  # 1-2 byte tag + up to 4 length bytes
MAX_FILE_SIZE = 4 << 20  # no LDS file comes near this; a bigger header is a lie

#: Answers of a chip that does not take short EF identifiers in READ BINARY.
SFI_REFUSED = frozenset({SW.FILE_NOT_FOUND, SW.WRONG_P1P2, SW.WRONG_OFFSET, SW.INS_NOT_SUPPORTED,
                         SW.CLA_NOT_SUPPORTED, SW.FUNCTION_NOT_SUPPORTED,
                         SW.COMMAND_NOT_ALLOWED_NO_EF, SW.COMMAND_INCOMPATIBLE})
# SELECT: P1 (ISO/IEC 7816-4 §11.2.2 Table 39) and P2 = 0C (no FCI; some chips take no other).
_BY_FID, _BY_NAME, _NO_FCI = 0x00, 0x04, 0x0C
_EF_UNDER_DF = 0x02
_NO_SFI_NOTE = "the chip does not take short EF identifiers: files selected by FID"
_MF = b"\x3f\x00"


class Connection(Protocol):
    """What :class:`FileReader` needs: :class:`checkedid.nfc.sm.connection.ApduConnection`."""

    def send(self, cmd: Command, *, step: str = ...) -> Response: ...

    def read_binary(self, offset: int, le: int, *, step: str = ...) -> Response: ...

    @property
    def last_unprotected(self) -> bool: ...

    @property
    def last_raw_sw(self) -> int: ...


@dataclass(eq=False)
class PartialFile:
    """A file being read: its buffer (allocated once the length is known) and progress."""

    ef: EF
    buf: bytearray = field(default_factory=bytearray)
    total: int | None = None
    done: int = 0

    @property
    def complete(self) -> bool:
        return self.total is not None and self.done >= self.total

    def content(self) -> bytearray:
        """The whole file (the live buffer; no copy)."""
        if not self.complete:
            raise LDSError("the file was not read completely", file=self.ef.name)
        return self.buf


class FileReader:
    """SELECT and READ BINARY over a connection, with adaptive chunks and progress.

    ``secure`` tells whether secure messaging is active (it decides the short chunk
    size); the reader sets it. ``deadline`` is a ``time.monotonic()`` value.
    """

    def __init__(
        self,
        conn: Connection,
        policy: ChunkPolicy | None = None,
        *,
        progress: Progress | None = None,
        register: Callable[[bytearray], object] | None = None,
        deadline: float | None = None,
    ) -> None:
        self.conn = conn
        self.policy = policy or ChunkPolicy()
        self.progress = progress
        self.register = register
        self.deadline = deadline
        self.secure = False
        self.applications: tuple[bytes, ...] = (EMRTD_AID,)  # AIDs to SELECT, in order
        self.current: int | None = None  # FID of the selected EF
        self.apdus = 0
        self.bytes_read = 0
        #: The chip takes short EF identifiers in READ BINARY (False once it refused one).
        self.sfi = True
        #: The chip takes READ BINARY with the odd INS B1 (needed beyond offset 32767).
        self.odd_ins = True
        #: Set when a refused optional feature ended the session: the next re-open is part
        #: of the fallback, not a recovery from a fault.
        self.fallback_reopen = False
        self.notes: list[str] = []
        self._sfi_broke: set[str] = set()
        self._sfi_off_at: str | None = None  # the file whose refusal switched SFIs off

    # -- commands --------------------------------------------------------------------
    def _send(self, cmd: Command, step: str) -> Response:
        self._count(step)
        return self.conn.send(cmd, step=step)

    def _count(self, step: str) -> None:
        """Count one more APDU, unless the time allowed for the read has passed."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ChipTimeout(f"{step}: the time allowed for reading the chip has passed; "
                              "keep the document still on the reader and try again")
        self.apdus += 1

    def select_application(self, aid: bytes | None = None) -> None:
        """SELECT the application by DF name, no FCI (Doc 9303-10 §3.10, P1=04 P2=0C).

        Without ``aid`` the AIDs of :attr:`applications` are tried in order (a licence
        offers the EU or the ISO application); the one found is tried first next time.
        """
        aids = (aid,) if aid is not None else self.applications
        step = "SELECT application"
        for i, candidate in enumerate(aids):
            resp = self._send(Command(0x00, INS.SELECT, _BY_NAME, _NO_FCI, candidate), step)
            if resp.sw == SW.FILE_NOT_FOUND and i + 1 < len(aids):
                continue
            _check(resp, step)
            if aid is None and i:
                self.applications = (candidate, *(a for a in aids if a != candidate))
            break
        self.current = None

    def select_master_file(self) -> None:
        """SELECT the MF (ISO/IEC 7816-4 §11.2.2, P1=00 with 3F00)."""
        resp = self._send(Command(0x00, INS.SELECT, _BY_FID, _NO_FCI, _MF), "SELECT MF")
        _check(resp, "SELECT MF")
        self.current = None

    def select(self, ef: EF) -> None:
        """SELECT an EF by file identifier (P1=02, EF under the current DF; P2=0C)."""
        step = f"SELECT EF.{ef.name}"
        fid = ef.fid.to_bytes(2, "big")
        resp = self._send(Command(0x00, INS.SELECT, _EF_UNDER_DF, _NO_FCI, fid), step)
        _check(resp, step)
        self.current = ef.fid

    def forget_selection(self) -> None:
        """After a new session or a reset the chip has no current EF."""
        self.current = None

    # -- reading ---------------------------------------------------------------------
    def read(self, ef: EF, partial: PartialFile | None = None) -> PartialFile:
        """Read ``ef`` completely (or finish ``partial``); progress after every chunk."""
        p = partial if partial is not None else PartialFile(ef)
        if p.total is None:
            self._read_header(p)
        assert p.total is not None
        step = f"READ BINARY EF.{ef.name}"
        while p.done < p.total:
            want = min(self.policy.size(self.secure), p.total - p.done)
            if self.current == ef.fid and p.done <= MAX_EVEN_OFFSET:
                data = self._next_chunk(ef, p.done, want, step)
            else:
                data = self._chunk(ef, p.done, want)
            if not data:
                raise LDSError(f"the chip stopped answering data at byte {p.done} of "
                               f"{p.total} announced by the file's header", file=ef.name)
            self._store(p, data)
        return p

    def _read_header(self, p: PartialFile) -> None:
        ef = p.ef
        first = self.policy.size(self.secure)
        data = self._first_chunk(ef, first)
        try:
            _tag, hlen, vlen = tlv.header_length(bytes(data[:HEADER_PROBE]))
        except TLVError as exc:
            raise LDSError(f"the file does not start with a valid BER-TLV header ({exc})",
                           file=ef.name) from None
        total = hlen + vlen
        if total > MAX_FILE_SIZE:
            raise LDSError(f"the header announces {total} bytes, more than any LDS file holds",
                           file=ef.name)
        p.total = total
        p.buf = bytearray(total)
        if self.register is not None:
            self.register(p.buf)
        self._store(p, data)

    def _first_chunk(self, ef: EF, first: int) -> bytes:
        """The file's first bytes: by SFI while the chip takes them, else SELECT + READ."""
        if self.sfi and self.current != ef.fid:
            try:
                return self._chunk(ef, 0, first, by_sfi=True)
            except SecureMessagingError:
                if self.secure and not ef.mf and not self.fallback_reopen:
                    # A damaged answer or a chip that ends the session on a short EF
                    # identifier: the first time is a recovery like any other, the second
                    # time for the same file means no SFI support.
                    if ef.name in self._sfi_broke:
                        self._no_sfi(ef, "secure messaging ended twice")
                        self.fallback_reopen = True
                    self._sfi_broke.add(ef.name)
                raise
            except StatusWordError as exc:
                if exc.sw == SW.WRONG_LENGTH:
                    return self._chunk(ef, 0, HEADER_PROBE)
                if exc.sw not in SFI_REFUSED:  # 6B00 at offset 0 too: the SFI is the problem
                    raise
                if ef.mf:
                    self._select_mf_quietly()
                else:
                    self._no_sfi(ef, f"SW {exc.sw:04X}")
                    if self.secure and self.conn.last_unprotected:
                        # an answer without secure messaging ends the session on both sides
                        # (Doc 9303-11 §9.8.6): re-open it and select by FID
                        self.fallback_reopen = True
                        raise SecureMessagingError(
                            f"READ BINARY EF.{ef.name}: the short EF identifier was refused "
                            f"without secure messaging (SW {exc.sw:04X}); the session is "
                            "opened again") from None
        try:
            return self._chunk(ef, 0, first)
        except FileNotFound:
            if self._sfi_off_at == ef.name:  # not there by FID either: the file is absent
                self.sfi, self._sfi_off_at = True, None
                self.notes.remove(_NO_SFI_NOTE)
            raise
        except StatusWordError as exc:
            if exc.sw not in (SW.WRONG_LENGTH, SW.WRONG_OFFSET):
                raise
            return self._chunk(ef, 0, HEADER_PROBE)

    def _no_sfi(self, ef: EF, why: str) -> None:
        if self.sfi:
            log.info("EF.%s: short EF identifier refused (%s); files are selected by FID",
                     ef.name, why)
            self.notes.append(_NO_SFI_NOTE)
            self._sfi_off_at = ef.name
        self.sfi = False
        self.current = None

    def _select_mf_quietly(self) -> None:
        """SELECT MF before a master-file EF is read again (chips with no current DF at
        power-on); a refusal is left to the SELECT of the EF to report."""
        try:
            self.select_master_file()
        except StatusWordError as exc:
            log.info("SELECT MF refused (SW %04X)", exc.sw)

    def _store(self, p: PartialFile, data: bytes | bytearray) -> None:
        assert p.total is not None
        n = min(len(data), p.total - p.done)
        p.buf[p.done:p.done + n] = data[:n]
        p.done += n
        self.bytes_read += n
        if self.progress is not None:
            self.progress(p.ef.name, p.done, p.total)

    def _chunk(self, ef: EF, offset: int, want: int, *, by_sfi: bool = False) -> bytes:
        """One READ BINARY of up to ``want`` bytes at ``offset``; shrinks on 6700."""
        step = f"READ BINARY EF.{ef.name}"
        while True:
            skip = 0
            if offset > MAX_EVEN_OFFSET and not self.odd_ins:
                cmd, skip = far_command(offset, want, self.policy.size(self.secure), ef.name)
            elif offset > MAX_EVEN_OFFSET:
                cmd = odd_command(offset, want, self.policy.size(self.secure))
            elif self.current == ef.fid:
                cmd = _read_command(offset, want)
            elif by_sfi and offset <= 0xFF:
                cmd = Command(0x00, INS.READ_BINARY, 0x80 | ef.sfi, offset, b"", want)
            else:
                self.select(ef)
                cmd = _read_command(offset, want)
            if offset > MAX_EVEN_OFFSET and self.current != ef.fid:
                self.select(ef)  # B1, or B0 at 32767 (Le reaching on): the EF by FID
            try:
                resp = self._send(cmd, step)
            except SecureMessagingError:
                self._refused_outside_sm(ef, cmd, step)
                raise
            data = self._answer(ef, cmd, resp, offset, want, skip, step)
            if data is not None:
                return data
            want = min(want, self.policy.size(self.secure))

    def _next_chunk(self, ef: EF, offset: int, want: int, step: str) -> bytes:
        """:meth:`_chunk` of the selected EF at an offset READ BINARY B0 reaches, through
        the connection's READ BINARY path; an answer other than the requested bytes with
        9000 is handled as :meth:`_chunk` handles it."""
        self._count(step)
        try:
            resp = self.conn.read_binary(offset, want, step=step)
        except SecureMessagingError:
            self._refused_outside_sm(ef, _read_command(offset, want), step)
            raise
        data = resp.data
        if resp.sw == SW.OK and 0 < len(data) <= want:
            return data
        found = self._answer(ef, _read_command(offset, want), resp, offset, want, 0, step)
        if found is not None:
            return found
        return self._chunk(ef, offset, min(want, self.policy.size(self.secure)))

    def _answer(self, ef: EF, cmd: Command, resp: Response, offset: int, want: int,
                skip: int, step: str) -> bytes | None:
        """The data of a READ BINARY's answer, or ``None`` when it is to be asked again
        (a smaller chunk after 6700, B0 after a refused odd INS); a refusal raises."""
        if resp.sw == SW.WRONG_LENGTH and self._wrong_length(cmd, want, step):
            return None
        if resp.sw == SW.WRONG_OFFSET and offset > 0:
            raise LDSError(f"the file ends at byte {offset}, before the length its header "
                           "announces", file=ef.name)
        if cmd.ins == INS.READ_BINARY_ODD and resp.sw in ODD_INS_REFUSED:
            log.info("%s: odd INS refused (SW %04X)", step, resp.sw)
            self.odd_ins = False
            self.notes.append("the chip refuses READ BINARY B1: far offsets read with B0")
            return None
        _check(resp, step, read=True)
        self.current = ef.fid
        data = bytes(resp.data)[skip:]
        if cmd.ins == INS.READ_BINARY_ODD:
            data = odd_payload(data, step)
        if len(data) > want:
            raise ProtocolError(f"the chip answered {len(data)} bytes for {want} requested",
                                step=step)
        return data

    def _refused_outside_sm(self, ef: EF, cmd: Command, step: str) -> None:
        """The secure-messaging layer rejected a bare status word (Doc 9303-11 §9.8.6):
        when it refuses an optional feature of this command, switch the feature off so the
        re-opened session does without it."""
        if not (self.secure and self.conn.last_unprotected):
            return
        sw = self.conn.last_raw_sw
        if sw == SW.WRONG_LENGTH and cmd.needs_extended:
            log.info("%s: extended length refused; short APDUs from now on", step)
            self.policy.use_short()
            self.notes.append("the chip refuses extended-length APDUs: short APDUs used")
            self.fallback_reopen = True
        elif sw in SFI_REFUSED and cmd.ins == INS.READ_BINARY and cmd.p1 & 0x80 and not ef.mf:
            self._no_sfi(ef, f"SW {sw:04X} without secure messaging")
            self.fallback_reopen = True

    def _wrong_length(self, cmd: Command, want: int, step: str) -> bool:
        """After 6700: True when a smaller request is worth trying (the policy changed)."""
        if cmd.needs_extended and self.conn.last_unprotected:
            # the chip could not parse an extended APDU: short APDUs from now on
            log.info("%s: extended length refused; short APDUs from now on", step)
            self.policy.use_short()
            self.notes.append("the chip refuses extended-length APDUs: short APDUs used")
            if self.secure:  # the unprotected answer ended the chip's session
                self.fallback_reopen = True
                raise SecureMessagingError(f"{step}: extended length refused without secure "
                                           "messaging; the session is opened again")
            return True
        if cmd.le == SHORT_PLAIN_CHUNK and not cmd.needs_extended and not self.secure \
                and self.policy.le_zero and self.policy.fixed is None:
            # Le = 00 refused (ISO/IEC 7816-4 §5.1 lets it mean 256): ask for 255 instead
            log.info("%s: Le = 00 refused; at most 255 bytes per plain read", step)
            self.policy.le_zero = False
            return True
        if want > MIN_CHUNK and self.policy.shrink(self.secure):
            log.info("%s: wrong length for %d bytes; smaller chunks from now on", step, want)
            return True
        return False

def _read_command(offset: int, want: int) -> Command:
    """READ BINARY B0 of ``want`` bytes at ``offset`` (up to 32767) of the current EF."""
    return Command(0x00, INS.READ_BINARY, offset >> 8, offset & 0xFF, b"", want)


def _check(resp: Response, step: str, *, read: bool = False) -> None:
    """Raise the typed error for a refused status word (the one table in
    :func:`checkedid.nfc.iso7816.apdu.status_error`).

    6282 (end of file) is a success only for READ BINARY (``read``), never for SELECT.
    """
    if resp.sw == SW.OK or (read and resp.sw == SW.END_OF_FILE):
        return
    raise status_error(resp.sw, step)
