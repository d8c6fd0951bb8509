#!/usr/bin/env bash
# The engine survives what providers do on a bad day: a storm of 429s (with retry-after-ms and
# exhausted rate-limit headers), a burst of 5xx and dropped connections (a create whose answer
# is lost is found again by listing, never created twice), for openai, anthropic and local.
source "$(dirname "$0")/engine_lib.bash"

write_template "$WORK/t.md"
write_input "$WORK/in.csv" 12
expected_outputs "$WORK/t.md" "$WORK/in.csv" openai >"$WORK/expected.txt"

for fault in '{"burst_429": 12}' '{"burst_5xx": 8}' '{"drop_next": 4}'; do
  for provider in openai anthropic local; do
    note "$provider under $fault"
    # A fresh sim per case: Anthropic's lost creates are matched by time and size, and other
    # cases' same-size batches would be candidates too (the documented residual risk).
    start_sim --request-ms 2 --validate-ms 30 --finalize-ms 30 --cancel-ms 30 --retry-after-ms 50
    new_home
    sim_config "$fault"
    job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider" --chunk-size 5 \
      --wait 2>"$WORK/err.txt")" || { cat "$WORK/err.txt"; fail "$provider: $fault not survived"; }
    results_column "$job" output >"$WORK/got.txt"
    diff "$WORK/expected.txt" "$WORK/got.txt" || fail "$provider: results differ after $fault"
    stats="$(sim_get /admin/stats)"
    if [ "$provider" != local ]; then
      [ "$(json_get "$stats" "d['batches_created']['$provider']")" = 3 ] ||
        fail "$provider: $(json_get "$stats" "d['batches_created']") batches for 3 chunks"
    fi
    assert_no_canary "$WORK/err.txt"
    kill "${SIM_PIDS[-1]}"
  done
done

note "ok"
