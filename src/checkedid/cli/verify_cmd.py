"""CLI commands: verify — verify a document end to end (MRZ, chip, authentication, face);demo — run the full verification against the virtual chip."""

from __future__ import annotations

import argparse

from checkedid.cli.output import add_json_flag, not_available


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help="verify a document end to end (MRZ, chip, authentication, face)", description="verify a document end to end (MRZ, chip, authentication, face)")
    add_json_flag(p)
    p.set_defaults(func=lambda a: not_available("'checkedid verify'", a))
    p = sub.add_parser("demo", help="run the full verification against the virtual chip", description="run the full verification against the virtual chip")
    add_json_flag(p)
    p.set_defaults(func=lambda a: not_available("'checkedid demo'", a))
