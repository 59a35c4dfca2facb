"""CLI commands: mrz — read and validate the MRZ in a document photo."""

from __future__ import annotations

import argparse

from checkedid.cli.output import add_json_flag, not_available


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("mrz", help="read and validate the MRZ in a document photo", description="read and validate the MRZ in a document photo")
    add_json_flag(p)
    p.set_defaults(func=lambda a: not_available("'checkedid mrz'", a))
