"""CLI command: pa (Passive Authentication of saved EF.SOD and DG files)."""

from __future__ import annotations

import argparse

from checkedid.cli.output import add_json_flag, not_available


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("pa", help="run Passive Authentication on saved EF.SOD and DG files",
                       description="run Passive Authentication on saved EF.SOD and DG files")
    add_json_flag(p)
    p.set_defaults(func=lambda a: not_available("'checkedid pa'", a))
