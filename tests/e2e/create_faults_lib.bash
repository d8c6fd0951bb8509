# create_faults_lib.bash: the trials of test_create_faults_*.sh (sourced after engine_lib.bash,
# not a test itself). The suite is split by provider so that ctest runs the halves side by side.

export BATCHTOP_TEST_HTTP_TIMEOUT_MS=3000
TRIALS="$WORK/trials.txt"
: >"$TRIALS"
write_template "$WORK/t.md"
write_input "$WORK/in.csv" 9
expected_outputs "$WORK/t.md" "$WORK/in.csv" openai >"$WORK/expected.txt"
failed=0

# run_fault PROVIDER NAME CONFIG_JSON [ENV=VALUE...]: one job of 3 chunks under the fault.
run_fault() {
  local provider="$1" name="$2" config="$3"
  shift 3
  FAULT="$name"
  note "$provider: $name"
  start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30 --cancel-ms 30
  new_home
  sim_config "$config"
  local job t0=$SECONDS
  if ! job="$(env "$@" "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider" \
    --chunk-size 3 --wait 2>"$WORK/err.txt")"; then
    cat "$WORK/err.txt" >&2
    echo "trial $provider $name: submit --wait did not exit 0" >&2
    failed=$((failed + 1))
  fi
  job="$(echo "$job" | head -1)"
  check_trial "$provider" "$job" 9 "$WORK/expected.txt" || failed=$((failed + 1))
  assert_no_canary "$WORK/err.txt"
  note "  $((SECONDS - t0)) s"
  kill "${SIM_PIDS[-1]}"
}

# stop_past_lease PROVIDER: `submit --wait` is stopped (SIGSTOP: Ctrl-Z, a laptop lid) while its
# creates are in flight, past its lease (BATCHTOP_TEST_LEASE_MS, test-only: 1.5 s); another
# `status --wait` takes the job over and ends it; then the first continues. It must notice the
# lost lease before writing anything (no state overwritten, nothing created or ingested again).
stop_past_lease() {
  local provider="$1" a job t0=$SECONDS
  FAULT=stop-past-lease
  note "$provider: $FAULT"
  start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30 --cancel-ms 30
  new_home
  sim_config '{"create_delay_ms": 800}'
  BATCHTOP_TEST_LEASE_MS=1500 "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider" \
    --chunk-size 3 --wait >"$WORK/a.out" 2>"$WORK/a.err" &
  a=$!
  wait_sim_calls "$(create_route "$provider")" 1
  kill -STOP "$a"
  job="$(head -1 "$WORK/a.out")"
  if ! BATCHTOP_TEST_LEASE_MS=1500 "$BIN" status "$job" --wait >/dev/null 2>"$WORK/b.err"; then
    cat "$WORK/b.err" >&2
    echo "trial $provider $FAULT: the process that took over did not exit 0" >&2
    failed=$((failed + 1))
  fi
  local events_before
  events_before="$(store_events "$job")"
  kill -CONT "$a"
  wait "$a" || { cat "$WORK/a.err" >&2; echo "trial $provider $FAULT: the stopped run did not exit 0" >&2; failed=$((failed + 1)); }
  [ "$(store_events "$job")" = "$events_before" ] || {
    echo "trial $provider $FAULT: the stopped process wrote after it lost its lease:" >&2
    diff <(echo "$events_before") <(store_events "$job") >&2 || true
    failed=$((failed + 1))
  }
  grep -q "lost the lease" "$WORK/a.err" || {
    echo "trial $provider $FAULT: the stopped process did not say it lost its lease" >&2
    failed=$((failed + 1))
  }
  check_trial "$provider" "$job" 9 "$WORK/expected.txt" || failed=$((failed + 1))
  assert_no_canary "$WORK/a.err" "$WORK/b.err"
  note "  $((SECONDS - t0)) s"
  kill "${SIM_PIDS[-1]}"
}

