#!/usr/bin/env bash
# A later pipeline stage's max_cost, mid-run. Its rows are not known up front (they flow in from
# stage 1 as its chunks end), so nothing refuses it before the run: `run` checks stage 1's
# max_cost and the run's --max-cost against the plan, a later stage's max_cost only travels with
# its job. The engine's budget check (engine_over_budget, the same one jobs get) stops the stage
# once actual spend plus the estimates of its chunks in flight and of the next chunk would pass
# it. Here: 22 rows, chunks of 4 in both stages (stage 2: 4,4,4,4,4,2), stage 2 on Anthropic so
# the sim's counters tell the stages apart, and a stage budget of 2.6 of its 4-row chunks'
# worst-case estimates (rounded): the first two chunks always fit, the whole stage cannot.
# Checked: exit 4; the stage stopped after at least two chunks and before its last; no chunk
# after the first stopped one reached the sim (the last, 2-row chunk would fit again once the
# chunks before it were billed below their estimates); the stopped rows are cancelled as
# budget_exceeded in status, errors and results, with the stage's max_cost named; the stage spent
# no more than its budget. Which chunk stops first depends on whether the chunks before it have
# been billed yet, so that is not asserted.
source "$(dirname "$0")/engine_lib.bash"

ROWS=22
cat >"$WORK/label.tmpl" <<'TPL'
---
max_tokens: 2
---
Label this feedback as bug, feature, praise or other. Answer with the label only.

Feedback: {{feedback}}
TPL
# Stage 2 reads only input fields, so `estimate` gives its plan's numbers exactly.
cat >"$WORK/reply.tmpl" <<'TPL'
---
max_tokens: 20
---
Write a one-sentence reply to this customer: {{feedback}}
TPL
python3 - "$WORK/in.csv" "$ROWS" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,feedback\n")
    for i in range(int(sys.argv[2])):  # every row the same size: every 4-row chunk the same estimate
        f.write('%d,"item %02d works, mostly"\n' % (i + 1, i + 1))
PY

est="$("$BIN" estimate "$WORK/reply.tmpl" "$WORK/in.csv" --provider anthropic \
  --model claude-haiku-4-5 --json)"
worst=$(json_get "$est" 'd["cost_usd"]["batch"]["worst"]')
e4=$(python3 -c "print(repr($worst * 4 / $ROWS))")
# two significant digits, so the stop message prints it as written here
budget=$(python3 -c "print(format(float('%.2g' % ($e4 * 2.6)), 'f').rstrip('0'))")
python3 -c "assert 2 * $e4 <= $budget < 3 * $e4" || fail "test setup: budget \$$budget, chunk \$$e4"
cat >"$WORK/p.yaml" <<Y
name: pb
input: in.csv
stages:
  - name: label
    template: label.tmpl
    provider: openai
    model: gpt-4o-mini
    chunk_size: 4
  - name: reply
    template: reply.tmpl
    provider: anthropic
    model: claude-haiku-4-5
    chunk_size: 4
    max_cost: $budget
Y

new_home
start_sim --request-ms 5 --validate-ms 30 --finalize-ms 30

note "stage 2's max_cost \$$budget (a 4-row chunk at worst \$$e4) stops it mid-run"
set +e
# (a bound, so a stage that never gets its rows fails here instead of at the ctest timeout)
timeout 120 "$BIN" run "$WORK/p.yaml" --wait >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
# cli.md: 4 is "refused by --max-cost"; a budget stop in any stage gives the run that code.
[ "$code" = 4 ] || { cat "$WORK/err.txt" >&2; fail "exit $code, want 4"; }
grep -q "started pipeline" "$WORK/err.txt" || fail "the run was refused up front: $(cat "$WORK/err.txt")"
grep -q "stopped before chunk [0-9]*: the stage's max_cost \$$budget would be passed" "$WORK/err.txt" ||
  fail "no stop message naming the stage's max_cost: $(cat "$WORK/err.txt")"
