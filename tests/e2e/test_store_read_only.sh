#!/usr/bin/env bash
# A home that is not writable (issue 13): `jobs`, `status`, `results` and the dashboard still
# read it (the store is opened read-only, said once on stderr), and a command that must write
# fails with a message that says why. The home is a tmpfs remounted read-only (root cannot be
# kept out by file modes); skipped, saying why, where mount is not permitted. About 3 s.
source "$(dirname "$0")/engine_lib.bash"

MNT="$WORK/ro"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=16m tmpfs "$MNT" 2>"$WORK/mount.err"; then
  echo "SKIP: cannot mount a tmpfs here ($(cat "$WORK/mount.err")); the read-only cases need one"
  exit 0
fi
SOCK="bt-ro-$$"
umount_ro() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  umount "$MNT" 2>/dev/null || true
  cleanup
}
trap umount_ro EXIT

write_template "$WORK/t.md"
write_input "$WORK/in.csv" 5
start_sim --request-ms 2 --validate-ms 20 --finalize-ms 20
export BATCHTOP_HOME="$MNT/home"
mkdir -p "$BATCHTOP_HOME"
job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --wait 2>/dev/null)"
mkdir -p "$MNT/empty"
mount -o remount,ro "$MNT"
touch "$BATCHTOP_HOME/x" 2>/dev/null && fail "the home is still writable"

note "reads work, and say once that the store is read-only"
"$BIN" jobs >"$WORK/jobs.txt" 2>"$WORK/jobs.err" || fail "jobs: exit $?: $(cat "$WORK/jobs.err")"
grep -q "$job" "$WORK/jobs.txt" || fail "jobs: the job is not listed: $(cat "$WORK/jobs.txt")"
[ "$(grep -c "read-only" "$WORK/jobs.err")" = 1 ] || fail "jobs: not said once: $(cat "$WORK/jobs.err")"
grep -qF "$BATCHTOP_HOME" "$WORK/jobs.err" || fail "jobs: the folder is not named: $(cat "$WORK/jobs.err")"
"$BIN" status "$job" >"$WORK/status.txt" 2>"$WORK/status.err" || fail "status: exit $?: $(cat "$WORK/status.err")"
grep -q "completed" "$WORK/status.txt" || fail "status: $(cat "$WORK/status.txt")"
[ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 5 ] || fail "status --json"
"$BIN" results "$job" --format csv >"$WORK/res.csv" 2>/dev/null || fail "results: exit $?"
[ "$(wc -l <"$WORK/res.csv")" = 6 ] || fail "results: $(cat "$WORK/res.csv")"

note "a write fails with a clear message"
set +e
"$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai >/dev/null 2>"$WORK/submit.err"
code=$?
set -e
[ "$code" != 0 ] || fail "submit on a read-only home succeeded"
grep -q "read-only" "$WORK/submit.err" || fail "submit: unclear: $(cat "$WORK/submit.err")"
grep -qi "not writable\|read-only file" "$WORK/submit.err" ||
  fail "submit: does not say why: $(cat "$WORK/submit.err")"

note "no store yet in a folder that is not writable: said so"
set +e
BATCHTOP_HOME="$MNT/empty" "$BIN" jobs >/dev/null 2>"$WORK/empty.err"
code=$?
set -e
[ "$code" != 0 ] || fail "jobs on an empty read-only home succeeded"
grep -q "cannot create the store: $MNT/empty is not writable" "$WORK/empty.err" ||
  fail "empty: unclear: $(cat "$WORK/empty.err")"

if command -v tmux >/dev/null; then
  note "the dashboard shows the job"
  tmux -L "$SOCK" -f /dev/null new-session -d -s bt -x 100 -y 30 \
    "env TERM=xterm-256color BATCHTOP_HOME='$BATCHTOP_HOME' BATCHTOP_CONFIG='$BATCHTOP_CONFIG' $BIN; echo \"exit=\$?\"; sleep 60"
  deadline=$((SECONDS + 10))
  until tmux -L "$SOCK" capture-pane -p -t bt | grep -q "completed.*5/5"; do
    [ $SECONDS -lt $deadline ] || fail "dashboard: $(tmux -L "$SOCK" capture-pane -p -t bt)"
    sleep 0.05
  done
  tmux -L "$SOCK" send-keys -t bt q
  deadline=$((SECONDS + 10))
  until tmux -L "$SOCK" capture-pane -p -t bt | grep -q "exit=0"; do
    [ $SECONDS -lt $deadline ] || fail "dashboard did not quit: $(tmux -L "$SOCK" capture-pane -p -t bt)"
    sleep 0.05
  done
else
  echo "SKIP (part): no tmux for the dashboard check"
fi
note "ok"
