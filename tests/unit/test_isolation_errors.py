"""Errors across the isolation boundary: a worker's error comes back as the same
:mod:`checkedid.errors` class, with its message and attributes."""

from __future__ import annotations

from typing import Any

import pytest

from checkedid import isolation
from checkedid.errors import AccessDenied, CheckedIDError, InternalError
from checkedid.nfc.access.bac import BACError


def test_error_subclass_from_another_module_crosses_as_its_errors_class() -> None:
    def work(emit: Any) -> dict[str, Any]:
        raise BACError("the chip rejected the access key", sw=0x6300, step="BAC")

    with pytest.raises(AccessDenied) as info:
        isolation.run_isolated(work)
    assert not isinstance(info.value, InternalError)
    assert info.value.sw == 0x6300
    assert "rejected the access key" in str(info.value)


def test_error_outside_the_tree_still_crosses_as_checkedid_error() -> None:
    class Odd(CheckedIDError):
        pass

    def work(emit: Any) -> dict[str, Any]:
        raise Odd("an odd but clean failure")

    with pytest.raises(CheckedIDError) as info:
        isolation.run_isolated(work)
    assert type(info.value) is CheckedIDError
    assert "odd but clean" in str(info.value)
