#!/usr/bin/env bash
# Conflicting duplicate result lines (issue 13): the sim's conflict_results surrounds every
# succeeded line with a 500 line for the same custom_id and puts an unreadable (cut) line
# before it. The success is kept whichever line came first, the conflict is logged, and a job
# whose every row succeeded exits 0. About 3 s.
source "$(dirname "$0")/engine_lib.bash"

write_template "$WORK/t.md"
write_input "$WORK/in.csv" 12
for provider in openai anthropic; do
  expected_outputs "$WORK/t.md" "$WORK/in.csv" "$provider" >"$WORK/expected.txt"
  note "$provider: 500, unreadable, success, 500 for every row"
  start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30 --cancel-ms 30
  new_home
  sim_config '{"conflict_results": true}'
  set +e
  job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider" --chunk-size 5 \
    --wait 2>"$WORK/err.txt")"
  code=$?
  set -e
  [ "$code" = 0 ] || { cat "$WORK/err.txt"; fail "$provider: exit $code, want 0"; }
  [ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 12 ] ||
    fail "$provider: $(status_field "$job" 'd["counts"]') (want 12 succeeded)"
  results_column "$job" output >"$WORK/got.txt"
  diff "$WORK/expected.txt" "$WORK/got.txt" || fail "$provider: results differ"
  grep -q "conflicting result lines" "$BATCHTOP_HOME"/*.log ||
    fail "$provider: the conflict is not in the log: $(cat "$BATCHTOP_HOME"/*.log)"
  kill "${SIM_PIDS[-1]}"
done
note "ok"
