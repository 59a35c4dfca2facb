"""CLI commands: match — compare two face images;bench — run a benchmark."""

from __future__ import annotations

import argparse

from checkedid.cli.output import add_json_flag, not_available


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("match", help="compare two face images", description="compare two face images")
    add_json_flag(p)
    p.set_defaults(func=lambda a: not_available("'checkedid match'", a))
    p = sub.add_parser("bench", help="run a benchmark", description="run a benchmark")
    add_json_flag(p)
    p.set_defaults(func=lambda a: not_available("'checkedid bench'", a))
