"""PC/SC transport over pyscard — the only module of checkedid that imports ``smartcard``.

It uses pyscard's thin ``smartcard.scard`` binding (the PC/SC API itself) rather
than the object layer: every PC/SC return code is visible, so each failure maps to
a precise :mod:`checkedid.errors` class with an operator hint:

============================  =====================================================
PC/SC code                    raised as
============================  =====================================================
SCARD_E_NO_SERVICE            NoReaderError  (pcscd not running)
SCARD_E_NO_READERS_AVAILABLE  NoReaderError  (nothing plugged in)
SCARD_E_NO_SMARTCARD          NoCardError
SCARD_W_REMOVED_CARD          CardRemovedError
SCARD_W_RESET_CARD            CardRemovedError (card left and came back: restart)
SCARD_E_READER_UNAVAILABLE    CardRemovedError (reader unplugged mid-read)
anything else                 TransportError
============================  =====================================================

Extended-length support (ISO/IEC 7816-4 §5.1) is read from the ATR's historical
bytes (card capabilities, tag ``7x``, third software byte bit ``0x40``); the reader
(:mod:`checkedid.nfc.files`) refines it from EF.ATR/INFO.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from checkedid.errors import CardRemovedError, NoCardError, NoReaderError, TransportError
from checkedid.nfc.iso7816.transport import atr_supports_extended

try:
    from smartcard import scard
except ImportError as exc:  # pragma: no cover - pyscard is a hard dependency
    raise TransportError(
        "pyscard is not installed; install checkedid with its dependencies "
        "(pip install checkedid) and the PC/SC daemon (apt install pcscd)"
    ) from exc

__all__ = ["CardEvent", "PcscTransport", "ReaderInfo", "atr_supports_extended", "list_readers",
           "monitor", "wait_for_card"]

log = logging.getLogger(__name__)

SHORT_MAX_RESPONSE = 256
EXTENDED_MAX_RESPONSE = 65536


@dataclass(frozen=True)
class ReaderInfo:
    """One PC/SC reader slot and whether a card is in its field."""

    name: str
    card_present: bool
    atr: bytes | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "card_present": self.card_present,
                "atr": self.atr.hex().upper() if self.atr else None}


def _error_text(hr: int) -> str:
    try:
        return str(scard.SCardGetErrorMessage(hr)).strip()
    except Exception:  # pragma: no cover - message lookup is best effort
        return f"0x{hr & 0xFFFFFFFF:08X}"


def _raise_for(hr: int, step: str) -> None:
    """Map a PC/SC return code to a checkedid error (no-op on success)."""
    if hr == scard.SCARD_S_SUCCESS:
        return
    code = hr & 0xFFFFFFFF
    text = _error_text(hr)
    if code in (scard.SCARD_E_NO_SERVICE & 0xFFFFFFFF, scard.SCARD_E_SERVICE_STOPPED & 0xFFFFFFFF):
        raise NoReaderError(f"{step}: the PC/SC service is not running ({text}); start pcscd "
                            "(hw/setup.sh or 'systemctl start pcscd')")
    if code == scard.SCARD_E_NO_READERS_AVAILABLE & 0xFFFFFFFF:
        raise NoReaderError(f"{step}: no PC/SC reader is connected; plug in a reader and "
                            "check 'checkedid readers'")
    if code == scard.SCARD_E_UNKNOWN_READER & 0xFFFFFFFF:
        raise NoReaderError(f"{step}: the reader is no longer known to pcscd; re-plug it")
    if code in (scard.SCARD_E_NO_SMARTCARD & 0xFFFFFFFF, scard.SCARD_W_UNPOWERED_CARD & 0xFFFFFFFF):
        raise NoCardError(f"{step}: no document on the reader; place the document on it")
    if code in (scard.SCARD_W_REMOVED_CARD & 0xFFFFFFFF, scard.SCARD_W_RESET_CARD & 0xFFFFFFFF,
                scard.SCARD_E_READER_UNAVAILABLE & 0xFFFFFFFF):
        raise CardRemovedError(f"{step}: the document left the reader during the read; "
                               "keep it still on the reader and try again")
    if code == scard.SCARD_E_TIMEOUT & 0xFFFFFFFF:
        raise NoCardError(f"{step}: no document was presented in time; place it on the reader")
    raise TransportError(f"{step}: PC/SC error {text}; re-present the document "
                         "or re-plug the reader")


class _Context:
    def __init__(self) -> None:
        hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        _raise_for(hr, "connect to pcscd")
        self.ctx = ctx

    def readers(self) -> list[str]:
        hr, names = scard.SCardListReaders(self.ctx, [])
        if (hr & 0xFFFFFFFF) == (scard.SCARD_E_NO_READERS_AVAILABLE & 0xFFFFFFFF):
            return []
        _raise_for(hr, "list readers")
        return list(names)

    def states(self, names: list[str], timeout_ms: int = 0) -> list[tuple[str, int, bytes]]:
        hr, states = scard.SCardGetStatusChange(
            self.ctx, timeout_ms, [(n, scard.SCARD_STATE_UNAWARE) for n in names])
        _raise_for(hr, "read reader state")
        return [(n, int(ev), bytes(atr)) for n, ev, atr in states]

    def close(self) -> None:
        scard.SCardReleaseContext(self.ctx)


def list_readers() -> list[ReaderInfo]:
    """All PC/SC readers with card presence and ATR (empty list if none is plugged in)."""
    ctx = _Context()
    try:
        names = ctx.readers()
        if not names:
            return []
        out = []
        for name, ev, atr in ctx.states(names):
            present = bool(ev & scard.SCARD_STATE_PRESENT) and not ev & scard.SCARD_STATE_MUTE
            out.append(ReaderInfo(name, present, atr if present and atr else None))
        return out
    finally:
        ctx.close()


class PcscTransport:
    """A :class:`checkedid.nfc.iso7816.transport.Transport` over a PC/SC reader.

    ``reader`` selects a reader whose name contains the string (case-insensitive);
    without it the first reader with a card is used. ``connect()`` waits up to
    ``timeout`` seconds for a card.
    """

    def __init__(self, reader: str | None = None, *, timeout: float = 0.0) -> None:
        self.reader_filter = reader
        self.timeout = timeout
        self.reader_name: str | None = None
        #: when set, connect() uses only the reader of exactly this name (a session's reader)
        self.bound_reader: str | None = None
        self._ctx: _Context | None = None
        self._card: Any = None
        self._protocol: int = 0
        self._pci: Any = None
        self._in_transaction = False
        self._atr = b""
        self.apdu_count = 0
        self.supports_extended = False
        self.max_response = SHORT_MAX_RESPONSE

    # -- Transport protocol -------------------------------------------------------
    @property
    def atr(self) -> bytes:
        return self._atr

    def connect(self) -> None:
        if self._card is not None:
            return
        self._ctx = _Context()
        name = self._choose(self.timeout)
        hr, card, proto = scard.SCardConnect(
            self._ctx.ctx, name, scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T1 | scard.SCARD_PROTOCOL_T0)
        _raise_for(hr, "connect to the document")
        self._card, self._protocol, self.reader_name = card, int(proto), name
        self._pci = scard.SCARD_PCI_T1 if proto == scard.SCARD_PROTOCOL_T1 else scard.SCARD_PCI_T0
        hr, _reader, _state, _proto, atr = scard.SCardStatus(card)
        _raise_for(hr, "read the ATR")
        self._atr = bytes(atr)
        self.supports_extended = atr_supports_extended(self._atr)
        self.max_response = EXTENDED_MAX_RESPONSE if self.supports_extended else SHORT_MAX_RESPONSE
        # Hold a PC/SC transaction while connected: another program on the kiosk (middleware,
        # a second reader loop) cannot interleave its commands with PACE/BAC and secure
        # messaging. Readers whose driver refuses transactions still work, unprotected.
        hr = scard.SCardBeginTransaction(card)
        self._in_transaction = hr == scard.SCARD_S_SUCCESS
        if not self._in_transaction:
            log.info("the reader did not grant a PC/SC transaction (0x%08X)", hr & 0xFFFFFFFF)
        log.info("connected (T=%d, extended length %s)",
                 1 if proto == scard.SCARD_PROTOCOL_T1 else 0, self.supports_extended)

    def disconnect(self) -> None:
        if self._card is not None:
            if self._in_transaction:  # fails harmlessly when the card already left
                scard.SCardEndTransaction(self._card, scard.SCARD_LEAVE_CARD)
                self._in_transaction = False
            scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)
            self._card = None
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None

    def transmit(self, apdu: bytes) -> bytes:
        if self._card is None:
            raise TransportError("transmit: not connected; call connect() first")
        hr, resp = scard.SCardTransmit(self._card, self._pci, list(apdu))
        self.apdu_count += 1
        if hr != scard.SCARD_S_SUCCESS:
            _raise_for(hr, "transmit")
        if len(resp) < 2:  # the reader lost the card between command and answer
            raise CardRemovedError("transmit: the reader returned no status word; the "
                                   "document left the field: keep it still on the reader")
        return bytes(resp)

    def __enter__(self) -> PcscTransport:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    # -- reader choice ------------------------------------------------------------
    def _choose(self, timeout: float) -> str:
        assert self._ctx is not None
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            names = self._ctx.readers()
            if self.bound_reader is not None:  # a session continues on its own reader only
                names = [n for n in names if n == self.bound_reader]
                if not names:
                    raise NoReaderError("the reader the session started on is gone; re-plug "
                                        "it and start again")
            elif self.reader_filter:
                want = self.reader_filter.lower()
                names = [n for n in names if want in n.lower()]
                if not names:
                    raise NoReaderError("no PC/SC reader matches the requested name; "
                                        "list readers with 'checkedid readers'")
            if not names:
                raise NoReaderError("no PC/SC reader is connected; plug in a reader and "
                                    "check 'checkedid readers'")
            for name, ev, _atr in self._ctx.states(names):
                if ev & scard.SCARD_STATE_PRESENT and not ev & scard.SCARD_STATE_MUTE:
                    return name
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoCardError("no document on the reader; place the document on it")
            self._wait_change(names, min(left, 1.0))

    def _wait_change(self, names: list[str], seconds: float) -> None:
        assert self._ctx is not None
        states = [(n, scard.SCARD_STATE_EMPTY) for n in names]
        hr, _ = scard.SCardGetStatusChange(self._ctx.ctx, int(seconds * 1000), states)
        if (hr & 0xFFFFFFFF) != (scard.SCARD_E_TIMEOUT & 0xFFFFFFFF):
            _raise_for(hr, "wait for a document")

    def wait_for_card(self, timeout: float) -> None:
        """Block until a card is on the (chosen) reader, then connect."""
        self.timeout = timeout
        self.connect()


@dataclass(frozen=True)
class CardEvent:
    """A document was ``"placed"`` on or ``"removed"`` from ``reader`` (no card data)."""

    kind: str
    reader: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "reader": self.reader}


def _matching(ctx: _Context, reader: str | None) -> list[str]:
    names = ctx.readers()
    if reader:
        names = [n for n in names if reader.lower() in n.lower()]
    return names


def _present(ctx: _Context, names: list[str]) -> set[str]:
    if not names:
        return set()
    return {n for n, ev, _atr in ctx.states(names)
            if ev & scard.SCARD_STATE_PRESENT and not ev & scard.SCARD_STATE_MUTE}


def wait_for_card(reader: str | None = None, timeout: float = 30.0) -> ReaderInfo:
    """Block until a document is on a reader whose name contains ``reader`` (any reader
    when ``None``); return that reader. Raises :class:`NoCardError` after ``timeout``
    seconds and :class:`NoReaderError` when no reader matches (PC/SC
    SCardGetStatusChange, PC/SC Workgroup Part 5 §3.1)."""
    ctx = _Context()
    try:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            names = _matching(ctx, reader)
            if not names:
                raise NoReaderError("no PC/SC reader matches the requested name; list readers "
                                    "with 'checkedid readers'")
            for name, ev, atr in ctx.states(names):
                if ev & scard.SCARD_STATE_PRESENT and not ev & scard.SCARD_STATE_MUTE:
                    return ReaderInfo(name, True, atr or None)
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoCardError("no document was placed on the reader in time; place it on "
                                  "the reader")
            _block(ctx, names, min(left, 0.5))
    finally:
        ctx.close()


def _block(ctx: _Context, names: list[str], seconds: float) -> None:
    """Wait up to ``seconds`` for any change on ``names`` (a timeout is not an error)."""
    current = [(n, int(ev) & ~scard.SCARD_STATE_CHANGED) for n, ev, _atr in ctx.states(names)]
    hr, _ = scard.SCardGetStatusChange(ctx.ctx, int(seconds * 1000), current)
    if (hr & 0xFFFFFFFF) != (scard.SCARD_E_TIMEOUT & 0xFFFFFFFF):
        _raise_for(hr, "wait for a document")


def monitor(reader: str | None = None, *, poll: float = 0.5,
            stop: Callable[[], bool] = lambda: False) -> Iterator[CardEvent]:
    """Yield a :class:`CardEvent` each time a document is placed on or removed from a
    matching reader, until ``stop()`` is true (checked at least every ``poll`` seconds).
    A document already on the reader when monitoring starts is reported as placed."""
    ctx = _Context()
    try:
        known: set[str] = set()
        while not stop():
            names = _matching(ctx, reader)
            now = _present(ctx, names)
            for name in sorted(now - known):
                yield CardEvent("placed", name)
            for name in sorted(known - now):
                yield CardEvent("removed", name)
            known = now
            if names:
                _block(ctx, names, poll)
            else:
                time.sleep(poll)
    finally:
        ctx.close()
