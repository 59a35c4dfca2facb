"""The virtual eMRTD chip: state, APDU router and the file-system handlers.

:class:`VirtualChip` is what :mod:`hw.vchip.vpcd` drives: ``power_on() -> ATR``
and ``process(apdu) -> response``. Commands are routed per INS to handlers
``handler(chip: ChipState, cmd: Command) -> Response``. The router unwraps secure
messaging before a handler runs and wraps its answer afterwards (ICAO Doc 9303-11
§9.8); a handler that derives new session keys (BAC, PACE, CA) stores them in
``chip.pending_sm``, which the router installs *after* wrapping the current
response — the answer to the key-establishing command still uses the old keys
(or none).

The file-system handlers (SELECT, READ BINARY, GET CHALLENGE) live in
:mod:`hw.vchip.filesystem`; BAC, PACE, AA and CA handlers come from
``chip_bac``/``chip_pace``/``chip_aa``/``chip_ca`` when those modules are present
(each exposes ``register(router)``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hw.vchip.iso7816 import SW, ApduError, Command, Response
from hw.vchip.secure_messaging import ChipSession, SMError
from hw.vchip.vpcd import CardRemoved

if TYPE_CHECKING:
    from hw.vchip.faults import Fault
    from hw.vchip.personas import Persona

__all__ = ["ChipState", "Command", "Handler", "Response", "Router", "VirtualChip", "make_atr"]

log = logging.getLogger(__name__)

Handler = Callable[["ChipState", Command], Response]


# INS that may arrive in plain while secure messaging is active (they restart authentication).
_PLAIN_RESTART = frozenset({0x84, 0x82, 0x22, 0x86, 0xA4})


def make_atr(extended: bool) -> bytes:
    """ATR with a card-capabilities historical byte (ISO/IEC 7816-4 §8.1.1.2.7).

    ``3B 85 80 01`` + historical bytes ``80 73 00 00 xx`` where ``xx`` bit 0x40
    announces extended Lc/Le, bit 0x80 command chaining.
    """
    hist = bytes([0x80, 0x73, 0x00, 0x00, 0xC0 if extended else 0x80])
    body = bytes([0x80 | len(hist), 0x80, 0x01]) + hist
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


def is_extended(apdu: bytes) -> bool:
    """True when a command APDU uses extended-length Lc/Le encoding (ISO 7816-4 §5.1)."""
    return len(apdu) >= 7 and apdu[4] == 0


@dataclass
class ChipState:
    """Everything a handler may read or change. ``scratch`` and the SM state are reset on
    power-on and reset; ``counters`` survive for the benchmark and the tests."""

    persona: Persona
    fault: Fault | None = None
    app_selected: bool = False
    selected: int | None = None  # FID of the current EF
    sm: ChipSession | None = None  # the chip's secure-messaging session
    pending_sm: ChipSession | None = None
    authenticated: str | None = None  # "BAC" / "PACE" once access control is satisfied
    challenge: bytes | None = None
    scratch: dict[str, Any] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=lambda: {"apdus": 0, "bytes_read": 0})
    last_extended: bool = False  # the current command used extended length

    def clear_session(self) -> None:
        """Forget authentication and SM (power-on, reset, SM error)."""
        self.sm = None
        self.pending_sm = None
        self.authenticated = None
        self.challenge = None
        self.scratch.clear()

    def power_on(self) -> None:
        self.clear_session()
        self.app_selected = False
        self.selected = None


class Router:
    """Maps INS bytes to handlers."""

    def __init__(self) -> None:
        self._handlers: dict[int, Handler] = {}

    def add(self, ins: int, handler: Handler) -> None:
        self._handlers[ins] = handler

    def get(self, ins: int) -> Handler | None:
        return self._handlers.get(ins)

    def __contains__(self, ins: int) -> bool:
        return ins in self._handlers


_OPTIONAL_HANDLERS = ("chip_bac", "chip_pace", "chip_aa", "chip_ca")


def default_router() -> Router:
    """A router with the file-system handlers and every protocol module that is installed."""
    from hw.vchip import filesystem

    router = Router()
    filesystem.register(router)
    for name in _OPTIONAL_HANDLERS:
        try:
            module = importlib.import_module(f"hw.vchip.{name}")
        except ImportError as exc:
            if exc.name not in (f"hw.vchip.{name}",):
                raise
            log.debug("%s not available", name)
            continue
        register = getattr(module, "register", None)
        if callable(register):
            register(router)
        for ins, handler in getattr(module, "HANDLERS", {}).items():
            router.add(ins, handler)
    return router


class VirtualChip:
    """An eMRTD chip: feed it command APDUs, get response APDUs."""

    def __init__(self, persona: Persona, *, fault: Fault | None = None,
                 router: Router | None = None) -> None:
        from hw.vchip.quirks import layer_for

        self.state = ChipState(persona=persona, fault=layer_for(persona, fault))
        self.router = router or default_router()
        self._atr = make_atr(persona.extended_length)
        self.powered = False

    @property
    def atr(self) -> bytes:
        return self._atr

    def power_on(self) -> bytes:
        self.state.power_on()
        hook = getattr(self.state.fault, "power_on", None)
        if callable(hook):  # a quirk layer (hw.vchip.quirks) resets its state too
            hook(self.state)
        self.powered = True
        return self._atr

    def power_off(self) -> None:
        self.state.power_on()
        self.powered = False

    def reset(self) -> bytes:
        return self.power_on()

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU (raw bytes in, raw bytes out)."""
        st = self.state
        st.counters["apdus"] += 1
        fault = st.fault
        if fault is not None:
            early = fault.before(st, apdu)
            if early is not None:
                return early
        out = self._route(apdu)
        if fault is not None:
            out = fault.after(st, apdu, out)
        return out

    def _route(self, apdu: bytes) -> bytes:
        st = self.state
        if len(apdu) < 4:
            return _sw(SW.WRONG_LENGTH)
        st.last_extended = is_extended(apdu)
        if st.last_extended and not st.persona.extended_length:
            return _sw(SW.WRONG_LENGTH)
        try:
            cmd = Command.from_bytes(apdu)
        except ApduError:  # malformed outside input: answer like a card would
            return _sw(SW.WRONG_LENGTH)
        protected = bool(cmd.cla & 0x0C)
        if protected:
            if st.sm is None:
                return _sw(SW.SM_NOT_SUPPORTED)
            try:
                cmd = st.sm.unwrap_command(cmd)
            except SMError as exc:
                log.debug("SM unwrap failed: %s", exc)
                st.clear_session()
                return _sw(SW.SM_DATA_OBJECTS_MISSING if exc.missing
                           else SW.SM_DATA_OBJECTS_INCORRECT)
        elif st.sm is not None:
            # A plain command ends the SM session (Doc 9303-11 §9.8.6).
            st.clear_session()
            if cmd.ins not in _PLAIN_RESTART:
                return _sw(SW.SM_DATA_OBJECTS_MISSING)
        handler = self.router.get(cmd.ins)
        # A fault may answer the unwrapped command itself (its answer is still wrapped).
        override = st.fault.command(st, cmd) if st.fault is not None else None
        if override is not None:
            resp = override
        elif handler is None:
            resp = Response(b"", SW.INS_NOT_SUPPORTED)
        else:
            try:
                resp = handler(st, cmd)
            except CardRemoved:
                raise
            except Exception:
                log.exception("handler for INS %02X failed", cmd.ins)
                resp = Response(b"", SW.UNKNOWN)
        if st.fault is not None:
            resp = st.fault.response(st, cmd, resp)
        if protected and st.sm is not None:
            resp = st.sm.wrap_response(resp, cmd.ins)
        if st.pending_sm is not None:
            st.sm, st.pending_sm = st.pending_sm, None
        return resp.to_bytes()


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")
