"""The operator's decision policy: what a relying organisation accepts beyond the defaults.

The defaults are the strict rules of :func:`checkedid.result.decide` (every check PASSED;
AA and CA may be NOT_SUPPORTED only when the document offers neither). A policy may make
them stricter, or relax exactly one thing an operator must be able to decide: how stale a
CRL may be (kiosks are sometimes offline when a CRL's nextUpdate passes). Nothing in a
policy can turn a FAILED check into a pass. A policy is a small TOML file::

    # /etc/checkedid/policy.toml
    crl_grace_days = 3                 # a CRL up to 3 days past nextUpdate still counts
    require_chip_authentication = true # documents without AA/CA are INCOMPLETE
    face_threshold = 0.45              # stricter than the calibrated default
    document_portrait = "decide"       # the printed portrait must match the chip photo

``checkedid verify --policy FILE``, ``checkedid kiosk --policy FILE`` and
``Session(policy=Policy.load(FILE))`` use it.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from checkedid.errors import InputError

__all__ = ["MAX_CRL_GRACE_DAYS", "Policy", "PortraitPolicy"]

PortraitPolicy = Literal["warn", "decide", "off"]
#: A CRL more than this far past its nextUpdate is never current, whatever a policy says.
MAX_CRL_GRACE_DAYS = 30


@dataclass(frozen=True)
class Policy:
    """What the operator decided; the defaults are checkedid's strict rules."""

    crl_grace_days: int = 0
    require_chip_authentication: bool = False
    face_threshold: float | None = None
    document_portrait: PortraitPolicy = "warn"

    def __post_init__(self) -> None:
        if not isinstance(self.crl_grace_days, int) or isinstance(self.crl_grace_days, bool) \
                or not 0 <= self.crl_grace_days <= MAX_CRL_GRACE_DAYS:
            raise InputError(f"policy: crl_grace_days must be a whole number of days from 0 to "
                             f"{MAX_CRL_GRACE_DAYS}")
        if not isinstance(self.require_chip_authentication, bool):
            raise InputError("policy: require_chip_authentication must be true or false")
        t = self.face_threshold
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float))
                              or not 0.0 < float(t) < 1.0):
            raise InputError("policy: face_threshold must be a number between 0 and 1")
        if self.document_portrait not in ("warn", "decide", "off"):
            raise InputError("policy: document_portrait must be \"warn\", \"decide\" or \"off\"")

    @property
    def crl_grace(self) -> dt.timedelta:
        return dt.timedelta(days=self.crl_grace_days)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Policy:
        """A policy from parsed TOML; unknown keys are an error (a typo must not pass)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"policy: unknown setting(s) {', '.join(unknown)} (known: "
                             f"{', '.join(sorted(known))})")
        return cls(**dict(data))

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        """Read a policy TOML file (:class:`~checkedid.errors.InputError` when unusable)."""
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise InputError(f"cannot read the policy {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"the policy {path} is not valid TOML: {exc}") from None
        return cls.from_mapping(data)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
