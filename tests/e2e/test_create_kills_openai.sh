#!/usr/bin/env bash
# kill -9 aimed inside the create window of an openai job, then an immediate `status JOB --wait`
# (issue 13 item 1). The sim holds each create 300 ms here (1.5 s in
# test_create_kills_openai_slow.sh), so the batch lands after the process died: the resume must
# not create again what that create is about to land, and must find and adopt it instead. After
# every trial the sim holds exactly the batches the store tracks, no request ran twice, every
# result is right. 20 trials here; 30 per provider in all, a file per provider and delay so that
# ctest runs them side by side.
source "$(dirname "$0")/engine_lib.bash"

# Creates are held at most 1.5 s: a 2 s client timeout covers them, and a chunk whose create
# never left the dead process settles 3 s after its intent.
export BATCHTOP_TEST_HTTP_TIMEOUT_MS=2000
TRIALS="$WORK/trials.txt"
: >"$TRIALS"
kill_trials openai "${BATCHTOP_KILL_TRIALS:-20}" 300
print_trials
[ "$failed" = 0 ] || fail "$failed of the kill trials broke the create path"
note "ok"
