#!/usr/bin/env bash
# Wide-header benchmark: `batchtop render` over a CSV whose header has COLS distinct column names
# (default 40,000 and 200,000) and two data rows, so the time is the header's: reading it and
# checking that no name is repeated. The repeated-name check used to compare every name with
# every earlier one (40k columns: 9.5 s; 200k: over 120 s); with a hash index it is linear.
# Prints seconds per size and the time per column, which stays flat when the work is linear.
#
#   bench/header/run.sh [COLS...]          (needs build/batchtop; BATCHTOP_BIN overrides)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${BATCHTOP_BIN:-$ROOT/build/batchtop}"
[ -x "$BIN" ] || { echo "build batchtop first: scripts/setup.sh" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export BATCHTOP_HOME="$TMP/home" BATCHTOP_CONFIG="$TMP/empty.conf"
: >"$BATCHTOP_CONFIG"
printf -- '---\nmodel: gpt-4o-mini\nmax_tokens: 5\n---\nfirst {{c0}}, last {{last}}\n' >"$TMP/t.md"
[ $# -gt 0 ] || set -- 40000 200000

printf '%-9s %-10s %10s %14s\n' columns "input MB" "batchtop s" "us per column"
for cols in "$@"; do
  awk -v n="$cols" 'BEGIN {
    for (r = 0; r < 3; r++) {
      for (i = 0; i < n - 1; i++) printf "%s,", (r ? (r * i) % 97 : "c" i);
      print (r ? "v" r : "last");
    } }' >"$TMP/in.csv"
  mb=$(awk -v b="$(stat -c %s "$TMP/in.csv")" 'BEGIN { printf "%.1f", b / 1e6 }')
  t0=$(date +%s.%N)
  "$BIN" render "$TMP/t.md" "$TMP/in.csv" >"$TMP/out.jsonl"
  t1=$(date +%s.%N)
  [ "$(wc -l <"$TMP/out.jsonl")" = 2 ] || { echo "expected 2 requests" >&2; exit 1; }
  awk -v c="$cols" -v mb="$mb" -v a="$t0" -v b="$t1" \
    'BEGIN { printf "%-9d %-10s %10.2f %14.2f\n", c, mb, b - a, 1e6 * (b - a) / c }'
done
