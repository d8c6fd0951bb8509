#!/usr/bin/env bash
# The dashboard benchmark: a store of 10,000 jobs and 1,000,000 tasks, then time to first frame,
# time per full redraw, reload + redraw, the big job's views, and peak memory, against the goals
# of issue #6 (first frame < 100 ms, redraw < 5 ms, memory < 50 MB).
#   bench/tui/run.sh [BUILD_DIR]        (the store is kept in BUILD_DIR/bench-tui.db for reruns)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
BIN="$("$ROOT/bench/tui/build.sh" "$BUILD")"
DB="$BUILD/bench-tui.db"
if [ ! -f "$DB" ]; then
  "$BIN" fill "$DB" 10000 1000000
fi
echo "store: $(du -h "$DB" | cut -f1) at $DB"
status=0
for size in "40 120" "24 80"; do
  echo "== headless screen ${size/ /x}"
  out="$("$BIN" run "$DB" $size)"
  echo "$out"
  first="$(awk '/^first_frame_ms/ {print $2}' <<<"$out")"
  redraw="$(awk '/^redraw_ms/ {print $2}' <<<"$out")"
  rss="$(awk '/^peak_rss_mb/ {print $2}' <<<"$out")"
  check() { # name value goal
    if awk -v v="$2" -v g="$3" 'BEGIN {exit !(v < g)}'; then
      printf '  %-12s %8s  goal < %s  ok\n' "$1" "$2" "$3"
    else
      printf '  %-12s %8s  goal < %s  MISSED\n' "$1" "$2" "$3"
      status=1
    fi
  }
  check first_frame "$first" 100
  check redraw "$redraw" 5
  check memory_mb "$rss" 50
done
exit $status
