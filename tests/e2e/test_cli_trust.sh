#!/usr/bin/env bash
# The command line's promises where a user leans on them (issue 14, items 2, 3, 4, 5, 8 and
# the CLI friction): --max-cost with a model without a price is refused, unknown costs show as
# ?, a duplicate --name is refused and an ambiguous name lists its candidates, a pipeline's id
# and name work with status/errors/retry/cancel/jobs, `retry STAGE --wait` drives the later
# stages, Ctrl-C while waiting says how to resume and exits 130, and the small things (did you
# mean, help, submit's stderr, results -o). About 20 s (10 of them a batch validating).
source "$(dirname "$0")/engine_lib.bash"

write_template "$WORK/t.md"
write_input "$WORK/in.csv" 8
start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30
uploads() { json_get "$(sim_get /admin/stats)" 'd["files_uploaded"]'; }

note "--max-cost with a model that has no price: refused (exit 4), how to give one said"
new_home
set +e
"$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --model gpt-5-turbo-x \
  --max-cost 0.0001 >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 4 ] || { cat "$WORK/err.txt" >&2; fail "unpriced --max-cost: exit $code, want 4"; }
grep -q "no price is known for model 'gpt-5-turbo-x'" "$WORK/err.txt" ||
  fail "unpriced --max-cost: $(cat "$WORK/err.txt")"
grep -q -- "--prices FILE" "$WORK/err.txt" || fail "unpriced --max-cost: no --prices hint"
grep -q "input_cost_per_token" "$WORK/err.txt" || fail "unpriced --max-cost: no file format"
[ ! -s "$WORK/out.txt" ] || fail "unpriced --max-cost: a job id was printed"
[ "$(uploads)" = 0 ] || fail "unpriced --max-cost: something was uploaded"
# With a price given, the same limit is checked (and here it holds).
cat >"$WORK/prices.json" <<'J'
{"gpt-5-turbo-x": {"input_cost_per_token": 1e-07, "output_cost_per_token": 2e-07,
                   "litellm_provider": "openai"}}
J
job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --model gpt-5-turbo-x \
  --max-cost 1 --prices "$WORK/prices.json" --name priced 2>"$WORK/err.txt")" ||
  { cat "$WORK/err.txt" >&2; fail "--prices: refused"; }
# Without a limit an unpriced model runs; its cost is ?, never $0.00.
job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --model gpt-5-turbo-x \
  --wait 2>"$WORK/err.txt")" || { cat "$WORK/err.txt" >&2; fail "unpriced submit failed"; }
"$BIN" status "$job" >"$WORK/st.txt"
grep -q "^cost      estimated ?, actual ? (no price known" "$WORK/st.txt" ||
  fail "status shows a price for an unpriced model: $(grep ^cost "$WORK/st.txt")"
"$BIN" jobs | grep "^$job " | grep -q ' ?$' || fail "jobs shows a price: $("$BIN" jobs)"
[ "$(status_field "$job" 'd["price_known"]')" = False ] || fail "--json price_known"
[ "$(status_field "$job" 'type(d["cost"]["actual_usd"]).__name__')" = float ] ||
  fail "--json cost is no longer a number"
# retry --max-cost and a pipeline's --max-cost on an unpriced model: refused the same way.
set +e
"$BIN" retry "$job" --max-cost 1 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 4 ] && grep -q "no price is known for model 'gpt-5-turbo-x'.*--prices FILE" "$WORK/err.txt" ||
  fail "retry --max-cost unpriced: exit $code: $(cat "$WORK/err.txt")"
printf 'name: up\ninput: in.csv\nstages:\n  - name: one\n    template: t.md\n    provider: openai\n    model: gpt-5-turbo-x\n' >"$WORK/up.yaml"
set +e
"$BIN" run "$WORK/up.yaml" --max-cost 5 --wait 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 4 ] && grep -q "no price is known for model 'gpt-5-turbo-x' (openai) of stage 'one'" "$WORK/err.txt" ||
  fail "run --max-cost unpriced: exit $code: $(cat "$WORK/err.txt")"

