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
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "Progress",
    "add_json_flag",
    "emit",
    "fail",
    "non_negative_int",
    "not_available",
    "positive_float",
    "positive_int",
    "readable_file",
    "score_threshold",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CHIP = 3
EXIT_INTERNAL = 4


def _number(text: str, kind: type[float] | type[int], what: str) -> float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def positive_float(text: str) -> float:
    """argparse type: a number of seconds (or other quantity) greater than zero."""
    value = _number(text, float, "a number")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a number greater than 0")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    value = int(_number(text, int, "a whole number"))
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be a whole number of at least 1")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number of at least 0."""
    value = int(_number(text, int, "a whole number"))
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be a whole number of at least 0")
    return value


def readable_file(text: str) -> str:
    """argparse type: a path to an existing, readable file ('-' passes for standard input).

    The error names the argument (argparse adds it), so a person knows which input failed.
    """
    if text == "-":
        return text
    import os

    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if not os.access(text, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text}: not readable (permissions)")
    return text


def score_threshold(text: str) -> float:
    """argparse type: a face-score threshold between 0 and 1."""
    value = _number(text, float, "a number")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} must be a score threshold between 0 and 1")
    return value


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
