#!/usr/bin/env bash
# e2e: the dashboard drives jobs it did not start (issue 14, item 1). With the dashboard open on
# an empty store, in tmux: a job submitted from another shell without --wait, one whose
# `submit --wait` is killed with SIGKILL mid-run, and one whose `submit --wait` is stopped with
# Ctrl-C (SIGINT) are each taken over: the sim's batch polls reach it, it completes, and the
# dashboard says who drives it (pid N while the other process lives, then here).
set -euo pipefail
BIN="${BATCHTOP_BIN:?}"
SIM="${BATCHTOP_SIM_BIN:?}"
SRC="${BATCHTOP_SOURCE_DIR:?}"
TMP="$(mktemp -d)"
SOCK="bt-tui-takeover-$$"
SIM_PID="" WAIT_PID=""
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  [ -n "$WAIT_PID" ] && kill -9 "$WAIT_PID" 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
export BATCHTOP_HOME="$TMP/home" BATCHTOP_CONFIG="$TMP/config"
: >"$BATCHTOP_CONFIG"
fail() {
  echo "FAIL: $*" >&2
  tmux -L "$SOCK" capture-pane -p -t bt >&2 || true
  exit 1
}

# Batches stay `validating` for 1.5 s, so each job is still at the provider when its
# submitting process is gone.
coproc SIMPROC { exec "$SIM" --port 0 --request-ms 5 --validate-ms 1500 --finalize-ms 200 \
  2>"$TMP/sim.log"; }
SIM_PID=$SIMPROC_PID
read -r -t 10 PORT <&"${SIMPROC[0]}" || fail "the sim did not start: $(cat "$TMP/sim.log")"
export OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" OPENAI_API_KEY="sk-e2e-synthetic-key"
export BATCHTOP_POLL_MS=100

pane() { tmux -L "$SOCK" capture-pane -p -t bt; }
wait_for() {
  local deadline=$((SECONDS + ${2:-30}))
  until pane | grep -qE -- "$1"; do
    ((SECONDS < deadline)) || fail "'$1' did not appear"
    sleep 0.1
  done
}
polls() {
  curl -sf "http://127.0.0.1:$PORT/admin/stats" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["calls"].get("GET /v1/batches/{batch_id}", 0))'
}
job_state() { "$BIN" status "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
# An 8-row input of its own per job.
input() {
  { echo "id,channel,feedback"; for i in 1 2 3 4 5 6 7 8; do echo "$i,email,\"$1 row $i works\""; done; } >"$TMP/$1.csv"
  echo "$TMP/$1.csv"
}

tmux -L "$SOCK" -f /dev/null new-session -d -s bt -x 130 -y 30 \
  "env TERM=xterm-256color BATCHTOP_HOME='$BATCHTOP_HOME' BATCHTOP_CONFIG='$BATCHTOP_CONFIG' \
   OPENAI_BASE_URL='$OPENAI_BASE_URL' OPENAI_API_KEY='$OPENAI_API_KEY' BATCHTOP_POLL_MS=100 \
   '$BIN'; echo \"exit=\$?\"; sleep 60"
wait_for "No jobs yet"

# 1. Submitted from another shell without --wait: that process has exited once the batch is
# created; nobody else polls it.
id1="$("$BIN" submit "$SRC/examples/label.tmpl" "$(input detached)" --provider openai \
  --name detached)" || fail "submit failed"
before="$(polls)"
wait_for "detached .* (running|completed) " 10
deadline=$((SECONDS + 20))
until [ "$(job_state "$id1")" = completed ]; do
  ((SECONDS < deadline)) || fail "job $id1 was not driven to the end: $(job_state "$id1")"
  sleep 0.1
done
after="$(polls)"
((after > before)) || fail "no batch poll reached the sim after the submit ($before -> $after)"
wait_for "detached .*completed .*8/8"

# 2. A `submit --wait` killed with SIGKILL mid-run leaves a lease whose pid is gone.
"$BIN" submit "$SRC/examples/label.tmpl" "$(input killed)" --provider openai --name killed \
  --wait >"$TMP/id2" 2>"$TMP/killed.log" &
WAIT_PID=$!
wait_for "killed .* running +pid $WAIT_PID " 10
wait_for "driven by another process, pid $WAIT_PID " # the newest job is the one selected
kill -9 "$WAIT_PID"
wait "$WAIT_PID" 2>/dev/null || true
WAIT_PID=""
wait_for "killed .*completed .*8/8" 20

# 3. A `submit --wait` stopped with Ctrl-C: it lets go of the job and exits.
"$BIN" submit "$SRC/examples/label.tmpl" "$(input stopped)" --provider openai --name stopped \
  --wait >"$TMP/id3" 2>"$TMP/stopped.log" &
WAIT_PID=$!
wait_for "stopped .* running +pid $WAIT_PID " 10
kill -INT "$WAIT_PID"
wait "$WAIT_PID" 2>/dev/null || true
WAIT_PID=""
wait_for "stopped .* running +here |stopped .*completed .*8/8" 10
wait_for "stopped .*completed .*8/8" 20
for id in "$id1" "$(cat "$TMP/id2")" "$(cat "$TMP/id3")"; do
  [ "$(job_state "$id")" = completed ] || fail "job $id ended $(job_state "$id")"
done
pane | grep -q "sk-e2e-synthetic-key" && fail "the API key is on the screen"
tmux -L "$SOCK" send-keys -t bt q
wait_for "exit=0"
echo "ok: the dashboard took over a detached, a killed and a stopped job ($SECONDS s)"
