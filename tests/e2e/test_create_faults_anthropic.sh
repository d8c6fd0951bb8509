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
provider=anthropic
stop_past_lease "$provider"
run_fault "$provider" delay-300ms '{"create_delay_ms": 300}'
run_fault "$provider" delay-1500ms '{"create_delay_ms": 1500}'
# the first create goes through, the second is lost on a reused connection
run_fault "$provider" lost '{"create_fault_skip": 1, "create_lost_next": 1}'
run_fault "$provider" lost+list-5xx '{"create_fault_skip": 1, "create_lost_next": 1, "list_5xx_next": 3}'
run_fault "$provider" lost+list-html '{"create_fault_skip": 1, "create_lost_next": 1, "list_html_next": 3}'
# slower than the client's 2 s timeout, but landing before timeout + margin (3 s)
run_fault "$provider" slower-than-timeout '{"create_delay_ms": 2600}' BATCHTOP_TEST_HTTP_TIMEOUT_MS=2000
run_fault "$provider" create-html '{"create_html_next": 1}'
run_fault "$provider" create-cut '{"create_cut_next": 1}'
run_fault "$provider" create-html+list-html '{"create_html_next": 1, "list_html_next": 3}'
run_fault "$provider" create-cut+list-cut '{"create_cut_next": 1, "list_cut_next": 3}'

print_trials
[ "$failed" = 0 ] || fail "$failed trials broke the create path"
note "ok"
