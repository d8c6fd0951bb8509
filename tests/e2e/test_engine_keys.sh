#!/usr/bin/env bash
# Keys, everywhere (issue 13): a provider that echoes the caller's key into its error texts (the
# sim's echo_key) in a failed batch's errors.data[].message, in 4xx bodies and in error-file
# lines must not get it into the store, the log, an export or any output; and a key shorter
# than 8 characters is scrubbed like any other. About 5 s.
source "$(dirname "$0")/engine_lib.bash"

SHORT_KEY="k7Zq9xW" # 7 characters: the scrubber used to ignore keys this short
write_template "$WORK/t.md"

# collect JOB NAME: every way a user reads a job, into $WORK/NAME.*
collect() {
  "$BIN" status "$1" >"$WORK/$2.status" 2>&1 || true
  "$BIN" status "$1" --json >"$WORK/$2.json" 2>&1 || true
  "$BIN" errors "$1" >"$WORK/$2.errors" 2>&1 || true
  "$BIN" results "$1" --format csv >"$WORK/$2.csv" 2>&1 || true
  "$BIN" results "$1" --format jsonl >"$WORK/$2.jsonl" 2>&1 || true
  "$BIN" jobs >"$WORK/$2.jobs" 2>&1 || true
}

# no_key FILES...: neither canary, nor the short key, in BATCHTOP_HOME or FILES.
no_key() {
  assert_no_canary "$@"
  if grep -rlF "$SHORT_KEY" "$BATCHTOP_HOME" "$@" 2>/dev/null; then
    sqlite3 "$BATCHTOP_HOME/batchtop.db" .dump | grep -F "$SHORT_KEY" | cut -c1-300 >&2 || true
    fail "the 7-character key leaked into the files above"
  fi
}

# expect_echo: the sim really echoes (else the test proves nothing).
start_sim --request-ms 2 --validate-ms 20 --finalize-ms 20 --cancel-ms 20
sim_config '{"echo_key": true, "fail_if_contains": "fail me"}'
echoed="$(curl -s -H "Authorization: Bearer $SHORT_KEY" "http://127.0.0.1:$PORT/v1/batches/nope")"
case "$echoed" in *"$SHORT_KEY"*) ;; *) fail "the sim does not echo the key: $echoed" ;; esac

for provider in openai anthropic; do
  note "$provider: error lines that echo the key"
  new_home
  write_input "$WORK/in.csv" 6 3
  if [ "$provider" = openai ]; then export OPENAI_API_KEY="$SHORT_KEY"; fi
  set +e
  job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider" --wait \
    2>"$WORK/lines.err")"
  code=$?
  set -e
  [ "$code" = 2 ] || { cat "$WORK/lines.err"; fail "$provider: exit $code, want 2"; }
  collect "$job" "lines-$provider"
  grep -q "request made with" "$WORK/lines-$provider.errors" ||
    fail "$provider: the error text itself is gone: $(cat "$WORK/lines-$provider.errors")"
  no_key "$WORK"/lines-"$provider".* "$WORK/lines.err"
  export OPENAI_API_KEY="$CANARY_OPENAI"
done

note "openai: a 4xx body that echoes the key (a wrong key)"
start_sim --request-ms 2 --validate-ms 20 --finalize-ms 20 --openai-key sk-the-right-one-000000
sim_config '{"echo_key": true}'
new_home
write_input "$WORK/in.csv" 4
for key in "$SHORT_KEY" "$CANARY_OPENAI"; do
  set +e
  job="$(OPENAI_API_KEY="$key" "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai \
    --wait 2>"$WORK/http.err")"
  code=$?
  set -e
  [ "$code" = 3 ] || { cat "$WORK/http.err"; fail "4xx: exit $code, want 3"; }
  grep -q "request made with" "$WORK/http.err" ||
    fail "4xx: the provider's message is gone: $(cat "$WORK/http.err")"
  OPENAI_API_KEY="$key" collect "$job" http
  no_key "$WORK"/http.* "$WORK/http.err"
done

note "openai: a failed batch whose errors.data[].message echoes the key"
start_sim --request-ms 2 --validate-ms 20 --finalize-ms 20 --token-limit "gpt-4o-mini=5"
sim_config '{"echo_key": true}'
new_home
write_input "$WORK/in.csv" 2
set +e
job="$(OPENAI_API_KEY="$SHORT_KEY" BATCHTOP_POLL_MS=20 timeout 60 "$BIN" submit "$WORK/t.md" \
  "$WORK/in.csv" --provider openai --wait 2>"$WORK/failed.err")"
code=$?
set -e
[ "$code" = 2 ] || { cat "$WORK/failed.err"; fail "failed batch: exit $code, want 2"; }
OPENAI_API_KEY="$SHORT_KEY" collect "$job" failed
grep -rq "request made with" "$WORK"/failed.* ||
  fail "failed batch: the provider's message is gone: $(cat "$WORK"/failed.*)"
no_key "$WORK"/failed.* "$WORK/failed.err"
note "ok"
