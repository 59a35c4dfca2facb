"""CLI commands: readers (list PC/SC readers) and read (read the chip with PACE or BAC)."""

from __future__ import annotations

import argparse
from typing import Any

from checkedid.cli.output import EXIT_OK, add_json_flag, emit, not_available


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("readers", help="list PC/SC readers and whether a card is present",
                       description="List PC/SC readers, whether a document is on each and its ATR.")
    add_json_flag(p)
    p.set_defaults(func=cmd_readers)
    p = sub.add_parser(
        "read", help="read the chip (PACE or BAC) and print what it holds",
        description=("Read the eMRTD chip: PACE (or BAC when the chip has no PACE), secure "
                     "messaging, EF.COM, EF.SOD and the data groups. Prints the protocol used, "
                     "the files read, the DG1 fields and the photo size. With --trust, runs "
                     "Passive Authentication and reports whether the document is verified."))
    p.add_argument("--reader", help="use the reader whose name contains this text "
                   "(default: the first with a document)")
    key = p.add_mutually_exclusive_group(required=True)
    key.add_argument("--mrz", help="the MRZ text (lines separated by newlines or spaces), or "
                     "document number + birth date + expiry date with check digits")
    key.add_argument("--can", help="the 6-digit card access number printed on the card")
    p.add_argument("--trust", action="append", default=[], metavar="PATH",
                   help="CSCA certificates dir, master list or CRL (repeatable)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for a document on the reader (default 10)")
    add_json_flag(p)
    p.set_defaults(func=cmd_read)


def cmd_readers(args: argparse.Namespace) -> int:
    from checkedid.nfc.pcsc import list_readers

    readers = list_readers()
    data: dict[str, Any] = {"readers": [r.to_dict() for r in readers]}
    if not readers:
        human = "no PC/SC readers found (is a reader plugged in and pcscd running?)"
    else:
        human = "\n".join(
            f"{r.name}: " + (f"card present (ATR {r.atr.hex().upper()})" if r.card_present and r.atr
                             else "card present" if r.card_present else "no card")
            for r in readers)
    emit(args, data, human)
    return EXIT_OK


def cmd_read(args: argparse.Namespace) -> int:
    return not_available("'checkedid read'", args)