# openai_duplicate FAULT POLL_MS: while a 3-chunk openai job runs (its batches polled every
# POLL_MS), a second batch for chunk 1 is made at the sim with chunk 1's tag and input file. It
# must be cancelled at once and reported (status text and --json "duplicates", a message), and
# the job's own results stay right.
openai_duplicate() {
  local job first file t0=$SECONDS
  FAULT="$1"
  note "openai: $FAULT"
  start_sim --request-ms 2 --validate-ms 1500 --finalize-ms 30 --cancel-ms 30
  new_home
  BATCHTOP_POLL_MS="$2" "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai \
    --chunk-size 3 --wait >"$WORK/dup.out" 2>"$WORK/dup.err" &
  local pid=$!
  wait_sim_calls "POST /v1/batches" 3
  job="$(head -1 "$WORK/dup.out")"
  first="$(json_get "$(sim_get /admin/stats)" "sorted(k for k, b in d['batches'].items() if b.get('job') == '$job')[0]")"
  file="$(curl -sf -H "Authorization: Bearer $OPENAI_API_KEY" "$OPENAI_BASE_URL/batches/$first" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["input_file_id"])')"
  curl -sf -H "Authorization: Bearer $OPENAI_API_KEY" -H 'Content-Type: application/json' \
    -d "{\"input_file_id\": \"$file\", \"endpoint\": \"/v1/chat/completions\", \"completion_window\": \"24h\", \"metadata\": {\"batchtop_tag\": \"bt-$job-1-1\", \"batchtop_job\": \"$job\"}}" \
    "$OPENAI_BASE_URL/batches" >/dev/null
  wait "$pid" || { cat "$WORK/dup.err" >&2; echo "trial openai $FAULT: submit --wait did not exit 0" >&2; failed=$((failed + 1)); }
  [ "$(duplicates_cancelled "$job")" = 1 ] || {
    "$BIN" status "$job" --json >&2
    echo "trial openai $FAULT: the duplicate was not cancelled and reported before the job ended" >&2
    failed=$((failed + 1))
  }
  [ "$(json_get "$(sim_get /admin/stats)" "sum(1 for b in d['batches'].values() if b.get('job') == '$job' and b['status'] == 'cancelled')")" = 1 ] ||
    { echo "trial openai $FAULT: the sim's duplicate is not cancelled" >&2; failed=$((failed + 1)); }
  "$BIN" status "$job" | grep -q "duplicate batches" ||
    { echo "trial openai $FAULT: status does not show the duplicate" >&2; failed=$((failed + 1)); }
  grep -q "duplicate batch .* found for chunk 1" "$WORK/dup.err" ||
    { echo "trial openai $FAULT: no message about the duplicate" >&2; failed=$((failed + 1)); }
  check_trial openai "$job" 9 "$WORK/expected.txt" "$job" || failed=$((failed + 1))
  note "  $((SECONDS - t0)) s"
  kill "${SIM_PIDS[-1]}"
}

# late_duplicate: the second batch lands while the job runs (what a create of a dead process,
# slower than any reconcile, would leave): the periodic orphan scan must find it by its tag.
late_duplicate() { openai_duplicate late-duplicate "$BATCHTOP_POLL_MS"; }

# final_duplicate: the duplicate lands after the job's last periodic orphan scan (polls of
# 400 ms: a scan every 8 s, and the job ends about 2 s after its creates), so only one more
# scan just before the job is marked finished can see it.
final_duplicate() { openai_duplicate final-duplicate 400; }

# anthropic_orphan: an Anthropic batch the store does not know, with chunk 1's requests (what a
# create that landed after its chunk was created again leaves), is made inside the job's window
# and ends. Row 2 fails on its first execution (the job's own batch) and succeeds on its second
# (the orphan's), so the job has every row right only if the orphan's paid answer is applied
# by custom_id. Creates are held 1 s, so the orphan has ended long before the job's last chunk
# is created; it must be reported as a duplicate with its cost, and nothing ingested twice.
anthropic_orphan() {
  local job t0=$SECONDS
  FAULT=orphan-ended
  note "anthropic: $FAULT"
  start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30 --cancel-ms 30
  new_home
  sim_config '{"create_delay_ms": 1000, "fail_if_contains": "item 2 works", "fail_first": 1}'
  "$BIN" render "$WORK/t.md" "$WORK/in.csv" --provider anthropic | head -3 |
    python3 -c 'import json, sys; print(json.dumps({"requests": [json.loads(l) for l in sys.stdin]}))' \
      >"$WORK/orphan.json"
  "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider anthropic --chunk-size 3 --wait \
    >"$WORK/orphan.out" 2>"$WORK/orphan.err" &
  local pid=$!
  wait_sim_calls "POST /v1/messages/batches" 1
  job="$(head -1 "$WORK/orphan.out")"
  curl -sf -H "x-api-key: $ANTHROPIC_API_KEY" -H 'anthropic-version: 2023-06-01' \
    -H 'Content-Type: application/json' "$ANTHROPIC_BASE_URL/v1/messages/batches" \
    -d @"$WORK/orphan.json" >/dev/null
  wait "$pid" || { cat "$WORK/orphan.err" >&2; echo "trial anthropic $FAULT: submit --wait did not exit 0" >&2; failed=$((failed + 1)); }
  [ "$(duplicates_cancelled "$job")" = 1 ] || {
    "$BIN" status "$job" --json >&2
    echo "trial anthropic $FAULT: the ended orphan was not reported as a duplicate" >&2
    failed=$((failed + 1))
  }
  "$BIN" status "$job" | grep -q "duplicate batches" ||
    { echo "trial anthropic $FAULT: status does not show the duplicate" >&2; failed=$((failed + 1)); }
  grep -q "duplicate batch .* found for chunk 1 (it ended; its custom_ids are this job's): 1 of its answers applied" "$WORK/orphan.err" ||
    { cat "$WORK/orphan.err" >&2; echo "trial anthropic $FAULT: no message about the orphan's answer" >&2; failed=$((failed + 1)); }
  # row 2 ran twice (once in each batch), every other row once
  [ "$(json_get "$(sim_get /admin/stats)" 'd["max_executions_per_custom_id"]')" = 2 ] ||
    { echo "trial anthropic $FAULT: a request ran more than twice" >&2; failed=$((failed + 1)); }
  check_trial anthropic "$job" 9 "$WORK/expected.txt" || failed=$((failed + 1))
  assert_no_canary "$WORK/orphan.err"
  note "  $((SECONDS - t0)) s"
  kill "${SIM_PIDS[-1]}"
}

