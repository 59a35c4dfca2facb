"""Import direction: the library never imports the test bed (``hw``) by a static import.

The one door is :func:`checkedid.demo.load_testbed`, which loads ``hw.testbed`` by name and only
from a source checkout.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from checkedid import demo
from checkedid.errors import InputError

SRC = Path(__file__).resolve().parents[2] / "src" / "checkedid"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_no_library_module_imports_hw() -> None:
    offenders = {str(p.relative_to(SRC)): sorted(m for m in _imports(p)
                                                 if m == "hw" or m.startswith("hw."))
                 for p in SRC.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_testbed_door_works_from_a_checkout() -> None:
    tb = demo.load_testbed()
    assert tb.__name__ == demo.TESTBED_MODULE
    assert demo.sample_selfie("obama_3.jpg").name == "obama_1.jpg"
    assert demo.sample_selfie("obama_3.jpg", impostor=True).name == "biden_1.jpg"


def test_the_testbed_door_refuses_without_a_checkout(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "CHECKOUT", tmp_path)
    with pytest.raises(InputError, match="source checkout"):
        demo.load_testbed()


def test_the_trust_store_door_does_not_load_the_persona_catalogue() -> None:
    """The privacy probe loads the virtual trust store; the personas' MRZ strings must stay out."""
    import subprocess
    import sys

    root = SRC.parents[1]
    code = ("import sys; from checkedid.demo import virtual_trust_store; virtual_trust_store(); "
            "print('hw.vchip.personas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,  # noqa: S603
                         env={"PYTHONPATH": f"{root / 'src'}:{root}", "PATH": "/usr/bin:/bin"},
                         timeout=120, check=True)
    assert out.stdout.strip() == "False"
