"""No function in checkedid is more complex than radon rank C (cyclomatic complexity <= 20).

Every module under src/checkedid is measured with radon's own visitor: module-level
functions, classes, their methods, and the functions and classes nested inside any of them.
A function above rank C is split into named helpers, one job each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from radon.complexity import cc_rank, cc_visit
from radon.visitors import Class, Function

SRC = Path(__file__).resolve().parents[2] / "src" / "checkedid"
WORST_RANK = "C"


def _blocks(block: Function | Class) -> Iterator[Function | Class]:
    """``block`` and everything nested in it (methods, closures, inner classes)."""
    yield block
    nested: list[Function | Class] = []
    if isinstance(block, Class):
        nested = [*block.methods, *block.inner_classes]
    else:
        nested = list(block.closures)
    for inner in nested:
        yield from _blocks(inner)


def too_complex(root: Path) -> list[str]:
    """``path:line name - rank (complexity)`` of every block in ``root`` above rank C, in
    file and line order."""
    found = []
    for path in sorted(root.rglob("*.py")):
        top = cc_visit(path.read_text(encoding="utf-8"))  # methods come listed on their own too
        unique = {(b.lineno, b.fullname): b for t in top for b in _blocks(t)}
        for _key, block in sorted(unique.items()):
            rank = cc_rank(block.complexity)
            if rank > WORST_RANK:
                found.append(f"{path.relative_to(root.parent)}:{block.lineno} "
                             f"{block.fullname} - {rank} ({block.complexity})")
    return found


def _branches(n: int, indent: str) -> str:
    return "".join(f"{indent}if x == {i}:\n{indent}    return {i}\n" for i in range(n))


def test_too_complex_finds_functions_above_rank_c(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text(
        "def simple(x):\n" + _branches(19, "    ") + "    return -1\n\n\n"  # 20: rank C
        "class K:\n    def deep(self, x):\n" + _branches(20, "        ")  # 21: rank D
        + "        return -1\n\n\n"
        "def outer():\n    def inner(x):\n" + _branches(25, "        ")  # closure: 26
        + "        return -1\n    return inner\n")
    # radon rates a class on its methods too: K, whose one method is D, is D itself
    assert too_complex(pkg) == ["pkg/m.py:43 K - D (22)", "pkg/m.py:44 K.deep - D (21)",
                                "pkg/m.py:89 inner - D (26)"]


def test_every_function_is_rank_c_or_better() -> None:
    files = list(SRC.rglob("*.py"))
    assert len(files) > 50  # the package was found
    offenders = too_complex(SRC)
    assert not offenders, ("above rank C (cyclomatic complexity > 20); split into helpers:\n"
                           + "\n".join(offenders))
