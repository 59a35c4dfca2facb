"""Record the APDU traces of the quirk personas into this directory (in process, no PC/SC).

    python tests/data/traces/record.py

Each ``quirk-*.jsonl`` is a full read of that persona with the current reader;
``quirk-multi-paceinfo-all-refused.jsonl`` is the same chip refusing every PACE variant
(the read fails). tests/unit/test_trace.py replays them over a stand-in chip.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
for _p in (str(ROOT / "src"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from hw.vchip.chip import VirtualChip  # noqa: E402
from hw.vchip.personas import Persona, build  # noqa: E402
from hw.vchip.quirks import QUIRK_PERSONAS  # noqa: E402

from checkedid.errors import CheckedIDError  # noqa: E402
from checkedid.nfc.iso7816.trace import TraceRecorder  # noqa: E402
from checkedid.nfc.iso7816.transport import InProcessTransport  # noqa: E402
from checkedid.nfc.reader import ChipReader  # noqa: E402
from checkedid.secret import Secret  # noqa: E402

#: trace name -> (persona, quirk layer override or None)
TRACES: dict[str, tuple[str, str | None]] = {
    **{f"quirk-{q}": (f"quirk-{q}", None) for q, _base, _text in QUIRK_PERSONAS},
    "quirk-multi-paceinfo-all-refused": ("quirk-multi-paceinfo", "multi-paceinfo:all"),
}


def access(persona: Persona) -> Secret | str:
    if persona.pace is not None:
        return persona.can
    return Secret(persona.mrz_information.encode("ascii"), label="mrz")


def record(name: str, directory: Path = HERE) -> Path:
    persona_name, quirk = TRACES[name]
    persona = build(persona_name)
    if quirk is not None:
        persona = Persona(replace(persona.spec, quirk=quirk), persona.files,
                          dict(persona.mf_files), persona.aa_key, persona.ca_key, persona.extras)
    path = directory / f"{name}.jsonl"
    path.unlink(missing_ok=True)
    with TraceRecorder(InProcessTransport(VirtualChip(persona)), path) as rec:
        rec.connect()
        try:
            ChipReader(rec).read(access(persona))
        except CheckedIDError as exc:
            print(f"{name}: {type(exc).__name__}: {exc}")
        finally:
            rec.disconnect()
    return path


if __name__ == "__main__":
    for trace in sys.argv[1:] or sorted(TRACES):
        print(record(trace))
