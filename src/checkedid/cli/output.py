"""Shared output helpers for the CLI: JSON vs human text, errors, progress."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

__all__ = [
    "EXIT_CHIP",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Progress",
    "add_json_flag",
    "emit",
    "fail",
    "not_available",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CHIP = 3


def add_json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")


def emit(args: argparse.Namespace, data: dict[str, Any], human: str) -> None:
    """Print ``data`` as JSON with --json, otherwise the human-readable text."""
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, sort_keys=False, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(human.rstrip("\n") + "\n")
    sys.stdout.flush()


def fail(
    message: str, code: int, args: argparse.Namespace | None = None, *, kind: str = "error"
) -> int:
    """Report an error (JSON on stdout with --json, always a line on stderr) and return ``code``."""
    if args is not None and getattr(args, "json", False):
        json.dump({"error": {"kind": kind, "message": message, "exit_code": code}}, sys.stdout)
        sys.stdout.write("\n")
    sys.stderr.write(f"checkedid: {message}\n")
    return code


def not_available(what: str, args: argparse.Namespace) -> int:
    return fail(f"{what} is not available yet in this version of checkedid", EXIT_USAGE, args,
                kind="NotAvailable")


class Progress:
    """A one-line live progress display on stderr (silent when stderr is not a terminal
    or when JSON output is requested, unless ``force``)."""

    def __init__(self, enabled: bool = True, *, force: bool = False) -> None:
        self.enabled = enabled and (force or sys.stderr.isatty())
        self._start = time.perf_counter()
        self._last = ""

    def __call__(self, step: str, file: str | None = None, done: int = 0, total: int = 0) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self._start
        text = f"[{elapsed:6.2f}s] {step}"
        if file:
            text += f" {file}"
        if total:
            width = 24
            filled = int(width * min(done, total) / total)
            text += f" [{'#' * filled}{'.' * (width - filled)}] {done}/{total} B"
        line = text[:119]
        sys.stderr.write("\r" + line.ljust(len(self._last)))
        sys.stderr.flush()
        self._last = line

    def done(self) -> None:
        if self.enabled and self._last:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._last = ""
