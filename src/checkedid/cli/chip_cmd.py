"""CLI commands: readers (list PC/SC readers) and read (read the chip with PACE or BAC)."""

from __future__ import annotations

import argparse

from checkedid.cli.output import add_json_flag, not_available


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("readers", help="list PC/SC readers and whether a card is present", description="list PC/SC readers and whether a card is present")
    add_json_flag(p)
    p.set_defaults(func=lambda a: not_available("'checkedid readers'", a))
    p = sub.add_parser("read", help="read the chip (PACE or BAC) and print what it holds", description="read the chip (PACE or BAC) and print what it holds")
    add_json_flag(p)
    p.set_defaults(func=lambda a: not_available("'checkedid read'", a))
