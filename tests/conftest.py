"""Shared pytest configuration: markers, the test data in tests/data, the --reader option.

Every file a test needs lives in ``tests/data`` (sources and licences in the README beside
each file); ``../shared`` is never needed for a test to run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reader", default=None,
                     help="run the real-reader tests against the PC/SC reader with this name")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--reader"):
        return
    skip = pytest.mark.skip(reason="needs a real reader: pass --reader NAME")
    for item in items:
        if "reader" in item.keywords:
            item.add_marker(skip)


def data_path(*parts: str) -> Path:
    """Path into tests/data; a missing file is an error of the checkout, never a skip."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        raise FileNotFoundError(f"test data missing from the repository: {p}")
    return p
