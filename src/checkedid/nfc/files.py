"""Selecting and reading elementary files of an eMRTD (ICAO Doc 9303-10 §3.9-3.11).

The LDS lives in the eMRTD application (AID ``A0 00 00 02 47 10 01``, Doc 9303-10
§3.10); EF.CardAccess and EF.ATR/INFO sit in the master file (§3.11). Files are read
with READ BINARY (ISO/IEC 7816-4 §11.3.3):

* the first read addresses the file by its short EF identifier (P1 = ``0x80 | SFI``),
  which selects it without a SELECT command; the length of the whole file is learnt
  from the BER-TLV header in that first answer (Doc 9303-10 §3.11.1 recommends
  reading the header first);
* further reads use INS ``B0`` with the offset in P1-P2 up to 32767 and INS ``B1``
  with the offset in DO'54' beyond (the answer then comes in DO'53');
* the chunk size adapts: extended length (Le up to 65535, bounded by EF.ATR/INFO's
  maximum response length) when card and reader announce it, otherwise short APDUs
  of 223 bytes under secure messaging — 0xDF leaves room for the padding, DO'87',
  DO'99' and DO'8E' in a 256-byte response (Doc 9303-11 §9.8). A ``6700`` (wrong
  length) shrinks the chunk and the read goes on.

Reads are resumable: a :class:`PartialFile` keeps what has arrived, so after the card
left the field and a new secure-messaging session is up, reading continues at the
offset already reached (see :mod:`checkedid.nfc.reader`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from checkedid.errors import (
    AccessDenied,
    ChipTimeout,
    FileNotFound,
    LDSError,
    ProtocolError,
    SecureMessagingError,
    StatusWordError,
    TLVError,
)
from checkedid.nfc import tlv
from checkedid.nfc.apdu import SW, Command, Response

__all__ = [
    "ATR_INFO",
    "CARD_ACCESS",
    "COM",
    "EF",
    "EMRTD_AID",
    "SOD",
    "ChunkPolicy",
    "FileReader",
    "PartialFile",
    "Progress",
    "parse_atr_info",
]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

EMRTD_AID = bytes.fromhex("A0000002471001")
SHORT_SM_CHUNK = 0xDF  # Doc 9303-11 §9.8: fits a 256-byte SM response with 3DES or AES
SHORT_PLAIN_CHUNK = 0x100  # Le = 00 in a short APDU
MIN_CHUNK = 0x20
EXTENDED_MAX = 0xFFFF
SM_OVERHEAD = 48  # DO'87' header + padding indicator + padding, DO'99', DO'8E', slack
HEADER_PROBE = 6  # 1-2 byte tag + up to 4 length bytes
MAX_FILE_SIZE = 4 << 20  # no LDS file comes near this; a bigger header is a lie

_DENIED = frozenset({0x6982, 0x6983, 0x6985, 0x6986})
_SM_BROKEN = frozenset({0x6987, 0x6988, 0x6882})


@dataclass(frozen=True)
class EF:
    """An elementary file: display name, file identifier and short EF identifier.

    Doc 9303-10 Table 39 lists the LDS identifiers (DGn: FID ``01nn``, SFI ``nn``).
    """

    name: str
    fid: int
    sfi: int

    @classmethod
    def dg(cls, number: int) -> EF:
        if not 1 <= number <= 16:
            raise LDSError(f"there is no data group {number}", file="COM")
        return cls(f"DG{number}", 0x0100 | number, number)

    @property
    def dg_number(self) -> int | None:
        return self.fid & 0xFF if 0x0101 <= self.fid <= 0x0110 else None


CARD_ACCESS = EF("CardAccess", 0x011C, 0x1C)
ATR_INFO = EF("ATR/INFO", 0x2F01, 0x01)
COM = EF("COM", 0x011E, 0x1E)
SOD = EF("SOD", 0x011D, 0x1D)


class Connection(Protocol):
    """What :class:`FileReader` needs: :class:`checkedid.nfc.transport.ApduConnection`."""

    def send(self, cmd: Command, *, step: str = ...) -> Response: ...


def parse_atr_info(raw: bytes | bytearray) -> int | None:
    """Maximum response length from EF.ATR/INFO's DO'7F66' (ISO/IEC 7816-4 §12.7.1), or None.

    DO'7F66' holds two INTEGERs: the maximum command and the maximum response length
    the card accepts in extended-length APDUs.
    """
    try:
        found = tlv.find(bytes(raw), 0x7F66)
        if found is None:
            return None
        body = bytes(found)
        ints: list[int] = []
        while body and len(ints) < 2:
            tag, hlen, vlen = tlv.header_length(body)
            if tag == 0x02 and 0 < vlen <= 4:
                ints.append(int.from_bytes(body[hlen:hlen + vlen], "big"))
            body = body[hlen + vlen:]
    except (TLVError, LDSError):
        return None
    return ints[1] if len(ints) == 2 and ints[1] > 0 else None


@dataclass
class ChunkPolicy:
    """How many bytes one READ BINARY asks for; shrinks when the card refuses a length.

    ``extended``: card and reader take extended Le. ``max_response``: the card's
    limit from EF.ATR/INFO (response data bytes). ``fixed``: a fixed chunk (used by
    the benchmark's baseline and for cards known to need it).
    """

    extended: bool = False
    max_response: int = EXTENDED_MAX
    fixed: int | None = None
    shrunk: int = 0

    def size(self, secure: bool) -> int:
        """The data bytes to request in one READ BINARY."""
        if self.fixed is not None:
            return self.fixed
        if self.extended:
            limit = min(self.max_response, EXTENDED_MAX)
            if secure:  # padding rounds up to 16 bytes; keep one byte for the padding marker
                limit = ((limit - SM_OVERHEAD) // 16) * 16 - 1
            return max(limit, MIN_CHUNK)
        return SHORT_SM_CHUNK if secure else SHORT_PLAIN_CHUNK

    def shrink(self, secure: bool) -> bool:
        """Halve the chunk after ``6700`` (down to short APDUs, then further); False
        when it cannot get smaller."""
        current = self.size(secure)
        if current <= MIN_CHUNK:
            return False
        self.shrunk += 1
        smaller = current // 2
        if current > SHORT_SM_CHUNK >= smaller:
            smaller = SHORT_SM_CHUNK
        self.fixed = max(MIN_CHUNK, smaller)
        self.extended = self.fixed > SHORT_PLAIN_CHUNK
        return True

    def use_short(self) -> None:
        """Fall back to short APDUs (a reader that does not carry extended ones)."""
        self.extended, self.fixed = False, None
        self.shrunk += 1

    def describe(self, secure: bool = True) -> dict[str, Any]:
        return {"extended_length": self.extended, "chunk_size": self.size(secure),
                "chunk_shrunk": self.shrunk}


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

    # -- commands --------------------------------------------------------------------
    def _send(self, cmd: Command, step: str) -> Response:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ChipTimeout(f"{step}: the time allowed for reading the chip has passed; "
                              "keep the document still on the reader and try again")
        self.apdus += 1
        return self.conn.send(cmd, step=step)

    def select_application(self, aid: bytes | None = None) -> None:
        """SELECT the application by DF name, no FCI (Doc 9303-10 §3.10, P1=04 P2=0C).

        Without ``aid`` the AIDs of :attr:`applications` are tried in order (a licence
        offers the EU or the ISO application); the one found is tried first next time.
        """
        aids = (aid,) if aid is not None else self.applications
        for i, candidate in enumerate(aids):
            resp = self._send(Command(0x00, 0xA4, 0x04, 0x0C, candidate), "SELECT application")
            if resp.sw == SW.FILE_NOT_FOUND and i + 1 < len(aids):
                continue
            _check(resp, "SELECT application")
            if aid is None and i:
                self.applications = (candidate, *(a for a in aids if a != candidate))
            break
        self.current = None

    def select_master_file(self) -> None:
        """SELECT the MF (ISO/IEC 7816-4 §11.2.2, P1=00 with 3F00)."""
        resp = self._send(Command(0x00, 0xA4, 0x00, 0x0C, b"\x3f\x00"), "SELECT MF")
        _check(resp, "SELECT MF")
        self.current = None

    def select(self, ef: EF) -> None:
        """SELECT an EF by file identifier (P1=02 P2=0C)."""
        step = f"SELECT EF.{ef.name}"
        resp = self._send(Command(0x00, 0xA4, 0x02, 0x0C, ef.fid.to_bytes(2, "big")), step)
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
        while p.done < p.total:
            want = min(self.policy.size(self.secure), p.total - p.done)
            data = self._chunk(ef, p.done, want)
            if not data:
                raise LDSError(f"the chip stopped answering data at byte {p.done} of "
                               f"{p.total} announced by the file's header", file=ef.name)
            self._store(p, data)
        return p

    def _read_header(self, p: PartialFile) -> None:
        ef = p.ef
        first = self.policy.size(self.secure)
        try:
            data = self._chunk(ef, 0, first, by_sfi=True)
        except StatusWordError as exc:
            if exc.sw not in (SW.WRONG_LENGTH, SW.WRONG_OFFSET) and exc.sw >> 8 != 0x6C:
                raise
            data = self._chunk(ef, 0, HEADER_PROBE, by_sfi=False)
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
            if offset > 0x7FFF:
                cmd = self._odd_command(ef, offset, want)
            elif self.current == ef.fid:
                cmd = Command(0x00, 0xB0, offset >> 8, offset & 0xFF, b"", want)
            elif by_sfi and offset <= 0xFF:
                cmd = Command(0x00, 0xB0, 0x80 | ef.sfi, offset, b"", want)
            else:
                self.select(ef)
                cmd = Command(0x00, 0xB0, offset >> 8, offset & 0xFF, b"", want)
            resp = self._send(cmd, step)
            if resp.sw == SW.WRONG_LENGTH and want > MIN_CHUNK and self.policy.shrink(self.secure):
                log.info("%s: wrong length for %d bytes; smaller chunks from now on", step, want)
                want = min(want, self.policy.size(self.secure))
                continue
            if resp.sw == SW.WRONG_OFFSET and offset > 0:
                raise LDSError(f"the file ends at byte {offset}, before the length its header "
                               "announces", file=ef.name)
            _check(resp, step)
            self.current = ef.fid
            data = bytes(resp.data)
            if cmd.ins == 0xB1:
                data = _odd_payload(data, step)
            if len(data) > want:
                raise ProtocolError(f"the chip answered {len(data)} bytes for {want} requested",
                                    step=step)
            return data

    def _odd_command(self, ef: EF, offset: int, want: int) -> Command:
        """READ BINARY B1: offset in DO'54' (ISO 7816-4 §11.3.3); answer wrapped in DO'53'."""
        if self.current != ef.fid:
            self.select(ef)
        head = 2 if want < 0x80 else 3 if want < 0x100 else 4
        size = min(want + head, self.policy.size(self.secure))
        want = size - head
        off = offset.to_bytes((offset.bit_length() + 7) // 8, "big")
        return Command(0x00, 0xB1, 0x00, 0x00, b"\x54" + bytes([len(off)]) + off, size)


def _odd_payload(data: bytes, step: str) -> bytes:
    if not data:
        return b""
    try:
        tag, hlen, vlen = tlv.header_length(data)
    except TLVError as exc:
        raise ProtocolError(f"the odd-INS answer is not a DO'53' ({exc})", step=step) from None
    if tag != 0x53 or hlen + vlen > len(data):
        raise ProtocolError("the odd-INS answer is not a complete DO'53'", step=step)
    return data[hlen:hlen + vlen]


def _check(resp: Response, step: str) -> None:
    """Map a status word to the error hierarchy (ISO/IEC 7816-4 §5.6)."""
    sw = resp.sw
    if sw in (SW.OK, SW.END_OF_FILE):
        return
    if sw in _DENIED:
        raise AccessDenied("the chip refused access (security status not satisfied)",
                           sw=sw, step=step)
    if sw == SW.FILE_NOT_FOUND:
        raise FileNotFound("the chip has no such file", sw=sw, step=step)
    if sw in _SM_BROKEN:
        raise SecureMessagingError(f"{step}: the chip rejected the secure-messaging data "
                                   f"(SW {sw:04X}); the session has ended")
    raise StatusWordError("unexpected status word", sw=sw, step=step)
