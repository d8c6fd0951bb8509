#!/usr/bin/env bash
# e2e: the real dashboard in tmux, watching a store another process writes (read-only mode):
# it starts on an empty store, a job appears, progress moves, Enter opens the job, the error
# groups show, r asks with the count and cost, the tasks and inspector open, the terminal is
# restored on q and on SIGTERM, and bad flags or themes fail before the screen is taken.
set -euo pipefail
BIN="${BATCHTOP_BIN:?}"
SRC="${BATCHTOP_SOURCE_DIR:?}"
TMP="$(mktemp -d)"
SOCK="bt-tui-$$-0"
RUNS=0
cleanup() {
  for ((i = 0; i <= RUNS; i++)); do tmux -L "bt-tui-$$-$i" kill-server 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
export BATCHTOP_HOME="$TMP/home" BATCHTOP_CONFIG="$TMP/config" BATCHTOP_POLL_MS=100
: >"$BATCHTOP_CONFIG"
unset NO_COLOR
fail() {
  echo "FAIL: $*" >&2
  echo "--- pane ---" >&2
  tmux -L "$SOCK" capture-pane -p -t bt 2>/dev/null >&2 || true
  exit 1
}
pane() { tmux -L "$SOCK" capture-pane -p -t bt; }
# wait_for TEXT [SECONDS]: poll the pane until TEXT shows (a bounded deadline, no fixed sleeps).
wait_for() {
  local deadline=$((SECONDS + ${2:-10}))
  while ((SECONDS < deadline)); do
    pane | grep -qF -- "$1" && return 0
    sleep 0.05
  done
  fail "'$1' did not appear"
}
wait_gone() {
  local deadline=$((SECONDS + ${2:-10}))
  while ((SECONDS < deadline)); do
    pane | grep -qF -- "$1" || return 0
    sleep 0.05
  done
  fail "'$1' did not go away"
}
keys() { tmux -L "$SOCK" send-keys -t bt "$@"; }
# This test's dashboard: the child of its pane's shell (other tests run batchtop --read-only
# at the same time under ctest -j, so a match on the command line could find theirs).
dash_pid() { pgrep -n -P "$(tmux -L "$SOCK" display -p -t bt '#{pane_pid}')" || true; }
sql() { python3 - "$BATCHTOP_HOME/batchtop.db" "$@"; }
# A writer outside batchtop has none of the triggers each batchtop connection installs (store.h,
# store_bulk_begin): after its changes it sets the job counts and spend as they would have.
RECOUNT="DELETE FROM job_counts; INSERT INTO job_counts(job_id, state, n) SELECT job_id, state,
  count(*) FROM tasks GROUP BY 1, 2; UPDATE jobs SET actual_cost_usd = (SELECT total(cost_usd)
  FROM attempts a WHERE a.job_id = jobs.id), actual_input_tokens = (SELECT total(input_tokens)
  FROM attempts a WHERE a.job_id = jobs.id), actual_output_tokens = (SELECT total(output_tokens)
  FROM attempts a WHERE a.job_id = jobs.id);"
export RECOUNT

# Flags and themes are checked before the screen is taken over.
rc=0; "$BIN" --bogus >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "unknown option '--bogus'; try 'batchtop --help'" "$TMP/err" ||
  fail "bad flag: $rc $(cat "$TMP/err")"
rc=0; "$BIN" --theme nope >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "unknown theme 'nope'" "$TMP/err" || fail "bad theme: $rc $(cat "$TMP/err")"
printf 'normal = default default\nstate.failed = red purple\n' >"$TMP/bad.theme"
rc=0; "$BIN" --theme "$TMP/bad.theme" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "bad.theme:2:20: unknown colour 'purple'" "$TMP/err" ||
  fail "theme error location: $rc $(cat "$TMP/err")"

# The dashboard on an empty store.
# Each run gets its own tmux server (a killed server's socket can linger for a moment).
start() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  RUNS=$((RUNS + 1))
  SOCK="bt-tui-$$-$RUNS"
  tmux -L "$SOCK" -f /dev/null new-session -d -s bt -x 100 -y 30 \
    "env TERM=xterm-256color BATCHTOP_HOME='$BATCHTOP_HOME' BATCHTOP_CONFIG='$BATCHTOP_CONFIG' \
     BATCHTOP_POLL_MS=100 PAGER='$TMP/pager.sh' $* ; echo \"exit=\$?\"; sleep 60"
}
# A pager that keeps what it was given, then quits (v in the inspector runs $PAGER FILE).
printf '#!/bin/sh\ncp "$1" "%s/paged.json"\n' "$TMP" >"$TMP/pager.sh"
chmod +x "$TMP/pager.sh"
start "$BIN --read-only"
wait_for "No jobs yet. Press n"
[ "$(tmux -L "$SOCK" display -p -t bt '#{alternate_on}')" = 1 ] || fail "not on the alternate screen"

# Another process writes a job: it appears without a key press.
sql "$SRC/tests/render/fixture.sql" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
import os
db.executescript("CREATE TEMP TABLE fx(now INTEGER); INSERT INTO fx VALUES (%d); BEGIN; %s; %s COMMIT;"
                 % (int(time.time() * 1000), open(sys.argv[2], encoding="utf-8").read(),
                    os.environ["RECOUNT"]))
PY
wait_for "feedback-label"
wait_for "747/1000" # 665 collected + 82 the provider reported
wait_for "2 running" # feedback-label and the triage pipeline (counted once)

