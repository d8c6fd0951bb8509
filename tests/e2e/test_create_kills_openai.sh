#!/usr/bin/env bash
# kill -9 aimed inside the create window of a openai job (the sim holds each create 300 ms, every
# third trial 1.5 s, so the batch lands after the process died), then an immediate
# `status JOB --wait`: the resume must not create again what the dead process's create is
# about to land, and must find and adopt it instead. After every trial the sim holds exactly
# the batches the store tracks, no request ran twice, every result is right (issue 13 item 1).
# A file per provider so that ctest runs them side by side.
source "$(dirname "$0")/engine_lib.bash"

# Creates are held at most 1.5 s: a 2 s client timeout covers them, and a chunk whose create
# never left the dead process settles 3 s after its intent.
export BATCHTOP_TEST_HTTP_TIMEOUT_MS=2000
TRIALS="$WORK/trials.txt"
: >"$TRIALS"
kill_trials openai "${BATCHTOP_KILL_TRIALS:-30}"
print_trials
[ "$failed" = 0 ] || fail "$failed of the kill trials broke the create path"
note "ok"
