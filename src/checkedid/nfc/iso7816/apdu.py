"""Command and response APDUs, status words and instruction bytes (ISO/IEC 7816-4 §5).

A :class:`Command` encodes itself in the short or the extended form (ISO/IEC 7816-4
§5.1, cases 1-4); :meth:`Command.from_bytes` parses either form strictly and raises
:class:`~checkedid.errors.ParseError` on anything malformed. A :class:`Response` is
the data field plus the 16-bit status word.

Response data can be personal data (DG contents): nothing here logs it, and the
``repr`` of a response shows only its length and status word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

from checkedid.errors import (
    AccessDenied,
    ChipError,
    FileNotFound,
    ParseError,
    ProtocolError,
    SecureMessagingError,
    StatusWordError,
)

__all__ = ["INS", "MAX_GET_RESPONSE", "SW", "SW1", "Command", "Response", "describe", "is_extended",
           "status_error", "transceive"]

SHORT_MAX_LC = 255
SHORT_MAX_LE = 256
EXTENDED_MAX_LC = 65535
EXTENDED_MAX_LE = 65536
#: GET RESPONSE commands one answer may take before the chip counts as misbehaving.
MAX_GET_RESPONSE = 64


class INS(IntEnum):
    """Instruction bytes used by eMRTDs (ISO/IEC 7816-4 §5.4, ICAO Doc 9303-11 §4, §9)."""

    SELECT = 0xA4
    READ_BINARY = 0xB0
    READ_BINARY_ODD = 0xB1
    GET_CHALLENGE = 0x84
    EXTERNAL_AUTHENTICATE = 0x82
    INTERNAL_AUTHENTICATE = 0x88
    MSE = 0x22
    GENERAL_AUTHENTICATE = 0x86
    GET_RESPONSE = 0xC0


class SW1(IntEnum):
    """First status bytes (ISO/IEC 7816-4 §5.6, Table 5): those whose SW2 is a parameter
    (61xx, 63Cx, 6Cxx) and those that name a class of warnings or errors."""

    MORE_DATA = 0x61  # SW2 more bytes wait: GET RESPONSE
    WARNING_UNCHANGED = 0x62
    WARNING_CHANGED = 0x63  # 63Cx: verification failed, x tries left
    EXECUTION_ERROR_UNCHANGED = 0x64
    EXECUTION_ERROR_CHANGED = 0x65
    WRONG_LENGTH = 0x67
    CLA_FUNCTION_NOT_SUPPORTED = 0x68
    COMMAND_NOT_ALLOWED = 0x69
    WRONG_PARAMETERS = 0x6A
    WRONG_LE = 0x6C  # SW2 is the exact Le: send the command again


class SW(IntEnum):
    """Status words (ISO/IEC 7816-4 §5.6, Tables 5-6) that eMRTD readers meet."""

    OK = 0x9000
    END_OF_FILE = 0x6282
    VERIFICATION_FAILED = 0x6300
    MEMORY_FAILURE = 0x6581
    WRONG_LENGTH = 0x6700
    LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881
    SM_NOT_SUPPORTED = 0x6882
    LAST_COMMAND_EXPECTED = 0x6883
    COMMAND_INCOMPATIBLE = 0x6981
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983
    REFERENCE_DATA_NOT_USABLE = 0x6984
    CONDITIONS_NOT_SATISFIED = 0x6985
    COMMAND_NOT_ALLOWED_NO_EF = 0x6986
    SM_DATA_OBJECTS_MISSING = 0x6987
    SM_DATA_OBJECTS_INCORRECT = 0x6988
    WRONG_DATA = 0x6A80
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    RECORD_NOT_FOUND = 0x6A83
    WRONG_P1P2 = 0x6A86
    REFERENCED_DATA_NOT_FOUND = 0x6A88
    WRONG_OFFSET = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    UNKNOWN = 0x6F00


_MEANINGS: dict[int, str] = {
    SW.OK: "success",
    SW.END_OF_FILE: "end of file reached before Le bytes",
    SW.VERIFICATION_FAILED: "verification failed (authentication data rejected)",
    SW.MEMORY_FAILURE: "memory failure",
    SW.WRONG_LENGTH: "wrong length",
    SW.LOGICAL_CHANNEL_NOT_SUPPORTED: "logical channel not supported",
    SW.SM_NOT_SUPPORTED: "secure messaging not supported",
    SW.LAST_COMMAND_EXPECTED: "last command of the chain expected",
    SW.COMMAND_INCOMPATIBLE: "command incompatible with file structure",
    SW.SECURITY_STATUS_NOT_SATISFIED: "security status not satisfied",
    SW.AUTH_METHOD_BLOCKED: "authentication method blocked",
    SW.REFERENCE_DATA_NOT_USABLE: "reference data not usable",
    SW.CONDITIONS_NOT_SATISFIED: "conditions of use not satisfied",
    SW.COMMAND_NOT_ALLOWED_NO_EF: "command not allowed (no current EF)",
    SW.SM_DATA_OBJECTS_MISSING: "expected secure-messaging data objects missing",
    SW.SM_DATA_OBJECTS_INCORRECT: "secure-messaging data objects incorrect",
    SW.WRONG_DATA: "incorrect parameters in the data field",
    SW.FUNCTION_NOT_SUPPORTED: "function not supported",
    SW.FILE_NOT_FOUND: "file or application not found",
    SW.RECORD_NOT_FOUND: "record not found",
    SW.WRONG_P1P2: "incorrect parameters P1-P2",
    SW.REFERENCED_DATA_NOT_FOUND: "referenced data not found",
    SW.WRONG_OFFSET: "offset outside the file",
    SW.INS_NOT_SUPPORTED: "instruction not supported",
    SW.CLA_NOT_SUPPORTED: "class not supported",
    SW.UNKNOWN: "no precise diagnosis",
}

#: Meanings of a whole SW1 class, for status words not listed above.
_CLASS_MEANINGS: dict[int, str] = {
    SW1.WARNING_UNCHANGED: "warning: state of non-volatile memory unchanged",
    SW1.WARNING_CHANGED: "warning: state of non-volatile memory changed",
    SW1.EXECUTION_ERROR_UNCHANGED: "execution error: state of non-volatile memory unchanged",
    SW1.EXECUTION_ERROR_CHANGED: "execution error: state of non-volatile memory changed",
    SW1.WRONG_LENGTH: "wrong length",
    SW1.CLA_FUNCTION_NOT_SUPPORTED: "functions in CLA not supported",
    SW1.COMMAND_NOT_ALLOWED: "command not allowed",
    SW1.WRONG_PARAMETERS: "wrong parameters",
}


def describe(sw: int) -> str:
    """A short English meaning of a status word, including the parameterised ones.

    >>> describe(0x6A82)
    'file or application not found'
    >>> describe(0x6110)
    '16 more response bytes available (GET RESPONSE)'
    """
    sw &= 0xFFFF
    known = _MEANINGS.get(sw)
    if known is not None:
        return known
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == SW1.MORE_DATA:
        return f"{sw2 or 256} more response bytes available (GET RESPONSE)"
    if sw1 == SW1.WRONG_LE:
        return f"wrong Le: exactly {sw2 or 256} bytes available"
    if sw1 == SW1.WARNING_CHANGED and sw2 & 0xF0 == 0xC0:
        return f"verification failed, {sw2 & 0x0F} tries left"
    return _CLASS_MEANINGS.get(sw1, "unknown status word")


@dataclass(frozen=True)
class Command:
    """A command APDU (ISO/IEC 7816-4 §5.1).

    ``le`` is the number of expected response bytes: ``None`` for none (cases 1
    and 3), 1..65536 otherwise (256 / 65536 are encoded as 00 / 0000).
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def __post_init__(self) -> None:
        # one test for all four header bytes: a value above 0xFF or below 0 has bits above
        # the lowest eight (a negative int's sign extends to every higher bit)
        if (self.cla | self.ins | self.p1 | self.p2) >> 8:
            for name in ("cla", "ins", "p1", "p2"):
                value = getattr(self, name)
                if not 0 <= value <= 0xFF:
                    raise ParseError(f"APDU {name.upper()} must be one byte, got {value}")
        if len(self.data) > EXTENDED_MAX_LC:
            raise ParseError(f"APDU data field too long ({len(self.data)} bytes)")
        if self.le is not None and not 0 <= self.le <= EXTENDED_MAX_LE:
            raise ParseError(f"APDU Le out of range ({self.le})")

    @property
    def needs_extended(self) -> bool:
        """True when the short form cannot carry this command."""
        return len(self.data) > SHORT_MAX_LC or (self.le is not None and self.le > SHORT_MAX_LE)

    def to_bytes(self, extended: bool | None = None) -> bytes:
        """Encode; ``extended=None`` picks the short form unless data or Le need more."""
        ext = self.needs_extended if extended is None else extended
        if not ext and self.needs_extended:
            raise ParseError("this command needs extended length, which is not enabled")
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        le = self.le
        if ext:
            if self.data:
                out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
                if le is not None:
                    out += (le & 0xFFFF).to_bytes(2, "big")
            elif le is not None:
                out += b"\x00" + (le & 0xFFFF).to_bytes(2, "big")
        else:
            if self.data:
                out.append(len(self.data))
                out += self.data
            if le is not None:
                out.append(le & 0xFF)
        return bytes(out)

    @classmethod
    def from_bytes(cls, raw: bytes | bytearray | memoryview) -> Command:
        """Parse a short or extended command APDU (cases 1-4); strict on lengths."""
        raw = bytes(raw)
        if len(raw) < 4:
            raise ParseError(f"command APDU too short ({len(raw)} bytes)")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        body = raw[4:]
        n = len(body)
        if n == 0:  # case 1
            return cls(cla, ins, p1, p2)
        if n == 1:  # case 2 short
            return cls(cla, ins, p1, p2, b"", body[0] or SHORT_MAX_LE)
        if body[0] != 0:  # case 3/4 short
            lc = body[0]
            if n == 1 + lc:
                return cls(cla, ins, p1, p2, body[1:], None)
            if n == 2 + lc:
                return cls(cla, ins, p1, p2, body[1:1 + lc], body[-1] or SHORT_MAX_LE)
            raise ParseError(f"short APDU: Lc {lc} does not match body of {n} bytes")
        # body[0] == 0: extended
        if n == 3:  # case 2 extended
            return cls(cla, ins, p1, p2, b"", int.from_bytes(body[1:3], "big") or EXTENDED_MAX_LE)
        if n < 3:
            raise ParseError(f"extended APDU body of {n} bytes is truncated")
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise ParseError("extended APDU with Lc = 0")
        if n == 3 + lc:
            return cls(cla, ins, p1, p2, body[3:], None)
        if n == 5 + lc:
            le = int.from_bytes(body[3 + lc:], "big") or EXTENDED_MAX_LE
            return cls(cla, ins, p1, p2, body[3:3 + lc], le)
        raise ParseError(f"extended APDU: Lc {lc} does not match body of {n} bytes")

    def __repr__(self) -> str:
        le = "" if self.le is None else f", le={self.le}"
        return (f"Command(cla={self.cla:02X}, ins={self.ins:02X}, p1={self.p1:02X}, "
                f"p2={self.p2:02X}, {len(self.data)} data bytes{le})")


