#!/usr/bin/env bash
# OpenAI's enqueued-token limit: a batch over it is accepted, then fails `token_limit_exceeded`
# before anything ran. The engine holds such a chunk's tasks (pending, job running) and sends
# them again in a new batch when another batch of the model ends or a backoff is over; it gives
# up after a few refusals with nothing else in flight. The sim's --token-limit refuses creates
# like OpenAI (sim/openai.c).
#   1. a job 2.5x the limit ends with every row succeeded, each request run once, the refused
#      attempts in the history
#   2. kill -9 right after a chunk was held: status says "waiting", not failed, and
#      `status --wait` ends the same, no batch twice
#   3. a limit below one chunk: the tasks fail with token_limit_exceeded after bounded rounds,
#      exit 2 (cli.md: finished, some tasks failed) and a job error that says what to do
source "$(dirname "$0")/engine_lib.bash"

write_template "$WORK/t.md"
write_input "$WORK/in.csv" 10
expected_outputs "$WORK/t.md" "$WORK/in.csv" openai >"$WORK/expected.txt"
# The sim's prompt tokens of the whole input, by its reference model.
total_tokens=$("$BIN" render "$WORK/t.md" "$WORK/in.csv" --provider openai | python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
import model_ref
print(sum(model_ref.answer(json.loads(l)["body"])["input_tokens"] for l in sys.stdin))
' "$SRC/sim")
limit=$((total_tokens * 2 / 5))
db() { sqlite3 -cmd ".timeout 5000" "$BATCHTOP_HOME/batchtop.db" "$1"; }

# check_done JOB WHAT: every row succeeded with the sim's answer, each request ran once, the
# sim holds no batch the store does not know (nothing created twice).
check_done() {
  local job="$1" what="$2" st stats
  st="$("$BIN" status "$job" --json)"
  [ "$(json_get "$st" 'd["state"]')" = completed ] &&
    [ "$(json_get "$st" 'd["counts"]["succeeded"]')" = 10 ] ||
    fail "$what: $(json_get "$st" '(d["state"], d["counts"])')"
  results_column "$job" output >"$WORK/got.txt"
  diff "$WORK/expected.txt" "$WORK/got.txt" || fail "$what: results differ"
  stats="$(sim_get /admin/stats)"
  [ "$(json_get "$stats" 'd["executions_total"]')" = 10 ] &&
    [ "$(json_get "$stats" 'd["max_executions_per_custom_id"]')" = 1 ] ||
    fail "$what: requests ran $(json_get "$stats" 'd["executions_total"]') times for 10 rows"
  [ "$(json_get "$stats" 'd["batches_created"]["openai"]')" = \
    "$(db "SELECT count(DISTINCT remote_id) FROM batches WHERE remote_id IS NOT NULL")" ] ||
    fail "$what: the sim has $(json_get "$stats" 'd["batches_created"]') batches, the store" \
      "$(db "SELECT count(*) FROM batches WHERE remote_id IS NOT NULL")"
  [ "$(json_get "$stats" '[b["status"] for b in d["batches"].values()].count("completed")')" = 5 ] ||
    fail "$what: not one completed batch per chunk: $(json_get "$stats" 'd["batches"]')"
  # The history: refused attempts ended with the code, the same tasks succeeded later.
  [ "$(db "SELECT count(*) FROM attempts WHERE state = 'failed' AND error_code =
           'token_limit_exceeded'")" -gt 0 ] || fail "$what: no refused attempt in the history"
  [ "$(db "SELECT count(*) FROM tasks t JOIN attempts a ON a.id = t.last_attempt_id WHERE
           a.state = 'succeeded' AND t.attempts > 1")" -gt 0 ] ||
    fail "$what: no task succeeded after a refusal"
  [ "$(json_get "$st" 'd["last_error"]')" = None ] && [ "$(json_get "$st" 'd["waiting"]')" = None ] ||
    fail "$what: $(json_get "$st" '(d["last_error"], d["waiting"])')"
}

note "a job 2.5x the enqueued-token limit ($limit of $total_tokens tokens) ends succeeded"
start_sim --request-ms 100 --validate-ms 30 --finalize-ms 30 --token-limit "gpt-4o-mini=$limit"
new_home
set +e
"$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --chunk-size 2 --wait \
  >"$WORK/job.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 0 ] || { cat "$WORK/err.txt"; fail "exit $code, want 0"; }