# Progress moves: 100 running tasks finish.
sql <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("BEGIN; UPDATE tasks SET state = 'succeeded' WHERE job_id = 'fb7k2m9q' AND"
                 " row_no BETWEEN 666 AND 765; %s COMMIT;" % os.environ["RECOUNT"])
PY
wait_for "847/1000"

# Enter opens the job (second row, newest first); its error groups show.
keys j Enter
wait_for "Errors 3 groups, 45 tasks"
wait_for "rate_limit_exceeded"
wait_for "finalizing"
# r in a read-only dashboard asks nothing it could not do: it says why at once.
keys r
wait_for "cannot retry feedback-label: this dashboard only watches the store"
pane | grep -q "Estimated cost" && fail "a retry dialog opened in read-only mode"
# Enter on the error group lists its tasks; Enter again inspects one.
keys Enter
wait_for "25 tasks"
keys Enter
wait_for "Rate limit reached for gpt-4o-mini"
wait_for "Attempts"
# v hands the raw JSON to $PAGER and takes the screen back after it.
keys v
deadline=$((SECONDS + 10))
until [ -s "$TMP/paged.json" ]; do
  ((SECONDS < deadline)) || fail "the pager was not run"
  sleep 0.05
done
grep -q '"custom_id": "row-621"' "$TMP/paged.json" || fail "the pager did not get the raw JSON"
wait_for "Attempts"
wait_for "PgDn page-down  PgUp page-up"
# ? shows the help generated from the key table; Esc goes back up.
keys '?'
wait_for "retry the selected error group or task"
keys Escape Escape Escape
wait_for "Batches 6"
keys Escape
wait_for "job 2 of 5: 720 succeeded, 40 failed, 5 expired, 225 running"
# A resize redraws at the new size (the footer and the narrow layout follow).
tmux -L "$SOCK" resize-window -t bt -x 80 -y 24
# The 80-column layout is drawn (the footer gives up "p preview"); until then tmux shows the
# old screen cut at 80 columns.
wait_gone "p preview"
wait_for "job 2 of 5"
pane | grep -q "RATE" || fail "80 columns: the rate column is gone"
pane | grep -q "PROVIDER/MODEL" && fail "80 columns: provider/model should make room"
[ "$(pane | wc -l)" -eq 24 ] || fail "pane is not 24 rows"
pane | python3 -c '
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
sys.exit(any(w(l.rstrip("\n")) > 80 for l in sys.stdin))' || fail "a line is wider than 80 columns"
tmux -L "$SOCK" resize-window -t bt -x 100 -y 30
wait_for "PROVIDER/MOD"
# Idle: no busy loop. Two seconds of watching cost well under a tenth of a CPU.
pid="$(dash_pid)"
[ -n "$pid" ] || fail "no batchtop process"
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
before="$(cpu "$pid")"
sleep 2 # measuring idle time needs idle time
after="$(cpu "$pid")"
ticks=$((after - before))
[ "$ticks" -lt 20 ] || fail "idle dashboard used $ticks clock ticks in 2 s"
echo "idle: $ticks clock ticks in 2 s"
# q quits with status 0 and leaves the alternate screen.
keys q
wait_for "exit=0"
[ "$(tmux -L "$SOCK" display -p -t bt '#{alternate_on}')" = 0 ] || fail "alternate screen left on"

# SIGTERM restores the terminal too.
start "$BIN --read-only"
wait_for "feedback-label"
pid="$(dash_pid)"
[ -n "$pid" ] || fail "no batchtop process"
kill -TERM "$pid"
wait_for "exit=0"
[ "$(tmux -L "$SOCK" display -p -t bt '#{alternate_on}')" = 0 ] || fail "SIGTERM left the alternate screen on"

# A crash (SIGSEGV) gives the terminal back too, then dies as it would have.
start "$BIN --read-only"
wait_for "feedback-label"
pid="$(dash_pid)"
[ -n "$pid" ] || fail "no batchtop process"
kill -SEGV "$pid"
wait_for "exit=139"
[ "$(tmux -L "$SOCK" display -p -t bt '#{alternate_on}')" = 0 ] || fail "a crash left the alternate screen on"

# Ctrl-C (SIGINT) as well.
start "$BIN --read-only"
wait_for "feedback-label"
keys C-c
wait_for "exit=0"
[ "$(tmux -L "$SOCK" display -p -t bt '#{alternate_on}')" = 0 ] || fail "SIGINT left the alternate screen on"

# NO_COLOR: the mono theme (the help says so).
start "env NO_COLOR=1 $BIN --read-only"
wait_for "feedback-label"
keys '?'
wait_for "Keys"
keys NPage
wait_for "Theme: mono"
# q closes the help; q again quits.
keys q
wait_for "feedback-label"
keys q
wait_for "exit=0"
# `batchtop preview TEMPLATE INPUT --tui`: the dashboard opened on the preview.
start "$BIN preview $SRC/examples/label.tmpl $SRC/examples/feedback.csv --tui"
wait_for "Label this feedback"
wait_for "Row 1 of 200"
keys j
wait_for "Row 2 of 200"
keys q
wait_for "exit=0"
[ "$(tmux -L "$SOCK" display -p -t bt '#{alternate_on}')" = 0 ] || fail "preview --tui left the alternate screen on"
echo "ok: dashboard e2e (read-only mode)"
