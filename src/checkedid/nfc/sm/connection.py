"""The APDU connection protocol code talks to (ISO/IEC 7816-4 §5, §10.2; Doc 9303-11 §9.8).

:class:`ApduConnection` encodes :class:`~checkedid.nfc.iso7816.apdu.Command` objects (short or
extended), resolves response chaining (``61xx`` -> GET RESPONSE) and wrong-Le answers
(``6Cxx`` -> the same command with the right Le), and maps refusals to typed errors
(:meth:`ApduConnection.check`). BAC, PACE and CA return a session that
:meth:`ApduConnection.install_sm` puts under every later command: this is where the stack
of a :class:`~checkedid.nfc.iso7816.transport.Transport` and secure messaging is assembled, so it
sits above both.
"""

from __future__ import annotations

import logging

from checkedid.errors import ParseError, ProtocolError
from checkedid.nfc.iso7816.apdu import (
    INS,
    SHORT_MAX_LE,
    SW,
    SW1,
    Command,
    Response,
    status_error,
    transceive,
)
from checkedid.nfc.iso7816.transport import TRAFFIC, Transport, atr_supports_extended
from checkedid.nfc.sm.messaging import SecureTransport, SMSession

__all__ = ["ApduConnection"]

log = logging.getLogger(__name__)