# anthropic_suspected: an unknown Anthropic batch of a chunk's size (3 requests) made after the
# job's chunks, that never ends while the job runs (its requests hang). Nothing proves it the
# job's, so it is reported as a suspected duplicate (message and event) and left running: not
# cancelled, not recorded as the job's, and the job's own results stay right.
anthropic_suspected() {
  local job other t0=$SECONDS
  FAULT=suspected-running
  note "anthropic: $FAULT"
  start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30 --cancel-ms 30
  new_home
  sim_config '{"create_delay_ms": 600, "hang_if_contains": "hang me"}'
  "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider anthropic --chunk-size 3 --wait \
    >"$WORK/susp.out" 2>"$WORK/susp.err" &
  local pid=$!
  wait_sim_calls "POST /v1/messages/batches" 1
  job="$(head -1 "$WORK/susp.out")"
  other="$(curl -sf -H "x-api-key: $ANTHROPIC_API_KEY" -H 'anthropic-version: 2023-06-01' \
    -H 'Content-Type: application/json' "$ANTHROPIC_BASE_URL/v1/messages/batches" -d "$(
      python3 -c 'import json; print(json.dumps({"requests": [{"custom_id": "other-%d" % i, "params": {"model": "claude-haiku-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "hang me"}]}} for i in range(3)]}))'
    )" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
  wait "$pid" || { cat "$WORK/susp.err" >&2; echo "trial anthropic $FAULT: submit --wait did not exit 0" >&2; failed=$((failed + 1)); }
  grep -q "suspected duplicate batch $other for chunk" "$WORK/susp.err" ||
    { cat "$WORK/susp.err" >&2; echo "trial anthropic $FAULT: no message about the suspected duplicate" >&2; failed=$((failed + 1)); }
  [ "$(grep -c "suspected duplicate batch" "$WORK/susp.err")" = 1 ] ||
    { echo "trial anthropic $FAULT: the suspected duplicate was reported more than once" >&2; failed=$((failed + 1)); }
  [ "$(json_get "$(sim_get /admin/stats)" "d['batches']['$other']['status']")" = in_progress ] ||
    { echo "trial anthropic $FAULT: the suspected duplicate did not stay running" >&2; failed=$((failed + 1)); }
  [ "$(tracked_batches "$job")" = 3 ] ||
    { echo "trial anthropic $FAULT: the store took the other batch as the job's" >&2; failed=$((failed + 1)); }
  # status tells it too, long after the live message scrolled away
  [ "$(json_get "$("$BIN" status "$job" --json)" "sum(1 for x in d.get('suspected_duplicates', []) if '$other' in x['message'])")" = 1 ] ||
    { echo "trial anthropic $FAULT: status --json does not list the suspected duplicate" >&2; failed=$((failed + 1)); }
  "$BIN" status "$job" | grep -q "suspected duplicate batch $other" ||
    { echo "trial anthropic $FAULT: status does not say the suspected duplicate" >&2; failed=$((failed + 1)); }
  results_column "$job" output >"$WORK/trial.got" 2>/dev/null || true
  diff -q "$WORK/expected.txt" "$WORK/trial.got" >/dev/null ||
    { echo "trial anthropic $FAULT: results differ" >&2; failed=$((failed + 1)); }
  note "  $((SECONDS - t0)) s"
  kill "${SIM_PIDS[-1]}"
}

