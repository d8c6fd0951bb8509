#!/usr/bin/env bash
# e2e: "failed" means one thing (issue 14, item 7). A job with succeeded, failed, expired and
# cancelled tasks shows the same states with the same numbers in `status --json`, `status`,
# `jobs`, and the dashboard's jobs list (status line) and job view (legend): expired and
# cancelled tasks are never counted as failed.
set -euo pipefail
BIN="${BATCHTOP_BIN:?}"
SRC="${BATCHTOP_SOURCE_DIR:?}"
TMP="$(mktemp -d)"
SOCK="bt-tui-counts-$$"
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
export BATCHTOP_HOME="$TMP/home" BATCHTOP_CONFIG="$TMP/config" BATCHTOP_POLL_MS=100
: >"$BATCHTOP_CONFIG"
fail() {
  echo "FAIL: $*" >&2
  tmux -L "$SOCK" capture-pane -p -t bt >&2 2>/dev/null || true
  exit 1
}
pane() { tmux -L "$SOCK" capture-pane -p -t bt; }
wait_for() {
  local deadline=$((SECONDS + ${2:-10}))
  while ((SECONDS < deadline)); do
    pane | grep -qF -- "$1" && return 0
    sleep 0.05
  done
  fail "'$1' did not appear"
}

# The render fixture, with product-tags' 20 failed tasks made 15 failed, 3 expired and 2
# cancelled (and its counts set as batchtop's triggers would).
"$BIN" jobs >/dev/null # creates the store
python3 - "$BATCHTOP_HOME/batchtop.db" "$SRC/tests/render/fixture.sql" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.executescript(
    "CREATE TEMP TABLE fx(now INTEGER); INSERT INTO fx VALUES (%d); BEGIN; %s;"
    " UPDATE tasks SET state = 'expired' WHERE job_id = 'lc4p8w2z' AND state = 'failed'"
    "   AND row_no IN (SELECT row_no FROM tasks WHERE job_id = 'lc4p8w2z' AND state = 'failed'"
    "   ORDER BY row_no LIMIT 3);"
    " UPDATE tasks SET state = 'cancelled' WHERE job_id = 'lc4p8w2z' AND state = 'failed'"
    "   AND row_no IN (SELECT row_no FROM tasks WHERE job_id = 'lc4p8w2z' AND state = 'failed'"
    "   ORDER BY row_no LIMIT 2);"
    " DELETE FROM job_counts; INSERT INTO job_counts(job_id, state, n)"
    "   SELECT job_id, state, count(*) FROM tasks GROUP BY 1, 2; COMMIT;"
    % (int(time.time() * 1000), open(sys.argv[2], encoding="utf-8").read()))
PY

# status --json: the reference.
"$BIN" status lc4p8w2z --json >"$TMP/json"
read -r ok failed expired cancelled < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["counts"]
print(c["succeeded"], c["failed"], c["expired"], c["cancelled"])' "$TMP/json")
[ "$ok $failed $expired $cancelled" = "30 15 3 2" ] ||
  fail "status --json counts: $ok $failed $expired $cancelled"

# status (text): one line per state.
"$BIN" status lc4p8w2z >"$TMP/status"
for kv in "succeeded $ok" "failed $failed" "expired $expired" "cancelled $cancelled"; do
  grep -qE "^  ${kv% *} +${kv#* }\$" "$TMP/status" || fail "status text lacks '$kv': $(cat "$TMP/status")"
done

# jobs (text): a column per state, named as in --json.
"$BIN" jobs >"$TMP/jobs"
head -1 "$TMP/jobs" | grep -qE "SUCCEEDED +FAILED +EXPIRED +CANCELLED" ||
  fail "jobs header: $(head -1 "$TMP/jobs")"
grep -qE "^lc4p8w2z .* 50 +$ok +$failed +$expired +$cancelled " "$TMP/jobs" ||
  fail "jobs row: $(grep lc4p8w2z "$TMP/jobs")"

# The dashboard: the jobs list's status line for the selected job, then the job view.
tmux -L "$SOCK" -f /dev/null new-session -d -s bt -x 120 -y 40 \
  "env TERM=xterm-256color BATCHTOP_HOME='$BATCHTOP_HOME' BATCHTOP_CONFIG='$BATCHTOP_CONFIG' \
   BATCHTOP_POLL_MS=100 '$BIN' --read-only; echo \"exit=\$?\"; sleep 60"
wait_for "product-tags"
tmux -L "$SOCK" send-keys -t bt j j j j
wait_for "job 5 of 5: $ok succeeded, $failed failed, $expired expired, $cancelled cancelled"
tmux -L "$SOCK" send-keys -t bt Enter
wait_for "■ $ok succeeded  ■ $failed failed  ■ $expired expired  ■ $cancelled cancelled"
tmux -L "$SOCK" send-keys -t bt q
wait_for "exit=0"
echo "ok: status --json, status, jobs and the dashboard agree on $ok/$failed/$expired/$cancelled"
