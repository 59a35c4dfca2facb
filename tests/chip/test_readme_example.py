"""The README's API example runs as written from the repository root, virtual chip on the reader."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.chip.conftest import VChipFactory

ROOT = Path(__file__).resolve().parents[2]
PERSONA = "utopia-id-pace-gm"


def _example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The API in five minutes"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def _on(code: str, reader: str) -> str:
    """The example on this test's reader: other chips may sit in the other vpcd slots."""
    assert "reader=None," in code
    return code.replace("reader=None,", f"reader={reader!r},")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=240, check=False)


def test_readme_example_runs_as_written(vchip: VChipFactory, tmp_path: Path) -> None:
    chip = vchip(PERSONA)
    proc = _run(_on(_example(), chip.reader))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    # The German list has no CSCA of the test PKI's Utopia: nothing can be told (INCOMPLETE),
    # which is not a forgery (REJECTED); the reason names the missing state's CSCA.
    assert "INCOMPLETE" in lines, proc.stdout[-2000:]
    assert any(line.startswith("chip end") for line in lines)
    data = json.loads(proc.stdout[proc.stdout.index("\n{") + 1:])
    assert data["schema"] == "checkedid.result/1" and data["decision"] == "INCOMPLETE"
    passive = data["checks"]["passive"]
    assert passive["verdict"] == "NOT_CHECKED"
    chain = {c["name"]: c for c in passive["checks"]}["csca_chain"]
    assert chain["verdict"] == "NOT_CHECKED"
    assert "no CSCA of UT in the trust store" in chain["reason"]


def test_readme_example_with_the_test_pki_is_verified(vchip: VChipFactory,
                                                      tmp_path: Path) -> None:
    from hw.pki import get_pki

    get_pki().export(tmp_path)
    chip = vchip(PERSONA)
    master_list = '"tests/data/pki/DE_masterlist_2026-05-28.ml"'
    code = _on(_example(), chip.reader).replace(master_list, repr(str(tmp_path)))
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "VERIFIED" in proc.stdout.splitlines(), proc.stdout[proc.stdout.index("\n{"):][:1500]
