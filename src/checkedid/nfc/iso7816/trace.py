"""APDU traces: record what a chip answered, and replay its behaviour against the reader.

A field trace lets an operator send what a document that fails does, without sending the
document: :class:`TraceRecorder` wraps a :class:`~checkedid.nfc.iso7816.transport.Transport`
*below* secure messaging and writes one JSON object per line:

* a header ``{"trace": "checkedid-apdu", "version": 1, "atr": …}`` (the ATR says which
  chip/reader combination it was, e.g. whether extended length is announced);
* per exchange ``{"n", "t_ms", "ms", "cla", "ins", "p1", "p2", "lc", "le", "ext", "sm",
  "sw", "len"}``: the command header (ISO/IEC 7816-4 §5.1), the lengths of the command
  data (Lc) and of the answer, whether it was extended-length and protected (CLA bits
  ``0C``, Doc 9303-11 §9.8), the status word and the time the chip took;
* events: ``{"event": "removed" | "error", "error": type}`` when the transport failed.

No data field is ever written, in either direction. That matters most *before* secure
messaging: BAC's EXTERNAL AUTHENTICATE cryptogram together with the GET CHALLENGE
answer lets anyone test guesses of the MRZ's document number and dates offline (Doc
9303-11 §4.3 relies on the MRZ's entropy), and the PACE nonce is encrypted under a key
derived from the MRZ or the CAN. Under secure messaging the bodies are ciphertext, but
also left out. What remains visible are the lengths on the wire -- what anyone within
radio range sees too. The file is created ``0600`` and never overwritten.

:class:`ReplayTransport` turns a trace back into the chip's *behaviour* over a stand-in
chip that holds the content (a virtual chip with the same protocols): every refusal the
trace shows (an unprotected status word, a refused command before secure messaging) is
answered again to the *k*-th command of the same kind, T=0 answers (``61xx``,
``6Cxx``) are re-created when the trace shows them, and everything else goes to the
stand-in. A field trace of a failing document therefore reproduces its failure -- or
shows that a changed reader now copes -- without the document.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from checkedid.errors import CardRemovedError, InputError, ParseError, TransportError
from checkedid.nfc.iso7816.apdu import INS, SW, SW1, Command, is_extended
from checkedid.nfc.iso7816.transport import Transport

__all__ = ["FIELDS", "ReplayTransport", "TraceRecorder", "load_trace"]

MAGIC = "checkedid-apdu"
VERSION = 1
#: The only keys an exchange record may have (a test holds the recorder to it).
FIELDS = frozenset({"n", "t_ms", "ms", "cla", "ins", "p1", "p2", "lc", "le", "ext", "sm", "sw",
                    "len"})
_SM_BITS = 0x0C


def _open_private(path: Path) -> IO[str]:
    """A new file readable by the owner only; an existing file or a symlink is refused."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise InputError(f"the trace file {path} exists already; name a new file") from None
    except OSError as exc:
        raise InputError(f"the trace file {path} cannot be created ({exc.strerror})") from None
    return os.fdopen(fd, "w", encoding="ascii")


def _header(apdu: bytes) -> dict[str, Any]:
    """Header fields of an encoded command (no data field)."""
    try:
        cmd = Command.from_bytes(apdu)
        lc, le = len(cmd.data), cmd.le
    except ParseError:  # not ours to judge here: keep what is certain
        lc, le = max(len(apdu) - 4, 0), None
    return {"cla": f"{apdu[0]:02X}", "ins": f"{apdu[1]:02X}", "p1": f"{apdu[2]:02X}",
            "p2": f"{apdu[3]:02X}", "lc": lc, "le": le, "ext": is_extended(apdu),
            "sm": bool(apdu[0] & _SM_BITS)}


