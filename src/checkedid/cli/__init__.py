"""The ``checkedid`` command line: a thin client over the public API.

Exit codes (stable, for scripts and kiosks):

====  ==========================================================
0     success (document verified, read or matched as asked)
1     verification ran and the answer is "no" (REJECTED / no match)
2     usage or input error (bad arguments, unreadable file, no MRZ)
3     reader or chip error (no reader, no card, access denied, removed)
====  ==========================================================

Every command takes ``--json`` for machine-readable output.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from checkedid.cli import chip_cmd, face_cmd, kiosk_cmd, mrz_cmd, pa_cmd, verify_cmd
from checkedid.cli.output import EXIT_CHIP, EXIT_USAGE, fail
from checkedid.errors import CheckedIDError, ChipError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (chip_cmd, pa_cmd, mrz_cmd, face_cmd, verify_cmd, kiosk_cmd):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
