"""Shared pytest configuration: markers, the test data in tests/data, the --reader option.

Every file a test needs lives in ``tests/data`` (sources and licences in the README beside
each file); ``../shared`` is never needed for a test to run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Every hypothesis test runs with the fixed (or replayed) seed of :mod:`tests.fuzz`."""
    from tests import fuzz

    if config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = fuzz.SEED


def pytest_report_header(config: pytest.Config) -> list[str]:
    from tests import fuzz

    seed = config.getoption("hypothesis_seed", None)
    line = fuzz.header()
    if seed is not None and str(seed) != str(fuzz.SEED):
        line += f"; --hypothesis-seed={seed} overrides it"
    return [line]


#: Tests that share the one physical test bed (pcscd, vpcd slots, real readers) run after the
#: unit tests in the order they are written; pytest-randomly shuffles only the rest.
FIXED_ORDER = ("chip", "reader")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config,
                                  items: list[pytest.Item]) -> Iterator[None]:
    written = {item.nodeid: i for i, item in enumerate(items)}
    result = yield
    fixed_dirs = tuple(ROOT / "tests" / name for name in FIXED_ORDER)

    def fixed(item: pytest.Item) -> bool:
        return any(d in Path(str(item.path)).parents for d in fixed_dirs)

    shuffled = [item for item in items if not fixed(item)]
    in_order = sorted((item for item in items if fixed(item)), key=lambda i: written[i.nodeid])
    items[:] = shuffled + in_order
    if not config.getoption("--reader"):
        skip = pytest.mark.skip(reason="needs a real reader: pass --reader NAME")
        for item in items:
            if "reader" in item.keywords:
                item.add_marker(skip)
    return result


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reader", default=None,
                     help="run the real-reader tests against the PC/SC reader with this name")


def data_path(*parts: str) -> Path:
    """Path into tests/data; a missing file is an error of the checkout, never a skip."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        raise FileNotFoundError(f"test data missing from the repository: {p}")
    return p
