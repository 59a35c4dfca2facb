"""Quirks of real chips as behaviour layers of the virtual chip (``quirk-*`` personas).

Every eMRTD reader meets chips that implement only the mandatory part of ISO/IEC 7816-4
and ICAO Doc 9303-10/-11, or implement it their own way. A quirk is a layer around the
chip's APDU routing with the hooks of :class:`hw.vchip.faults.Fault`: on the raw command
(``before``), on the raw answer (``after``), on the unwrapped command and the plain
answer (``command`` / ``response``, inside secure messaging) and at power-on. The layers
sit outside the chip's cryptography: they never wrap or unwrap secure messaging.

=================  =========================================================================
no-sfi[:SW]        READ BINARY by short EF identifier answers 6A82 (or SW) *without* secure
                   messaging and ends the session (a plain BAC passport seen in the field)
short-apdu-only    ATR and EF.ATR/INFO announce extended length, but an extended APDU is
                   answered 6700 without secure messaging (ending the session); READ BINARY
                   with the odd INS B1 answers 6D00
t0-chaining        T=0 behaviour: every answer with data comes as 61xx and is fetched with
                   GET RESPONSE (at most 256 bytes each); a plain READ BINARY whose Le is
                   more than the bytes left answers 6Cxx (ISO/IEC 7816-3 §12.2, 7816-4 §5.6)
select-mf-first    no current DF after power-on: EF.CardAccess is found only after SELECT MF;
                   SELECT takes only P2=0C (no FCI)
multi-paceinfo     EF.CardAccess lists three PACEInfos; the strongest one is refused at
                   MSE:Set AT (6A80), the chip runs only its own (Doc 9303-11 §4.4.1);
                   with ``:all`` every variant is refused
eof-6282           a READ BINARY that reaches the end of the file answers 6282 (end of file
                   reached) with its data, also when exactly the bytes left were asked
slow-wtx[:SCALE]   a chip at 106 kbit/s: GENERAL AUTHENTICATE, MSE of CA, INTERNAL AUTHENTICATE
                   and READ BINARYs over 256 bytes answer late (:class:`SlowWtx`), while the
                   reader sends waiting-time extensions (ISO/IEC 14443-4 §7.3): over vpcd a
                   slow transmit
=================  =========================================================================

Status words follow ISO/IEC 7816-4 §5.6 Tables 5-6.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from hw.vchip import lds_build
from hw.vchip.faults import Fault
from hw.vchip.iso7816 import SW, Command, Response, tlv
from hw.vchip.quirk_base import (
    FID_ATR_INFO,
    FID_CARD_ACCESS,
    INS,
    SFI_CARD_ACCESS,
    SW1,
    Quirk,
    is_extended,
    oid_value,
    protected,
    sw_bytes,
)

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState
    from hw.vchip.personas import Persona

__all__ = ["QUIRKS", "QUIRK_PERSONAS", "Quirk", "Stack", "install_files", "layer_for"]

_NO_FCI = 0x0C
_PACE_MSE = (0xC1, 0xA4)


class NoSfi(Quirk):
    """READ BINARY with a short EF identifier: ARG (hex SW, default 6A82), unprotected; the
    SM session ends."""

    name = "no-sfi"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.sw = int(arg, 16) if arg else SW.FILE_NOT_FOUND

    def before(self, chip: ChipState, apdu: bytes) -> bytes | None:
        if len(apdu) < 4:
            return None
        by_sfi = (apdu[1] == INS.READ_BINARY and apdu[2] & 0x80) or (
            apdu[1] == INS.READ_BINARY_ODD and apdu[2] == 0 and 0 < apdu[3] <= 0x1F)
        if not by_sfi:
            return None
        self.fired += 1
        if protected(apdu):
            chip.clear_session()
        return sw_bytes(self.sw)


class ShortApduOnly(Quirk):
    """Extended length announced but refused; no odd-INS READ BINARY."""

    name = "short-apdu-only"

    def before(self, chip: ChipState, apdu: bytes) -> bytes | None:
        if len(apdu) < 4:
            return None
        if is_extended(apdu):
            self.fired += 1
            if protected(apdu):
                chip.clear_session()
            return sw_bytes(SW.WRONG_LENGTH)
        return None

    def command(self, chip: ChipState, cmd: Command) -> Response | None:
        if cmd.ins == INS.READ_BINARY_ODD:
            self.fired += 1
            return Response(b"", SW.INS_NOT_SUPPORTED)
        return None


class T0Chaining(Quirk):
    """Answers with data as 61xx + GET RESPONSE; a plain read past the end answers 6Cxx."""

    name = "t0-chaining"
    PART = 256

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.pending = b""  # data still to fetch, then the status word

    def power_on(self, chip: ChipState) -> None:
        self.pending = b""

    def before(self, chip: ChipState, apdu: bytes) -> bytes | None:
        if len(apdu) < 4 or apdu[1] != INS.GET_RESPONSE or protected(apdu):
            self.pending = b""  # any other command discards an unfetched answer
            return None
        if len(self.pending) <= 2:
            return sw_bytes(SW.CONDITIONS_NOT_SATISFIED)
        le = apdu[4] if len(apdu) == 5 else 0
        data, sw = self.pending[:-2], self.pending[-2:]
        part, rest = data[:le or self.PART], data[le or self.PART:]
        self.pending = rest + sw
        return part + (self._more(rest) if rest else sw)

    def after(self, chip: ChipState, apdu: bytes, response: bytes) -> bytes:
        if len(response) < 2:
            return response
        data, sw = response[:-2], response[-2:]
        plain_read = not protected(apdu) and apdu[1] == INS.READ_BINARY and len(apdu) == 5
        if plain_read and int.from_bytes(sw, "big") == SW.END_OF_FILE:
            self.fired += 1
            return bytes([SW1.WRONG_LE, len(data) & 0xFF])
        if not data:
            return response
        self.fired += 1
        self.pending = response
        return self._more(data)

    def _more(self, data: bytes) -> bytes:
        return bytes([SW1.MORE_DATA, min(len(data), self.PART) & 0xFF])


class SelectMfFirst(Quirk):
    """No current DF at power-on (EF.CardAccess only after SELECT MF); SELECT with P2=0C only."""

    name = "select-mf-first"

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.in_mf = False

    def power_on(self, chip: ChipState) -> None:
        self.in_mf = False

    def command(self, chip: ChipState, cmd: Command) -> Response | None:
        if cmd.ins == INS.SELECT:
            if cmd.p2 != _NO_FCI:
                self.fired += 1
                return Response(b"", SW.WRONG_P1P2)
            if cmd.p1 == 0x00 and bytes(cmd.data) in (b"", b"\x3f\x00"):
                self.in_mf = True
            elif cmd.p1 == 0x04:
                self.in_mf = False
            elif not self.in_mf and int.from_bytes(bytes(cmd.data[-2:]), "big") == FID_CARD_ACCESS:
                self.fired += 1
                return Response(b"", SW.FILE_NOT_FOUND)
            return None
        if cmd.ins == INS.READ_BINARY and not self.in_mf and not chip.app_selected and (
                cmd.p1 == 0x80 | SFI_CARD_ACCESS or (
                    not cmd.p1 & 0x80 and chip.selected == FID_CARD_ACCESS)):
            self.fired += 1
            return Response(b"", SW.FILE_NOT_FOUND)
        return None


class MultiPaceInfo(Quirk):
    """EF.CardAccess with three PACEInfos; MSE:Set AT for the strongest one answers 6A80."""

    name = "multi-paceinfo"
    #: listed first and ranked highest (ECDH-GM, AES-256 on NIST P-256), but refused
    REFUSED = ("0.4.0.127.0.7.2.2.4.2.4", 12)
    #: listed, lower ranked (DH-GM, AES-128, 2048-bit MODP): never tried when the own one works
    WEAKER = ("0.4.0.127.0.7.2.2.4.1.2", 2)

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.refuse_all = arg == "all"  # a chip that refuses every variant (the read fails)

    def install(self, persona: Persona) -> None:
        own = persona.pace
        if own is None:
            raise ValueError("multi-paceinfo needs a PACE persona")
        infos = [lds_build.pace_info(*self.REFUSED), lds_build.pace_info(own.oid, own.parameter_id),
                 lds_build.pace_info(*self.WEAKER)]
        persona.mf_files[FID_CARD_ACCESS] = lds_build.card_access(infos)

    def command(self, chip: ChipState, cmd: Command) -> Response | None:
        if cmd.ins == INS.MSE and (cmd.p1, cmd.p2) == _PACE_MSE and (
                self.refuse_all or oid_value(self.REFUSED[0]) in bytes(cmd.data)):
            self.fired += 1
            return Response(b"", SW.WRONG_DATA)
        return None


class Eof6282(Quirk):
    """A READ BINARY that reaches the end of the file answers 6282 with its data."""

    name = "eof-6282"

    def response(self, chip: ChipState, cmd: Command, resp: Response) -> Response:
        if cmd.ins != INS.READ_BINARY or chip.selected is None:
            return resp
        fid = chip.selected
        content = chip.persona.mf_files.get(fid) if fid in chip.persona.mf_files \
            else chip.persona.files.get(fid)
        if content is None:
            return resp
        offset = cmd.p2 if cmd.p1 & 0x80 else ((cmd.p1 & 0x7F) << 8) | cmd.p2
        if resp.sw == SW.OK and offset + len(resp.data) >= len(content):
            self.fired += 1
            return Response(resp.data, SW.END_OF_FILE)
        if resp.sw == SW.WRONG_OFFSET and offset == len(content):
            self.fired += 1
            return Response(b"", SW.END_OF_FILE)
        return resp


class SlowWtx(Quirk):
    """Costly commands answer late (seconds below, times the SCALE argument, default 1); a
    large READ BINARY takes 0.1 s plus its air time. EF.ATR/INFO announces 4096-byte
    responses, as many chips do, so DG2 comes in several slow chunks."""

    name = "slow-wtx"
    DELAYS: ClassVar[dict[int, float]] = {  # seconds at SCALE 1: public-key operations
        INS.GENERAL_AUTHENTICATE: 0.4, INS.INTERNAL_AUTHENTICATE: 1.0, INS.MSE: 0.3}
    CA_MSE = ((0x41, 0xA4), (0x41, 0xA6))  # MSE:Set AT / Set KAT of Chip Authentication
    LARGE, READ_BASE = 256, 0.1  # a READ BINARY answering more bytes waits 0.1 s first
    BITRATE = 106_000  # ISO/IEC 14443 fc/128
    MAX_RESPONSE = 4096  # announced in EF.ATR/INFO

    def __init__(self, arg: str | None = None) -> None:
        super().__init__(arg)
        self.scale = float(arg) if arg else 1.0
        if not self.scale > 0:
            raise ValueError(f"slow-wtx: SCALE must be a positive number of times, not {arg!r}")
        self.slept = 0.0  # seconds of delay so far

    def install(self, persona: Persona) -> None:
        # DO'7F66': maximum command and response lengths (ISO/IEC 7816-4 §12.7.1)
        lengths = tlv(0x02, b"\x00\xff\xff") + tlv(0x02, self.MAX_RESPONSE.to_bytes(2, "big"))
        persona.mf_files[FID_ATR_INFO] = tlv(0x7F66, lengths)

    def delay(self, cmd: Command, resp: Response | None = None) -> float:
        """Seconds this command takes longer than on a fast chip (0 for cheap ones)."""
        if cmd.ins == INS.MSE and (cmd.p1, cmd.p2) not in self.CA_MSE:
            return 0.0
        if cmd.ins in self.DELAYS:
            return self.DELAYS[cmd.ins] * self.scale
        if resp is not None and cmd.ins in (INS.READ_BINARY, INS.READ_BINARY_ODD) and \
                len(resp.data) > self.LARGE:
            return (self.READ_BASE + len(resp.data) * 8 / self.BITRATE) * self.scale
        return 0.0

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.fired += 1
            self.slept += seconds
            time.sleep(seconds)

    def command(self, chip: ChipState, cmd: Command) -> Response | None:
        if cmd.ins not in (INS.READ_BINARY, INS.READ_BINARY_ODD):
            self._wait(self.delay(cmd))
        return None

    def response(self, chip: ChipState, cmd: Command, resp: Response) -> Response:
        if cmd.ins in (INS.READ_BINARY, INS.READ_BINARY_ODD):
            self._wait(self.delay(cmd, resp))
        return resp


class Stack(Fault):
    """A quirk layer and a fault profile together: the fault sees the wire, the quirk the chip.

    ``before``/``after`` on the raw APDU: fault first on the way in, last on the way out.
    """

    name = "stack"

    def __init__(self, quirk: Quirk, fault: Fault) -> None:
        super().__init__(None)
        self.quirk, self.fault = quirk, fault

    def power_on(self, chip: ChipState) -> None:
        self.quirk.power_on(chip)
        hook = getattr(self.fault, "power_on", None)
        if callable(hook):
            hook(chip)

    def before(self, chip: ChipState, apdu: bytes) -> bytes | None:
        early = self.fault.before(chip, apdu)
        return early if early is not None else self.quirk.before(chip, apdu)

    def after(self, chip: ChipState, apdu: bytes, response: bytes) -> bytes:
        return self.fault.after(chip, apdu, self.quirk.after(chip, apdu, response))

    def on_read(self, chip: ChipState, fid: int, offset: int, length: int) -> None:
        self.quirk.on_read(chip, fid, offset, length)
        self.fault.on_read(chip, fid, offset, length)

    def command(self, chip: ChipState, cmd: Command) -> Response | None:
        own = self.fault.command(chip, cmd)
        return own if own is not None else self.quirk.command(chip, cmd)

    def response(self, chip: ChipState, cmd: Command, resp: Response) -> Response:
        return self.fault.response(chip, cmd, self.quirk.response(chip, cmd, resp))


QUIRKS: dict[str, type[Quirk]] = {
    cls.name: cls for cls in (NoSfi, ShortApduOnly, T0Chaining, SelectMfFirst, MultiPaceInfo,
                              Eof6282, SlowWtx)
}

#: Quirk personas: (quirk, base persona, description); named ``quirk-<quirk>``.
QUIRK_PERSONAS: tuple[tuple[str, str, str], ...] = (
    ("no-sfi", "utopia-passport-bac",
     "BAC passport without short EF identifiers (6A82 unprotected, SM ends)"),
    ("short-apdu-only", "utopia-id-pace-gm",
     "announces extended length but refuses it (6700 unprotected); no odd-INS READ BINARY"),
    ("t0-chaining", "utopia-id-pace-dh", "T=0 style: 61xx + GET RESPONSE, 6Cxx on a wrong Le"),
    ("select-mf-first", "utopia-id-pace-im",
     "EF.CardAccess only after SELECT MF; SELECT with P2=0C only"),
    ("multi-paceinfo", "utopia-id-pace-gm",
     "three PACEInfos in EF.CardAccess, the strongest refused at MSE:Set AT"),
    ("eof-6282", "utopia-passport-bac", "the last READ BINARY of every file answers 6282"),
    ("slow-wtx", "utopia-id-pace-gm",
     "a slow chip at 106 kbit/s: PACE, CA, AA and large reads answer 0.3-1.5 s late (WTX)"),
)


def _quirk_of(persona: Persona) -> Quirk | None:
    spec = getattr(getattr(persona, "spec", None), "quirk", None)
    if not spec:
        return None
    name, _, arg = spec.partition(":")
    return QUIRKS[name](arg or None)


def install_files(persona: Persona) -> None:
    """Put the persona's quirk files in place (e.g. three PACEInfos in EF.CardAccess).

    Called once when the persona is built, so its contents never depend on whether a chip
    was started from it before (the built persona is cached and shared)."""
    quirk = _quirk_of(persona)
    if quirk is not None:
        quirk.install(persona)


def layer_for(persona: Persona, fault: Fault | None) -> Fault | None:
    """The persona's quirk layer (its files were installed when it was built), stacked with
    ``fault`` if any."""
    quirk = _quirk_of(persona)
    if quirk is None:
        return fault
    return quirk if fault is None else Stack(quirk, fault)
