"""``python -m hw.pki export DIR``: write the test trust material (TEST ONLY)."""

from __future__ import annotations

import argparse
import sys

from hw.pki import get_pki


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hw.pki",
                                     description="checkedid test PKI (test-only keys)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    exp = sub.add_parser("export", help="write CSCA certificates (DER+PEM), CRLs, master list")
    exp.add_argument("directory")
    args = parser.parse_args(argv)
    for path in get_pki().export(args.directory):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
