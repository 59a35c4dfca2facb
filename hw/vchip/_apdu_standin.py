"""Temporary minimal APDU types (removed once checkedid.nfc.apdu lands)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    @classmethod
    def from_bytes(cls, raw: bytes) -> Command:
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, b"", body[0] or 256)
        if body[0] == 0 and len(body) >= 3:  # extended
            if len(body) == 3:
                return cls(cla, ins, p1, p2, b"", int.from_bytes(body[1:3], "big") or 65536)
            lc = int.from_bytes(body[1:3], "big")
            data = body[3:3 + lc]
            rest = body[3 + lc:]
            le = (int.from_bytes(rest, "big") or 65536) if rest else None
            return cls(cla, ins, p1, p2, data, le)
        lc = body[0]
        data = body[1:1 + lc]
        rest = body[1 + lc:]
        return cls(cla, ins, p1, p2, data, (rest[0] or 256) if rest else None)


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    def to_bytes(self) -> bytes:
        return bytes(self.data) + self.sw.to_bytes(2, "big")
