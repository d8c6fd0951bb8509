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
# Test-only (core/http.c): the client timeouts of creates, lists and polls. An uncertain create
# (a kill, a lost answer) is created again only after its timeout and a margin have passed
# without it being listed: 60 s + 30 s with the real timeouts, 7.5 s with this one.
export BATCHTOP_TEST_HTTP_TIMEOUT_MS="${BATCHTOP_TEST_HTTP_TIMEOUT_MS:-5000}"
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

# ---- the create-path fault suites (test_create_*.sh) ----

# sim_batches_of PROVIDER [JOB]: batches the sim holds for the provider; with JOB, only those
# whose metadata names the job (OpenAI; Anthropic batches carry no metadata, so the suites give
# every Anthropic trial a sim of its own).
sim_batches_of() {
  json_get "$(sim_get /admin/stats)" "sum(1 for b in d['batches'].values() if b['provider'] == '$1' and ('${2:-}' == '' or b.get('job') == '${2:-}'))"
}

# tracked_batches JOB: batches of the job the store knows at the provider (a remote id), plus
# the duplicates it found, cancelled and reported (status --json "duplicates", when present).
tracked_batches() {
  json_get "$("$BIN" status "$1" --json)" "sum(1 for b in d['batches'] if b.get('remote_id')) + len(d.get('duplicates', []))"
}

# duplicates_cancelled JOB: the duplicates status reports as cancelled.
duplicates_cancelled() {
  json_get "$("$BIN" status "$1" --json)" "sum(1 for x in d.get('duplicates', []) if x.get('cancelled'))"
}

# check_trial PROVIDER JOB N EXPECTED [JOB_FILTER]: after a trial, the sim holds exactly the
# batches the store tracks, no request ran twice (a row billed twice) unless inside a reported
# duplicate, every row's result is right (EXPECTED: one output a line, input order) and the
# counts add up to N rows, all succeeded. Appends "provider fault sim tracked dups right" to
# $TRIALS (FAULT from $FAULT). Returns 1 (after saying why) when a check fails.
check_trial() {
  local provider="$1" job="$2" n="$3" expected="$4" filter="${5:-}" at tracked dups right=yes why=""
  at="$(sim_batches_of "$provider" "$filter")"
  tracked="$(tracked_batches "$job")"
  dups="$(duplicates_cancelled "$job")"
  [ "$at" = "$tracked" ] || why+=" sim holds $at batches, the store tracks $tracked;"
  if [ "$dups" = 0 ]; then
    [ "$(json_get "$(sim_get /admin/stats)" 'd["max_executions_per_custom_id"]')" -le 1 ] ||
      why+=" a request ran twice;"
  fi
  results_column "$job" output >"$WORK/trial.got" 2>/dev/null || true
  if ! diff -q "$expected" "$WORK/trial.got" >/dev/null; then
    right=no
    why+=" results differ;"
  fi
  local counts
  counts="$(status_field "$job" "'%d %d %d' % (d['counts']['total'], d['counts']['succeeded'], sum(v for k, v in d['counts'].items() if k != 'total'))")"
  [ "$counts" = "$n $n $n" ] || why+=" counts (total succeeded sum) are $counts, not $n $n $n;"
  echo "$provider ${FAULT:-?} $at $tracked $dups $right" >>"$TRIALS"
  if [ -n "$why" ]; then
    echo "trial $provider ${FAULT:-?} job $job:$why" >&2
    return 1
  fi
}

# print_trials: the trial table, one line per provider and fault.
print_trials() {
  python3 - "$TRIALS" <<'PY'
import sys, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    p, f, at, tr, dup, right = line.split()
    r = rows.setdefault((p, f), [0, 0, 0, 0, 0])
    r[0] += 1; r[1] += int(at); r[2] += int(tr); r[3] += int(dup); r[4] += right == "yes"
print("%-10s %-24s %6s %8s %8s %6s %8s" % ("provider", "fault", "trials", "at sim", "tracked", "dups", "right"))
for (p, f), r in rows.items():
    print("%-10s %-24s %6d %8d %8d %6d %5d/%d" % (p, f, r[0], r[1], r[2], r[3], r[4], r[0]))
PY
}

