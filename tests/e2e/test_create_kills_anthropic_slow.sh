#!/usr/bin/env bash
# kill -9 aimed inside the create window of an anthropic job, then an immediate `status JOB
# --wait` (issue 13 item 1). The sim holds each create 1.5 s here (300 ms in
# test_create_kills_anthropic.sh), so the batch lands after the process died: the resume must not
# create again what that create is about to land, and must find and adopt it instead. After every
# trial the sim holds exactly the batches the store tracks, no request ran twice, every result is
# right. 10 trials here; 30 per provider in all, a file per provider and delay so that ctest runs
# them side by side.
source "$(dirname "$0")/engine_lib.bash"

# Creates are held at most 1.5 s: a 2 s client timeout covers them, and a chunk whose create
# never left the dead process settles 3 s after its intent.
export BATCHTOP_TEST_HTTP_TIMEOUT_MS=2000
TRIALS="$WORK/trials.txt"
: >"$TRIALS"
kill_trials anthropic "${BATCHTOP_KILL_TRIALS:-10}" 1500
print_trials
[ "$failed" = 0 ] || fail "$failed of the kill trials broke the create path"
note "ok"
