#!/usr/bin/env bash
# Regenerate every expected screen from the current build, for review with `git diff`:
#   tests/render/regen.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for t in "$build"/test_view_*; do BT_GOLDEN_OUT="$out" "$t" >/dev/null 2>&1 || true; done
python3 "$here/update_golden.py" "$out"
