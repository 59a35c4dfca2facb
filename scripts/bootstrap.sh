#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine (run as root): system packages,
# a virtualenv in .venv with checkedid and its extras, and the PC/SC test bed.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

# shellcheck source=hw/apt.sh
source hw/apt.sh
apt_install_missing pcscd vsmartcard-vpcd libpcsclite-dev swig gcc fonts-ocr-b tesseract-ocr strace chromium chromium-driver

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    if ! "$PY" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$PY" -m venv .venv
    fi
fi

# Reinstall only when the dependency declarations or this script change.
stamp_want="$(cat pyproject.toml scripts/bootstrap.sh hw/apt.sh | sha256sum | cut -c1-16)"
stamp_have="$(cat .venv/.checkedid-stamp 2>/dev/null || true)"
if [ "$stamp_want" != "$stamp_have" ]; then
    echo "==> installing Python packages into .venv (first run builds pyscard; takes a few minutes)"
    .venv/bin/python -m pip install -q --upgrade pip "setuptools<81" wheel
    .venv/bin/python -m pip install -q -e ".[face,dev,kiosk]"
    # face_recognition without its dependency on the dlib source distribution:
    # dlib-bin (in the [face] extra) provides the dlib module as a wheel.
    .venv/bin/python -m pip install -q --no-deps "face_recognition>=1.3.0"
    echo "$stamp_want" > .venv/.checkedid-stamp
fi

bash hw/setup.sh