class _Tap:
    """The raw transport under secure messaging, noting whether the last answer was only a
    status word (an unprotected answer: a protected one always carries DO'99' and DO'8E')."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.bare = False
        self.sw = 0

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    def connect(self) -> None:
        self.inner.connect()

    def disconnect(self) -> None:
        self.inner.disconnect()

    def transmit(self, apdu: bytes) -> bytes:
        out = self.inner.transmit(apdu)
        n = len(out)
        self.bare = n <= 2
        self.sw = (out[n - 2] << 8) | out[n - 1] if n >= 2 else 0
        return out


class ApduConnection:
    """Command/response exchange over a :class:`Transport`, with optional secure messaging.

    ``extended``: ``None`` encodes each command in the short form unless it needs the
    extended one; ``True`` always uses extended length; ``False`` never does (a
    command that cannot be sent short raises :class:`~checkedid.errors.ProtocolError`).
    """

    def __init__(self, transport: Transport, *, extended: bool | None = None) -> None:
        self.base = transport
        self._tap = _Tap(transport)
        self.transport: Transport = self._tap
        self.extended = extended
        self._session: SMSession | None = None
        self._secure: SecureTransport | None = None

    # -- secure messaging ------------------------------------------------------
    @property
    def sm_active(self) -> bool:
        return self._session is not None

    @property
    def session(self) -> SMSession | None:
        return self._session

    def install_sm(self, session: SMSession) -> None:
        """Send every later command through ``session`` (wiping a replaced session's keys)."""
        old = self._session
        if old is not None and old is not session:
            old.wipe()
        self._session = session
        self._secure = SecureTransport(self._tap, session)
        self.transport = self._secure

    def clear_sm(self) -> None:
        """Drop secure messaging (after a chip reset or an SM error); wipes the keys."""
        if self._session is not None:
            self._session.wipe()
        self._session = None
        self._secure = None
        self.transport = self._tap

    @property
    def last_unprotected(self) -> bool:
        """Whether the last answer came without secure messaging (always, when SM is off)."""
        return not self.sm_active or self._tap.bare

    @property
    def last_raw_sw(self) -> int:
        """The status word of the last answer as it came from the card (outside SM)."""
        return self._tap.sw

    @property
    def supports_extended(self) -> bool:
        """Whether extended length may be used: forced by ``extended`` or read from
        the transport (``supports_extended`` attribute or the ATR)."""
        if self.extended is not None:
            return self.extended
        flag = getattr(self.base, "supports_extended", None)
        if isinstance(flag, bool):
            return flag
        return atr_supports_extended(self.base.atr)

    # -- exchange ------------------------------------------------------------------
    def _transmit(self, cmd: Command, step: str) -> Response:
        if self._secure is not None:
            return self._transmit_secure(self._secure, cmd, step)
        try:
            raw = cmd.to_bytes(self.extended)
        except ParseError as exc:
            raise ProtocolError(f"the command cannot be encoded ({exc})", step=step) from None
        if not self.sm_active and log.isEnabledFor(TRAFFIC):
            log.log(TRAFFIC, "> %02X %02X %02X %02X Lc=%d Le=%s", cmd.cla, cmd.ins, cmd.p1,
                    cmd.p2, len(cmd.data), cmd.le)
        out = transceive(self.transport.transmit, raw, step=step)
        try:
            resp = Response.from_bytes(out)
        except ParseError:
            raise ProtocolError("the chip answered without a status word", step=step) from None
        if not self.sm_active and log.isEnabledFor(TRAFFIC):
            log.log(TRAFFIC, "< SW %04X, %d bytes", resp.sw, len(resp.data))
        return resp

    def _transmit_secure(self, secure: SecureTransport, cmd: Command, step: str) -> Response:
        """:meth:`_transmit` under secure messaging, without encoding the plain command
        and parsing the plain answer in between; a plain answer 61xx or 6Cxx still goes
        through :func:`~checkedid.nfc.iso7816.apdu.transceive`, as on the generic path."""
        le = cmd.le
        if cmd.ins == INS.READ_BINARY and le is not None and le <= SHORT_MAX_LE \
                and not cmd.data and self.extended is not True:
            resp = secure.read_binary(cmd.p1, cmd.p2, le)  # the file-reading loop
        else:
            needs = cmd.needs_extended
            if self.extended is False and needs:
                raise ProtocolError("the command cannot be encoded (this command needs "
                                    "extended length, which is not enabled)", step=step)
            ext = needs if self.extended is None else self.extended
            resp = secure.exchange(cmd, ext and (bool(cmd.data) or le is not None))
        if resp.sw >> 8 not in (SW1.WRONG_LE, SW1.MORE_DATA):
            return resp
        return self._resolve(secure, resp, cmd, step)

    def _resolve(self, secure: SecureTransport, resp: Response, cmd: Command,
                 step: str) -> Response:
        """Finish a protected exchange whose unwrapped answer is 61xx or 6Cxx."""
        first = [resp.to_bytes()]

        def again(apdu: bytes) -> bytes:
            return first.pop() if first else secure.transmit(apdu)

        out = transceive(again, cmd.to_bytes(self.extended), step=step)
        try:
            return Response.from_bytes(out)
        except ParseError:
            raise ProtocolError("the chip answered without a status word", step=step) from None

    def send(self, cmd: Command, *, step: str = "") -> Response:
        """Send ``cmd``; 61xx (GET RESPONSE) and 6Cxx (wrong Le) are resolved below secure
        messaging by :func:`~checkedid.nfc.iso7816.apdu.transceive`.

        The status word is not checked: see :meth:`check`.
        """
        secure = self._secure
        if secure is not None:  # one call less for every APDU of a read
            return self._transmit_secure(secure, cmd, step)
        return self._transmit(cmd, step)

    def read_binary(self, offset: int, le: int, *, step: str = "") -> Response:
        """:meth:`send` of READ BINARY (INS B0) for ``le`` bytes at ``offset`` (up to 32767)
        of the current EF (ISO/IEC 7816-4 §11.3.3): the loop that reads a file. Under
        secure messaging a short one goes to :meth:`SecureTransport.read_binary` without
        a plain :class:`Command` in between."""
        secure = self._secure
        if secure is None or le > SHORT_MAX_LE or self.extended is True:
            return self.send(Command(0x00, INS.READ_BINARY, offset >> 8, offset & 0xFF, b"", le),
                             step=step)
        resp = secure.read_binary(offset >> 8, offset & 0xFF, le)
        if resp.sw >> 8 not in (SW1.WRONG_LE, SW1.MORE_DATA):
            return resp
        return self._resolve(secure, resp, Command(0x00, INS.READ_BINARY, offset >> 8,
                                                   offset & 0xFF, b"", le), step)

    @staticmethod
    def check(resp: Response, step: str = "", *, allow: tuple[int, ...] = (SW.OK,)) -> Response:
        """Return ``resp`` if its status word is allowed, else raise a typed error.

        The error comes from the library's one table,
        :func:`~checkedid.nfc.iso7816.apdu.status_error`. ``step`` ends up in the message.
        """
        if resp.sw in allow:
            return resp
        raise status_error(resp.sw, step)

    def call(self, cmd: Command, *, step: str = "",
             allow: tuple[int, ...] = (SW.OK,)) -> Response:
        """:meth:`send` then :meth:`check`."""
        return self.check(self.send(cmd, step=step), step, allow=allow)