job="$(head -1 "$WORK/job.txt")"
check_done "$job" "2.5x the limit"
[ "$(db "SELECT count(*) FROM events WHERE kind = 'held'")" -gt 0 ] &&
  [ "$(db "SELECT count(*) FROM events WHERE kind = 'unheld'")" -gt 0 ] ||
  fail "no events for holding and sending again"
"$BIN" status "$job" | grep -q '^waiting' && fail "status still says waiting"
assert_no_canary "$WORK/err.txt"

note "(${SECONDS}s) kill -9 right after a chunk was held, then status --wait"
start_sim --request-ms 60 --validate-ms 30 --finalize-ms 30 --token-limit "gpt-4o-mini=$limit"
new_home
set +e
BATCHTOP_TEST_CRASH_AT=after-hold "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai \
  --chunk-size 2 --wait >"$WORK/job.txt" 2>"$WORK/crash.err"
code=$?
set -e
[ "$code" = 137 ] || fail "the run was not killed (exit $code)"
job="$(head -1 "$WORK/job.txt")"
[ "$(db "SELECT count(*) FROM batches WHERE state = 'intent' AND next_poll_at IS NOT NULL")" -gt 0 ] ||
  fail "no held chunk in the store after the crash"
# While chunks are held the job is running with nothing failed, and says why it waits.
st="$("$BIN" status "$job" --json)"
seen="$(json_get "$st" '(d["state"], d["counts"]["failed"], d["waiting"])')"
note "while held: $seen"
case "$seen" in
"('submitting', 0, 'enqueued-token limit (OpenAI), "*" held, next try "* | \
  "('running', 0, 'enqueued-token limit (OpenAI), "*" held, next try "*) ;;
*) fail "the job is not running and waiting with nothing failed: $seen" ;;
esac
"$BIN" status "$job" | grep -q '^waiting   enqueued-token limit (OpenAI)' ||
  fail "status does not say it waits: $("$BIN" status "$job")"
"$BIN" status "$job" --wait >/dev/null 2>"$WORK/resume.err" ||
  { cat "$WORK/resume.err"; fail "resume did not end with exit 0"; }
check_done "$job" "after kill -9"

note "(${SECONDS}s) a limit below one chunk: bounded rounds, then the tasks fail"
start_sim --request-ms 5 --validate-ms 20 --finalize-ms 20 --token-limit "gpt-4o-mini=5"
new_home
write_input "$WORK/small.csv" 4
set +e
# A shorter poll scales the backoff down (first wait 4 polls, the longest 40).
BATCHTOP_POLL_MS=20 timeout 60 "$BIN" submit "$WORK/t.md" "$WORK/small.csv" --provider openai --chunk-size 2 --wait \
  >"$WORK/job.txt" 2>"$WORK/err.txt"
code=$?
set -e
# cli.md: 2 is "finished, but some tasks failed".
[ "$code" = 2 ] || { cat "$WORK/err.txt"; fail "give-up: exit $code, want 2"; }
job="$(head -1 "$WORK/job.txt")"
st="$("$BIN" status "$job" --json)"
[ "$(json_get "$st" 'd["counts"]["failed"]')" = 4 ] || fail "give-up: $(json_get "$st" 'd["counts"]')"
errs="$("$BIN" errors "$job" --json)"
[ "$(json_get "$errs" '[(g["code"], g["count"]) for g in d]')" = "[('token_limit_exceeded', 4)]" ] ||
  fail "give-up: errors $errs"
le="$(json_get "$st" 'd["last_error"]')"
for want in "gave up waiting for the enqueued-token limit of gpt-4o-mini" "5 times" \
  "batchtop retry $job --only token_limit_exceeded" "--chunk-size"; do
  grep -qF -- "$want" <<<"$le" || fail "give-up: the job error lacks '$want': $le"
done
grep -qF "gave up waiting for the enqueued-token limit" "$WORK/err.txt" ||
  fail "give-up: nothing said on stderr: $(cat "$WORK/err.txt")"
# Each chunk was refused at least the 5 lone times and not endlessly; nothing ran.
refusals="$(db "SELECT min(n) || ' ' || max(n) FROM (SELECT count(*) AS n FROM attempts WHERE
                error_code = 'token_limit_exceeded' GROUP BY task_id)")"
read -r lo hi <<<"$refusals"
[ "$lo" -ge 5 ] && [ "$hi" -le 10 ] || fail "give-up: refusals per task $refusals"
[ "$(json_get "$(sim_get /admin/stats)" 'd["executions_total"]')" = 0 ] || fail "give-up: a request ran"
note "(${SECONDS}s) ok"