@dataclass(frozen=True)
class Response:
    """A response APDU: data field and status word (ISO/IEC 7816-4 §5.2)."""

    data: bytes = field(default=b"")
    sw: int = SW.OK

    @property
    def sw1(self) -> int:
        return (self.sw >> 8) & 0xFF

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        """True for 9000 only."""
        return self.sw == SW.OK

    def to_bytes(self) -> bytes:
        return bytes(self.data) + (self.sw & 0xFFFF).to_bytes(2, "big")

    @classmethod
    def from_bytes(cls, raw: bytes | bytearray | memoryview) -> Response:
        raw = bytes(raw)
        if len(raw) < 2:
            raise ParseError(f"response APDU too short ({len(raw)} bytes): no status word")
        return cls(raw[:-2], int.from_bytes(raw[-2:], "big"))

    def __repr__(self) -> str:
        return f"Response({len(self.data)} data bytes, sw={self.sw:04X})"


# -- one status-word table and one chaining loop for the whole library ------------------

#: Refusals: the security state does not allow the command (ISO/IEC 7816-4 §5.6, Table 6).
ACCESS_DENIED = frozenset({SW.SECURITY_STATUS_NOT_SATISFIED, SW.AUTH_METHOD_BLOCKED,
                           SW.REFERENCE_DATA_NOT_USABLE, SW.CONDITIONS_NOT_SATISFIED})
