#!/usr/bin/env bash
# The engine survives what providers do on a bad day: a storm of 429s (with retry-after-ms and
# exhausted rate-limit headers), a burst of 5xx and dropped connections (a create whose answer
# is lost is found again by listing, never created twice), for openai, anthropic and local.
# Then: a wrong key is a clear error with exit 3 and no key anywhere; --max-cost refuses with
# exit 4 and sends nothing; cancel keeps what finished.
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

note "wrong key: exit 3, a clear message, the key nowhere"
start_sim --openai-key sk-the-right-one-000000 --request-ms 2
new_home
set +e
"$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --wait >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 3 ] || { cat "$WORK/err.txt"; fail "wrong key: exit $code, want 3"; }
grep -q "401" "$WORK/err.txt" || fail "wrong key: the message does not say 401: $(cat "$WORK/err.txt")"
job="$(head -1 "$WORK/out.txt")"
[ "$(status_field "$job" 'd["state"]')" = failed ] || fail "wrong key: job not failed"
"$BIN" results "$job" >"$WORK/res.csv"
"$BIN" status "$job" --json >"$WORK/st.json"
assert_no_canary "$WORK/out.txt" "$WORK/err.txt" "$WORK/res.csv" "$WORK/st.json"

note "--max-cost refuses and sends nothing"
new_home
sim_reset
set +e
"$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --max-cost 0.0000001 \
  >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 4 ] || fail "--max-cost: exit $code, want 4"
grep -q "max-cost" "$WORK/err.txt" || fail "--max-cost: no message"
[ ! -s "$WORK/out.txt" ] || fail "--max-cost: a job id was printed"
[ "$(json_get "$(sim_get /admin/stats)" 'd["files_uploaded"]')" = 0 ] || fail "--max-cost: uploaded"

note "cancel keeps what finished"
start_sim --request-ms 200 --validate-ms 30 --finalize-ms 30 --cancel-ms 30
new_home
job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --chunk-size 12)"
# wait until a few requests ran, then cancel
deadline=$((SECONDS + 20))
until [ "$(json_get "$(sim_get /admin/stats)" 'd["executions_total"]')" -ge 2 ]; do
  [ $SECONDS -lt $deadline ] || fail "cancel: nothing ran"
  sleep 0.1
done
"$BIN" cancel "$job" 2>"$WORK/err.txt" || { cat "$WORK/err.txt"; fail "cancel failed"; }
st="$("$BIN" status "$job" --json)"
[ "$(json_get "$st" 'd["state"]')" = cancelled ] || fail "cancel: state $(json_get "$st" 'd["state"]')"
ok=$(json_get "$st" 'd["counts"]["succeeded"]')
cancelled=$(json_get "$st" 'd["counts"]["cancelled"]')
[ "$ok" -ge 1 ] && [ "$cancelled" -ge 1 ] && [ $((ok + cancelled)) = 12 ] ||
  fail "cancel: ok=$ok cancelled=$cancelled"
note "ok"
