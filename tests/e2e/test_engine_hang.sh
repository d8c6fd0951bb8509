#!/usr/bin/env bash
# Never hang silently (issue 13), with the limits scaled down by their test hooks
# (BATCHTOP_LOST_MS, BATCHTOP_UNREADABLE_MS, BATCHTOP_BACKOFF_MS; cli.md):
#   1. every poll answers 404: the batch ends `lost`, its tasks failed batch_not_found, the job
#      ends with exit 2, and `retry` gets them done
#   2. every poll answers 200 with HTML, or cut JSON: backoff, then exit 3 with a message that
#      says so; `status --wait` resumes once the provider is well
#   3. a status batchtop does not know: said on stderr and in `status`, polled with backoff
#      (far fewer polls than the fixed BATCHTOP_POLL_MS loop), and the job ends when the
#      status moves on
# About 20 s.
source "$(dirname "$0")/engine_lib.bash"

write_template "$WORK/t.md"
write_input "$WORK/in.csv" 4
export BATCHTOP_BACKOFF_MS=100

for provider in openai anthropic; do
  note "$provider: every poll answers 404"
  start_sim --request-ms 2 --validate-ms 20 --finalize-ms 20 --cancel-ms 20
  new_home
  sim_config '{"poll_fault": "404"}'
  set +e
  start=$SECONDS
  job="$(BATCHTOP_LOST_MS=1500 timeout 60 "$BIN" submit "$WORK/t.md" "$WORK/in.csv" \
    --provider "$provider" --wait 2>"$WORK/err.txt")"
  code=$?
  set -e
  [ "$code" = 2 ] || { cat "$WORK/err.txt"; fail "$provider 404: exit $code, want 2"; }
  [ $((SECONDS - start)) -le 15 ] || fail "$provider 404: took $((SECONDS - start)) s"
  grep -q "lost" "$WORK/err.txt" || fail "$provider 404: nothing said: $(cat "$WORK/err.txt")"
  st="$("$BIN" status "$job" --json)"
  [ "$(json_get "$st" 'd["counts"]["failed"]')" = 4 ] || fail "$provider 404: $(json_get "$st" 'd["counts"]')"
  [ "$(json_get "$st" 'd["batches"][0]["status"]')" = lost ] ||
    fail "$provider 404: batch status $(json_get "$st" 'd["batches"][0]["status"]')"
  "$BIN" errors "$job" | grep -q batch_not_found || fail "$provider 404: no batch_not_found"
  sim_config '{"poll_fault": ""}'
  "$BIN" retry "$job" --wait >/dev/null 2>"$WORK/err.txt" ||
    { cat "$WORK/err.txt"; fail "$provider 404: the retry did not get them done"; }
  [ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 4 ] || fail "$provider 404: retry left failures"
  kill "${SIM_PIDS[-1]}"

  for garbage in html cut; do
    note "$provider: every poll answers 200 with $garbage"
    start_sim --request-ms 2 --validate-ms 20 --finalize-ms 20 --cancel-ms 20
    new_home
    sim_config "{\"poll_fault\": \"$garbage\"}"
    set +e
    start=$SECONDS
    job="$(BATCHTOP_UNREADABLE_MS=2000 timeout 60 "$BIN" submit "$WORK/t.md" "$WORK/in.csv" \
      --provider "$provider" --wait 2>"$WORK/err.txt")"
    code=$?
    set -e
    [ "$code" = 3 ] || { cat "$WORK/err.txt"; fail "$provider $garbage: exit $code, want 3"; }
    [ $((SECONDS - start)) -le 15 ] || fail "$provider $garbage: took $((SECONDS - start)) s"
    grep -q "unreadable" "$WORK/err.txt" || fail "$provider $garbage: no message: $(cat "$WORK/err.txt")"
    polls=$(json_get "$(sim_get /admin/stats)" \
      'sum(v for k, v in d["calls"].items() if k.startswith("GET") and k.endswith("_id}"))')
    [ "$polls" -le 20 ] || fail "$provider $garbage: $polls polls in 2 s: no backoff"
    sim_config '{"poll_fault": ""}'
    "$BIN" status "$job" --wait >/dev/null 2>"$WORK/err.txt" ||
      { cat "$WORK/err.txt"; fail "$provider $garbage: did not resume"; }
    [ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 4 ] || fail "$provider $garbage: not done"
    [ "$(status_field "$job" 'd["batches"][0]["last_error"]')" = None ] ||
      fail "$provider $garbage: the note stayed: $(status_field "$job" 'd["batches"][0]["last_error"]')"
    kill "${SIM_PIDS[-1]}"
  done

  note "$provider: a status batchtop does not know"
  start_sim --request-ms 2 --validate-ms 20 --finalize-ms 20 --cancel-ms 20
  new_home
  sim_config '{"poll_status": "pondering"}'
  job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider")"
  BATCHTOP_BACKOFF_MS=200 "$BIN" status "$job" --wait >/dev/null 2>"$WORK/wait.err" &
  waiter=$!
  deadline=$((SECONDS + 10))
  until grep -q "pondering" "$WORK/wait.err"; do
    [ $SECONDS -lt $deadline ] || fail "$provider unknown: nothing said: $(cat "$WORK/wait.err")"
    sleep 0.1
  done
  sleep 3 # a fixed 50 ms loop polls 60 times in these 3 s; the backoff a handful
  polls=$(json_get "$(sim_get /admin/stats)" \
    'sum(v for k, v in d["calls"].items() if k.startswith("GET") and k.endswith("_id}"))')
  [ "$polls" -le 12 ] || fail "$provider unknown: $polls polls in about 3 s: no backoff"
  "$BIN" status "$job" >"$WORK/status.txt"
  grep -q "pondering" "$WORK/status.txt" || fail "$provider unknown: status does not show it: $(cat "$WORK/status.txt")"
  grep -q "does not know" "$WORK/status.txt" || fail "$provider unknown: status does not say so: $(cat "$WORK/status.txt")"
  sim_config '{"poll_status": ""}'
  deadline=$((SECONDS + 20))
  while kill -0 "$waiter" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "$provider unknown: the job did not end once the status moved on"
    sleep 0.1
  done
  wait "$waiter" || fail "$provider unknown: status --wait exit $?: $(cat "$WORK/wait.err")"
  [ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 4 ] || fail "$provider unknown: not done"
  assert_no_canary "$WORK/err.txt" "$WORK/wait.err"
  kill "${SIM_PIDS[-1]}"
done
note "ok"