class TraceRecorder:
    """A transport that writes each exchange's header, lengths, status word and timing."""

    def __init__(self, inner: Transport, path: str | Path) -> None:
        self.inner = inner
        self.path = Path(path)
        self._out = _open_private(self.path)
        self._start = time.monotonic()
        self._n = 0
        self._write({"trace": MAGIC, "version": VERSION})

    def __getattr__(self, name: str) -> Any:  # wait_for_card, supports_extended, ...
        return getattr(self.inner, name)

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    def _write(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._out.flush()

    def connect(self) -> None:
        self.inner.connect()
        self._write({"event": "connect", "atr": self.inner.atr.hex().upper(),
                     "t_ms": self._ms(self._start)})

    def disconnect(self) -> None:
        self.inner.disconnect()

    def _ms(self, since: float) -> float:
        return round((time.monotonic() - since) * 1000, 2)

    def transmit(self, apdu: bytes) -> bytes:
        record: dict[str, Any] = _header(apdu) if len(apdu) >= 4 else {"lc": len(apdu)}
        begin = time.monotonic()
        self._n += 1
        try:
            out = self.inner.transmit(apdu)
        except TransportError as exc:
            kind = "removed" if isinstance(exc, CardRemovedError) else "error"
            self._write({"n": self._n, "event": kind, "error": type(exc).__name__,
                         "t_ms": self._ms(self._start)})
            raise
        record.update(n=self._n, t_ms=self._ms(self._start), ms=self._ms(begin),
                      sw=out[-2:].hex().upper() if len(out) >= 2 else "", len=max(len(out) - 2, 0))
        self._write(record)
        return out

    def close(self) -> None:
        if not self._out.closed:
            self._out.close()

    def __enter__(self) -> TraceRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------- replay

@dataclass(frozen=True)
class Exchange:
    """One recorded exchange."""

    cla: int
    ins: int
    p1: int
    p2: int
    lc: int
    le: int | None
    ext: bool
    sm: bool
    sw: int
    length: int

    @property
    def kind(self) -> tuple[Any, ...]:
        return _kind(self.cla, self.ins, self.p1, self.p2, self.ext)


def _kind(cla: int, ins: int, p1: int, p2: int, ext: bool) -> tuple[Any, ...]:
    """What makes two commands "the same kind" for a chip's refusals: the instruction, how a
    READ BINARY addresses its file (short EF identifier or current EF), a SELECT's P1 and
    whether it names a file or an application, MSE's P1-P2, extended length, and SM."""
    sm = bool(cla & _SM_BITS)
    if ins in (INS.READ_BINARY, INS.READ_BINARY_ODD):
        by_sfi = bool(p1 & 0x80) if ins == INS.READ_BINARY else (p1 == 0 and 0 < p2 <= 0x1F)
        return (ins, "sfi" if by_sfi else "ef", ext, sm)
    if ins == INS.SELECT:
        return (ins, p1, "name" if p1 == 0x04 else "fid", ext, sm)
    if ins in (INS.MSE, INS.GENERAL_AUTHENTICATE):
        return (ins, p1, p2, ext, sm)
    return (ins, ext, sm)


def load_trace(lines: Iterable[str] | str | Path) -> tuple[bytes, list[Exchange]]:
    """Parse a trace file (or its lines): the ATR and the exchanges, in order."""
    if isinstance(lines, (str, Path)):
        lines = Path(lines).read_text(encoding="ascii").splitlines()
    atr = b""
    out: list[Exchange] = []
    seen_header = False
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not seen_header and rec.get("trace") is None:
                raise ParseError("not a checkedid APDU trace (no header line)")
            if rec.get("trace") is not None:
                if rec["trace"] != MAGIC or rec.get("version") != VERSION:
                    raise ParseError(f"line {i}: not a checkedid APDU trace of version {VERSION}")
                seen_header = True
            elif rec.get("event") == "connect":
                atr = bytes.fromhex(rec.get("atr", ""))
            elif "event" not in rec:
                out.append(Exchange(int(rec["cla"], 16), int(rec["ins"], 16), int(rec["p1"], 16),
                                    int(rec["p2"], 16), int(rec["lc"]), rec["le"], bool(rec["ext"]),
                                    bool(rec["sm"]), int(rec["sw"], 16), int(rec["len"])))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ParseError(f"trace line {i} is malformed ({type(exc).__name__})") from None
    if not seen_header:
        raise ParseError("not a checkedid APDU trace (empty)")
    return atr, out


def _refusal(ex: Exchange) -> bool:
    """An answer the replay gives again itself: a bare status word that is not success and
    not part of T=0 chaining (those are re-created from the stand-in's answer)."""
    return ex.length == 0 and ex.sw not in (SW.OK, SW.END_OF_FILE) and \
        ex.sw >> 8 not in (SW1.MORE_DATA, SW1.WRONG_LE) and ex.ins != INS.GET_RESPONSE


class ReplayTransport:
    """Plays a recorded chip's behaviour over a stand-in ``chip`` transport.

    ``refused`` counts the refusals answered from the trace; ``unused`` lists those the
    reader never provoked (a changed reader may not). T=0 chaining is re-created when the
    trace shows ``61xx`` (GET RESPONSE parts of the largest size the trace shows) and
    ``6Cxx`` answers to plain reads past the end of a file when it shows those.
    """

    def __init__(self, trace: str | Path | Iterable[str], chip: Transport) -> None:
        atr, exchanges = load_trace(trace)
        self.recorded_atr = atr
        self.chip = chip
        self._plan: dict[tuple[Any, ...], deque[int | None]] = defaultdict(deque)
        for ex in exchanges:
            if ex.ins == INS.GET_RESPONSE:
                continue
            self._plan[ex.kind].append(ex.sw if _refusal(ex) else None)
        parts = [ex.length for ex in exchanges if ex.ins == INS.GET_RESPONSE and ex.length]
        self.t0_part = max(parts) if any(ex.sw >> 8 == SW1.MORE_DATA for ex in exchanges) \
            else 0
        self.wrong_le = any(ex.sw >> 8 == SW1.WRONG_LE for ex in exchanges)
        self.refused = 0
        self._pending = b""

    # the Transport protocol -------------------------------------------------------------
    @property
    def atr(self) -> bytes:
        return self.recorded_atr or self.chip.atr

    @property
    def supports_extended(self) -> bool | None:
        from checkedid.nfc.iso7816.transport import atr_supports_extended

        return atr_supports_extended(self.atr) if self.recorded_atr else None

    def connect(self) -> None:
        self.chip.connect()
        self._pending = b""

    def disconnect(self) -> None:
        self.chip.disconnect()

    @property
    def unused(self) -> list[tuple[tuple[Any, ...], int]]:
        """Refusals of the trace that the replay has not given (kind, status word)."""
        return [(kind, sw) for kind, queue in self._plan.items() for sw in queue if sw is not None]

    def transmit(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return self.chip.transmit(apdu)
        if apdu[1] == INS.GET_RESPONSE and self._pending:
            return self._next_part(apdu)
        self._pending = b""
        kind = _kind(apdu[0], apdu[1], apdu[2], apdu[3], is_extended(apdu))
        queue = self._plan.get(kind)
        planned = queue.popleft() if queue else None
        if planned is not None:
            self.refused += 1
            return planned.to_bytes(2, "big")
        out = self.chip.transmit(apdu)
        return self._t0(apdu, out)

    def _t0(self, apdu: bytes, out: bytes) -> bytes:
        data, sw = out[:-2], out[-2:]
        plain_read = not apdu[0] & _SM_BITS and apdu[1] == INS.READ_BINARY and len(apdu) == 5
        if self.wrong_le and plain_read and int.from_bytes(sw, "big") == SW.END_OF_FILE:
            return bytes([SW1.WRONG_LE, len(data) & 0xFF])
        if not self.t0_part or not data:
            return out
        self._pending = out
        return bytes([SW1.MORE_DATA, min(len(data), self.t0_part) & 0xFF])

    def _next_part(self, apdu: bytes) -> bytes:
        le = apdu[4] if len(apdu) == 5 else 0
        size = le or self.t0_part or 256
        data, sw = self._pending[:-2], self._pending[-2:]
        part, rest = data[:size], data[size:]
        self._pending = rest + sw if rest else b""
        if rest:
            return part + bytes([SW1.MORE_DATA, min(len(rest), self.t0_part or 256) & 0xFF])
        return part + sw


def records(path: str | Path) -> Iterator[dict[str, Any]]:
    """The raw JSON records of a trace file (for tests and tools)."""
    with open(path, encoding="ascii") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)
