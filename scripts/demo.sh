#!/usr/bin/env bash
# Set everything up, then run the full verification demo against the virtual chip.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/bootstrap.sh"
cd "$here"
exec .venv/bin/checkedid demo "$@"
