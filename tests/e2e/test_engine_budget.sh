#!/usr/bin/env bash
# --max-cost mid-job: the engine stops sending chunks once actual spend plus the estimates of
# the chunks it has committed to would pass the budget; the stopped chunk's tasks end
# cancelled with budget_exceeded and are never sent. A retry without --max-cost keeps to the
# job's budget; `retry --max-cost X` lets the job spend X more than it has.
#
# Chunks of a fresh job are all checked in its first engine turn, before anything was spent,
# so the stop only matters for chunks that start after spend is known. The realistic way here:
# OpenAI's enqueued-token limit refuses the chunks that do not fit next to the first, the
# engine holds them until it has run, and meanwhile the first chunk cost more than estimated
# because the provider counted more prompt tokens than our estimator (long compound words: the
# sim counts ceil(bytes/4), tokens.c 1 per 6 letters).
source "$(dirname "$0")/engine_lib.bash"

cat >"$WORK/t.md" <<'TPL'
---
model: gpt-4o-mini
max_tokens: 2
---
Label this feedback as bug, feature, praise or other. Answer with the label only.

Feedback: {{feedback}}
TPL
# 12 rows of the same words in rotated order: every request has the same size, so every chunk
# of 4 has the same estimate and the same prompt tokens at the sim.
python3 - "$WORK/in.csv" <<'PY'
import sys
words = ["Kundenzufriedenheitsumfrage", "Datenschutzgrundverordnung",
         "Rechnungsstellungsschnittstelle", "Benutzeroberflaechenaktualisierung",
         "Zahlungsabwicklungsfehlermeldung", "Abonnementverlaengerungsbestaetigung",
         "Lieferkettenverzoegerungsbenachrichtigung", "Passwortwiederherstellungsanfrage"]
with open(sys.argv[1], "w") as f:
    f.write("id,feedback\n")
    for i in range(12):
        r = i % len(words)
        f.write('%d,"%s"\n' % (i + 1, " ".join(words[r:] + words[:r] + words)))
PY

