#!/usr/bin/env bash
# A job-level error from a transient failure that was later overcome does not decide the exit
# code (issue 13: "a job whose every row succeeded exits 0"): every poll answers 5xx past the
# retry budget, so the first `status --wait` gives up with exit 3; once the provider is well a
# resumed `status --wait` brings every row home and exits 0. About 5 s.
source "$(dirname "$0")/engine_lib.bash"

write_template "$WORK/t.md"
write_input "$WORK/in.csv" 4
export BATCHTOP_MAX_RETRIES=2

for provider in openai anthropic; do
  note "$provider: polls fail past the retry budget, then the provider recovers"
  start_sim --request-ms 2 --validate-ms 20 --finalize-ms 20 --cancel-ms 20
  new_home
  job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider")"
  sim_config '{"error_rate": 1.0}'
  set +e
  timeout 60 "$BIN" status "$job" --wait >/dev/null 2>"$WORK/err.txt"
  code=$?
  set -e
  [ "$code" = 3 ] || { cat "$WORK/err.txt"; fail "$provider: first wait exit $code, want 3"; }
  [ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 0 ] || fail "$provider: rows came home during the outage"
  sim_config '{"error_rate": 0}'
  set +e
  timeout 60 "$BIN" status "$job" --wait >/dev/null 2>"$WORK/err.txt"
  code=$?
  set -e
  [ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 4 ] ||
    { cat "$WORK/err.txt"; fail "$provider: resume left rows: $(status_field "$job" 'd["counts"]')"; }
  [ "$code" = 0 ] || { cat "$WORK/err.txt"; fail "$provider: every row succeeded, exit $code, want 0"; }
  kill "${SIM_PIDS[-1]}"
done
echo ok
