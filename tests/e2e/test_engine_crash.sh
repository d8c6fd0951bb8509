#!/usr/bin/env bash
# Crash safety: kill -9 at several points of a job (BATCHTOP_TEST_CRASH_AT makes the engine
# raise SIGKILL there; test-only), then `status JOB --wait` resumes and ends with the same
# results as an uninterrupted run, and the sim saw exactly one batch per chunk and no request
# executed twice.
#   after-intent   state `creating` committed, create not sent yet
#   mid-upload     input file uploaded, its id not recorded (OpenAI)
#   after-create   batch created at the provider, its id not recorded: found again by listing
#   mid-poll       after the first poll was stored
#   mid-download   part of the result file spooled, nothing of it stored
source "$(dirname "$0")/engine_lib.bash"

start_sim --request-ms 2 --validate-ms 40 --finalize-ms 40
write_template "$WORK/t.md"
write_input "$WORK/in.csv" 10
expected_outputs "$WORK/t.md" "$WORK/in.csv" openai >"$WORK/expected.txt"

run_case() {
  local provider="$1" point="$2"
  note "$provider: kill -9 at $point"
  new_home
  sim_reset
  set +e
  BATCHTOP_TEST_CRASH_AT="$point" "$BIN" submit "$WORK/t.md" "$WORK/in.csv" \
    --provider "$provider" --chunk-size 4 --wait >"$WORK/job.txt" 2>"$WORK/crash.err"
  local code=$?
  set -e
  [ "$code" = 137 ] || fail "$provider/$point: the run was not killed (exit $code)"
  local job
  job="$(head -1 "$WORK/job.txt")"
  [ -n "$job" ] || fail "$provider/$point: no job id"
  if [ "$point" = mid-download ]; then
    [ -n "$(find "$BATCHTOP_HOME" -name '*.results.jsonl')" ] ||
      fail "$provider/$point: no half-written result spool after the kill"
  fi
  "$BIN" status "$job" --wait >/dev/null 2>"$WORK/resume.err" ||
    { cat "$WORK/resume.err"; fail "$provider/$point: resume did not end with exit 0"; }
  results_column "$job" output >"$WORK/got.txt"
  diff "$WORK/expected.txt" "$WORK/got.txt" || fail "$provider/$point: results differ"
  local stats
  stats="$(sim_get /admin/stats)"
  [ "$(json_get "$stats" "d['batches_created']['$provider']")" = 3 ] ||
    fail "$provider/$point: $(json_get "$stats" "d['batches_created']") batches for 3 chunks"
  [ "$(json_get "$stats" 'd["max_executions_per_custom_id"]')" = 1 ] ||
    fail "$provider/$point: a request ran twice"
  assert_no_canary "$WORK/crash.err" "$WORK/resume.err"
  # the killed run's half-written spools are gone with their batches
  local left
  left="$(find "$BATCHTOP_HOME" -name '*.jsonl' -o -name '*.json' | grep -v '\.db' || true)"
  [ -z "$left" ] || fail "$provider/$point: spool files left behind: $left"
}

for point in after-intent mid-upload after-create mid-poll mid-download; do
  run_case openai "$point"
done
# Anthropic batches carry no metadata: a lost create is found again by creation time and
# request count. A fresh sim per case keeps other runs' same-size batches out of the list
# (the documented residual risk is another client creating a same-size batch within 30 s).
for point in after-intent after-create mid-download; do
  start_sim --request-ms 2 --validate-ms 40 --finalize-ms 40
  run_case anthropic "$point"
done
note "two waiters on one job: one drives (the lease), the other watches; one batch per chunk"
start_sim --request-ms 30 --validate-ms 40 --finalize-ms 40
new_home
job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --chunk-size 4 2>/dev/null)"
"$BIN" status "$job" --wait >/dev/null 2>"$WORK/w1.err" &
w1=$!
"$BIN" status "$job" --wait >/dev/null 2>"$WORK/w2.err" ||
  { cat "$WORK/w2.err"; fail "second waiter did not exit 0"; }
wait "$w1" || { cat "$WORK/w1.err"; fail "first waiter did not exit 0"; }
results_column "$job" output >"$WORK/got.txt"
diff "$WORK/expected.txt" "$WORK/got.txt" || fail "two waiters: results differ"
stats="$(sim_get /admin/stats)"
[ "$(json_get "$stats" "d['batches_created']['openai']")" = 3 ] || fail "two waiters: duplicate batches"
[ "$(json_get "$stats" "d['calls'].get('GET /v1/files/{file_id}/content', 0)")" -le 6 ] ||
  fail "two waiters: results downloaded by both"
note "ok"
