"""Delivery of the signed result to the relying party's webhook: retries, backoff, memory only.

The JWS (RFC 7515 compact serialisation, ``application/jose``) is POSTed to the webhook;
a failure is retried with exponential backoff. Nothing is queued to disk: a result that
could not be delivered is reported (on the screen and in ``/api/health``) and dropped.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Delivery", "DeliveryStatus"]

Post = Callable[[str, bytes, float], int]


def _post(url: str, body: bytes, timeout: float) -> int:
    req = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 - operator's URL
                                 headers={"Content-Type": "application/jose"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@dataclass
class DeliveryStatus:
    """The last delivery (no personal data): ``state`` is idle / sending / delivered / failed."""

    state: str = "idle"
    attempts: int = 0
    error: str = ""
    delivered: int = 0
    failed: int = 0
    at: float = field(default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "attempts": self.attempts, "error": self.error,
                "delivered": self.delivered, "failed": self.failed}


class Delivery:
    """POST signed results to ``url``: ``attempts`` tries, ``backoff`` * 2**n seconds apart."""

    def __init__(self, url: str, *, attempts: int = 4, backoff: float = 0.5,
                 timeout: float = 5.0, post: Post | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._post = post or _post
        self._sleep = sleep
        self.status = DeliveryStatus()
        self._lock = threading.Lock()

    def send(self, token: str) -> DeliveryStatus:
        """Deliver ``token`` now (blocking, with retries); returns the final status."""
        with self._lock:
            self.status.state, self.status.attempts, self.status.error = "sending", 0, ""
        body = token.encode("ascii")
        error = ""
        for n in range(self.attempts):
            if n:
                self._sleep(self.backoff * 2 ** (n - 1))
            with self._lock:
                self.status.attempts = n + 1
            try:
                code = self._post(self.url, body, self.timeout)
            except (OSError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            if 200 <= code < 300:
                with self._lock:
                    self.status.state = "delivered"
                    self.status.delivered += 1
                    self.status.at = time.time()
                return self.status
            error = f"HTTP {code}"
            if 400 <= code < 500 and code not in (408, 429):
                break  # the relying party refuses it: retrying will not help
        del body
        with self._lock:
            self.status.state, self.status.error = "failed", error
            self.status.failed += 1
            self.status.at = time.time()
        return self.status
