"""The ``checkedid`` command line: a thin client over the public API.

Exit codes (stable, for scripts and kiosks):

====  ==========================================================
0     success (document verified, read or matched as asked)
1     verification ran and the answer is "no" (REJECTED / no match)
2     usage or input error (bad arguments, unreadable file, no MRZ)
3     reader or chip error (no reader, no card, access denied, removed)
4     internal error (a bug in checkedid: the message says what to report)
====  ==========================================================

Every command takes ``--json`` for machine-readable output; with it, errors (usage errors
included) are a JSON object ``{"error": {"kind", "message", "exit_code"}}`` on stdout. No
traceback ever reaches the user: ``-vv`` logs it for a bug report.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from checkedid.blas import default_to_one_thread

default_to_one_thread()  # before numpy loads (see checkedid.blas)

from checkedid.cli import chip_cmd, face_cmd, kiosk_cmd, mrz_cmd, pa_cmd, trust_cmd, verify_cmd  # noqa: E402
from checkedid.cli.output import EXIT_CHIP, EXIT_INTERNAL, EXIT_USAGE, fail  # noqa: E402
from checkedid.errors import CheckedIDError, ChipError  # noqa: E402

__all__ = ["build_parser", "main", "version"]

log = logging.getLogger(__name__)


class UsageError(Exception):
    """A command line that argparse rejected; carries argparse's message."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of printing and exiting, so that
    ``main`` reports usage errors like every other error (JSON with ``--json``)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("checkedid").strip()
        where = f"{command}: " if command else ""
        raise UsageError(f"{where}{message} (see '{self.prog} --help')")


def version() -> str:
    """The installed checkedid version (the source tree's when not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("checkedid")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="checkedid",
        description=(
            "Verify identity documents: read the MRZ from a photo, read and authenticate the "
            "eMRTD chip over a PC/SC reader, and match a selfie against the chip photo. "
            "Everything stays in memory."
        ),
        epilog="Exit codes: 0 ok, 1 verification failed, 2 usage/input error, 3 reader/chip error.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log progress to stderr (-vv for debug; never personal data)")
    parser.add_argument("--version", action="version", version=f"checkedid {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (chip_cmd, pa_cmd, trust_cmd, mrz_cmd, face_cmd, verify_cmd, kiosk_cmd):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        wants_json = argparse.Namespace(json="--json" in argv)
        return fail(str(exc), EXIT_USAGE, wants_json, kind="UsageError")
    if args.verbose:
        logging.basicConfig(
            level=logging.DEBUG if args.verbose > 1 else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_USAGE, args)
    except ChipError as exc:
        return fail(str(exc), EXIT_CHIP, args, kind=type(exc).__name__)
    except CheckedIDError as exc:
        return fail(str(exc), EXIT_USAGE, args, kind=type(exc).__name__)
    except Exception as exc:  # a bug: report it without a traceback, keep it for -vv
        log.debug("internal error in '%s'", args.command, exc_info=True)
        return fail(
            f"internal error in 'checkedid {args.command}' ({type(exc).__name__}); this is a "
            "bug in checkedid: run the command again with -vv and report the traceback "
            "(it holds no personal data)",
            EXIT_INTERNAL, args, kind="InternalError")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
