"""Client for the vpcd wire protocol (vsmartcard's virtual PC/SC reader driver).

pcscd loads ``libifdvpcd.so``, which opens TCP port 35963 (slot 0) and 35964
(slot 1) and waits for a "virtual ICC" to connect. The protocol is tiny: each
message is a 2-byte big-endian length followed by the payload.

* A 1-byte payload is a control message: ``0`` power off, ``1`` power on,
  ``2`` reset, ``4`` get ATR. Only "get ATR" is answered (with the ATR).
* Any longer payload is a command APDU; the answer is the response APDU.

Latency matters: without ``TCP_NODELAY`` and a ``TCP_QUICKACK`` re-armed before
every ``recv`` each APDU costs ~45 ms (Nagle's algorithm meets delayed ACKs),
with them ~1.4 ms. Linux clears QUICKACK after a while, hence the re-arm.

vpcd's server mode binds ``INADDR_ANY`` and has no option to bind loopback only
(vsmartcard ``vpcd.c: opensock``). Its "reverse" mode — ``DEVICENAME
127.0.0.1:0x8C7B`` in ``/etc/reader.conf.d/vpcd`` — makes pcscd connect to the
chip instead; :class:`VpcdLink` supports that with ``listen=True`` (the chip then
listens on 127.0.0.1 only). See hw/README.md.
"""

from __future__ import annotations

import logging
import signal
import socket
import struct
import threading
import time
from types import FrameType
from typing import Protocol

__all__ = ["DEFAULT_PORT", "Card", "CardRemoved", "VpcdLink"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 35963

CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4

_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


class Card(Protocol):
    """What the link drives: the virtual chip."""

    def power_on(self) -> bytes: ...

    def power_off(self) -> None: ...

    def reset(self) -> bytes: ...

    @property
    def atr(self) -> bytes: ...

    def process(self, apdu: bytes) -> bytes: ...


class _Closed(Exception):
    """The peer closed the connection."""


class CardRemoved(Exception):
    """Raised by a card's ``process`` to simulate leaving the field.

    The link drops the connection without answering (pcscd then reports the card
    as removed) and reconnects after ``away`` seconds.
    """

    def __init__(self, away: float = 1.0) -> None:
        super().__init__("card removed")
        self.away = away


class VpcdLink:
    """Connects a :class:`Card` to vpcd and serves it until :meth:`stop`.

    ``serve_forever`` reconnects when pcscd restarts or the connection drops, so a
    chip process started before pcscd (or surviving a pcscd restart) keeps working.
    """

    def __init__(self, card: Card, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 listen: bool = False, retry_delay: float = 0.2) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.listen = listen
        self.retry_delay = retry_delay
        self.apdus = 0
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._server: socket.socket | None = None
        self.connected = threading.Event()

    # -- lifecycle -----------------------------------------------------------------
    def stop(self) -> None:
        """Ask :meth:`serve_forever` to return; safe from a signal handler or thread."""
        self._stop.set()
        for s in (self._sock, self._server):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def install_signal_handlers(self) -> None:
        """Stop cleanly on SIGTERM and SIGINT (main thread only)."""

        def _handler(signum: int, frame: FrameType | None) -> None:
            log.info("signal %d: shutting down", signum)
            self.stop()

        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGINT, _handler)

    def serve_forever(self) -> None:
        """Serve the card, reconnecting after errors, until :meth:`stop`."""
        logged_wait = False
        while not self._stop.is_set():
            try:
                sock = self._open()
            except OSError as exc:
                if not logged_wait:
                    log.info("waiting for vpcd on %s:%d (%s)", self.host, self.port, exc)
                    logged_wait = True
                self._stop.wait(self.retry_delay)
                continue
            logged_wait = False
            away = self.retry_delay
            self._sock = sock
            self.connected.set()
            log.info("connected to vpcd on %s:%d", self.host, self.port)
            try:
                self._serve(sock)
            except CardRemoved as exc:
                log.info("simulating card removal for %.1f s", exc.away)
                away = exc.away
            except (_Closed, OSError) as exc:
                if not self._stop.is_set():
                    log.info("vpcd connection closed (%s); reconnecting", exc)
            finally:
                self.connected.clear()
                self._sock = None
                sock.close()
                self.card.power_off()
            if not self._stop.is_set():
                self._stop.wait(away)
        if self._server is not None:
            self._server.close()
            self._server = None

    # -- socket --------------------------------------------------------------------
    def _open(self) -> socket.socket:
        if self.listen:
            if self._server is None:
                srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                srv.bind((self.host, self.port))
                srv.listen(1)
                self._server = srv
            sock, _ = self._server.accept()
        else:
            sock = socket.create_connection((self.host, self.port), timeout=2.0)
            sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _recv_exact(self, sock: socket.socket, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            if _QUICKACK is not None:
                # Re-arm before every recv: the kernel falls back to delayed ACKs otherwise.
                sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise _Closed("peer closed")
            buf += chunk
        return bytes(buf)

    def _send(self, sock: socket.socket, payload: bytes) -> None:
        if len(payload) > 0xFFFF:
            raise ValueError("vpcd messages are limited to 65535 bytes")
        sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            (length,) = struct.unpack(">H", self._recv_exact(sock, 2))
            payload = self._recv_exact(sock, length) if length else b""
            if len(payload) == 1:
                ctrl = payload[0]
                if ctrl == CTRL_OFF:
                    self.card.power_off()
                elif ctrl == CTRL_ON:
                    self.card.power_on()
                elif ctrl == CTRL_RESET:
                    self.card.reset()
                elif ctrl == CTRL_ATR:
                    self._send(sock, self.card.atr)
                else:
                    log.warning("unknown vpcd control byte %d", ctrl)
                continue
            if not payload:
                continue
            t0 = time.perf_counter()
            response = self.card.process(payload)
            self.apdus += 1
            log.debug("APDU %d answered in %.2f ms", self.apdus, (time.perf_counter() - t0) * 1e3)
            self._send(sock, response)
