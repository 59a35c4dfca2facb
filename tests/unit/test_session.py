"""Session.verify: input checks before the reader is touched, the deadline without process
isolation, and whose Secrets a verification wipes."""

from __future__ import annotations

from typing import Any

import pytest
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import Persona, _build_files, spec

from checkedid.nfc.iso7816.transport import InProcessTransport
from checkedid.secret import SecretRegistry
from checkedid.session import Session

ARABIC_INDIC_DIGITS = "\u0661\u0662\u0663\u0664\u0665\u0666"  # str.isdigit() says True


@pytest.mark.parametrize("can", ["12345", "1234567", "12345a", ARABIC_INDIC_DIGITS])
def test_session_refuses_a_malformed_can_before_touching_the_reader(can: str) -> None:
    from checkedid.errors import InputError

    def no_reader() -> Any:
        raise AssertionError("the reader must not be opened")

    with Session(transport=no_reader, isolation="none") as session, \
            pytest.raises(InputError, match="6-digit"):
        session.verify(None, None, can=can, fields=())


def test_timeout_bounds_the_chip_read_without_process_isolation() -> None:
    import time

    from hw.vchip.faults import make_fault

    from checkedid.errors import ChipTimeout

    persona = spec("utopia-id-pace-gm")
    chip = VirtualChip(Persona(persona, *_build_files(persona)), fault=make_fault("slow-chip:100"))
    t0 = time.monotonic()
    with Session(transport=lambda: InProcessTransport(chip), isolation="none") as session, \
            pytest.raises(ChipTimeout):
        session.verify(None, None, can=persona.can, fields=(), timeout=1.0)
    assert time.monotonic() - t0 < 30  # the fault stalls 100 s: a margin, not a benchmark


def _persona_chip() -> tuple[VirtualChip, str]:
    persona = spec("utopia-id-pace-gm")
    return VirtualChip(Persona(persona, *_build_files(persona))), persona.can


@pytest.mark.parametrize("mode", ["none", "process"])
def test_verify_wipes_its_own_secrets_and_leaves_the_callers(
        mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import checkedid.session as session_module

    wiped_counts: list[int] = []

    class Watched(SecretRegistry):
        def wipe_all(self) -> int:
            n = super().wipe_all()
            wiped_counts.append(n)
            return n

    monkeypatch.setattr(session_module, "SecretRegistry", Watched)
    chip, can = _persona_chip()
    with Session(transport=lambda: InProcessTransport(chip), isolation=mode) as session:  # type: ignore[arg-type]
        mine = session.secret(b"relying party key", label="caller")
        result = session.verify(None, None, can=can, fields=())
        assert result.checks["access"].verdict.value == "PASSED"
        assert not mine.wiped and bytes(mine) == b"relying party key"
        assert len(session.secrets) == 1  # only the caller's
        if mode == "none":  # the verification's own registry was wiped when it ended
            assert len(wiped_counts) == 1 and wiped_counts[0] > 0
    assert mine.wiped  # the end of the with block wipes the caller's too


def test_prepare_loads_what_a_verification_needs() -> None:
    # in a fresh interpreter: the models, the chip protocol modules and the MRZ's first read
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys\n"
        "from checkedid import Session\n"
        "from checkedid.mrz import reader\n"
        "s = Session(isolation='none')\n"
        "assert 'checkedid.nfc.access.pace' not in sys.modules\n"
        "s.prepare()\n"
        "assert s._matcher is not None\n"
        "assert 'checkedid.nfc.access.pace' in sys.modules\n"
        "assert reader.warm_up.cache_info().currsize == 1\n"
        "s2 = Session(isolation='none')\n"
        "s2.prepare(document=False)\n"
        "assert s2._matcher is not None\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                         env={"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin",
                              "OPENBLAS_NUM_THREADS": "1"}, timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]