jobs="$("$BIN" jobs --json)"
label=$(json_get "$jobs" '[j["id"] for j in d if j["name"] == "pb/label"][0]')
reply=$(json_get "$jobs" '[j["id"] for j in d if j["name"] == "pb/reply"][0]')

st1="$("$BIN" status "$label" --json)"
[ "$(json_get "$st1" 'd["counts"]["succeeded"]')" = "$ROWS" ] || fail "stage 1: $(json_get "$st1" 'd["counts"]')"

st="$("$BIN" status "$reply" --json)"
sent=$(json_get "$st" 'sum(b["remote_id"] is not None for b in d["batches"])')
chunks=$(json_get "$st" 'len(d["batches"])')
ok=$(json_get "$st" 'd["counts"]["succeeded"]')
cancelled=$(json_get "$st" 'd["counts"]["cancelled"]')
note "stage 2: $sent of $chunks chunks sent, $ok rows succeeded, $cancelled cancelled"
# Every row reached stage 2 (so without the budget every chunk would have gone) ...
[ "$(json_get "$st" 'd["counts"]["total"]')" = "$ROWS" ] && [ $((ok + cancelled)) = "$ROWS" ] &&
  [ "$chunks" -ge 6 ] || fail "stage 2 counts $(json_get "$st" 'd["counts"]'), $chunks chunks"
# ... but it stopped: after at least the two chunks that always fit, before the last.
[ "$sent" -ge 2 ] || fail "stage 2 stopped after $sent chunks; two always fit: $st"
[ "$sent" -lt "$chunks" ] && [ "$cancelled" -gt 0 ] || fail "stage 2 was never stopped: $st"
# Nothing after the stop: every chunk after the first stopped one was stopped as well.
python3 - "$st" <<'PY' || fail "a chunk went out after the stop: $st"
import json, sys
b = sorted(json.loads(sys.argv[1])["batches"], key=lambda b: b["chunk"])
first = next(i for i, x in enumerate(b) if x["remote_id"] is None)
assert all(x["remote_id"] is None and "the stage's max_cost" in (x["last_error"] or "")
           for x in b[first:]), b
PY
json_get "$st" 'd["last_error"]' | grep -q "stopped before chunk .*the stage's max_cost" ||
  fail "stage 2's error: $(json_get "$st" 'd["last_error"]')"
# The sim saw exactly the chunks sent: stage 2's batches and requests, and no more.
stats="$(sim_get /admin/stats)"
[ "$(json_get "$stats" 'd["batches_created"]["anthropic"]')" = "$sent" ] ||
  fail "the sim made $(json_get "$stats" 'd["batches_created"]["anthropic"]') stage-2 batches, $sent were sent"
[ "$(json_get "$stats" 'd["executions_total"]')" = $((ROWS + ok)) ] ||
  fail "the sim ran $(json_get "$stats" 'd["executions_total"]') requests, want $ROWS + $ok"
spent=$(json_get "$st" 'd["cost"]["actual_usd"]')
python3 -c "assert 0 < $spent <= $budget + 1e-12" || fail "stage 2 spent \$$spent of \$$budget"

errs="$("$BIN" errors "$reply" --json)"
[ "$(json_get "$errs" 'sum(g["count"] for g in d if g["code"] == "budget_exceeded" and g["state"] == "cancelled")')" = "$cancelled" ] ||
  fail "errors: $errs"
"$BIN" results pb --format jsonl >"$WORK/res.jsonl"
[ "$(python3 -c '
import json, sys
rows = [json.loads(l)["stages"]["reply"] for l in open(sys.argv[1])]
print(sum(r["status"] == "cancelled" and r["error"].startswith("budget_exceeded") for r in rows))
' "$WORK/res.jsonl")" = "$cancelled" ] || fail "results do not show the stopped rows: $(head -3 "$WORK/res.jsonl")"
note "ok"
