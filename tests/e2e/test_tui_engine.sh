#!/usr/bin/env bash
# e2e: the dashboard driving a real job with its in-process engine against batchtop-sim, in
# tmux: the job appears, progress moves to the end, Enter opens it, the error group appears,
# r (confirmed with y) retries and the failures clear, q exits with status 0.
set -euo pipefail
BIN="${BATCHTOP_BIN:?}"
SIM="${BATCHTOP_SIM_BIN:?}"
SRC="${BATCHTOP_SOURCE_DIR:?}"
TMP="$(mktemp -d)"
SOCK="bt-tui-engine-$$"
SIM_PID=""
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
export BATCHTOP_HOME="$TMP/home" BATCHTOP_CONFIG="$TMP/config"
: >"$BATCHTOP_CONFIG"
fail() {
  echo "FAIL: $*" >&2
  tmux -L "$SOCK" capture-pane -p -t bt 2>/dev/null >&2 || true
  exit 1
}

# The sim: fast batches; the rows that mention "double-charged" fail on their first try only.
coproc SIMPROC { exec "$SIM" --port 0 --request-ms 10 --validate-ms 300 --finalize-ms 300 \
  --fail-if-contains double-charged --fail-first 1 2>"$TMP/sim.log"; }
SIM_PID=$SIMPROC_PID
read -r -t 10 PORT <&"${SIMPROC[0]}" || fail "the sim did not start: $(cat "$TMP/sim.log")"
export OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" OPENAI_API_KEY="sk-e2e-synthetic-key"

pane() { tmux -L "$SOCK" capture-pane -p -t bt; }
wait_for() {
  local deadline=$((SECONDS + ${2:-30}))
  until pane | grep -qF -- "$1"; do
    ((SECONDS < deadline)) || fail "'$1' did not appear"
    sleep 0.1
  done
}
keys() { tmux -L "$SOCK" send-keys -t bt "$@"; }

# A job created the normal way; the dashboard's engine takes it from there.
"$BIN" submit "$SRC/examples/label.tmpl" "$SRC/examples/feedback.csv" --provider openai \
  --name tui-e2e --chunk-size 100 >"$TMP/id" || fail "submit failed"
tmux -L "$SOCK" -f /dev/null new-session -d -s bt -x 110 -y 30 \
  "env TERM=xterm-256color BATCHTOP_HOME='$BATCHTOP_HOME' BATCHTOP_CONFIG='$BATCHTOP_CONFIG' \
   OPENAI_BASE_URL='$OPENAI_BASE_URL' OPENAI_API_KEY='$OPENAI_API_KEY' BATCHTOP_POLL_MS=100 \
   '$BIN'; echo \"exit=\$?\"; sleep 60"
wait_for "tui-e2e"
# Progress moves: the job ends with the first-try failures counted.
wait_for "200/200" 60
wait_for "completed"
keys Enter
wait_for "Errors 1 group, 12 tasks"
wait_for "server_error"
# r asks first (count and cost), y sends it; the retried tasks succeed and the errors clear.
keys r
wait_for "Retry 12 failed, expired or cancelled tasks of tui-e2e"
keys y
wait_for "No failed tasks." 60
wait_for "200 succeeded"
wait_for "1.2 batch_"
pane | grep -q "sk-e2e-synthetic-key" && fail "the API key is on the screen"
keys q
wait_for "exit=0"
[ "$(tmux -L "$SOCK" display -p -t bt '#{alternate_on}')" = 0 ] || fail "alternate screen left on"
echo "ok: dashboard e2e with the engine (progress, error group, retry clears the failures)"