#: The chip no longer holds (or never had) the secure-messaging session (Doc 9303-11 §9.8.6).
SM_BROKEN = frozenset({SW.SM_DATA_OBJECTS_MISSING, SW.SM_DATA_OBJECTS_INCORRECT,
                       SW.SM_NOT_SUPPORTED})


def status_error(sw: int, step: str = "") -> ChipError:
    """The typed error for a refused status word -- the library's only SW -> error table.

    6982/6983/6984/6985 -> :class:`AccessDenied`; 6A82 -> :class:`FileNotFound`;
    6987/6988/6882 -> :class:`SecureMessagingError` (the session has ended); anything
    else -> :class:`StatusWordError` (6986, "no current EF", included: a new session
    cures it).
    """
    text = describe(sw)
    if sw in ACCESS_DENIED:
        return AccessDenied(text, sw=sw, step=step or None)
    if sw == SW.FILE_NOT_FOUND:
        return FileNotFound(text, sw=sw, step=step or None)
    if sw in SM_BROKEN:
        where = f"{step}: " if step else ""
        return SecureMessagingError(f"{where}the chip rejected the secure-messaging data "
                                    f"(SW {sw:04X}, {text}); the session has ended")
    return StatusWordError(text, sw=sw, step=step or None)


def is_extended(apdu: bytes | bytearray) -> bool:
    """True when an encoded command APDU uses extended Lc/Le (ISO/IEC 7816-4 §5.1)."""
    return len(apdu) >= 7 and apdu[4] == 0