# anthropic_wrong_batch (issue 13 item 2): an Anthropic batch of a chunk's size exists from
# before the job (an orphan of an earlier chunk, or another tool's), then chunk 2's create is
# dropped unperformed. Anthropic batches carry no tag: the reconcile matches by size and time,
# and must not take the older batch for chunk 2 (whose 3 answers would then be missing).
anthropic_wrong_batch() {
  local job orphan t0=$SECONDS
  FAULT=older-same-size-batch
  note "anthropic: $FAULT"
  start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30 --cancel-ms 30
  new_home
  orphan="$(curl -sf -H "x-api-key: $ANTHROPIC_API_KEY" -H 'anthropic-version: 2023-06-01' \
    -H 'Content-Type: application/json' "$ANTHROPIC_BASE_URL/v1/messages/batches" -d "$(
      python3 -c 'import json; print(json.dumps({"requests": [{"custom_id": "orphan-%d" % i, "params": {"model": "claude-haiku-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}} for i in range(3)]}))'
    )" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
  sleep 1.5 # it must be older than the job's creates by more than the learned clock skew (1 s)
  sim_config '{"create_fault_skip": 1, "create_drop_next": 1}'
  if ! job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider anthropic --chunk-size 3 \
    --wait 2>"$WORK/err.txt")"; then
    cat "$WORK/err.txt" >&2
    echo "trial anthropic $FAULT: submit --wait did not exit 0" >&2
    failed=$((failed + 1))
  fi
  job="$(echo "$job" | head -1)"
  if json_get "$("$BIN" status "$job" --json)" "any(b.get('remote_id') == '$orphan' for b in d['batches'])" | grep -q True; then
    echo "trial anthropic $FAULT: the older batch $orphan was adopted as a chunk's" >&2
    failed=$((failed + 1))
  fi
  # the sim holds the job's 3 batches and the older one
  [ "$(sim_batches_of anthropic)" = 4 ] || { echo "trial anthropic $FAULT: $(sim_batches_of anthropic) batches at the sim, not 3 + 1" >&2; failed=$((failed + 1)); }
  results_column "$job" output >"$WORK/got.txt"
  local right=yes
  diff -q "$WORK/expected.txt" "$WORK/got.txt" >/dev/null || { right=no; echo "trial anthropic $FAULT: results differ" >&2; failed=$((failed + 1)); }
  echo "anthropic $FAULT $(( $(sim_batches_of anthropic) - 1 )) $(tracked_batches "$job") 0 $right" >>"$TRIALS"
  note "  $((SECONDS - t0)) s"
  kill "${SIM_PIDS[-1]}"
}

# store_events JOB: the job's events and batch rows as the store has them (to see a write).
store_events() {
  python3 - "$BATCHTOP_HOME/batchtop.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for r in db.execute("SELECT kind, message FROM events WHERE job_id = ? ORDER BY id", (sys.argv[2],)):
    print(*r)
for r in db.execute("SELECT id, state, remote_id, remote_status, results_state, n_succeeded FROM batches WHERE job_id = ? ORDER BY id", (sys.argv[2],)):
    print(*r)
PY
}

# provider_faults PROVIDER: every fault of the suite, one trial each, for the provider.
provider_faults() {
  local provider="$1"
  stop_past_lease "$provider"
  run_fault "$provider" delay-300ms '{"create_delay_ms": 300}'
  run_fault "$provider" delay-1500ms '{"create_delay_ms": 1500}'
  # the first create goes through, the second is lost on a reused connection
  run_fault "$provider" lost '{"create_fault_skip": 1, "create_lost_next": 1}'
  run_fault "$provider" lost+list-5xx '{"create_fault_skip": 1, "create_lost_next": 1, "list_5xx_next": 3}'
  run_fault "$provider" lost+list-html '{"create_fault_skip": 1, "create_lost_next": 1, "list_html_next": 3}'
  # slower than the client's 2 s timeout, but landing before timeout + margin (3 s)
  run_fault "$provider" slower-than-timeout '{"create_delay_ms": 2600}' BATCHTOP_TEST_HTTP_TIMEOUT_MS=2000
  run_fault "$provider" create-html '{"create_html_next": 1}'
  run_fault "$provider" create-cut '{"create_cut_next": 1}'
  run_fault "$provider" create-html+list-html '{"create_html_next": 1, "list_html_next": 3}'
  run_fault "$provider" create-cut+list-cut '{"create_cut_next": 1, "list_cut_next": 3}'
}
