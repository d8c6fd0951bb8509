#!/usr/bin/env bash
# The live demo: batchtop-sim on a free loopback port, a demo job from examples/ created
# through the normal submit path, and the dashboard on it. Quitting stops the sim.
# Its data lives in build/demo-home, away from your own store.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/build/batchtop"
SIM="$ROOT/build/batchtop-sim"

export BATCHTOP_HOME="${BATCHTOP_HOME:-$ROOT/build/demo-home}"
mkdir -p "$BATCHTOP_HOME"
simlog="$BATCHTOP_HOME/sim.log"

# A demo sim: a minute-long batch lifecycle, a few requests that fail (so the error list and
# the one-key retry have something to show) and a fix switch the retry can flip.
coproc SIMPROC { exec "$SIM" --port 0 --demo 2>"$simlog"; }
SIM_PID=$SIMPROC_PID
trap 'kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true' EXIT
read -r -t 10 PORT <&"${SIMPROC[0]}" || { echo "batchtop-sim did not start; see $simlog" >&2; exit 1; }

export OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1"
export ANTHROPIC_BASE_URL="http://127.0.0.1:$PORT"
export BATCHTOP_LOCAL_URL="http://127.0.0.1:$PORT/v1"
export OPENAI_API_KEY="sk-demo-synthetic"
export ANTHROPIC_API_KEY="sk-ant-demo-synthetic"
export BATCHTOP_POLL_MS="${BATCHTOP_POLL_MS:-500}"

echo "batchtop-sim on 127.0.0.1:$PORT (synthetic answers); store in $BATCHTOP_HOME" >&2
"$BIN" submit "$ROOT/examples/label.tmpl" "$ROOT/examples/feedback.csv" \
  --provider openai --name "feedback-demo" --chunk-size 50 >/dev/null
"$BIN" submit "$ROOT/examples/label.tmpl" "$ROOT/examples/feedback.csv" \
  --provider anthropic --model claude-haiku-4-5 --name "feedback-claude" --chunk-size 100 >/dev/null
if [ -t 1 ]; then
  "$BIN"
else
  "$BIN" status feedback-demo --wait || true
fi
