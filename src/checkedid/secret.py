"""Wipeable buffers for personal data and key material.

A :class:`Secret` wraps a ``bytearray`` that checkedid owns. :meth:`Secret.wipe`
overwrites it with zeros in place and drops it; any later use raises
:class:`~checkedid.errors.SecretWipedError`. Secrets refuse to be pickled or
copied and their ``repr`` never shows content.

A :class:`SecretRegistry` (held by :class:`checkedid.Session`) collects every
Secret and every wipeable numpy array created during a verification, so one
``wipe()`` call zeroes them all.

Limits (see docs/privacy.md): CPython and C libraries make copies we cannot
reach — immutable ``bytes``/``str`` objects passed to a library, internal
buffers of OpenSSL or libjpeg. checkedid keeps such copies short-lived and
few, but cannot promise they are zeroed.
"""

from __future__ import annotations

import ctypes
import weakref
from collections.abc import Iterator
from typing import Any, Protocol

from checkedid.errors import SecretWipedError

__all__ = ["Secret", "SecretRegistry", "Wipeable", "zero"]


def zero(buf: bytearray | memoryview | Any) -> None:
    """Overwrite a writable buffer (bytearray, memoryview, numpy array) with zeros in place."""
    if isinstance(buf, bytearray):
        if buf:
            ctypes.memset((ctypes.c_char * len(buf)).from_buffer(buf), 0, len(buf))
        return
    if isinstance(buf, memoryview):
        if not buf.readonly and buf.nbytes:
            flat = buf.cast("B")
            flat[:] = bytes(buf.nbytes)
        return
    fill = getattr(buf, "fill", None)  # numpy arrays
    if callable(fill) and getattr(buf, "flags", None) is not None and buf.flags.writeable:
        fill(0)
        return
    raise TypeError(f"cannot zero a {type(buf).__name__}")


class Wipeable(Protocol):
    """Anything that can zero its own content."""

    def wipe(self) -> None: ...


class Secret:
    """A mutable byte buffer holding personal data or key material.

    >>> s = Secret(b"L898902C<369080619406236")
    >>> len(s), s
    (24, <Secret 24 bytes>)
    >>> s.wipe(); s.wiped
    True
    """

    __slots__ = ("__weakref__", "_buf", "label")

    def __init__(self, data: bytes | bytearray | memoryview | int = 0, *, label: str = "secret"):
        self._buf: bytearray | None = bytearray(data)
        self.label = label

    @classmethod
    def adopt(cls, buf: bytearray, *, label: str = "secret") -> Secret:
        """Take ownership of ``buf`` without copying (the caller must not keep it)."""
        s = cls(0, label=label)
        s._buf = buf
        return s

    @property
    def buffer(self) -> bytearray:
        """The live buffer (no copy). Raises if wiped."""
        if self._buf is None:
            raise SecretWipedError(f"{self.label} was wiped and cannot be used")
        return self._buf

    @property
    def wiped(self) -> bool:
        return self._buf is None

    def view(self) -> memoryview:
        """A memoryview of the content, for APIs that accept buffers without copying."""
        return memoryview(self.buffer)

    def reveal(self) -> bytes:
        """An immutable copy — use only where a library insists on ``bytes``."""
        return bytes(self.buffer)

    def __len__(self) -> int:
        return len(self.buffer)

    def __bytes__(self) -> bytes:
        return self.reveal()

    def __eq__(self, other: object) -> bool:
        import hmac

        if isinstance(other, Secret):
            return hmac.compare_digest(self.buffer, other.buffer)
        if isinstance(other, (bytes, bytearray, memoryview)):
            return hmac.compare_digest(self.buffer, bytes(other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def wipe(self) -> None:
        """Zero the buffer in place and drop it. Idempotent."""
        if self._buf is not None:
            zero(self._buf)
            self._buf = None

    def __repr__(self) -> str:
        if self._buf is None:
            return f"<Secret {self.label} wiped>" if self.label != "secret" else "<Secret wiped>"
        return f"<Secret {len(self._buf)} bytes>"

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")

    def __copy__(self) -> Secret:
        raise TypeError("a Secret cannot be copied; pass it by reference")

    def __deepcopy__(self, memo: Any) -> Secret:
        raise TypeError("a Secret cannot be copied; pass it by reference")


class SecretRegistry:
    """Tracks wipeable objects so they can all be zeroed at once.

    Objects are held strongly until :meth:`wipe_all`, so a buffer cannot be
    garbage-collected (and its memory reused unzeroed) before it is wiped.
    """

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._ids: set[int] = set()
        self._finalizer = weakref.finalize(self, SecretRegistry._wipe_items, self._items)

    def add(self, obj: Any) -> Any:
        """Register a Secret, bytearray, numpy array or any object with ``wipe()``; returns it."""
        if id(obj) not in self._ids:
            self._ids.add(id(obj))
            self._items.append(obj)
        return obj

    def new(
        self, data: bytes | bytearray | memoryview | int = 0, *, label: str = "secret"
    ) -> Secret:
        """Create and register a Secret."""
        return self.add(Secret(data, label=label))  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._items))

    @staticmethod
    def _wipe_items(items: list[Any]) -> None:
        while items:
            obj = items.pop()
            try:
                if isinstance(obj, (bytearray, memoryview)) or hasattr(obj, "fill"):
                    zero(obj)
                elif hasattr(obj, "wipe"):
                    obj.wipe()
            except (TypeError, ValueError, BufferError):
                continue

    def wipe_all(self) -> int:
        """Zero every registered object; returns how many were wiped."""
        n = len(self._items)
        self._wipe_items(self._items)
        self._ids.clear()
        return n
