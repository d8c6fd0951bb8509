#!/usr/bin/env bash
# The engine end to end against batchtop-sim, for openai, anthropic and local: a mixed job
# (some tasks fail, some expire) ends with exit 2 and counts that match the sim's own stats;
# after the sim is fixed, `retry --only failed` then `--only expired` end with exit 0; results
# hold every row in input order with the sim's deterministic answers; no duplicate batches.
source "$(dirname "$0")/engine_lib.bash"

# Requests that "hang" never finish, so their batch expires when the window (1.5 s) passes.
start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30 --cancel-ms 30 --window-ms 1500 \
  --fail-if-contains "fail me" --hang-if-contains "hang me"
write_template "$WORK/t.md"
write_input "$WORK/in.csv" 30 5 7 # rows 5,10,.. fail; 7,14,21,28 hang (35 would be both)
expected_outputs "$WORK/t.md" "$WORK/in.csv" openai >"$WORK/expected.txt"
# a fixed sim answers every row, so the expected answers are the same for every row

for provider in openai anthropic local; do
  note "provider $provider"
  new_home
  sim_config '{"fix": false}'
  sim_reset
  extra=()
  [ "$provider" = local ] && export BATCHTOP_MAX_RETRIES=1 || unset BATCHTOP_MAX_RETRIES
  set +e
  job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider" --chunk-size 8 \
    --wait 2>"$WORK/submit.err")"
  code=$?
  set -e
  [ "$code" = 2 ] || { cat "$WORK/submit.err"; fail "$provider: submit --wait exit $code, want 2"; }
  st="$("$BIN" status "$job" --json)"
  stats="$(sim_get /admin/stats)"
  ok=$(json_get "$st" 'd["counts"]["succeeded"]')
  failed=$(json_get "$st" 'd["counts"]["failed"]')
  expired=$(json_get "$st" 'd["counts"]["expired"]')
  total=$(json_get "$st" 'd["counts"]["total"]')
  [ "$total" = 30 ] || fail "$provider: total $total"
  # rows 5,10,15,20,25,30 fail; 7,14,21,28 hang
  if [ "$provider" = local ]; then
    # direct calls do not hang in the sim: those rows succeed
    [ "$failed" = 6 ] && [ "$ok" = 24 ] && [ "$expired" = 0 ] ||
      { echo "$st" >&2; cat "$WORK/submit.err" >&2; fail "$provider: counts ok=$ok failed=$failed expired=$expired"; }
  else
    [ "$failed" = 6 ] && [ "$expired" = 4 ] && [ "$ok" = 20 ] ||
      { echo "$st" >&2; cat "$WORK/submit.err" >&2; fail "$provider: counts ok=$ok failed=$failed expired=$expired"; }
    # the sim's view: one batch per chunk, each request executed at most once, and as many
    # executions as tasks that ran (failed + succeeded; expired ones never finish)
    created=$(json_get "$stats" "d['batches_created']['$provider']")
    [ "$created" = 4 ] || fail "$provider: sim created $created batches for 4 chunks"
    [ "$(json_get "$stats" 'd["max_executions_per_custom_id"]')" = 1 ] ||
      fail "$provider: a request ran twice"
    nb=$(json_get "$st" 'len(d["batches"])')
    [ "$nb" = 4 ] || fail "$provider: $nb batches in status"
  fi
  # errors are grouped with a sample message
  "$BIN" errors "$job" --json >"$WORK/errors.json"
  grep -q '"count": 6' "$WORK/errors.json" || fail "$provider: errors: $(cat "$WORK/errors.json")"

  note "$provider: fix the sim, retry failed then expired"
  sim_config '{"fix": true}'
  set +e
  "$BIN" retry "$job" --only failed --wait 2>"$WORK/retry.err"
  code=$?
  set -e
  want=2
  [ "$provider" = local ] && want=0
  [ "$code" = $want ] || { cat "$WORK/retry.err"; fail "$provider: retry failed exit $code, want $want"; }
  [ "$(status_field "$job" 'd["counts"]["failed"]')" = 0 ] || fail "$provider: failed remain"
  if [ "$provider" != local ]; then
    "$BIN" retry "$job" --only expired --wait 2>"$WORK/retry.err" ||
      { cat "$WORK/retry.err"; fail "$provider: retry expired did not exit 0"; }
  fi
  [ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 30 ] || fail "$provider: not all succeeded"
  # results: every row, input order, the reference model's answers
  results_column "$job" output >"$WORK/got.txt"
  results_column "$job" id >"$WORK/ids.txt"
  seq 1 30 | diff - "$WORK/ids.txt" >/dev/null || fail "$provider: rows not in input order"
  diff "$WORK/expected.txt" "$WORK/got.txt" || fail "$provider: outputs differ from the reference model"
  results_column "$job" status | sort -u | grep -qx succeeded || fail "$provider: status column"
  assert_no_canary "$WORK/submit.err" "$WORK/retry.err" "$WORK/errors.json"
done
note "ok"