def transceive(transmit: Callable[[bytes], bytes], apdu: bytes, *, step: str = "") -> bytes:
    """Send one encoded command and resolve the transport-level answers (ISO/IEC 7816-4 §5.6,
    §11.7.1; ISO/IEC 7816-3 §12.2 for T=0): ``6Cxx`` -> the same command once more with
    Le = xx; ``61xx`` -> GET RESPONSE with Le = xx until the last part.

    This runs below secure messaging (the parts of a protected answer are joined before
    the MAC check), so it is the library's only GET RESPONSE loop.
    """
    raw = transmit(apdu)
    if len(raw) < 2:
        return raw
    if raw[-2] == SW1.WRONG_LE:
        cmd = Command.from_bytes(apdu)
        again = Command(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, raw[-1] or SHORT_MAX_LE)
        raw = transmit(again.to_bytes(is_extended(apdu)))
        if len(raw) < 2:
            return raw
    if raw[-2] != SW1.MORE_DATA:
        return raw
    data = bytearray()
    channel = apdu[0] & 0x03
    for _ in range(MAX_GET_RESPONSE):
        data += raw[:-2]
        get = Command(channel, INS.GET_RESPONSE, 0, 0, b"", raw[-1] or SHORT_MAX_LE)
        raw = transmit(get.to_bytes())
        if len(raw) < 2:
            return raw
        if raw[-2] != SW1.MORE_DATA:
            return bytes(data) + raw
    raise ProtocolError(f"the chip announced more data after {MAX_GET_RESPONSE} "
                        "GET RESPONSE commands", step=step or None)
