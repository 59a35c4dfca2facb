"""Shared settings for property tests of parsers that see outside data.

Two modes (``CHECKEDID_FUZZ``):

* ``ci`` (default): every run uses one fixed seed (:data:`SEED`, printed in the pytest header;
  ``CHECKEDID_FUZZ_SEED=N`` replays another) and ``CHECKEDID_FUZZ_EXAMPLES`` examples per
  property (2,000 by default). The same commit gives the same inputs, so a red run is a
  real finding that anyone can replay, never a one-in-six flake.
* ``nightly``: a fresh random seed per run (printed: replay a failure with
  ``CHECKEDID_FUZZ_SEED``) and 20x the examples, e.g.
  ``CHECKEDID_FUZZ=nightly .venv/bin/python -m pytest tests/unit -k "fuzz or mutated"``.

Seeds of the mutation strategies are built from fixed keys (:mod:`tests.keys`).
"""

from __future__ import annotations

import os
import secrets

from hypothesis import HealthCheck, settings

#: The seed of CI runs unless ``CHECKEDID_FUZZ_SEED`` says otherwise.
DEFAULT_SEED = 9303
MODE = os.environ.get("CHECKEDID_FUZZ", "ci")
if MODE not in ("ci", "nightly"):
    raise ValueError(f"CHECKEDID_FUZZ must be 'ci' or 'nightly', not {MODE!r}")
_explicit = os.environ.get("CHECKEDID_FUZZ_SEED")
SEED = int(_explicit) if _explicit else (secrets.randbits(32) if MODE == "nightly"
                                         else DEFAULT_SEED)
EXAMPLES = int(os.environ.get("CHECKEDID_FUZZ_EXAMPLES",
                              "40000" if MODE == "nightly" else "2000"))

#: Use as ``@FUZZ`` on a ``@given`` test.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def header() -> str:
    """The line the pytest header shows."""
    return (f"checkedid fuzz: mode {MODE}, seed {SEED}, {EXAMPLES} examples per property "
            f"(replay: CHECKEDID_FUZZ_SEED={SEED})")