note "a duplicate --name is refused; an ambiguous name lists its candidates"
new_home
sim_reset
first="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --name dup 2>/dev/null)"
before=$(uploads)
set +e
"$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --name dup >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 1 ] || fail "duplicate name: exit $code, want 1"
grep -q "job $first is already named 'dup'" "$WORK/err.txt" || fail "duplicate name: $(cat "$WORK/err.txt")"
grep -q -- "--allow-duplicate-name" "$WORK/err.txt" || fail "duplicate name: no way out named"
[ ! -s "$WORK/out.txt" ] || fail "duplicate name: an id was printed"
[ "$(uploads)" = "$before" ] || fail "duplicate name: a second job was sent"
[ "$("$BIN" jobs --json | json_get "$(cat)" 'len(d)')" = 1 ] || fail "duplicate name: a job was stored"
second="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --name dup \
  --allow-duplicate-name 2>/dev/null)" || fail "--allow-duplicate-name refused"
for cmd in status cancel errors retry results; do
  set +e
  "$BIN" $cmd dup >/dev/null 2>"$WORK/err.txt"
  code=$?
  set -e
  [ "$code" = 1 ] || fail "$cmd of an ambiguous name: exit $code"
  grep -q "'dup' is ambiguous" "$WORK/err.txt" || fail "$cmd dup: $(cat "$WORK/err.txt")"
  grep -q "$first" "$WORK/err.txt" && grep -q "$second" "$WORK/err.txt" ||
    fail "$cmd dup: the candidates are not listed: $(cat "$WORK/err.txt")"
done
set +e
"$BIN" status zzzzzzzz9 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 1 ] && grep -q "no job or pipeline 'zzzzzzzz9'" "$WORK/err.txt" ||
  fail "no such job: $(cat "$WORK/err.txt")"
# Any unique prefix works, even one character.
p=1
while [ "$("$BIN" jobs --json | python3 -c "import json,sys; print(sum(j['id'].startswith('${first:0:$p}') for j in json.load(sys.stdin)))")" != 1 ]; do p=$((p + 1)); done
[ "$(status_field "${first:0:$p}" 'd["id"]')" = "$first" ] || fail "unique prefix ${first:0:$p}"
[ "$("$BIN" jobs "${first:0:$p}" --json | json_get "$(cat)" '[j["id"] for j in d]')" = "['$first']" ] ||
  fail "jobs JOB: $("$BIN" jobs "${first:0:$p}" --json)"
"$BIN" status "$second" --wait >/dev/null 2>&1 || fail "the second job did not finish"
"$BIN" status "$first" --wait >/dev/null 2>&1 || fail "the first job did not finish"

note "a pipeline's id and name work as JOB; retry of a stage --wait drives the later stages"
new_home
sim_reset
sim_config '{"fail_if_contains": "fail me", "fail_first": 1}'
write_input "$WORK/pin.csv" 8 4 # rows 4 and 8 fail once in stage 1
cat >"$WORK/reply.tmpl" <<'TPL'
---
max_tokens: 20
---
Write a one-sentence reply about {{prev.output}}: {{feedback}}
TPL
cat >"$WORK/p.yaml" <<'Y'
name: tp
input: pin.csv
stages:
  - name: label
    template: t.md
    provider: openai
    model: gpt-4o-mini
  - name: reply
    template: reply.tmpl
    provider: openai
    model: gpt-4o-mini
Y
set +e
pid="$("$BIN" run "$WORK/p.yaml" --wait 2>"$WORK/run.err")"
code=$?
set -e
[ "$code" = 2 ] || { cat "$WORK/run.err" >&2; fail "first run: exit $code, want 2"; }
for ref in "$pid" tp "${pid:0:5}"; do
  st="$("$BIN" status "$ref" --json)" || fail "status $ref"
  [ "$(json_get "$st" 'd["id"]')" = "$pid" ] || fail "status $ref: $st"
  [ "$(json_get "$st" '[s["stage"] for s in d["stages"]]')" = "['label', 'reply']" ] ||
    fail "status $ref: stages $st"
