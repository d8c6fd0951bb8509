#!/usr/bin/env bash
# A disk that fills during a download or an ingest (issue 13), on a real small filesystem (a
# tmpfs; skipped with the reason when mount is not permitted):
#   1. room for neither the result files nor the store's growth: within the bound
#      (BATCHTOP_DISK_FULL_MS, scaled down here) the job stops, exit 3, with
#      "disk full: N MB needed in $BATCHTOP_HOME"
#   2. room for the files but not for the store (SQLite's own "disk is full"): the same
#   3. space comes back while it waits: it resumes by itself and the job ends, exit 0
# About 10 s.
source "$(dirname "$0")/engine_lib.bash"

MNT="$WORK/small"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=16m tmpfs "$MNT" 2>"$WORK/mount.err"; then
  echo "SKIP: cannot mount a tmpfs here ($(cat "$WORK/mount.err")); the disk-full cases need one"
  exit 0
fi
umount_small() { umount "$MNT" 2>/dev/null || true; cleanup; }
trap umount_small EXIT

free_bytes() { python3 -c 'import os,sys; v=os.statvfs(sys.argv[1]); print(v.f_bavail*v.f_frsize)' "$MNT"; }
# leave_free BYTES: fill the tmpfs until about BYTES are left.
leave_free() {
  rm -f "$MNT/filler"
  local n=$(($(free_bytes) - $1))
  [ "$n" -gt 0 ] && head -c "$n" /dev/zero >"$MNT/filler"
  return 0
}

write_template "$WORK/t.md"
write_input "$WORK/in.csv" 400
start_sim --request-ms 0 --validate-ms 20 --finalize-ms 20 --cancel-ms 20

# The result file's size, from a run on the ordinary disk.
new_home
"$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --chunk-size 400 --wait >/dev/null
files="$(curl -sf -H "Authorization: Bearer $OPENAI_API_KEY" "http://127.0.0.1:$PORT/v1/files")"
result_bytes=$(json_get "$files" \
  'sum(f["bytes"] for f in d["data"] if f["filename"].endswith("_output.jsonl"))')
note "the result file is $result_bytes bytes"

# submit_small: a job on the tmpfs home, submitted (its batch made), not yet downloaded.
submit_small() {
  rm -rf "$MNT/home" "$MNT/filler"
  export BATCHTOP_HOME="$MNT/home"
  mkdir -p "$BATCHTOP_HOME"
  job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider openai --chunk-size 400)"
}

for case in files store; do
  note "disk full ($case): stops within the bound with the MB needed and the folder"
  submit_small
  if [ "$case" = files ]; then leave_free $((result_bytes / 3)); else leave_free $((result_bytes * 2)); fi
  set +e
  start=$SECONDS
  BATCHTOP_DISK_FULL_MS=2000 BATCHTOP_BACKOFF_MS=100 timeout 60 "$BIN" status "$job" --wait \
    >/dev/null 2>"$WORK/err.txt"
  code=$?
  set -e
  [ "$code" = 3 ] || { cat "$WORK/err.txt"; fail "$case: exit $code, want 3"; }
  [ $((SECONDS - start)) -le 15 ] || fail "$case: took $((SECONDS - start)) s"
  grep -qE "disk full: [0-9]+ MB needed in $BATCHTOP_HOME" "$WORK/err.txt" ||
    fail "$case: no disk-full message: $(cat "$WORK/err.txt")"
  note "$(grep -m1 'disk full' "$WORK/err.txt")"
  grep -q "HTTP 200" "$WORK/err.txt" && fail "$case: blamed the provider: $(cat "$WORK/err.txt")"
  rm -f "$MNT/filler"
  "$BIN" status "$job" --wait >/dev/null 2>"$WORK/err.txt" ||
    { cat "$WORK/err.txt"; fail "$case: no resume once there is room"; }
  [ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 400 ] || fail "$case: not done"
done

note "disk full, then space comes back while it waits: it resumes by itself"
submit_small
leave_free $((result_bytes / 3))
BATCHTOP_DISK_FULL_MS=30000 BATCHTOP_BACKOFF_MS=100 "$BIN" status "$job" --wait >/dev/null \
  2>"$WORK/wait.err" &
waiter=$!
deadline=$((SECONDS + 15))
until grep -q "disk full" "$WORK/wait.err"; do
  [ $SECONDS -lt $deadline ] || fail "resume: no disk-full message: $(cat "$WORK/wait.err")"
  kill -0 $waiter 2>/dev/null || fail "resume: ended early: $(cat "$WORK/wait.err")"
  sleep 0.1
done
rm -f "$MNT/filler"
deadline=$((SECONDS + 20))
while kill -0 $waiter 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || fail "resume: did not resume when space came back"
  sleep 0.1
done
wait $waiter || fail "resume: exit $?: $(cat "$WORK/wait.err")"
[ "$(status_field "$job" 'd["counts"]["succeeded"]')" = 400 ] || fail "resume: not done"
assert_no_canary "$WORK/wait.err"
note "ok"
