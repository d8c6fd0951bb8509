#!/usr/bin/env bash
# OpenAI's enqueued-token limit: a batch over it is accepted, then fails `token_limit_exceeded`
# before anything ran. The engine holds such a chunk's tasks (pending, job running) and sends
# them again in a new batch when another batch of the model ends or a backoff is over. The
# refusal states the limit: from then on chunks bigger than 90% of it are cut, and a chunk is
# sent only when the model's batches in flight leave room for it. The sim's --token-limit
# refuses creates like OpenAI (sim/openai.c), with the limit in the message.
#   1. a job 2.5x the limit ends with every row succeeded, each request run once, the refused
#      attempts in the history; paced, only the first wave of chunks is ever refused
#   2. kill -9 right after a chunk was held: status says "waiting", not failed, and
#      `status --wait` ends the same, no batch twice
#   3. chunks each bigger than the limit, tasks that fit: cut, every row succeeds, exit 0
#   4. a limit below one request: the tasks fail with token_limit_exceeded after one refusal,
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

# check_done JOB WHAT [BATCHES]: every row succeeded with the sim's answer, each request ran
# once, the sim holds no batch the store does not know (nothing created twice), BATCHES (5: one
# per chunk) batches completed.
check_done() {
  local job="$1" what="$2" batches="${3:-5}" st stats
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
  [ "$(json_get "$stats" '[b["status"] for b in d["batches"].values()].count("completed")')" = \
    "$batches" ] || fail "$what: not $batches completed batches: $(json_get "$stats" 'd["batches"]')"
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
# All five chunks go at once (the limit is not known yet); at most two fit (2 x 64 sim tokens
# of 128), so at most three are refused. The refusal states the limit, and from then on a chunk
# goes only when its estimate fits beside those in flight (within 90% of the limit: ours is
# 72 a chunk, so one at a time) or nothing is in flight: no chunk is refused again. Unpaced,
# held chunks go together when a batch ends and are refused again and again.
refused="$(json_get "$(sim_get /admin/stats)" '[b["status"] for b in d["batches"].values()].count("failed")')"
note "refused batches: $refused"
[ "$refused" -le 3 ] || fail "$refused batches refused: chunks were sent into a full queue"
[ "$(db "SELECT tokens FROM token_limits WHERE provider = 'openai' AND model = 'gpt-4o-mini'")" = \
  "$limit" ] || fail "the limit was not learned: $(db "SELECT * FROM token_limits")"

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
"('submitting', 0, 'enqueued-token limit (OpenAI) of "*" tokens, "*" held, next try "* | \
  "('running', 0, 'enqueued-token limit (OpenAI) of "*" tokens, "*" held, next try "*) ;;
*) fail "the job is not running and waiting with nothing failed: $seen" ;;
esac
"$BIN" status "$job" | grep -q '^waiting   enqueued-token limit (OpenAI)' ||
  fail "status does not say it waits: $("$BIN" status "$job")"
"$BIN" status "$job" --wait >/dev/null 2>"$WORK/resume.err" ||
  { cat "$WORK/resume.err"; fail "resume did not end with exit 0"; }
check_done "$job" "after kill -9"

note "(${SECONDS}s) chunks each bigger than the limit, tasks that fit: cut, every row succeeds"
# Chunks of 5 rows hold 160 sim tokens; the limit is 100. Our estimate is 36 a task, so 90% of
# the limit takes 2 tasks: each chunk goes as 2 + 2 + 1, six batches.
start_sim --request-ms 20 --validate-ms 20 --finalize-ms 20 --token-limit "gpt-4o-mini=100"
new_home
set +e
BATCHTOP_POLL_MS=50 timeout 60 "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai \
  --chunk-size 5 --wait >"$WORK/job.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 0 ] || { cat "$WORK/err.txt"; fail "cut: exit $code, want 0"; }
job="$(head -1 "$WORK/job.txt")"
check_done "$job" "cut" 6
[ "$(db "SELECT count(*) FROM events WHERE kind = 'split'")" -ge 1 ] || fail "cut: no split event"
# What the sim ran, in order of the batches: every row once, and each chunk's rows (1-5, 6-10)
# in row order across the parts it was cut into. The two chunks are refused and cut at about
# the same time, so their parts may interleave: only the order within a chunk is promised.
for rows in "t.row_no <= 5" "t.row_no > 5"; do
  want="$([ "$rows" = "t.row_no <= 5" ] && echo 1,2,3,4,5 || echo 6,7,8,9,10)"
  [ "$(db "SELECT group_concat(row_no) FROM (SELECT t.row_no FROM tasks t JOIN attempts a ON
           a.id = t.last_attempt_id WHERE $rows ORDER BY a.batch_id, t.row_no)")" = "$want" ] ||
    fail "cut: tasks out of order: $(db "SELECT t.row_no, a.batch_id FROM tasks t JOIN attempts a
    ON a.id = t.last_attempt_id")"
done

note "(${SECONDS}s) a limit below one request: the tasks fail after one refusal"
start_sim --request-ms 5 --validate-ms 20 --finalize-ms 20 --token-limit "gpt-4o-mini=5"
new_home
write_input "$WORK/small.csv" 4
set +e
BATCHTOP_POLL_MS=20 timeout 60 "$BIN" submit "$WORK/t.md" "$WORK/small.csv" --provider openai --chunk-size 2 --wait \
  >"$WORK/job.txt" 2>"$WORK/err.txt"
code=$?
set -e
# cli.md: 2 is "finished, but some tasks failed".
[ "$code" = 2 ] || { cat "$WORK/err.txt"; fail "too large: exit $code, want 2"; }
job="$(head -1 "$WORK/job.txt")"
st="$("$BIN" status "$job" --json)"
[ "$(json_get "$st" 'd["counts"]["failed"]')" = 4 ] || fail "too large: $(json_get "$st" 'd["counts"]')"
errs="$("$BIN" errors "$job" --json)"
[ "$(json_get "$errs" '[(g["code"], g["count"]) for g in d]')" = "[('token_limit_exceeded', 4)]" ] ||
  fail "too large: errors $errs"
grep -qF "above the enqueued-token limit of 5 tokens for gpt-4o-mini" <<<"$errs" ||
  fail "too large: the tasks' error does not say why: $errs"
le="$(json_get "$st" 'd["last_error"]')"
for want in "gave up waiting for the enqueued-token limit of gpt-4o-mini (5 tokens)" \
  "batchtop errors $job"; do
  grep -qF -- "$want" <<<"$le" || fail "too large: the job error lacks '$want': $le"
done
grep -qF "gave up waiting for the enqueued-token limit" "$WORK/err.txt" ||
  fail "too large: nothing said on stderr: $(cat "$WORK/err.txt")"
# Refused once at most (a chunk sent after the first refusal was cut before it went); nothing ran.
[ "$(db "SELECT max(n) FROM (SELECT count(*) AS n FROM attempts WHERE error_code =
         'token_limit_exceeded' AND error_message LIKE 'Enqueued token limit reached%' GROUP BY
         task_id)")" = 1 ] || fail "too large: refusals per task $(db "SELECT task_id, count(*)
         FROM attempts GROUP BY task_id")"
[ "$(json_get "$(sim_get /admin/stats)" 'd["executions_total"]')" = 0 ] || fail "too large: a request ran"
note "(${SECONDS}s) ok"
