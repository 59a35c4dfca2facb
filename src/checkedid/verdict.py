"""Verdicts: the outcome of every authentication check, with a reason.

A check never silently returns ``False``. It yields a :class:`Check` with a
:class:`Verdict` and a human-readable reason that an operator can act on and
that never contains personal data.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = ["Check", "CheckGroup", "JSONValue", "Verdict", "combine", "json_list",
           "json_map"]

#: A JSON value (RFC 8259): what the details of a check group and the dict forms of
#: checks and results hold. Sequences and mappings are read-only views, so a
#: ``list[str]`` or a ``dict[str, int]`` is one too.
JSONValue: TypeAlias = (str | int | float | bool | Sequence["JSONValue"]
                        | Mapping[str, "JSONValue"] | None)


def json_list(value: JSONValue) -> Sequence[JSONValue]:
    """A detail read as a list: a list as it is, one string as a list of it, else empty."""
    if isinstance(value, str):
        return (value,)
    return value if isinstance(value, Sequence) else ()


def json_map(value: JSONValue) -> Mapping[str, JSONValue]:
    """A detail read as an object: a mapping as it is, anything else empty."""
    return value if isinstance(value, Mapping) else {}


class Verdict(enum.StrEnum):
    """Outcome of one check.

    ``PASSED`` — the check ran and succeeded. ``FAILED`` — it ran and failed
    (the document must not be trusted). ``NOT_SUPPORTED`` — the document does
    not offer it (e.g. no DG15, so no Active Authentication). ``NOT_CHECKED`` —
    it could not be run (e.g. no trust store was configured).
    """

    PASSED = "PASSED"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    NOT_CHECKED = "NOT_CHECKED"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Check:
    """One named check with its verdict and reason."""

    name: str
    verdict: Verdict
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASSED

    def to_dict(self) -> dict[str, JSONValue]:
        return {"name": self.name, "verdict": self.verdict.value, "reason": self.reason}


def combine(checks: Iterable[Check]) -> tuple[Verdict, str]:
    """Overall verdict of several checks: FAILED beats NOT_CHECKED beats NOT_SUPPORTED beats PASSED.

    The reason is that of the first check with the deciding verdict.
    """
    checks = list(checks)
    for v in (Verdict.FAILED, Verdict.NOT_CHECKED, Verdict.NOT_SUPPORTED):
        for c in checks:
            if c.verdict is v:
                return v, f"{c.name}: {c.reason}" if c.reason else c.name
    if not checks:
        return Verdict.NOT_CHECKED, "no checks were run"
    return Verdict.PASSED, "all checks passed"


@dataclass(frozen=True)
class CheckGroup:
    """A protocol's outcome (e.g. Passive Authentication) made of named checks."""

    name: str
    verdict: Verdict
    reason: str
    checks: tuple[Check, ...] = field(default_factory=tuple)
    details: dict[str, JSONValue] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, checks: Iterable[Check], **details: JSONValue) -> CheckGroup:
        checks = tuple(checks)
        verdict, reason = combine(checks)
        return cls(name, verdict, reason, checks, dict(details))

    @classmethod
    def single(cls, name: str, verdict: Verdict, reason: str, **details: JSONValue) -> CheckGroup:
        """A group of one check of the same name (a step with one outcome)."""
        return cls.of(name, [Check(name, verdict, reason)], **details)

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASSED

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_dict(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {
            "verdict": self.verdict.value,
            "reason": self.reason,
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.details:
            out["details"] = self.details
        return out
