#!/usr/bin/env bash
# Set everything up, then run the whole test suite (unit + end-to-end over pcscd).
# pytest's "no tests collected" (exit 5) counts as a failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/bootstrap.sh"
cd "$here"
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "checkedid: no tests were collected - treating as failure" >&2
    exit 1
fi
exit "$rc"
