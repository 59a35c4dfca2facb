#!/usr/bin/env bash
# Install and start pcscd with the vpcd virtual reader driver, without systemd.
# Idempotent: installs packages only if missing and starts pcscd only if it is
# not running. Then waits until PC/SC lists the virtual reader.
#
# vpcd (from vsmartcard-vpcd) opens two slots, "Virtual PCD 00 00" and
# "Virtual PCD 00 01", and waits for a virtual chip on TCP ports 35963/35964.
#
# Exposure: vpcd's server mode binds 0.0.0.0 (vpcd.c opensock() hard-codes
# INADDR_ANY; there is no option for loopback only). The virtual chip connects
# to 127.0.0.1. Never install vsmartcard-vpcd on a production kiosk; on a dev
# machine firewall 35963-35964 or use vpcd's reverse mode (hw/README.md §3).
set -euo pipefail

if [[ $(id -u) -ne 0 ]] && ! pgrep -x pcscd >/dev/null 2>&1; then
    echo "hw/setup.sh: run as root (it installs packages and starts pcscd)" >&2
    exit 1
fi

# shellcheck source=hw/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
apt_install_missing pcscd vsmartcard-vpcd libpcsclite-dev

pcscd_running() { pgrep -x pcscd >/dev/null 2>&1; }

if ! pcscd_running; then
    echo "==> starting pcscd (no systemd)"
    rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid 2>/dev/null || true
    mkdir -p /run/pcscd
    setsid pcscd --foreground >/dev/null 2>&1 < /dev/null &
fi

# Wait until the vpcd driver has opened its TCP port (the reader is then listed).
for _ in $(seq 1 100); do
    # 8C7B = 35963 in LISTEN state (0A); reading /proc does not touch the reader.
    if pcscd_running && grep -qiE ':8C7B [0-9A-F:]+ 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
        echo "==> pcscd is running with the vpcd virtual reader (chip port 35963, slot 1: 35964)"
        exit 0
    fi
    sleep 0.1
done
if pcscd_running; then
    echo "hw/setup.sh: pcscd runs but the vpcd driver did not open port 35963 (was pcscd started" \
         "before vsmartcard-vpcd was installed? stop it and run this script again)" >&2
else
    echo "hw/setup.sh: pcscd did not start; run 'pcscd --foreground --debug' to see why" >&2
fi
exit 1
