#!/usr/bin/env bash
# The local provider against a small server (issue 14, item 11): batchtop-sim with 2 slots
# (two connections at a time, 50-200 ms a call, each answer closing its connection) and a
# listen backlog of 5, as a llama.cpp server has. At the default local_concurrency of 64 the
# connects beyond slots + backlog used to be dropped by the kernel and retried by TCP after
# 1, 3, 7, 15 s: 30 rows took 10 s and 60 rows 15-55 s, nothing logged. With the concurrency
# adaptive (start low, grow while latency holds, back off) both finish in a few seconds, and
# the back off is in the log. About 6 s.
source "$(dirname "$0")/engine_lib.bash"

write_template "$WORK/t.md"

# run_small ROWS SLOT_MS LIMIT_S: one job at the default ceiling, against a fresh small server.
run_small() {
  local rows="$1" slot_ms="$2" limit="$3"
  start_sim --slots 2 --backlog 5 --slot-ms "$slot_ms"
  new_home
  write_input "$WORK/in.csv" "$rows"
  local t0 t1 ms
  t0=$(date +%s%N)
  "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider local --wait >"$WORK/out" 2>&1 ||
    fail "submit failed: $(cat "$WORK/out")"
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  note "$rows rows, 2 slots of $slot_ms ms, backlog 5: $ms ms (ideal $((rows * slot_ms / 2)) ms)"
  grep -q "$rows ok, 0 failed" "$WORK/out" || fail "not all rows succeeded: $(tail -1 "$WORK/out")"
  ((ms < limit * 1000)) || fail "$rows rows took $ms ms (want under $limit s)"
  local job
  job=$(json_get "$("$BIN" jobs --json)" 'd[0]["id"]')
  [ "$(results_column "$job" output | wc -l)" = "$rows" ] || fail "results are missing"
  assert_no_canary "$WORK/out"
}

run_small 30 200 6
run_small 60 50 5
# The controller said why it backed off, in the log (info) through an engine message.
grep -Eq "info +job [0-9a-z]+: local: concurrency [0-9]+ -> [0-9]+: (latency rose|a connect)" \
  "$BATCHTOP_HOME/batchtop.log" || fail "the log does not say why the local concurrency fell"
note "ok"
