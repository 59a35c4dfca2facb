"""Shared pytest configuration: markers, paths to ../shared data, the --reader option."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


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


def shared_path(*parts: str) -> Path:
    """Path into ../shared; skips the test where it is absent, fails on CI where it must exist."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared test data missing on CI: {p}")
        pytest.skip(f"shared test data not available: {p}")
    return p


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_path()
