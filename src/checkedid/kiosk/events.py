"""The kiosk's event stream: card placed/removed, steps and progress, guidance, decision.

Events never carry personal data. Every event has a sequence number; the hub keeps the
current *state* (step, progress, guidance, decision) so that a page that reconnects is
sent the state first and continues where it was.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Any

__all__ = ["Hub"]


class Hub:
    """Fan-out of events to WebSocket subscribers, safe to call from any thread."""

    def __init__(self) -> None:
        self.seq = 0
        self.state: dict[str, Any] = {"step": "idle", "progress": 0, "guidance": None,
                                      "decision": None, "card_present": False}
        self._subs: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = []
        self._lock = threading.Lock()
        #: the last events (no personal data), for diagnostics and tests
        self.history: deque[dict[str, Any]] = deque(maxlen=500)

    def publish(self, kind: str, **data: Any) -> dict[str, Any]:
        """Send ``{"type": kind, "seq": n, ...}`` to every subscriber and update the state."""
        with self._lock:
            self.seq += 1
            event = {"type": kind, "seq": self.seq, "t": round(time.time(), 3), **data}
            for key in ("step", "progress", "guidance", "decision", "card_present"):
                if key in data:
                    self.state[key] = data[key]
            subs = list(self._subs)
            self.history.append(event)
        for loop, queue in subs:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # the subscriber's loop is closed
                self.unsubscribe(queue)
        return event

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"type": "state", "seq": self.seq, **self.state}

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        with self._lock:
            self._subs.append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subs = [(lo, q) for lo, q in self._subs if q is not queue]

    def reset(self) -> None:
        """Back to the idle screen (after a decision was shown, or an abort)."""
        self.publish("reset", step="idle", progress=0, guidance=None, decision=None)
