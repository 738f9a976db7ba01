#!/usr/bin/env bash
# Installs the Python package lrfinder (the module and the lrfinder command) from this checkout into
# python3's environment: pip install . , built in build/python-package (kept, so a second install rebuilds
# only what changed). scripts/setup.sh installs what the build needs first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() { python3 -m pip install --no-build-isolation --no-deps "$@" "$root" >"$log" 2>&1; }
echo "install-python: pip install $root (the module lrfinder and the lrfinder command)" >&2
install || install --break-system-packages || { cat "$log" >&2; exit 1; }
