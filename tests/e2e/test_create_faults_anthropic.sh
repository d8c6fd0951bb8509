#!/usr/bin/env bash
# The create path under the faults real networks make (issue 13), for anthropic:
# creates held 300 ms and 1.5 s, answers lost (on a reused connection, where libcurl would
# re-send the POST by itself) with and without failing lists, creates slower than the client's
# timeout, HTML and cut JSON on create and on list, and a process stopped past its lease while
# another takes over. After every trial the sim holds exactly the batches the store tracks, no
# request ran twice, every row's result is right and the counts add up; a trial table is printed.
# BATCHTOP_TEST_HTTP_TIMEOUT_MS (test-only) shortens the client timeouts: an uncertain create is
# created again only after timeout + half of it have passed without the batch being listed.
source "$(dirname "$0")/engine_lib.bash"
source "$(dirname "$0")/create_faults_lib.bash"

anthropic_wrong_batch
anthropic_orphan
anthropic_suspected
provider_faults anthropic

print_trials
[ "$failed" = 0 ] || fail "$failed trials broke the create path"
note "ok"