done
[ "$(json_get "$st" 'd["counts"]["failed"]')" = 2 ] || fail "pipeline counts: $st"
"$BIN" status tp >"$WORK/st.txt"
grep -q "^-- stage 1: label" "$WORK/st.txt" && grep -q "^-- stage 2: reply" "$WORK/st.txt" ||
  fail "status text does not show every stage: $(cat "$WORK/st.txt")"
[ "$("$BIN" jobs tp --json | json_get "$(cat)" '[j["name"] for j in d]')" = "['tp/label', 'tp/reply']" ] ||
  fail "jobs PIPELINE: $("$BIN" jobs tp --json)"
"$BIN" errors tp --json >"$WORK/errs.json"
[ "$(json_get "$(cat "$WORK/errs.json")" '[(g["stage"], g["count"]) for g in d]')" = "[('label', 2)]" ] ||
  fail "errors PIPELINE: $(cat "$WORK/errs.json")"
label_job=$(json_get "$st" 'd["stages"][0]["id"]')
"$BIN" retry "$label_job" --only failed --wait 2>"$WORK/retry.err" ||
  { cat "$WORK/retry.err" >&2; fail "retry of stage 1 --wait"; }
"$BIN" results tp --format jsonl >"$WORK/pr.jsonl"
python3 - "$WORK/pr.jsonl" <<'PY' || fail "retried rows did not flow through stage 2 by the retry's --wait"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 8, len(rows)
bad = [(r["id"], {k: v["status"] for k, v in r["stages"].items()}) for r in rows
       if any(v["status"] != "succeeded" for v in r["stages"].values())]
assert not bad, bad
# tokens and cost per stage
for r in rows:
    for name, v in r["stages"].items():
        assert v["input_tokens"] > 0 and v["output_tokens"] > 0 and v["cost_usd"] > 0, (r["id"], name, v)
PY
head -1 "$("$BIN" results tp -o "$WORK/pr.csv" && echo "$WORK/pr.csv")" |
  grep -q ",label_error,label_input_tokens,label_output_tokens,label_cost_usd,reply_status," ||
  fail "pipeline CSV has no per-stage usage: $(head -1 "$WORK/pr.csv")"
# A pipeline as JOB for retry and cancel: nothing left to retry, nothing left to cancel.
"$BIN" retry tp 2>"$WORK/retry.err" || fail "retry PIPELINE: $(cat "$WORK/retry.err")"
grep -q "0 tasks to retry" "$WORK/retry.err" || fail "retry PIPELINE: $(cat "$WORK/retry.err")"
"$BIN" cancel "$pid" 2>"$WORK/cancel.err" || fail "cancel PIPELINE: $(cat "$WORK/cancel.err")"
grep -q "pipeline $pid cancelled" "$WORK/cancel.err" || fail "cancel PIPELINE: $(cat "$WORK/cancel.err")"
# A running one: stage 1 at the provider, stage 2 held open for its rows; both end cancelled.
sim_config '{"validate_ms": 3000}'
sed 's/^name: tp$/name: tc/' "$WORK/p.yaml" >"$WORK/c.yaml"
"$BIN" run "$WORK/c.yaml" >/dev/null 2>&1 || fail "run of the pipeline to cancel"
timeout 30 "$BIN" cancel tc 2>"$WORK/cancel.err" || fail "cancel of a running pipeline: $(cat "$WORK/cancel.err")"
[ "$("$BIN" status tc --json | json_get "$(cat)" '[s["state"] for s in d["stages"]]')" = "['cancelled', 'cancelled']" ] ||
  fail "cancel of a running pipeline: $("$BIN" status tc)"
sim_config '{"validate_ms": 30}'
sim_config '{"fail_if_contains": null, "fail_first": 0}' || true

