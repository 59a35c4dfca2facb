"""``python -m checkedid``: the same command line as the ``checkedid`` console script."""

import sys

from checkedid.cli import main

sys.exit(main())