# wait_sim_calls ROUTE N [SECONDS]: until the sim has seen N calls of ROUTE (e.g. "POST
# /v1/batches"), or fail after the deadline (default 20 s).
wait_sim_calls() {
  local deadline=$((SECONDS + ${3:-20}))
  until [ "$(json_get "$(sim_get /admin/stats)" "d['calls'].get('$1', 0)")" -ge "$2" ]; do
    [ $SECONDS -lt $deadline ] || fail "the sim saw fewer than $2 calls of $1"
    sleep 0.02
  done
}

# create_route PROVIDER: the sim's name of the batch create call.
create_route() {
  if [ "$1" = anthropic ]; then echo "POST /v1/messages/batches"; else echo "POST /v1/batches"; fi
}

# kill_in_create PID ROUTE DELAY_MS: once the sim has seen ROUTE arrive, kill -9 PID at a random
# point of the first 60 % of the DELAY_MS window; prints the aim in seconds after the arrival
# and 1 when a create was in flight at the sim (sent, not landed) a moment before the kill.
kill_in_create() {
  python3 - "$1" "$2" "$3" "http://127.0.0.1:$PORT/admin/stats" <<'PY'
import json, os, random, signal, sys, time, urllib.request
pid, route, delay, url = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
deadline = time.time() + 20
while json.load(urllib.request.urlopen(url))["calls"].get(route, 0) < 1:
    if time.time() > deadline:
        print("no create reached the sim"); sys.exit(1)
    time.sleep(0.005)
aim = random.random() * delay / 1000 * 0.6
time.sleep(aim)
d = json.load(urllib.request.urlopen(url))
provider = "anthropic" if "messages" in route else "openai"
held = d["calls"].get(route, 0) - d["batches_created"][provider]  # sent, not landed yet
try:
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    print("the run ended before the kill"); sys.exit(1)
print("%.3f %d" % (aim, held > 0))
PY
}

# kill_trials PROVIDER N DELAY_MS: N kills aimed inside the create window (each create held
# DELAY_MS at the sim), each followed at once by `status JOB --wait`, then check_trial. Each
# trial has a sim of its own. Sets failed (count of broken trials). The suites split a
# provider's trials by delay into files, so that ctest runs them side by side.
kill_trials() {
  local provider="$1" n="$2" delay="$3" i job pid route aim in_window=0 t0=$SECONDS
  route="$(create_route "$provider")"
  write_template "$WORK/t.md"
  write_input "$WORK/in.csv" 9
  expected_outputs "$WORK/t.md" "$WORK/in.csv" openai >"$WORK/expected.txt"
  failed=0
  for ((i = 1; i <= n; i++)); do
    FAULT="kill-in-create-${delay}ms"
    start_sim --request-ms 2 --validate-ms 150 --finalize-ms 30 --cancel-ms 30
    new_home
    sim_config "{\"create_delay_ms\": $delay}"
    "$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider" --chunk-size 3 --wait \
      >"$WORK/job.txt" 2>"$WORK/killed.err" &
    pid=$!
    # aim: inside the first create's window (held $delay ms at the sim): one python process
    # watches the sim for the create's arrival and kills at a random point of the window, so
    # that the aim is not spoilt by the time a shell loop takes to look
    aim="$(kill_in_create "$pid" "$route" "$delay")" || {
      cat "$WORK/killed.err" >&2
      fail "trial $i: $aim"
    }
    wait "$pid" 2>/dev/null || true
    # the held create lands when its time comes; the resume's own creates need not wait
    sim_config '{"create_delay_ms": 0}'
    job="$(head -1 "$WORK/job.txt")"
    [ -n "$job" ] || fail "trial $i: no job id before the kill"
    [ "${aim#* }" = 1 ] && in_window=$((in_window + 1))
    aim="${aim% *}"
    if ! "$BIN" status "$job" --wait >/dev/null 2>"$WORK/resume.err"; then
      cat "$WORK/resume.err" >&2
      echo "trial $i ($provider, $FAULT, kill at ${aim}s): the resume did not exit 0" >&2
      failed=$((failed + 1))
    fi
    check_trial "$provider" "$job" 9 "$WORK/expected.txt" || {
      echo "  (trial $i, kill at ${aim}s)" >&2
      failed=$((failed + 1))
    }
    assert_no_canary "$WORK/killed.err" "$WORK/resume.err"
    kill "${SIM_PIDS[-1]}"
  done
  note "$n kills of $provider in $((SECONDS - t0)) s; $in_window with a create in flight at the sim"
  echo "$in_window" >"$WORK/in_window"
}