# No key for a stage: a setup error (exit 1), and the pipeline shows the stage paused.
new_home
set +e
env -u OPENAI_API_KEY timeout 60 "$BIN" run "$WORK/p.yaml" --wait >/dev/null 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 1 ] || { cat "$WORK/err.txt" >&2; fail "run --wait without a key: exit $code, want 1"; }
json_get "$("$BIN" status tp --json)" 'd["paused"]' | grep -q OPENAI_API_KEY ||
  fail "the pipeline does not show its stage paused: $("$BIN" status tp --json)"

note "Ctrl-C while waiting: the job goes on at the provider; how to resume is said; exit 130"
new_home
sim_reset
sim_config '{"validate_ms": 10000}' # long enough for two Ctrl-Cs on a busy machine
# As a terminal's Ctrl-C finds it: SIGINT at its default (bash leaves it ignored in background).
interrupt_run() { # interrupt_run OUT ERR ARGS...: start, wait for a batch at the sim, SIGINT
  local out="$1" err="$2"
  shift 2
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$BIN" "$@" >"$out" 2>"$err" &
  local p=$! deadline=$((SECONDS + 20)) made
  until made=$(json_get "$(sim_get /admin/stats)" 'sum(d["batches_created"].values())') && [ "$made" -ge 1 ] &&
    sqlite3 "$BATCHTOP_HOME/batchtop.db" "SELECT count(*) FROM batches WHERE remote_id IS NOT NULL" | grep -q '^[1-9]'; do
    [ $SECONDS -lt $deadline ] || { kill "$p"; fail "no batch reached the sim: $(cat "$err")"; }
    sleep 0.05
  done
  kill -INT "$p"
  set +e
  wait "$p"
  code=$?
  set -e
}
interrupt_run "$WORK/out.txt" "$WORK/err.txt" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --wait
job="$(head -1 "$WORK/out.txt")"
[ "$code" = 130 ] || fail "Ctrl-C in submit --wait: exit $code, want 130"
grep -q "interrupted; job $job keeps running at the provider" "$WORK/err.txt" ||
  fail "Ctrl-C in submit --wait said: $(cat "$WORK/err.txt")"
grep -q "batchtop status $job --wait" "$WORK/err.txt" || fail "Ctrl-C: no way to resume said"
[ "$(status_field "$job" 'd["counts"]["cancelled"]')" = 0 ] || fail "Ctrl-C cancelled tasks"
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
  "$BIN" status "$job" --wait >/dev/null 2>"$WORK/err.txt" &
p=$!
deadline=$((SECONDS + 10))
until grep -q "validating\|running\|submitting" "$WORK/err.txt"; do
  [ $SECONDS -lt $deadline ] || { kill "$p"; fail "status --wait showed no progress"; }
  sleep 0.05
done
kill -INT "$p"
set +e
wait "$p"
code=$?
set -e
[ "$code" = 130 ] || fail "Ctrl-C in status --wait: exit $code, want 130: $(cat "$WORK/err.txt"); job: $("$BIN" status "$job")"
grep -q "interrupted; job $job keeps running at the provider.*batchtop status $job --wait" \
  "$WORK/err.txt" || fail "Ctrl-C in status --wait said: $(cat "$WORK/err.txt")"
sim_config '{"validate_ms": 30}'
"$BIN" status "$job" --wait >/dev/null 2>&1 || fail "the interrupted job did not resume"
[ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 8 ] || fail "resume: not every task succeeded"
[ "$(json_get "$(sim_get /admin/stats)" 'sum(d["batches_created"].values())')" = 1 ] ||
  fail "the resume made a second batch"

note "friction: did you mean, help, submit's stderr, the provider warning, results -o"
set +e
"$BIN" sumbit 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 1 ] && grep -q "unknown command 'sumbit'; did you mean 'submit'?" "$WORK/err.txt" ||
  fail "sumbit: $(cat "$WORK/err.txt")"
