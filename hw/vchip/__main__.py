"""``python -m hw.vchip``: run a virtual eMRTD chip on vpcd, or list the personas.

Examples::

    python -m hw.vchip --list-personas --json
    python -m hw.vchip --persona utopia-id-pace-gm
    python -m hw.vchip --persona utopia-passport-bac --fault card-removed-mid-read:8000
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from hw.vchip.faults import FAULTS, make_fault
from hw.vchip.personas import build, specs
from hw.vchip.vpcd import DEFAULT_PORT, VpcdLink


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hw.vchip",
                                description="Virtual eMRTD chip for pcscd's vpcd reader driver.")
    p.add_argument("--persona", help="persona to present: a name (see --list-personas), a persona "
                   "TOML file, or a directory saved by 'checkedid read --save'")
    p.add_argument("--fault", help=f"fault profile NAME[:ARG] ({', '.join(sorted(FAULTS))})")
    p.add_argument("--host", default="127.0.0.1", help="vpcd host (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"vpcd port: {DEFAULT_PORT} is slot 0, {DEFAULT_PORT + 1} slot 1")
    p.add_argument("--listen", action="store_true",
                   help="listen for vpcd instead of connecting (vpcd reverse mode, loopback only)")
    p.add_argument("--list-personas", action="store_true", help="print the persona catalogue")
    p.add_argument("--json", action="store_true", help="JSON output for --list-personas")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log to stderr")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else
                        logging.INFO if args.verbose else logging.WARNING,
                        format="vchip %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if args.list_personas:
        catalogue = [s.to_dict() for s in specs()]
        if args.json:
            json.dump({"personas": catalogue}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            for s in specs():
                print(f"{s.name:28} {'+'.join(s.protocols):9} {s.fault or '':18} {s.description}")
        return 0
    if not args.persona:
        _parser().error("--persona is required (or --list-personas)")
    try:
        persona = build(args.persona)
        fault = make_fault(args.fault)
    except KeyError as exc:
        print(f"hw.vchip: {exc.args[0]}", file=sys.stderr)
        return 2
    from hw.vchip.chip import VirtualChip

    chip = VirtualChip(persona, fault=fault)
    link = VpcdLink(chip, host=args.host, port=args.port, listen=args.listen)
    link.install_signal_handlers()
    logging.getLogger("hw.vchip").info("persona %s ready", args.persona)
    link.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
