#!/usr/bin/env bash
# Errors retries cannot overcome and the user's limits: a wrong key is a clear error with exit
# 3 and the key nowhere (store, log, exports, output); --max-cost refuses with exit 4 and sends
# nothing; cancel keeps what finished and ends the job cancelled.
source "$(dirname "$0")/engine_lib.bash"

write_template "$WORK/t.md"
write_input "$WORK/in.csv" 12
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

note "no key: exit 1 (a setup error), the variable named, the job paused with nothing changed, resumable"
new_home
sim_reset
set +e
env -u OPENAI_API_KEY "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --wait \
  >"$WORK/out.txt" 2>"$WORK/err.txt"
code=$?
set -e
[ "$code" = 1 ] || { cat "$WORK/err.txt"; fail "no key: exit $code, want 1 (setup, not provider)"; }
grep -q "OPENAI_API_KEY" "$WORK/err.txt" || fail "no key: the variable is not named: $(cat "$WORK/err.txt")"
job="$(head -1 "$WORK/out.txt")"
grep -q "status $job --wait" "$WORK/err.txt" || fail "no key: no way on given: $(cat "$WORK/err.txt")"
[ "$(status_field "$job" 'd["counts"]["pending"]')" = 12 ] || fail "no key: tasks were touched"
[ "$(json_get "$(sim_get /admin/stats)" 'd["files_uploaded"]')" = 0 ] || fail "no key: uploaded"
# Shown as paused with the whole reason, everywhere (not as a running "submitting" job).
st="$("$BIN" status "$job" --json)"
json_get "$st" 'd["paused"]' | grep -q "OPENAI_API_KEY" || fail "no key: --json paused: $st"
[ "$(json_get "$st" 'd["state"]')" = submitting ] || fail "no key: --json state renamed: $st"
"$BIN" status "$job" >"$WORK/st.txt"
grep -q "^state  *paused" "$WORK/st.txt" || fail "no key: status text: $(cat "$WORK/st.txt")"
grep -q "^paused .*OPENAI_API_KEY in the environment or openai_api_key in the config file" \
  "$WORK/st.txt" || fail "no key: the reason is cut: $(cat "$WORK/st.txt")"
"$BIN" jobs | grep -q "^$job .* paused " || fail "no key: jobs: $("$BIN" jobs)"
json_get "$("$BIN" jobs --json)" 'd[0]["paused"]' | grep -q OPENAI_API_KEY || fail "no key: jobs --json"
# The dashboard's engine in a shell without the key changes nothing either (it used to fail
# every unsent task); then the key is back and the job resumes.
env -u OPENAI_API_KEY "$BIN" status "$job" --wait >/dev/null 2>&1 || true
[ "$(status_field "$job" 'd["counts"]["pending"]')" = 12 ] || fail "no key: a second look touched tasks"
OPENAI_API_KEY=sk-the-right-one-000000 "$BIN" status "$job" --wait >/dev/null 2>"$WORK/err.txt" ||
  { cat "$WORK/err.txt"; fail "no key: resume failed"; }
[ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 12 ] || fail "no key: resume did not finish"
[ "$(status_field "$job" 'd["paused"]')" = None ] || fail "no key: still paused after the resume"

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