set +e
"$BIN" submit "$WORK/t.md" "$WORK/in.csv" --chunksize 3 2>"$WORK/err.txt"
set -e
[ "$(wc -l <"$WORK/err.txt")" = 1 ] || fail "--chunksize: not one line: $(cat "$WORK/err.txt")"
grep -q "did you mean '--chunk-size'?" "$WORK/err.txt" || fail "--chunksize: $(cat "$WORK/err.txt")"
"$BIN" help submit | grep -q "^usage: batchtop submit TEMPLATE INPUT \[--provider P\] \[--model M\]" ||
  fail "help submit: $("$BIN" help submit | head -1)"
"$BIN" help | grep -q "^  retry " || fail "help lists no commands"
printf -- '---\nmax_tokens: 5\n---\nLabel: {{feedbak}}\n' >"$WORK/typo.md"
set +e
"$BIN" submit "$WORK/typo.md" "$WORK/in.csv" --provider openai --model gpt-4o-mini 2>"$WORK/err.txt"
set -e
grep -q "has no field 'feedbak', which the template uses at $WORK/typo.md:4:8 .*; nearest fields: feedback$" \
  "$WORK/err.txt" || fail "field typo: $(cat "$WORK/err.txt")"
printf -- '---\nmax_token: 5\n---\nLabel: {{feedback}}\n' >"$WORK/typo.md"
set +e
"$BIN" submit "$WORK/typo.md" "$WORK/in.csv" --provider openai --model gpt-4o-mini 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 1 ] && grep -q "^$WORK/typo.md:2:1: unknown front matter key 'max_token'; did you mean 'max_tokens'?" \
  "$WORK/err.txt" || fail "front matter typo: $(cat "$WORK/err.txt")"
new_home
sim_reset
job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider anthropic --model gpt-4o-mini \
  --name warn 2>"$WORK/err.txt")" || true
grep -q "warning: model 'gpt-4o-mini' belongs to openai, but the provider is anthropic" \
  "$WORK/err.txt" || fail "no provider warning: $(cat "$WORK/err.txt")"
printf 'name: wp\ninput: in.csv\nstages:\n  - name: one\n    template: t.md\n    provider: anthropic\n    model: gpt-4o-mini\n' >"$WORK/wp.yaml"
"$BIN" run "$WORK/wp.yaml" --max-cost 0.0000001 2>"$WORK/err.txt" || true
grep -q "warning: stage 'one': model 'gpt-4o-mini' belongs to openai, but the provider is anthropic" \
  "$WORK/err.txt" || fail "no provider warning from run: $(cat "$WORK/err.txt")"
job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --name told 2>"$WORK/err.txt")"
[ "$(echo "$job" | wc -l)" = 1 ] && [ ${#job} = 8 ] || fail "stdout is not just the id: $job"
grep -q "created job $job 'told': 8 tasks in 1 batch, openai gpt-4o-mini, estimated \\$" \
  "$WORK/err.txt" || fail "submit's stderr: $(cat "$WORK/err.txt")"
grep -q "batchtop status $job --wait" "$WORK/err.txt" || fail "submit: how to watch not said"
"$BIN" status "$job" --wait >/dev/null 2>&1
set +e
"$BIN" results "$job" -o "$WORK/no/such/dir/r.csv" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 1 ] && grep -q "the folder $WORK/no/such/dir does not exist" "$WORK/err.txt" ||
  fail "results -o into a missing folder: $(cat "$WORK/err.txt")"
"$BIN" results "$job" -o "$WORK/r.jsonl"
head -1 "$WORK/r.jsonl" | python3 -c 'import json,sys; json.loads(sys.stdin.readline())' ||
  fail "results -o r.jsonl is not JSONL"
"$BIN" results "$job" -o "$WORK/r.csv" --format jsonl 2>"$WORK/err.txt"
head -1 "$WORK/r.csv" | grep -q "^id,feedback,status" || fail "results -o r.csv is not CSV"
grep -q "warning: writing $WORK/r.csv as csv, as its name says (not --format jsonl)" "$WORK/err.txt" ||
  fail "no warning for a --format the extension contradicts: $(cat "$WORK/err.txt")"
assert_no_canary "$WORK"/*.txt "$WORK"/*.err
echo PASS
