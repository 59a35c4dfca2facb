"""Session: owns every Secret created while verifying one document, and wipes them.

::

    with Session() as s:
        key = s.secret(b"...", label="bac-seed")
        ...
    # every registered buffer is zeroed here, also when an exception left the block
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from checkedid.secret import Secret, SecretRegistry

__all__ = ["Session"]


class Session:
    """Owner of the personal data and key material of one verification."""

    def __init__(self) -> None:
        self.secrets = SecretRegistry()
        self._closed = False

    def secret(self, data: bytes | bytearray | memoryview | int = 0, *, label: str = "secret") -> Secret:
        """Create a Secret owned by this session."""
        return self.secrets.new(data, label=label)

    def track(self, obj: Any) -> Any:
        """Register a wipeable object (Secret, bytearray, numpy array, object with ``wipe()``)."""
        return self.secrets.add(obj)

    def wipe(self) -> int:
        """Zero every buffer this session owns; returns how many objects were wiped."""
        return self.secrets.wipe_all()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.wipe()
        self._closed = True
