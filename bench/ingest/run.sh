#!/usr/bin/env bash
# Ingestion benchmark: N (default 1,000,000) OpenAI result lines streamed into the store, then
# exported back to CSV in input order; batchtop (C, the engine's own code path) against a
# Python 3 standard-library script doing the same (json + sqlite3 + csv). The lines come as
# the output files of batches of CHUNK requests (default 50,000: OpenAI's per-batch limit,
# so what a 1M-row job really downloads). Setup (the job's tasks) is timed apart, outside the
# ratio. Prints wall
# time and peak RSS of each step and the ratio.
#   bench/ingest/run.sh [N [CHUNK]]   (needs a build in build/: scripts/setup.sh)
# PROMPT=BYTES gives every task a rendered request with a prompt that long, kept in both
# stores (default 0: bare request lines, and the baseline keeps none).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
N="${1:-1000000}"
CHUNK="${2:-50000}"
B="$ROOT/build"
W="$(mktemp -d "${TMPDIR:-/tmp}/bt-bench-ingest-XXXXXX")"
trap 'rm -rf "$W"' EXIT
[ -f "$B/core/libbatchtop_core.a" ] || { echo "build first: scripts/setup.sh" >&2; exit 1; }
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DBATCHTOP_VERSION='"bench"' \
  -I"$ROOT/core" "$ROOT/bench/ingest/bench_ingest.c" "$B/core/libbatchtop_core.a" \
  $(pkg-config --libs libcurl jansson sqlite3 yaml-0.1) -lpthread -lm -o "$W/bench_ingest"
echo "generating $N result lines in batches of $CHUNK..." >&2
python3 "$ROOT/bench/ingest/gen.py" "$N" "$CHUNK" "$W/results"
cat "$W"/results/*.jsonl | wc -c | awk -v k="$(ls "$W/results" | wc -l)" \
  '{printf "result files: %d, %.0f MB\n", k, $1/1e6}'

# measure NAME CMD...: wall seconds and peak RSS (KB) into $W/NAME.t
measure() {
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$W/$name.t" "$@"
  read -r secs rss <"$W/$name.t"
  printf '%-22s %8.2f s  %8.0f MB peak RSS\n' "$name" "$secs" "$((rss / 1024))"
}
sum() { awk '{s+=$1} END {print s}' "$@"; }

# Setup is the job's creation (every task, its input and request, its first attempt, in
# chunks): shown for information, not part of the ratio.
measure batchtop-setup sh -c '"$0" setup "$@" >/dev/null' "$W/bench_ingest" "$W/c.db" "$N" \
  "$CHUNK" "${PROMPT:-0}"
measure python-setup python3 "$ROOT/bench/ingest/baseline.py" setup "$W/p.db" "$N" "${PROMPT:-0}"
# The setups leave hundreds of MB of dirty pages; written back during a timed step they would
# slow whichever ran first.
sync
measure batchtop-ingest "$W/bench_ingest" ingest "$W/c.db" "$W/results"
measure batchtop-export "$W/bench_ingest" export "$W/c.db" "$W/c.csv"
measure python-ingest python3 "$ROOT/bench/ingest/baseline.py" ingest "$W/p.db" "$W/results"
measure python-export python3 "$ROOT/bench/ingest/baseline.py" export "$W/p.db" "$W/p.csv"
[ "$(wc -l <"$W/c.csv")" = "$((N + 1))" ] || { echo "batchtop export has the wrong row count" >&2; exit 1; }
c=$(sum "$W/batchtop-ingest.t" "$W/batchtop-export.t")
p=$(sum "$W/python-ingest.t" "$W/python-export.t")
awk -v c="$c" -v p="$p" -v n="$N" 'BEGIN {
  printf "total: batchtop %.2f s (%.0f lines/s), python %.2f s; ratio %.1fx (goal >= 5x)\n",
         c, n / c, p, p / c }'
