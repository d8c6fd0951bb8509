# engine_lib.bash: shared by tests/e2e/test_engine_*.sh (sourced, not a test itself).
# Each test gets its own batchtop-sim on port 0, its own BATCHTOP_HOME, canary API keys, a
# short poll interval, and a trap that stops what it started.
set -euo pipefail

BIN="${BATCHTOP_BIN:?}"
SIM="${BATCHTOP_SIM_BIN:?}"
SRC="${BATCHTOP_SOURCE_DIR:?}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bt-e2e-XXXXXX")"
SIM_PIDS=()
CANARY_OPENAI="sk-canary-openai-7f3a9c2e5b1d"
CANARY_ANTHROPIC="sk-ant-canary-4e8b2d6f0a9c"
CANARY_LOCAL="sk-canary-local-9d1c7e3b5a2f"

cleanup() {
  local p
  for p in "${SIM_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${SIM_PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "== $*" >&2; }

# start_sim [flags...]: sets PORT and the provider environment.
start_sim() {
  local out="$WORK/sim.$RANDOM.out"
  "$SIM" --port 0 "$@" >"$out" 2>>"$WORK/sim.err" &
  SIM_PIDS+=($!)
  local deadline=$((SECONDS + 10))
  until [ -s "$out" ]; do
    [ $SECONDS -lt $deadline ] || fail "sim did not start: $(cat "$WORK/sim.err")"
    sleep 0.05
  done
  PORT="$(head -1 "$out")"
  export OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1"
  export ANTHROPIC_BASE_URL="http://127.0.0.1:$PORT"
  export BATCHTOP_LOCAL_URL="http://127.0.0.1:$PORT/v1"
}

# new_home: a fresh store folder for the next run.
new_home() {
  export BATCHTOP_HOME="$WORK/home.$RANDOM$RANDOM"
  mkdir -p "$BATCHTOP_HOME"
}

export OPENAI_API_KEY="$CANARY_OPENAI"
export ANTHROPIC_API_KEY="$CANARY_ANTHROPIC"
export BATCHTOP_LOCAL_API_KEY="$CANARY_LOCAL"
export BATCHTOP_POLL_MS=50
: >"$WORK/config" && chmod 600 "$WORK/config"
export BATCHTOP_CONFIG="$WORK/config"
unset BATCHTOP_TEST_CRASH_AT || true

sim_get() { curl -sf "http://127.0.0.1:$PORT$1"; }
sim_config() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$PORT/admin/config" >/dev/null; }
sim_reset() { curl -sf -X POST "http://127.0.0.1:$PORT/admin/reset" >/dev/null; }
# jq-like field read with python: json_get JSON EXPR (EXPR in terms of d)
json_get() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }

# write_template FILE: a labelling template (the sim answers one of the labels).
write_template() {
  cat >"$1" <<'TPL'
---
model: gpt-4o-mini
max_tokens: 20
---
Label this feedback as bug, feature, praise or other. Answer with the label only.

Feedback: {{feedback}}
TPL
}

# write_input FILE N [EVERY_FAIL [EVERY_HANG]]: N rows; every k-th row says "fail me" or
# "hang me" (the sim's fault rules match those texts).
write_input() {
  local f="$1" n="$2" fe="${3:-0}" he="${4:-0}" i text
  echo "id,feedback" >"$f"
  for ((i = 1; i <= n; i++)); do
    text="item $i works, mostly"
    if ((fe > 0 && i % fe == 0)); then text="fail me $i"; fi
    if ((he > 0 && i % he == 0)); then text="hang me $i"; fi
    echo "$i,\"$text\"" >>"$f"
  done
}

# expected_outputs TEMPLATE INPUT PROVIDER: the sim's answers by its reference model, in input
# order, one a line.
expected_outputs() {
  "$BIN" render "$1" "$2" --provider "$3" | python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
import model_ref
for line in sys.stdin:
    r = json.loads(line)
    body = r.get("body") or r.get("params") or r
    print(model_ref.answer(body)["answer"])
' "$SRC/sim"
}

# results_column JOB COLUMN: one CSV column of `batchtop results`, in order.
results_column() {
  "$BIN" results "$1" --format csv | python3 -c '
import csv, sys
for row in csv.DictReader(sys.stdin):
    print(row[sys.argv[1]])
' "$2"
}

# status_field JOB EXPR
status_field() { json_get "$("$BIN" status "$1" --json)" "$2"; }

# assert_no_canary: no key in any file under BATCHTOP_HOME or the given files.
assert_no_canary() {
  local k
  for k in "$CANARY_OPENAI" "$CANARY_ANTHROPIC" "$CANARY_LOCAL"; do
    if grep -rlF "$k" "$BATCHTOP_HOME" "$@" 2>/dev/null; then
      fail "an API key leaked into the files above"
    fi
  done
}
