#!/usr/bin/env bash
# Build bench/tui/tui_bench against a normal build's static libraries (same flags as CMake's).
#   bench/tui/build.sh [BUILD_DIR]   -> BUILD_DIR/tui_bench
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
[ -f "$BUILD/tui/libbatchtop_tui.a" ] || cmake --build "$BUILD" -j2 >/dev/null
version="$(sed -n 's/^project(batchtop VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")"
cc -std=c11 -O2 -g -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
  -DBATCHTOP_VERSION="\"$version\"" -I"$ROOT/core" -I"$ROOT/tui" \
  $(pkg-config --cflags ncursesw sqlite3 jansson) \
  "$ROOT/bench/tui/tui_bench.c" "$BUILD/tui/libbatchtop_tui.a" "$BUILD/core/libbatchtop_core.a" \
  $(pkg-config --libs ncursesw sqlite3 jansson libcurl yaml-0.1) -lpthread -lm \
  -o "$BUILD/tui_bench"
echo "$BUILD/tui_bench"
