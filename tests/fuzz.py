"""Shared settings for property tests of parsers that see outside data.

CI runs ``CHECKEDID_FUZZ_EXAMPLES`` examples per parser (2,000 by default); a longer run is
``CHECKEDID_FUZZ_EXAMPLES=100000 pytest tests/unit -k fuzz``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("CHECKEDID_FUZZ_EXAMPLES", "2000"))

#: Use as ``@FUZZ`` on a ``@given`` test.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
