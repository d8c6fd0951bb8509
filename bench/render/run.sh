#!/usr/bin/env bash
# Render benchmark: batchtop render against a plain Python 3 standard-library script doing the
# same work (bench/render/baseline.py), on generated rows (default 100k and 1M). Prints both
# times, the ratio, batchtop's peak memory, and checks that both outputs are byte-identical.
#
#   bench/render/run.sh [ROWS...]          (needs build/batchtop; BATCHTOP_BIN overrides)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${BATCHTOP_BIN:-$ROOT/build/batchtop}"
[ -x "$BIN" ] || { echo "build batchtop first: scripts/setup.sh" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export BATCHTOP_HOME="$TMP/home" BATCHTOP_CONFIG="$TMP/empty.conf"
: >"$BATCHTOP_CONFIG"
TPL="$HERE/bench.tmpl"
[ $# -gt 0 ] || set -- 100000 1000000

now() { date +%s.%N; }
printf '%-9s %-10s %10s %10s %8s %14s %s\n' rows "input MB" "batchtop s" "python s" ratio \
  "batchtop RSS" "same output"
for rows in "$@"; do
  python3 "$HERE/gen.py" "$rows" >"$TMP/in.csv"
  mb=$(awk -v b="$(stat -c %s "$TMP/in.csv")" 'BEGIN { printf "%.1f", b / 1e6 }')
  # warm the page cache so neither side pays for the first read
  cat "$TMP/in.csv" >/dev/null
  t0=$(now)
  /usr/bin/time -f %M -o "$TMP/rss" "$BIN" render "$TPL" "$TMP/in.csv" >"$TMP/bt.jsonl"
  t1=$(now)
  python3 "$HERE/baseline.py" "$TPL" "$TMP/in.csv" >"$TMP/py.jsonl"
  t2=$(now)
  same=no
  cmp -s "$TMP/bt.jsonl" "$TMP/py.jsonl" && same=yes
  awk -v r="$rows" -v mb="$mb" -v a="$t0" -v b="$t1" -v c="$t2" -v rss="$(cat "$TMP/rss")" \
    -v same="$same" 'BEGIN { bt = b - a; py = c - b;
      printf "%-9d %-10s %10.2f %10.2f %7.1fx %11.1f MB %s\n", r, mb, bt, py, py / bt, rss / 1024, same }'
  rm -f "$TMP/bt.jsonl" "$TMP/py.jsonl"
done