# The budget: the up-front worst case (batch prices) plus 5%. e: one chunk's estimate.
est="$("$BIN" estimate "$WORK/t.md" "$WORK/in.csv" --provider openai --json)"
worst=$(json_get "$est" 'd["cost_usd"]["batch"]["worst"]')
budget=$(python3 -c "print(repr($worst * 1.05))")
e=$(python3 -c "print(repr($worst / 3))")
# The sim's prompt tokens of one chunk, by its reference model; the limit holds one chunk.
chunk_tokens=$("$BIN" render "$WORK/t.md" "$WORK/in.csv" --provider openai | python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
import model_ref
print(sum(model_ref.answer(json.loads(l)["body"])["input_tokens"] for l in sys.stdin) // 3)
' "$SRC/sim")
start_sim --request-ms 50 --validate-ms 30 --finalize-ms 30 \
  --token-limit "gpt-4o-mini=$((chunk_tokens * 3 / 2))"
new_home

note "one chunk fits the enqueued-token limit, two are held; of those the first fits the budget"
set +e
"$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --chunk-size 4 --max-cost "$budget" \
  --wait >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
# cli.md: 4 is "refused by --max-cost"; job_report_exit_code gives it to budget stops too.
[ "$code" = 4 ] || { cat "$WORK/err.txt"; fail "exit $code, want 4"; }
grep -q -- "--max-cost" "$WORK/err.txt" || fail "no max-cost message: $(cat "$WORK/err.txt")"
job="$(head -1 "$WORK/out.txt")"
# The premise: chunks were refused for the limit and held until the first had run.
[ "$(sqlite3 -cmd ".timeout 5000" "$BATCHTOP_HOME/batchtop.db" "SELECT count(DISTINCT task_id) FROM attempts WHERE
      error_code = 'token_limit_exceeded'")" = 8 ] ||
  fail "the limit did not hold two chunks back: $(sqlite3 -cmd ".timeout 5000" "$BATCHTOP_HOME/batchtop.db" "SELECT
      batch_id, task_id, state, error_code FROM attempts")"
st="$("$BIN" status "$job" --json)"
[ "$(json_get "$st" 'd["counts"]["succeeded"]')" = 8 ] &&
  [ "$(json_get "$st" 'd["counts"]["cancelled"]')" = 4 ] &&
  [ "$(json_get "$st" 'd["counts"]["failed"]')" = 0 ] || fail "counts $(json_get "$st" 'd["counts"]')"
json_get "$st" 'd["last_error"]' | grep -q -- "--max-cost" || fail "job error: $st"
[ "$(json_get "$st" 'len([b for b in d["batches"] if b["remote_id"] is None])')" = 1 ] ||
  fail "want exactly one chunk never created: $st"
json_get "$st" '[b["last_error"] for b in d["batches"] if b["remote_id"] is None][0]' |
  grep -q -- "--max-cost" || fail "the stopped chunk says nothing about max-cost: $st"
errs="$("$BIN" errors "$job" --json)"
[ "$(json_get "$errs" 'sum(g["count"] for g in d if g["code"] == "budget_exceeded" and g["state"] == "cancelled")')" = 4 ] ||
  fail "errors: $errs"
"$BIN" results "$job" --format jsonl >"$WORK/res.jsonl"
[ "$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(sum(r["status"] == "cancelled" and r["error"].startswith("budget_exceeded")
          and r["cost_usd"] == 0 for r in rows))' "$WORK/res.jsonl")" = 4 ] ||
  fail "results do not show 4 unpaid budget_exceeded rows"
stats="$(sim_get /admin/stats)"
[ "$(json_get "$stats" '[b["status"] for b in d["batches"].values()].count("completed")')" = 2 ] &&
  [ "$(json_get "$stats" 'd["executions_total"]')" = 8 ] ||
  fail "the stopped chunk reached the sim: $stats"
# Every chunk has the same tokens: each that ran was billed for the sim's count, more than
# estimated.
spent=$(json_get "$st" 'd["cost"]["actual_usd"]')
spent1=$(python3 -c "print(repr($spent / 2))")
[ "$(json_get "$st" 'd["actual_tokens"]["input"]')" = "$((chunk_tokens * 2))" ] ||
  fail "billed input tokens $(json_get "$st" 'd["actual_tokens"]["input"]'), sim counted 2 x $chunk_tokens"
note "a chunk spent \$$spent1; its estimate \$$e; budget \$$budget"
python3 -c "assert $spent1 > $e * 1.15" ||
  fail "spent \$$spent1 is not well above the chunk's estimate \$$e (did tokens.c change?)"
# The guarantee, at the moment the held chunks were checked (the first had ended, its spend
# known): spent + the chunk's estimate + the estimates of the chunks already committed. The
# first fitted, the second would have passed the budget.
python3 -c "assert $spent1 + $e <= $budget + 1e-12 < $spent1 + 2 * $e" ||
  fail "spent \$$spent1, chunk \$$e, budget \$$budget: the stop is not where the guarantee puts it"
created="$(json_get "$stats" 'd["batches_created"]["openai"]')"
uploaded="$(json_get "$stats" 'd["files_uploaded"]')"

note "retry --only cancelled keeps to the job's budget: stopped again, nothing sent"
set +e
"$BIN" retry "$job" --only cancelled --wait >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 4 ] || { cat "$WORK/err.txt"; fail "retry cancelled: exit $code, want 4"; }
st="$("$BIN" status "$job" --json)"
[ "$(json_get "$st" 'd["counts"]["cancelled"]')" = 4 ] || fail "retry cancelled: $(json_get "$st" 'd["counts"]')"
[ "$(json_get "$(sim_get /admin/stats)" 'd["files_uploaded"]')" = "$uploaded" ] || fail "retry cancelled: uploaded"
nbatches=$(json_get "$st" 'len(d["batches"])')

note "retry --max-cost below the retry's estimate is refused, nothing written"
set +e
"$BIN" retry "$job" --only cancelled --max-cost "$(python3 -c "print(repr($e / 2))")" \
  >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 4 ] || { cat "$WORK/err.txt"; fail "retry under budget: exit $code, want 4"; }
[ "$(status_field "$job" 'len(d["batches"])')" = "$nbatches" ] || fail "retry under budget: a chunk was made"

note "retry --max-cost gives the retry its own budget on top of what was spent: the job finishes"
set +e
"$BIN" retry "$job" --only cancelled --max-cost "$(python3 -c "print(repr($e * 1.5))")" --wait \
  >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 0 ] || { cat "$WORK/err.txt"; fail "retry with a budget: exit $code, want 0"; }
st="$("$BIN" status "$job" --json)"
[ "$(json_get "$st" 'd["counts"]["succeeded"]')" = 12 ] || fail "retry with a budget: $(json_get "$st" 'd["counts"]')"
[ "$(json_get "$(sim_get /admin/stats)" 'd["batches_created"]["openai"]')" = $((created + 1)) ] ||
  fail "retry with a budget: $(sim_get /admin/stats)"
note "ok"
