#!/usr/bin/env bash
# Pipelines end to end against batchtop-sim: examples/triage.pipeline.yaml (3 stages over 200
# rows, openai -> anthropic -> openai, a where-condition) where some rows fail in stage 1; a
# retry of those rows lets them flow on through the later stages; the side-by-side results
# match outputs computed independently from the sim's reference model; bad pipelines are
# refused with file:line:col, and pipelines over a budget (the run's --max-cost, a stage's
# max_cost) with exit 4, before anything is sent; and a kill -9 in the middle of a run
# resumes with `run --wait` to the same results, with no batch made twice.
source "$(dirname "$0")/engine_lib.bash"

PIPE="$SRC/examples/triage.pipeline.yaml"
python3 "$(dirname "$0")/pipeline_expected.py" "$SRC" >"$WORK/expected.tsv"
[ "$(wc -l <"$WORK/expected.tsv")" = 200 ] || fail "expected outputs: $(wc -l <"$WORK/expected.tsv") rows"

# Compare `results` (csv) with the expected outputs, row by row.
check_results() {
  "$BIN" results triage --format jsonl >"$WORK/results.jsonl" || fail "results failed"
  python3 - "$WORK/results.jsonl" "$WORK/expected.tsv" <<'PY' || fail "results differ from the model"
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
want = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
assert len(got) == len(want) == 200, (len(got), len(want))
bad = 0
for g, w in zip(got, want):
    st = g["stages"]
    rid, label, reply_status, reply, prio = w
    ok = (g["id"] == rid and st["label"]["status"] == "succeeded" and st["label"]["output"] == label
          and st["reply"]["status"] == reply_status)
    if reply_status == "succeeded":
        ok = ok and st["reply"]["output"] == reply and st["priority"]["status"] == "succeeded" \
            and st["priority"]["output"] == prio
    else:
        ok = ok and st["priority"]["status"] == "skipped"
    if not ok:
        bad += 1
        if bad <= 3:
            print("row", rid, "got", json.dumps(st), "want", w, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

note "bad pipelines are refused before anything is sent"
new_home
start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30 \
  --fail-if-contains double-charged --fail-first 1
cp -r "$SRC/examples" "$WORK/ex"
cat >"$WORK/ex/bad.yaml" <<'Y'
name: bad
input: feedback.csv
stages:
  - name: label
    template: triage/label.tmpl
    provider: openai
    model: gpt-4o-mini
  - name: reply
    template: triage/reply.tmpl
    provider: openai
    model: gpt-4o-mini
    where: output is "bug"
Y
set +e
"$BIN" run "$WORK/ex/bad.yaml" --wait 2>"$WORK/bad.err"
code=$?
set -e
[ "$code" = 1 ] || fail "bad where: exit $code"
grep -q "bad.yaml:12:12: unknown condition" "$WORK/bad.err" || fail "bad where: $(cat "$WORK/bad.err")"
# a later stage naming a stage that runs after it
sed -i 's/where: output is "bug"/where: succeeded/' "$WORK/ex/bad.yaml"
printf -- '---\nmax_tokens: 5\n---\nAbout {{feedback}}: {{reply.output}}\n' >"$WORK/ex/triage/label.tmpl"
set +e
"$BIN" run "$WORK/ex/bad.yaml" 2>"$WORK/bad.err"
code=$?
set -e
[ "$code" = 1 ] || fail "forward reference: exit $code"
grep -q "label.tmpl:4:.*'reply.output' names a stage that does not run before" "$WORK/bad.err" ||
  fail "forward reference: $(cat "$WORK/bad.err")"
# over budget: the whole run's worst case (--max-cost), or one stage's own max_cost
cp "$SRC/examples/triage/label.tmpl" "$WORK/ex/triage/label.tmpl"
set +e
"$BIN" run "$WORK/ex/triage.pipeline.yaml" --max-cost 0.001 --wait 2>"$WORK/bad.err"
code=$?
set -e
[ "$code" = 4 ] || fail "run --max-cost: exit $code, want 4"
grep -q "worst case .* is over --max-cost" "$WORK/bad.err" || fail "run --max-cost: $(cat "$WORK/bad.err")"
sed -i 's/^    chunk_size: 50$/    chunk_size: 50\n    max_cost: 0.0001/' "$WORK/ex/triage.pipeline.yaml"
grep -q "max_cost: 0.0001" "$WORK/ex/triage.pipeline.yaml" || fail "test setup: no stage max_cost"
set +e
"$BIN" run "$WORK/ex/triage.pipeline.yaml" --wait 2>"$WORK/bad.err"
code=$?
set -e
[ "$code" = 4 ] || fail "stage max_cost: exit $code, want 4"
grep -q "stage 'label': its estimated cost (above) is over the stage's max_cost \$0.0001" "$WORK/bad.err" ||
  fail "stage max_cost: $(cat "$WORK/bad.err")"
[ "$("$BIN" jobs --json)" = "[]" ] || fail "a refused pipeline left jobs behind"
[ "$(sqlite3 "$BATCHTOP_HOME/batchtop.db" 'SELECT count(*) FROM pipelines')" = 0 ] ||
  fail "a refused pipeline left its row behind"
[ "$(json_get "$(sim_get /admin/stats)" 'd["files_uploaded"] + sum(d["batches_created"].values())')" = 0 ] ||
  fail "something was sent for a bad pipeline"

note "a full run: stage 1 failures, then a retry that flows on"
set +e
pid="$("$BIN" run "$PIPE" --wait 2>"$WORK/run1.err")"
code=$?
set -e
[ "$code" = 2 ] || { cat "$WORK/run1.err" >&2; fail "first run: exit $code, want 2"; }
[ -n "$pid" ] || fail "run printed no pipeline id"
grep -q "total (at most)" "$WORK/run1.err" || fail "no estimate of all stages"
"$BIN" results triage >"$WORK/r1.csv"
failed=$(grep -c ',failed,' "$WORK/r1.csv" || true)
[ "$failed" -gt 0 ] || fail "no row failed in stage 1"
grep -q ',blocked,' "$WORK/r1.csv" || fail "failed rows are not shown as blocked later"
label_job=$("$BIN" jobs --json | python3 -c 'import json,sys; print([j["id"] for j in json.load(sys.stdin) if j["name"]=="triage/label"][0])')
"$BIN" retry "$label_job" --only failed --wait 2>"$WORK/retry.err" ||
  { cat "$WORK/retry.err" >&2; fail "retry of stage 1"; }
set +e
"$BIN" run "$PIPE" --wait 2>"$WORK/run2.err" >/dev/null
code=$?
set -e
[ "$code" = 0 ] || { cat "$WORK/run2.err" >&2; fail "resumed run: exit $code, want 0"; }
grep -q "resuming pipeline $pid" "$WORK/run2.err" || fail "the same file did not resume"
check_results
stats="$(sim_get /admin/stats)"
# every batch the sim made is one our store knows, once
made=$(json_get "$stats" 'sum(d["batches_created"].values())')
known=$(sqlite3 "$BATCHTOP_HOME/batchtop.db" "SELECT count(*) FROM batches WHERE remote_id IS NOT NULL")
[ "$made" = "$known" ] || fail "sim made $made batches, the store knows $known"

note "kill -9 in the middle of a run, then resume"
new_home
sim_reset
sim_config '{"fix": true, "request_ms": 15}'
"$BIN" run "$PIPE" --wait >/dev/null 2>"$WORK/run3.err" &
runpid=$!
deadline=$((SECONDS + 60))
# wait until the second stage has work, then kill the driver without warning
until [ "$(sqlite3 "$BATCHTOP_HOME/batchtop.db" "SELECT count(*) FROM tasks t JOIN jobs j ON j.id = t.job_id WHERE j.stage_no = 2" 2>/dev/null || echo 0)" -gt 0 ]; do
  [ $SECONDS -lt $deadline ] || fail "stage 2 never started: $(cat "$WORK/run3.err")"
  kill -0 "$runpid" 2>/dev/null || fail "run ended early: $(cat "$WORK/run3.err")"
  sleep 0.05
done
kill -9 "$runpid"
wait "$runpid" 2>/dev/null || true
set +e
"$BIN" run "$PIPE" --wait >/dev/null 2>"$WORK/run4.err"
code=$?
set -e
[ "$code" = 0 ] || { cat "$WORK/run4.err" >&2; fail "resume after kill -9: exit $code"; }
check_results
stats="$(sim_get /admin/stats)"
# every request of every stage ran exactly once: label for all rows, reply and priority for
# the rows that are not praise
flowing=$(grep -c $'\tsucceeded\t' "$WORK/expected.tsv")
runs=$(json_get "$stats" 'd["executions_total"]')
[ "$runs" = $((200 + 2 * flowing)) ] || fail "after kill -9: $runs executions, want $((200 + 2 * flowing))"
made=$(json_get "$stats" 'sum(d["batches_created"].values())')
known=$(sqlite3 "$BATCHTOP_HOME/batchtop.db" "SELECT count(*) FROM batches WHERE remote_id IS NOT NULL")
[ "$made" = "$known" ] || fail "after kill -9: sim made $made batches, the store knows $known"

note "status PIPELINE --wait --json: only JSON on stdout, and quiet on stderr as a job's is"
"$BIN" status triage --wait --json >"$WORK/st.json" 2>"$WORK/st.err" ||
  { cat "$WORK/st.err" >&2; fail "status --wait --json of a finished pipeline failed"; }
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/st.json" ||
  fail "status --wait --json stdout is not JSON: $(cat "$WORK/st.json")"
[ ! -s "$WORK/st.err" ] || fail "status --wait --json wrote progress: $(cat "$WORK/st.err")"
note "ok"
